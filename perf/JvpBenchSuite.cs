using System.Diagnostics;
using Tangent.Engine;
using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Perf;

/// <summary>
/// Forward, JVP (one tangent w.r.t. all parameters), forward+VJP (a training gradient), K=8 batched JVP and an SGD
/// step on planned tapes, float32 on the cpu backend: the FashionMNIST CNN of METHODS.md (140,594 parameters) at
/// batch 10 and 128, an MLP 784-256-256-10 at batch 128, and VIKING's LeNet at batch 32. Each record carries its
/// ratio to the forward time of the same network and its ratio to libtorch CPU on this machine (PERF.md, 2 threads,
/// medians).
/// </summary>
public sealed class JvpBenchSuite : IBenchSuite
{
    /// <inheritdoc />
    public string Name => "jvp";

    /// <inheritdoc />
    public string Description => "autodiff: forward / JVP / forward+VJP / K=8 JVP / SGD step of the FMNIST CNN, an MLP and LeNet (float32, cpu)";

    private static readonly Dictionary<string, double> Libtorch = new()
    {
        ["fmnist-cnn/b128/forward"] = 9.11, ["fmnist-cnn/b128/jvp"] = 29.6, ["fmnist-cnn/b128/vjp"] = 15.1,
        ["fmnist-cnn/b10/forward"] = 0.89, ["fmnist-cnn/b10/jvp"] = 4.30, ["fmnist-cnn/b10/vjp"] = 1.95,
        ["mlp/b128/forward"] = 0.48, ["mlp/b128/jvp"] = 2.02, ["mlp/b128/vjp"] = 1.22, ["mlp/b128/sgd"] = 1.38,
    };

    /// <inheritdoc />
    public IReadOnlyList<BenchRecord> Run(BenchContext context)
    {
        var be = CpuBackend.Instance;
        var records = new List<BenchRecord>();
        Collect(context, records, () => RunNetwork(context, be, "mlp", 128, Mlp(128), MlpForwardFlops(128), withK: false, withSgd: true));
        Collect(context, records, () => RunNetwork(context, be, "fmnist-cnn", 10, FmnistCnn(10), CnnForwardFlops(10), withK: true, withSgd: false));
        Collect(context, records, () => RunNetwork(context, be, "fmnist-cnn", 128, FmnistCnn(128), CnnForwardFlops(128), withK: false, withSgd: false));
        // VIKING's network and batch: K = 8 tangents are a projection of 8 vectors at once (ProjectMany).
        Collect(context, records, () => RunNetwork(context, be, "lenet", 32, LeNet(32), LeNetForwardFlops(32), withK: true, withSgd: false));
        return records;
    }

    /// <summary>Runs one network's records; a kernel family the backend lacks skips that network with a note.</summary>
    private static void Collect(BenchContext context, List<BenchRecord> records, Func<IEnumerable<BenchRecord>> run)
    {
        try
        {
            foreach (var r in run()) records.Add(r);
        }
        catch (NotSupportedException e)
        {
            context.Log.WriteLine($"skipped: {e.Message}");
        }
    }

    private static IEnumerable<BenchRecord> RunNetwork(BenchContext ctx, Backend be, string net, int batch, (Tape Tape, int Inputs, int Classes) model,
        double fwdFlops, bool withK, bool withSgd)
    {
        var (tape, inputLength, classes) = model;
        int p = tape.Input("theta").TotalLength;
        var rng = new Random(1);
        float[] Rand(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)(scale * (2 * rng.NextDouble() - 1))).ToArray();
        using var theta = be.Upload<float>(Rand(p, 0.05));
        using var x = be.Upload<float>(Rand(batch * inputLength, 1));
        using var labels = be.Upload<int>(Enumerable.Range(0, batch).Select(i => i % classes).ToArray());
        using var v = be.Upload<float>(Rand(p, 1));
        using var v8 = be.Upload<float>(Rand(8 * p, 1));
        using var one = be.Upload<float>([1f]);

        void BindCommon(Plan<float> plan)
        {
            foreach (var g in plan.Tape.Inputs)
            {
                switch (g.Name)
                {
                    case "theta": plan.Bind(g.Name, theta); break;
                    case "x": plan.Bind(g.Name, x); break;
                    case "y": plan.BindIndices(g.Name, labels); break;
                    case "theta:tangent": plan.Bind(g.Name, g.Repeat == 8 ? v8 : v); break;
                    case "mean_loss:cotangent": plan.Bind(g.Name, one); break;
                }
            }
        }

