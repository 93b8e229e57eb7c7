using Tangent.Engine;
using Tangent.Engine.Linalg;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Perf;

/// <summary>
/// VIKING's hot path (issue 5): one kernel projection Pε = ε − Jᵀ(JJᵀ)⁻¹Jε of the per-example softmax cross-entropy
/// loss Jacobian of LeNet (METHODS.md; 44,426 parameters) at batch 32, by 10 steps of reorthogonalised CG, float32
/// on the cpu backend, at a PyTorch-like random initialisation with random inputs and labels. Records the
/// projection's time, its cost in forward passes of the same run, and its residual ‖J Pε‖/‖J ε‖ (with the 32-step
/// residual beside it), plus the forward pass, one loss JVP, one VJP and one fused JJᵀ product.
/// </summary>
public sealed class ProjectionBenchSuite : IBenchSuite
{
    /// <summary>libtorch CPU through TorchSharp on this machine (issue 5; 2 threads, median of 5 rounds).</summary>
    private const double LibtorchCg10Ms = 38.6;

    // Every timed projection calls Invalidate() first, so each includes one primal forward pass of its own (the CG
    // iterations then share it): the figure is that of a projection on a fresh batch or θ.

    /// <summary>LeNet's parameter count (METHODS.md).</summary>
    public const int LeNetParameters = 44_426;

    /// <inheritdoc />
    public string Name => "projection";

    /// <inheritdoc />
    public string Description => "kernel projection: 10-step reorthogonalised CG on LeNet's loss Jacobian at batch 32, one and 8 vectors (float32, cpu)";

