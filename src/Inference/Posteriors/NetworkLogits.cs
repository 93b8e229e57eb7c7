using System.Runtime.InteropServices;
using Tangent.Engine.Execution;
using Tangent.Kernels.Backends;
using Tangent.Models.Layers;

namespace Tangent.Inference.Posteriors;

/// <summary>
/// A network's evaluation-mode outputs on a backend: <see cref="Network.TraceLogits"/> planned once per batch size,
/// with θ and the state uploaded once. The element type <typeparamref name="T"/> is float for MAP predictions and
/// double where a method needs float64 (the exact linearised Laplace ground truth).
/// </summary>
public sealed class NetworkLogits<T> : IDisposable where T : unmanaged
{
    private readonly Dictionary<int, (Plan<T> Plan, DeviceBuffer<T> Inputs)> _plans = [];
    private readonly DeviceBuffer<T>? _state;
    private T[] _hostInputs = [];

    /// <summary>Uploads <paramref name="parameters"/> (length P) and <paramref name="state"/> (the state layout's length, or empty) to <paramref name="backend"/>.</summary>
    public NetworkLogits(Network network, Backend backend, ReadOnlySpan<T> parameters, ReadOnlySpan<T> state)
    {
        if (parameters.Length != network.ParameterCount)
            throw new ArgumentException($"the network has {network.ParameterCount} parameters; {parameters.Length} were given.");
        if (network.State.Count > 0 && state.Length != network.State.Count)
            throw new ArgumentException($"the network has {network.State.Count} state values; {state.Length} were given.");
        Network = network;
        Backend = backend;
        Parameters = backend.Upload(parameters);
        if (network.State.Count > 0) _state = backend.Upload(state);
    }

    /// <summary>The network.</summary>
    public Network Network { get; }

    /// <summary>Where the plans run.</summary>
    public Backend Backend { get; }

    /// <summary>θ on the device.</summary>
    public DeviceBuffer<T> Parameters { get; }

    /// <summary>Outputs per example (C for a classifier).</summary>
    public int OutputLength => Network.OutputShape.Length;

    /// <summary>
    /// Runs the network on <paramref name="batch"/> inputs laid out [B, …input shape] (float, converted to
    /// <typeparamref name="T"/>) and returns the outputs [B, …output] on the device, valid until the next call.
    /// </summary>
    public BufferView<T> Run(ReadOnlySpan<float> inputs, int batch)
    {
        int sample = Network.InputShape.Length;
        if (batch < 1 || inputs.Length != (long)batch * sample)
            throw new ArgumentException($"{batch} inputs of shape {Network.InputShape} need {(long)batch * sample} values; {inputs.Length} were given.");
        var (plan, x) = PlanFor(batch);
        if (typeof(T) == typeof(float)) x.CopyFrom(MemoryMarshal.Cast<float, T>(inputs));
        else
        {
            if (_hostInputs.Length < inputs.Length) _hostInputs = new T[inputs.Length];
            var d = MemoryMarshal.Cast<T, double>(_hostInputs.AsSpan(0, inputs.Length));
            for (int i = 0; i < inputs.Length; i++) d[i] = inputs[i];
            x.CopyFrom(_hostInputs.AsSpan(0, inputs.Length));
        }
        plan.Run();
        return plan.Output("logits");
    }

    /// <summary>The outputs of <see cref="Run"/> copied to a new host array.</summary>
    public T[] RunToHost(ReadOnlySpan<float> inputs, int batch)
    {
        var v = Run(inputs, batch);
        var host = new T[v.Length];
        v.Buffer.CopyTo(host, v.Offset);
        return host;
    }

    private (Plan<T>, DeviceBuffer<T>) PlanFor(int batch)
    {
        if (_plans.TryGetValue(batch, out var p)) return p;
        var plan = Network.TraceLogits(batch).Plan<T>(Backend);
        var x = Backend.Allocate<T>(batch * Network.InputShape.Length);
        plan.Bind(Network.ThetaGroup, Parameters.View);
        if (_state != null) plan.Bind(Network.StateGroup, _state.View);
        plan.Bind("x", x.View);
        _plans[batch] = (plan, x);
        return (plan, x);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var (plan, x) in _plans.Values)
        {
            plan.Dispose();
            x.Dispose();
        }
        _plans.Clear();
        Parameters.Dispose();
        _state?.Dispose();
    }
}