        string shape = $"B={batch} P={p}";
        var prefix = $"{net}/b{batch}";
        var forwardTape = Only(tape, "logits");
        using var forward = forwardTape.Plan<float>(be);
        using var jvp = Only(tape, "logits").Jvp(1, "theta").Plan<float>(be);
        using var vjp = Only(tape, "mean_loss").Vjp(["theta"], ["mean_loss"]).Plan<float>(be);
        BindCommon(forward);
        BindCommon(jvp);
        BindCommon(vjp);

        using var jvp8 = withK ? Only(tape, "logits").Jvp(8, "theta").Plan<float>(be) : null;
        if (jvp8 != null) BindCommon(jvp8);
        void EightSingles() { for (int i = 0; i < 8; i++) jvp.Run(); }

        // Ratios from interleaved runs (forward, JVP, forward+VJP, K=8, 8 singles in turn, each cycle's times divided by
        // that cycle's forward time): slow drifts and other processes' bursts hit numerator and denominator alike.
        var ratios = Interleaved(ctx, jvp8 == null ? [forward.Run, jvp.Run, vjp.Run] : [forward.Run, jvp.Run, vjp.Run, jvp8.Run, EightSingles]);
        ctx.Log.WriteLine($"{prefix}: interleaved ratios to forward: jvp {ratios[1]:F2}, forward+vjp {ratios[2]:F2}"
            + (jvp8 != null ? $", jvp-k8 {ratios[3]:F2}, 8 single jvps {ratios[4]:F2} (K=8 speed-up {ratios[4] / ratios[3]:F2}×)" : ""));