    /// <inheritdoc />
    public IReadOnlyList<BenchRecord> Run(BenchContext context)
    {
        const int batch = 32;
        var be = CpuBackend.Instance;
        var (tape, layout) = LeNet(batch);
        int p = tape.Input("theta").TotalLength;
        if (p != LeNetParameters) throw new InvalidOperationException($"LeNet has {p} parameters, expected {LeNetParameters}.");
        string shape = $"B={batch} P={p}";

        using var theta = be.Allocate<float>(p);
        InitialiseLikePyTorch(be, theta, layout);
        using var x = be.Allocate<float>(batch * 28 * 28);
        be.RandomNormal(x.View, 7, 0, 0);
        var rng = new Random(3);
        using var labels = be.Upload(Enumerable.Range(0, batch).Select(_ => rng.Next(10)).ToArray());
        using var eps = be.Allocate<float>(p);
        be.RandomNormal(eps.View, 11, 0, 0);
        using var result = be.Allocate<float>(p);
        using var lambda = be.Allocate<float>(batch);
        using var rows = be.Allocate<float>(batch);
        using var rows2 = be.Allocate<float>(batch);

        using var forward = tape.Plan<float>(be);
        forward.Bind("theta", theta.View);
        forward.Bind("x", x.View);
        forward.BindIndices("y", labels.View);
        using var j = TapeOperators.Jacobian<float>(tape, "theta", "loss", be);
        j.Bind("theta", theta.View);
        j.Bind("x", x.View);
        j.BindIndices("y", labels.View);
        j.Prepare(1);
        be.Fill(lambda.View, 1f);
        using var cg10 = new KernelProjection<float>(be, batch, p, 1, new KernelProjectionOptions(Steps: 10));
        using var cg32 = new KernelProjection<float>(be, batch, p, 1, new KernelProjectionOptions(Steps: 32));

        // ‖J Pε‖/‖J ε‖ of a projector.
        double Residual(KernelProjection<float> projector)
        {
            projector.Project(j, eps.View, result.View);
            j.Apply(eps.View, rows.View);
            j.Apply(result.View, rows2.View);
            return Norm(be, rows2.View) / Norm(be, rows.View);
        }
        double r10 = Residual(cg10), r32 = Residual(cg32);
        // CG steps actually taken: fixed-step CG stops early once the residual reaches the float32 floor, and a
        // batch-32 system has at most 32 distinct steps anyway.
        j.Invalidate();
        int it10 = cg10.Project(j, eps.View, result.View).Iterations;
        j.Invalidate();
        int it32 = cg32.Project(j, eps.View, result.View).Iterations;
        // Eight vectors at once (VIKING's alternating projections over many vectors): one ProjectMany, whose JJᵀ
        // products are 8-tangent tapes, against eight single projections.
        const int many = 8;
        j.Prepare(many);
        using var cgMany = new KernelProjection<float>(be, batch, p, many, new KernelProjectionOptions(Steps: 10));
        using var epsMany = be.Allocate<float>(many * p);
        be.RandomNormal(epsMany.View, 13, 0, 0);
        using var resultMany = be.Allocate<float>(many * p);
        using var lambdaMany = be.Allocate<float>(many * batch);
        using var rowsMany = be.Allocate<float>(many * batch);
        be.Fill(lambdaMany.View, 1f);
        if (Environment.GetEnvironmentVariable("TANGENT_PROFILE") == "1")
            foreach (int count in new[] { 1, many })
            {
                var steps = j.ProfileOuterGram(count == 1 ? lambda.View : lambdaMany.View, count == 1 ? rows.View : rowsMany.View, count);
                context.Log.WriteLine($"JJᵀ tape for {count} vector(s): {steps.Count} steps, {steps.Sum(s => s.Milliseconds):F3} ms in all; the slowest:");
                foreach (var s in steps.OrderByDescending(s => s.Milliseconds).Take(12))
                    context.Log.WriteLine($"  {s.Milliseconds,8:F3} ms  {s.Primitive,-28} {s.Scope,-6} {s.Shapes}");
            }

        var records = new List<BenchRecord>();
        var fwd = context.Measure("lenet/b32/forward", shape, forward.Run);
        records.Add(fwd);
        Dictionary<string, double> Extras(BenchRecord? r = null, double? libtorch = null)
        {
            var d = new Dictionary<string, double> { ["forward_ms"] = fwd.MedianMs };
            if (libtorch is { } t) d["libtorch_ms"] = t;
            return d;
        }
        BenchRecord WithEquivalents(BenchRecord r) =>
            r with { Extra = new Dictionary<string, double>(r.Extra!) { ["forward_equivalents"] = r.MedianMs / fwd.MedianMs } };

        records.Add(WithEquivalents(context.Measure("lenet/b32/loss-jvp", shape, () => j.Apply(eps.View, rows.View), extra: Extras())));
        records.Add(WithEquivalents(context.Measure("lenet/b32/vjp", shape, () => j.ApplyTranspose(lambda.View, result.View), extra: Extras())));
        records.Add(WithEquivalents(context.Measure("lenet/b32/gram-cached-primal", shape, () => j.OuterGram.Apply(lambda.View, rows.View), extra: Extras())));
        var e10 = Extras(libtorch: LibtorchCg10Ms);
        e10["residual"] = r10;
        e10["residual_32_steps"] = r32;
        e10["iterations"] = it10;
        var cg = WithEquivalents(context.Measure("lenet/b32/cg10", shape, () => { j.Invalidate(); cg10.Project(j, eps.View, result.View); }, extra: e10));
        records.Add(cg);
        var e32 = Extras();
        e32["residual"] = r32;
        e32["iterations"] = it32;
        records.Add(WithEquivalents(context.Measure("lenet/b32/cg32", shape, () => { j.Invalidate(); cg32.Project(j, eps.View, result.View); }, extra: e32)));
        var single8 = context.Measure($"lenet/b32/cg10-x{many}-single", shape, () =>
        {
            for (int i = 0; i < many; i++)
            {
                j.Invalidate();
                cg10.Project(j, epsMany.View.Slice(i * p, p), resultMany.View.Slice(i * p, p));
            }
        }, extra: Extras());
        records.Add(WithEquivalents(single8));
        var eMany = Extras();
        eMany["separate_ms"] = single8.MedianMs;
        var projMany = context.Measure($"lenet/b32/cg10-x{many}", shape + $" {many} vectors", () =>
        {
            j.Invalidate();
            cgMany.ProjectMany(j, epsMany.View, resultMany.View, many);
        }, extra: eMany);
        records.Add(WithEquivalents(projMany));
        context.Log.WriteLine($"{many} projections at once: {projMany.MedianMs:F3} ms vs {single8.MedianMs:F3} ms one by one ({single8.MedianMs / projMany.MedianMs:F2}×)");

        // The dense solver: J's 32 rows from one 32-set transpose product, JJᵀ by GEMM, Cholesky on the host.
        j.Prepare(batch);
        using var dense = new KernelProjection<float>(be, batch, p, many, new KernelProjectionOptions(ProjectionSolver.Dense));
        double rDense = Residual(dense);
        var eDense = Extras(libtorch: LibtorchCg10Ms);
        eDense["residual"] = rDense;
        records.Add(WithEquivalents(context.Measure("lenet/b32/dense", shape, () => { j.Invalidate(); dense.Project(j, eps.View, result.View); }, extra: eDense)));
        var eDenseMany = Extras();
        eDenseMany["separate_ms"] = single8.MedianMs;
        var denseMany = context.Measure($"lenet/b32/dense-x{many}", shape + $" {many} vectors", () =>
        {
            j.Invalidate();
            dense.ProjectMany(j, epsMany.View, resultMany.View, many);
        }, extra: eDenseMany);
        records.Add(WithEquivalents(denseMany));
        context.Log.WriteLine($"dense: one vector {records[^2].MedianMs:F3} ms (residual {rDense:E2}), {many} vectors {denseMany.MedianMs:F3} ms");
        context.Log.WriteLine($"cg10: {cg.MedianMs / fwd.MedianMs:F1} forward equivalents, residual ‖JPε‖/‖Jε‖ = {r10:E2} (32 steps: {r32:E2}); CG iterations taken {it10} and {it32}; libtorch {LibtorchCg10Ms} ms");
        return records;
    }

