using Tangent.Engine.Execution;
using Tangent.Engine.Transforms;
using Tangent.Kernels.Backends;
using Tangent.Models.Layers;

namespace Tangent.Inference.Projection;

/// <summary>
/// Logits [S, B, C] of a fixed set of S parameter samples θ_s = θ̂ + δ_s held on the device: through the network
/// itself (S forward passes per batch) or through its linearisation at θ̂, f(θ̂) + J(θ̂)δ_s, where the deltas are
/// the tangents of K-tangent JVPs (one sweep per <see cref="TangentChunk"/> samples). Plans are made once per
/// batch size. The samples do not depend on the inputs, so predictions do not depend on how inputs are batched.
/// </summary>
public sealed class SampledPredictor : IDisposable
{
    /// <summary>Largest K·B of one linearised sweep (bounds the K-tangent activations' memory).</summary>
    public const int TangentBudget = 2048;

    private readonly Network _network;
    private readonly Backend _backend;
    private readonly DeviceBuffer<float> _mean, _deltas;
    private readonly DeviceBuffer<float>? _samples;
    private readonly Dictionary<(int Batch, int Tangents), Plan<float>> _plans = [];
    private readonly Dictionary<int, DeviceBuffer<float>> _inputs = [];

    /// <summary>
    /// Holds θ̂ (<paramref name="mean"/>, P values) and the deltas [S, P] (<paramref name="deltas"/>) on
    /// <paramref name="backend"/>; <paramref name="linearized"/> chooses the linearised predictive.
    /// </summary>
    public SampledPredictor(Network network, Backend backend, ReadOnlySpan<float> mean, ReadOnlySpan<float> deltas, bool linearized)
    {
        int p = network.ParameterCount;
        if (mean.Length != p) throw new ArgumentException($"sampled predictor: θ̂ has {mean.Length} values, the network {p} parameters.");
        if (deltas.Length == 0 || deltas.Length % p != 0)
            throw new ArgumentException($"sampled predictor: {deltas.Length} delta values are not a positive number of {p}-parameter samples.");
        _network = network;
        _backend = backend;
        SampleCount = deltas.Length / p;
        Linearized = linearized;
        _mean = backend.Upload(mean);
        _deltas = backend.Upload(deltas);
        if (!linearized)
        {
            _samples = backend.Upload(deltas);
            for (int s = 0; s < SampleCount; s++) backend.Axpy(1f, _mean.View, _samples.Slice(s * p, p));
        }
    }

    /// <summary>S.</summary>
    public int SampleCount { get; }

    /// <summary>Whether predictions go through the linearised network.</summary>
    public bool Linearized { get; }

    /// <summary>Outputs per example C.</summary>
    public int Classes => _network.OutputShape.Length;

    /// <summary>The deltas δ_s = θ_s − θ̂, [S, P] (a copy).</summary>
    public float[] Deltas() => _deltas.ToArray();

    /// <summary>Linearised samples per JVP sweep for batches of <paramref name="batch"/> inputs.</summary>
    public int TangentChunk(int batch) => Math.Clamp(TangentBudget / Math.Max(batch, 1), 1, SampleCount);

    /// <summary>Logits [S, B, C] (row-major) for <paramref name="batch"/> inputs laid out [B, …input shape].</summary>
    public float[] Predict(ReadOnlySpan<float> inputs, int batch)
    {
        int inLen = _network.InputShape.Length, c = Classes, p = _network.ParameterCount, s = SampleCount;
        if (batch <= 0 || inputs.Length != (long)batch * inLen)
            throw new ArgumentException($"sampled predictor: {inputs.Length} input values are not {batch} inputs of shape {_network.InputShape}.");
        var x = InputBuffer(batch);
        x.CopyFrom(inputs);
        var result = new float[(long)s * batch * c];
        int bc = batch * c;
        if (!Linearized)
        {
            var plan = PlanFor(batch, 0);
            for (int i = 0; i < s; i++)
            {
                plan.Bind(Network.ThetaGroup, _samples!.Slice(i * p, p));
                plan.Run();
                var v = plan.Output("logits");
                v.Buffer.CopyTo(result.AsSpan(i * bc, bc), v.Offset);
            }
            return result;
        }
        var point = new float[bc];
        int chunk = TangentChunk(batch);
        for (int start = 0; start < s; start += chunk)
        {
            int k = Math.Min(chunk, s - start);
            var plan = PlanFor(batch, k);
            plan.Bind(Network.ThetaGroup + Transform.TangentSuffix, _deltas.Slice(start * p, k * p));
            plan.Run();
            var f = plan.Output("logits");
            f.Buffer.CopyTo(point, f.Offset);
            var t = plan.Output("logits" + Transform.TangentSuffix);
            t.Buffer.CopyTo(result.AsSpan(start * bc, k * bc), t.Offset);
            for (int i = 0; i < k; i++)
            {
                var row = result.AsSpan((start + i) * bc, bc);
                for (int j = 0; j < bc; j++) row[j] += point[j];
            }
        }
        return result;
    }

    private DeviceBuffer<float> InputBuffer(int batch) =>
        _inputs.TryGetValue(batch, out var x) ? x : _inputs[batch] = _backend.Allocate<float>(batch * _network.InputShape.Length);

    /// <summary>The logits plan for a batch size: the network itself (<paramref name="tangents"/> = 0) or its K-tangent JVP.</summary>
    private Plan<float> PlanFor(int batch, int tangents)
    {
        if (_plans.TryGetValue((batch, tangents), out var plan)) return plan;
        var tape = _network.TraceLogits(batch);
        plan = (tangents > 0 ? tape.Jvp(tangents, Network.ThetaGroup) : tape).Plan<float>(_backend);
        plan.Bind("x", InputBuffer(batch).View);
        if (tangents > 0) plan.Bind(Network.ThetaGroup, _mean.View);
        return _plans[(batch, tangents)] = plan;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var plan in _plans.Values) plan.Dispose();
        foreach (var x in _inputs.Values) x.Dispose();
        _plans.Clear();
        _inputs.Clear();
        _mean.Dispose();
        _deltas.Dispose();
        _samples?.Dispose();
    }
}