        var fwd = ctx.Measure($"{prefix}/forward", shape, forward.Run, fwdFlops, Extras($"{prefix}/forward", null, null));
        yield return fwd;
        yield return ctx.Measure($"{prefix}/jvp", shape, jvp.Run, 3 * fwdFlops, Extras($"{prefix}/jvp", fwd, null, ratios[1]));
        yield return ctx.Measure($"{prefix}/vjp", shape, vjp.Run, 3 * fwdFlops, Extras($"{prefix}/vjp", fwd, null, ratios[2]));
        if (jvp8 != null)
        {
            var eight = ctx.Measure($"{prefix}/jvp-x8-single", shape, EightSingles, 8 * 3 * fwdFlops,
                Extras($"{prefix}/jvp-x8-single", fwd, null, ratios[4]));
            yield return eight;
            var k8 = ctx.Measure($"{prefix}/jvp-k8", shape + " K=8", jvp8.Run, (1 + 2 * 8) * fwdFlops, Extras($"{prefix}/jvp-k8", fwd, eight, ratios[3]));
            yield return k8 with { Extra = new Dictionary<string, double>(k8.Extra!) { ["speedup_interleaved"] = ratios[4] / ratios[3] } };
        }
        if (withSgd)
        {
            var grad = vjp.Output("theta:cotangent");
            var lr = -0.01f;
            yield return ctx.Measure($"{prefix}/sgd", shape, () => { vjp.Run(); be.Axpy(lr, grad, theta.View); }, 3 * fwdFlops,
                Extras($"{prefix}/sgd", fwd, null));
        }
    }

    /// <summary>
    /// Runs the actions in turn, cycle after cycle, for <see cref="BenchContext.Rounds"/> × 0.4 s (after a warm-up), and
    /// returns for each the median over cycles of its time divided by the first action's time in the same cycle.
    /// </summary>
    private static double[] Interleaved(BenchContext ctx, Action[] runs)
    {
        foreach (var r in runs)
            for (int i = 0; i < 5; i++) r();
        var ratios = runs.Select(_ => new List<double>()).ToArray();
        var times = new double[runs.Length];
        long end = Stopwatch.GetTimestamp() + (long)(ctx.Rounds * 0.4 * Stopwatch.Frequency);
        do
        {
            for (int i = 0; i < runs.Length; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                runs[i]();
                times[i] = Stopwatch.GetTimestamp() - t0;
            }
            for (int i = 0; i < runs.Length; i++) ratios[i].Add(times[i] / times[0]);
        } while (Stopwatch.GetTimestamp() < end || ratios[0].Count < 11);
        return ratios.Select(l => l.Order().ElementAt(l.Count / 2)).ToArray();
    }

    private static Dictionary<string, double> Extras(string name, BenchRecord? forward, BenchRecord? separate, double? interleaved = null)
    {
        var d = new Dictionary<string, double>();
        if (interleaved is { } q) d["vs_forward_interleaved"] = q;
        if (forward != null) d["forward_ms"] = forward.MedianMs;
        if (separate != null) d["separate_ms"] = separate.MedianMs;
        if (Libtorch.TryGetValue(name, out var t)) d["libtorch_ms"] = t;
        return d;
    }

    /// <summary>The traced network with only the named output kept.</summary>
    internal static Tape Only(Tape tape, string output)
    {
        var b = new TapeBuilder();
        var ins = tape.Inputs.ToDictionary(g => g.Name, g => (IReadOnlyList<Var>)b.InputGroup(g.Name,
            g.MemberNames.Select((m, i) => (m, g.Vars[i].Shape)).ToList(), 0, g.DType).Vars);
        var outs = b.Inline(tape, ins);
        b.Output(output, outs[output][0]);
        return b.Build();
    }

    /// <summary>The ScaLLA FashionMNIST CNN, 140,594 parameters.</summary>
    public static (Tape, int, int) FmnistCnn(int batch)
    {
        var layout = new ParameterLayout()
            .Add("conv1.weight", new Shape(16, 1, 3, 3))
            .Add("conv2.weight", new Shape(32, 16, 3, 3))
            .Add("conv3.weight", new Shape(64, 32, 3, 3))
            .Add("fc1.weight", new Shape(200, 576)).Add("fc1.bias", new Shape(200))
            .Add("fc2.weight", new Shape(10, 200)).Add("fc2.bias", new Shape(10));
        var tape = Tape.Trace(t =>
        {
            var p = t.Parameters(layout);
            var x = t.Input("x", new Shape(batch, 1, 28, 28));
            var y = t.Input("y", new Shape(batch), DType.Int32);
            var h = x;
            foreach (var name in new[] { "conv1", "conv2", "conv3" })
                using (t.Scope(name)) h = Fn.MaxPool2d(Fn.Relu(Fn.Conv2d(h, p[name + ".weight"], padding: 1)), 2);
            using (t.Scope("fc1")) h = Fn.Relu(Fn.Linear(Fn.Flatten(h), p["fc1.weight"], p["fc1.bias"]));
            using (t.Scope("fc2")) h = Fn.Linear(h, p["fc2.weight"], p["fc2.bias"]);
            t.Output("logits", h);
            t.Output("mean_loss", Fn.Mean(Fn.SoftmaxCrossEntropy(h, y)));
        });
        return (tape, 784, 10);
    }

    /// <summary>MLP 784-256-256-10 with ReLU.</summary>
    public static (Tape, int, int) Mlp(int batch)
    {
        int[] w = [784, 256, 256, 10];
        var layout = new ParameterLayout();
        for (int i = 0; i < 3; i++) layout.Add($"fc{i + 1}.weight", new Shape(w[i + 1], w[i])).Add($"fc{i + 1}.bias", new Shape(w[i + 1]));
        var tape = Tape.Trace(t =>
        {
            var p = t.Parameters(layout);
            var x = t.Input("x", new Shape(batch, 784));
            var y = t.Input("y", new Shape(batch), DType.Int32);
            var h = x;
            for (int i = 1; i <= 3; i++)
                using (t.Scope($"fc{i}"))
                {
                    h = Fn.Linear(h, p[$"fc{i}.weight"], p[$"fc{i}.bias"]);
                    if (i < 3) h = Fn.Relu(h);
                }
            t.Output("logits", h);
            t.Output("mean_loss", Fn.Mean(Fn.SoftmaxCrossEntropy(h, y)));
        });
        return (tape, 784, 10);
    }

    private static double CnnForwardFlops(int b) =>
        2.0 * b * (16 * 28 * 28 * 1 * 9 + 32 * 14 * 14 * 16 * 9 + 64 * 7 * 7 * 32 * 9 + 576 * 200 + 200 * 10);

    private static double MlpForwardFlops(int b) => 2.0 * b * (784 * 256 + 256 * 256 + 256 * 10);

    private static double LeNetForwardFlops(int b) =>
        2.0 * b * (6 * 24 * 24 * 25 + 16 * 8 * 8 * 150 + 256 * 120 + 120 * 84 + 84 * 10);

    /// <summary>VIKING's LeNet (tanh; 5×5 valid convolutions with bias, 2×2 max pooling), 44,426 parameters.</summary>
    public static (Tape, int, int) LeNet(int batch) => (ProjectionBenchSuite.LeNet(batch, withLogits: true).Tape, 784, 10);
}