    private static double Norm(Backend be, BufferView<float> v) => be.Nrm2(v);

    /// <summary>
    /// LeNet of METHODS.md: tanh; Conv 6@5×5 valid, MaxPool 2, Conv 16@5×5, MaxPool 2, Dense 120, Dense 84, Dense 10,
    /// on 28×28×1 inputs; output "loss" is the per-example softmax cross-entropy ([B]); with
    /// <paramref name="withLogits"/> also "logits" and "mean_loss" (for the autodiff suite).
    /// </summary>
    public static (Tape Tape, ParameterLayout Layout) LeNet(int batch, bool withLogits = false)
    {
        var layout = new ParameterLayout()
            .Add("conv1.weight", new Shape(6, 1, 5, 5)).Add("conv1.bias", new Shape(6))
            .Add("conv2.weight", new Shape(16, 6, 5, 5)).Add("conv2.bias", new Shape(16))
            .Add("fc1.weight", new Shape(120, 256)).Add("fc1.bias", new Shape(120))
            .Add("fc2.weight", new Shape(84, 120)).Add("fc2.bias", new Shape(84))
            .Add("fc3.weight", new Shape(10, 84)).Add("fc3.bias", new Shape(10));
        var tape = Tape.Trace(t =>
        {
            var p = t.Parameters(layout);
            var x = t.Input("x", new Shape(batch, 1, 28, 28));
            var y = t.Input("y", new Shape(batch), DType.Int32);
            Var h;
            using (t.Scope("conv1")) h = Fn.MaxPool2d(Fn.Tanh(Fn.Conv2d(x, p["conv1.weight"], p["conv1.bias"])), 2);
            using (t.Scope("conv2")) h = Fn.MaxPool2d(Fn.Tanh(Fn.Conv2d(h, p["conv2.weight"], p["conv2.bias"])), 2);
            using (t.Scope("fc1")) h = Fn.Tanh(Fn.Linear(Fn.Flatten(h), p["fc1.weight"], p["fc1.bias"]));
            using (t.Scope("fc2")) h = Fn.Tanh(Fn.Linear(h, p["fc2.weight"], p["fc2.bias"]));
            using (t.Scope("fc3")) h = Fn.Linear(h, p["fc3.weight"], p["fc3.bias"]);
            var loss = Fn.SoftmaxCrossEntropy(h, y);
            t.Output("loss", loss);
            if (withLogits)
            {
                t.Output("logits", h);
                t.Output("mean_loss", Fn.Mean(loss));
            }
        });
        return (tape, layout);
    }

    /// <summary>
    /// PyTorch's default initialisation of Conv2d/Linear: weights and biases U(−1/√fan_in, 1/√fan_in) (kaiming_uniform
    /// with a = √5 gives that bound), fan_in = input channels × kernel area, from the backend's Philox uniforms.
    /// </summary>
    private static void InitialiseLikePyTorch(Backend be, DeviceBuffer<float> theta, ParameterLayout layout)
    {
        be.RandomUniform(theta.View, 5, 0, 0);
        var host = theta.ToArray();
        foreach (var (name, shape, offset) in layout.Entries)
        {
            string layer = name[..name.IndexOf('.')];
            var weight = layout[layer + ".weight"].Shape;
            int fanIn = weight.Length / weight[0];
            double bound = 1 / Math.Sqrt(fanIn);
            for (int i = 0; i < shape.Length; i++) host[offset + i] = (float)(bound * (2 * host[offset + i] - 1));
        }
        theta.CopyFrom(host);
    }
}
