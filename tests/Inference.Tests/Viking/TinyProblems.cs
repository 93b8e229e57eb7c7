using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Engine.Transforms;
using Tangent.Engine.Execution;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Layers;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Tests.Viking;

/// <summary>Tiny networks and data sets for the VIKING and projection-posterior tests.</summary>
internal static class Tiny
{
    /// <summary>A one-hidden-layer tanh MLP on [inputs] with <paramref name="outputs"/> outputs.</summary>
    public static ZooModel Mlp(int inputs, int hidden, int outputs) =>
        ModelZoo.Create("mlp", new ModelConfig { Input = new Shape(inputs), Widths = [hidden], Classes = outputs, Activation = "tanh" });

    /// <summary>n examples with N(0, 1) features and uniform random labels.</summary>
    public static DataSet Classes(int n, int inputs, int classes, int seed)
    {
        var rng = new Random(seed);
        var x = Enumerable.Range(0, n * inputs).Select(_ => (float)Normal(rng)).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => rng.Next(classes)).ToArray();
        return new DataSet("tiny", x, new Shape(inputs), y, classes);
    }

    /// <summary>θ drawn by the network's initialisation, times <paramref name="scale"/>.</summary>
    public static float[] Parameters(ZooModel model, ulong seed, float scale = 1) =>
        model.Network.InitialParameters(seed).Select(v => v * scale).ToArray();

    /// <summary>A loader whose epoch 0, batch 0 is the whole data set in order (filled).</summary>
    public static BatchLoader WholeBatch(DataSet data)
    {
        var loader = new BatchLoader(data, data.Count, 0, shuffle: false, dropLast: true);
        loader.BeginEpoch(0);
        loader.Fill(0);
        return loader;
    }

    /// <summary>A standard normal deviate (Box–Muller).</summary>
    public static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}

/// <summary>
/// float64 references on the host for a traced likelihood tape on one batch: per-example losses, ∇Σℓ and the
/// materialised Jacobian, all run in double precision on the cpu backend, and the dense kernel projector.
/// </summary>
internal sealed class DenseReference(Tape tape, DataSet batch)
{
    private double[] Run(double[] theta, string output, Func<Tape, Tape>? transform = null, (string Name, double[] Value)? extra = null)
    {
        using var plan = (transform?.Invoke(tape) ?? tape).Plan<double>(CpuBackend.Instance);
        using var buffers = Bind(plan, theta);
        using var e = CpuBackend.Instance.Upload<double>(extra?.Value ?? [0.0]);
        if (extra is { } ex) plan.Bind(ex.Name, e);
        plan.Run();
        return plan.ReadOutput(output);
    }

    /// <summary>Binds θ and the batch on <paramref name="plan"/>; the returned handle owns the buffers.</summary>
    private Buffers Bind(Plan<double> plan, double[] theta)
    {
        var be = CpuBackend.Instance;
        var b = new Buffers(be.Upload<double>(theta), be.Upload<double>(batch.Inputs.Select(v => (double)v).ToArray()),
            be.Upload<int>(batch.IsClassification ? batch.Labels : [0]),
            be.Upload<double>(batch.IsClassification ? [0.0] : batch.Targets!.Select(v => (double)v).ToArray()));
        plan.Bind(Network.ThetaGroup, b.Theta);
        plan.Bind("x", b.X);
        if (batch.IsClassification) plan.BindIndices("y", b.Labels);
        else plan.Bind("y", b.Targets);
        return b;
    }

    private sealed record Buffers(DeviceBuffer<double> Theta, DeviceBuffer<double> X, DeviceBuffer<int> Labels, DeviceBuffer<double> Targets) : IDisposable
    {
        public void Dispose()
        {
            Theta.Dispose();
            X.Dispose();
            Labels.Dispose();
            Targets.Dispose();
        }
    }

    /// <summary>ℓᵢ(θ).</summary>
    public double[] Losses(double[] theta) => Run(theta, "loss");

    /// <summary>Σᵢ ℓᵢ(θ).</summary>
    public double Loss(double[] theta) => Losses(theta).Sum();

    /// <summary>∇θ Σᵢ ℓᵢ.</summary>
    public double[] Gradient(double[] theta) =>
        Run(theta, "theta:cotangent", t => t.Vjp(["theta"], ["loss"]), ("loss:cotangent", Enumerable.Repeat(1.0, batch.Count).ToArray()));

    /// <summary>J of output <paramref name="output"/> ("loss" or "logits", flattened) at θ (the engine's materialisation, in double).</summary>
    public Matrix<double> Jacobian(double[] theta, string output)
    {
        Buffers? held = null;
        var j = Jacobians.Materialize<double>(tape, "theta", output, CpuBackend.Instance, plan => held = Bind(plan, theta));
        held?.Dispose();
        return Matrix<double>.Build.Dense(tape.Output(output).TotalLength, theta.Length, (r, c) => j[r * theta.Length + c]);
    }

    /// <summary>I − Jᵀ(JJᵀ)⁻¹J.</summary>
    public static Matrix<double> KernelProjector(Matrix<double> j) =>
        Matrix<double>.Build.DenseIdentity(j.ColumnCount) - j.TransposeThisAndMultiply((j * j.Transpose()).Inverse() * j);
}