/// <summary>
/// Where the time of the <see cref="JvpBenchSuite"/> plans goes: <see cref="Plan{T}.ProfileSteps"/> of the forward,
/// JVP, forward+VJP and K=8 JVP plans of each network, one line per step (primitive, layer, operand shapes, ms),
/// and one record per plan with the sum of its steps.
/// </summary>
public sealed class JvpProfileSuite : IBenchSuite
{
    /// <inheritdoc />
    public string Name => "jvp-profile";

    /// <inheritdoc />
    public string Description => "autodiff: per-step times of the jvp suite's plans (Plan.ProfileSteps)";

    /// <inheritdoc />
    public IReadOnlyList<BenchRecord> Run(BenchContext context)
    {
        var be = CpuBackend.Instance;
        var records = new List<BenchRecord>();
        foreach (var (net, batch, model) in new[]
        {
            ("mlp", 128, JvpBenchSuite.Mlp(128)), ("fmnist-cnn", 10, JvpBenchSuite.FmnistCnn(10)), ("fmnist-cnn", 128, JvpBenchSuite.FmnistCnn(128)),
            ("lenet", 32, JvpBenchSuite.LeNet(32)),
        })
        {
            var (tape, inputLength, classes) = model;
            int p = tape.Input("theta").TotalLength;
            var rng = new Random(1);
            float[] Rand(int n, double scale) => Enumerable.Range(0, n).Select(_ => (float)(scale * (2 * rng.NextDouble() - 1))).ToArray();
            using var theta = be.Upload<float>(Rand(p, 0.05));
            using var x = be.Upload<float>(Rand(batch * inputLength, 1));
            using var labels = be.Upload<int>(Enumerable.Range(0, batch).Select(i => i % classes).ToArray());
            using var v = be.Upload<float>(Rand(8 * p, 1));
            using var one = be.Upload<float>([1f]);
            var logits = JvpBenchSuite.Only(tape, "logits");
            var plans = new (string, Tape)[]
            {
                ("forward", logits), ("jvp", logits.Jvp(1, "theta")),
                ("vjp", JvpBenchSuite.Only(tape, "mean_loss").Vjp(["theta"], ["mean_loss"])), ("jvp-k8", logits.Jvp(8, "theta")),
            };
            foreach (var (kind, t) in plans)
            {
                using var plan = t.Plan<float>(be);
                foreach (var g in t.Inputs)
                {
                    switch (g.Name)
                    {
                        case "theta": plan.Bind(g.Name, theta); break;
                        case "x": plan.Bind(g.Name, x); break;
                        case "y": plan.BindIndices(g.Name, labels); break;
                        case "theta:tangent": plan.Bind(g.Name, v.View.Slice(0, g.TotalLength)); break;
                        case "mean_loss:cotangent": plan.Bind(g.Name, one); break;
                    }
                }
                for (int i = 0; i < 5; i++) plan.Run();
                var steps = plan.ProfileSteps(batch >= 128 ? 15 : 41);
                double total = steps.Sum(s => s.Milliseconds);
                string name = $"{net}/b{batch}/{kind}";
                context.Log.WriteLine($"{name}: {steps.Count} steps, sum {total:F3} ms");
                foreach (var s in steps)
                    context.Log.WriteLine($"  {s.Milliseconds,8:F4} ms {100 * s.Milliseconds / total,5:F1}%  {s.Primitive,-28} {s.Scope,-6} {s.Shapes}");
                records.Add(new BenchRecord(name + "/steps", $"{steps.Count} steps", total, [total], null, null));
            }
        }
        return records;
    }
}
