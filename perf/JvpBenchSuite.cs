using Tangent.Engine;
using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Perf;

/// <summary>
/// Forward, JVP (one tangent w.r.t. all parameters), forward+VJP (a training gradient), K=8 batched JVP and an SGD
/// step on planned tapes, float32 on the cpu backend: the FashionMNIST CNN of METHODS.md (140,594 parameters) at
/// batch 10 and 128 and an MLP 784-256-256-10 at batch 128. Each record carries its ratio to the forward time of the
/// same network and its ratio to libtorch CPU on this machine (PERF.md, 2 threads, medians).
/// </summary>
public sealed class JvpBenchSuite : IBenchSuite
{
    /// <inheritdoc />
    public string Name => "jvp";

    /// <inheritdoc />
    public string Description => "autodiff: forward / JVP / forward+VJP / K=8 JVP / SGD step of the FMNIST CNN and an MLP (float32, cpu)";

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

        var fwd = ctx.Measure($"{prefix}/forward", shape, forward.Run, fwdFlops, Extras($"{prefix}/forward", null, null));
        yield return fwd;
        yield return ctx.Measure($"{prefix}/jvp", shape, jvp.Run, 3 * fwdFlops, Extras($"{prefix}/jvp", fwd, null));
        yield return ctx.Measure($"{prefix}/vjp", shape, vjp.Run, 3 * fwdFlops, Extras($"{prefix}/vjp", fwd, null));
        if (withK)
        {
            using var jvp8 = Only(tape, "logits").Jvp(8, "theta").Plan<float>(be);
            BindCommon(jvp8);
            var eight = ctx.Measure($"{prefix}/jvp-x8-single", shape, () => { for (int i = 0; i < 8; i++) jvp.Run(); }, 8 * 3 * fwdFlops,
                Extras($"{prefix}/jvp-x8-single", fwd, null));
            yield return eight;
            var k8 = ctx.Measure($"{prefix}/jvp-k8", shape + " K=8", jvp8.Run, (1 + 2 * 8) * fwdFlops, Extras($"{prefix}/jvp-k8", fwd, eight));
            yield return k8;
        }
        if (withSgd)
        {
            var grad = vjp.Output("theta:cotangent");
            var lr = -0.01f;
            yield return ctx.Measure($"{prefix}/sgd", shape, () => { vjp.Run(); be.Axpy(lr, grad, theta.View); }, 3 * fwdFlops,
                Extras($"{prefix}/sgd", fwd, null));
        }
    }

    private static Dictionary<string, double> Extras(string name, BenchRecord? forward, BenchRecord? separate)
    {
        var d = new Dictionary<string, double>();
        if (forward != null) d["forward_ms"] = forward.MedianMs;
        if (separate != null) d["separate_ms"] = separate.MedianMs;
        if (Libtorch.TryGetValue(name, out var t)) d["libtorch_ms"] = t;
        return d;
    }

    /// <summary>The traced network with only the named output kept.</summary>
    private static Tape Only(Tape tape, string output)
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
}
