using FsCheck.Xunit;
using Tangent.Engine.Execution;
using Tangent.Engine.Tests.Support;
using Tangent.Engine.Tracing;
using Tangent.Engine.Transforms;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Tests;

/// <summary>
/// Derivative checks of whole networks (random small architectures from FsCheck) and of each primitive family, run on
/// one backend per sealed instantiation. float64 throughout.
/// </summary>
public abstract class AutodiffTests(Backend backend)
{
    private readonly Runner _r = new(backend);

    private static int Size(byte b, int lo, int hi) => lo + b % (hi - lo + 1);

    [Property(MaxTest = 6)]
    public void MlpJvpVjpAndKTangents(byte batch, byte depth, byte width, byte act, int seed)
    {
        var rng = new Random(seed);
        int d = Size(depth, 1, 3);
        var widths = Enumerable.Range(0, d + 1).Select(i => i == 0 ? Size(width, 2, 6) : Size((byte)(width + 7 * i), 2, 5)).ToArray();
        var tape = Models.Mlp(Size(batch, 1, 4), widths, act % Models.Activations.Length);
        var x = Inputs.Random(tape, rng, widths[^1]);
        Check.Jvp(_r, tape, "theta", "logits", x, rng);
        Check.Jvp(_r, tape, "x", "loss", x, rng);
        Check.Vjp(_r, tape, "theta", "logits", x, rng);
        Check.Vjp(_r, tape, "theta", "loss", x, rng);
        Check.KTangents(_r, tape, "theta", "loss", x, rng, 3);
    }

    [Property(MaxTest = 4)]
    public void SecondOrderMlp(byte batch, byte width, byte act, int seed)
    {
        var rng = new Random(seed);
        var tape = Models.Mlp(Size(batch, 1, 3), [3, Size(width, 2, 4), 3], act % Models.Activations.Length);
        var x = Inputs.Random(tape, rng, 3);
        Check.VjpOfJvp(_r, tape, "theta", "loss", x, rng);
        Check.VjpOfJvp(_r, tape, "theta", "logits", x, rng, k: 2);
    }

    [Property(MaxTest = 4)]
    public void HessianVectorProductMlp(byte width, byte act, int seed)
    {
        var rng = new Random(seed);
        var tape = Models.Mlp(2, [3, Size(width, 2, 4), 3], act % Models.Activations.Length);
        var mean = Tape.Trace(t =>
        {
            var ins = t.Inline(tape, tape.Inputs.ToDictionary(g => g.Name, g => (IReadOnlyList<Var>)Declare(t, g)));
            t.Output("mean_loss", Fn.Mean(ins["loss"][0]));
        });
        var x = Inputs.Random(mean, rng, 3);
        Check.Hvp(_r, mean, "theta", "mean_loss", x, rng);
    }

    private static Var[] Declare(TapeBuilder t, VarGroup g) =>
        t.InputGroup(g.Name, g.MemberNames.Select((m, i) => (m, g.Vars[i].Shape)).ToList(), 0, g.DType).Vars.ToArray();

    /// <summary>The GGN product equals Jᵀ(H(Jv)) assembled from a JVP, the host softmax Hessian and a VJP.</summary>
    [Property(MaxTest = 3)]
    public void GgnVectorProduct(byte batch, int seed)
    {
        var rng = new Random(seed);
        int b = Size(batch, 1, 3);
        var tape = Models.Mlp(b, [3, 4, 3], 1);
        var x = Inputs.Random(tape, rng, 3);
        var ggn = Compose.GgnVectorProduct(tape, "theta", "logits", Fn.SoftmaxCrossEntropyHessianProduct);
        var v = Inputs.Vec(rng, tape.Input("theta").TotalLength);
        var got = _r.Run(ggn, x.With("theta:tangent", v))["theta:ggn"];
        var outs = _r.Run(tape.Jvp(1, "theta"), x.With("theta:tangent", v));
        var z = outs["logits"];
        var zd = outs["logits:tangent"];
        var u = new double[z.Length];
        for (int i = 0; i < b; i++)
        {
            var row = z.Skip(i * 3).Take(3).ToArray();
            double mx = row.Max();
            var p = row.Select(q => Math.Exp(q - mx)).ToArray();
            double s = p.Sum();
            for (int c = 0; c < 3; c++) p[c] /= s;
            double pz = Enumerable.Range(0, 3).Sum(c => p[c] * zd[i * 3 + c]);
            for (int c = 0; c < 3; c++) u[i * 3 + c] = p[c] * zd[i * 3 + c] - p[c] * pz;
        }
        var want = _r.Run(tape.Vjp(["theta"], ["logits"]), x.With("logits:cotangent", u))["theta:cotangent"];
        Assert.True(Check.RelErr(got, want) <= 1e-12, $"GGN product differs by {Check.RelErr(got, want):E2}");
    }


    /// <summary>Each primitive family through a small function of a few input tensors: JVP, VJP, K tangents and Vjp-of-Jvp.</summary>
    [Theory]
    [MemberData(nameof(Functions))]
    public void PrimitiveDerivatives(string name)
    {
        var rng = new Random(name.Length * 7919 + name[0]);
        var (members, f) = PrimitiveFunctions[name];
        var layout = new ParameterLayout();
        foreach (var (m, shape) in members) layout.Add(m, shape);
        var tape = Tape.Trace(t => t.Output("out", f(t.Parameters(layout))));
        var x = Inputs.Random(tape, rng, 1);
        Check.Jvp(_r, tape, "theta", "out", x, rng);
        Check.Vjp(_r, tape, "theta", "out", x, rng);
        Check.KTangents(_r, tape, "theta", "out", x, rng, 3);
        Check.VjpOfJvp(_r, tape, "theta", "out", x, rng, k: 2);
    }

    public static TheoryData<string> Functions => new(PrimitiveFunctions.Keys);

    private static (string, Shape)[] One(params int[] shape) => [("v", new Shape(shape))];

    private static readonly Dictionary<string, ((string, Shape)[], Func<VarGroup, Var>)> PrimitiveFunctions = new()
    {
        ["add-sub-mul-broadcast"] = ([("a", new Shape(2, 3, 4)), ("b", new Shape(3, 1)), ("c", new Shape(4))],
            p => Fn.Mul(Fn.Sub(Fn.Add(p["a"], p["b"]), p["c"]), Fn.Add(p["c"], p["b"]))),
        ["relu"] = (One(5, 3), p => Fn.Mul(Fn.Relu(p["v"]), p["v"])),
        ["tanh"] = (One(4, 3), p => Fn.Tanh(p["v"])),
        ["sigmoid"] = (One(4, 3), p => Fn.Sigmoid(p["v"])),
        ["silu"] = (One(4, 3), p => Fn.Silu(p["v"])),
        ["gelu"] = (One(4, 3), p => Fn.Gelu(p["v"])),
        ["exp-log-sqrt-reciprocal"] = (One(6), p => Fn.Mul(Fn.Log(Fn.AddScalar(Fn.Square(p["v"]), 1)), Fn.Reciprocal(Fn.Sqrt(Fn.AddScalar(Fn.Exp(p["v"]), 0.5))))),
        ["sum-mean-broadcast"] = (One(3, 4), p => Fn.Add(Fn.BroadcastTo(Fn.Mean(Fn.Square(p["v"])), new Shape(3)), Fn.Reshape(Fn.SumTo(Fn.Tanh(p["v"]), new Shape(3, 1)), new Shape(3)))),
        ["softmax"] = (One(3, 4), p => Fn.Mul(Fn.Softmax(p["v"]), p["v"])),
        ["softmax-cross-entropy-hessian"] = ([("z", new Shape(2, 3)), ("d", new Shape(2, 3))], p => Fn.SoftmaxCrossEntropyHessianProduct(p["z"], p["d"])),
        ["layer-norm"] = ([("x", new Shape(3, 5)), ("g", new Shape(5)), ("b", new Shape(5))], p => Fn.LayerNorm(p["x"], p["g"], p["b"])),
        ["batch-norm-training"] = ([("x", new Shape(3, 2, 2, 2)), ("g", new Shape(2)), ("b", new Shape(2))], p => Fn.BatchNormTraining(p["x"], p["g"], p["b"])),
        ["batch-norm-evaluation"] = ([("x", new Shape(3, 2, 2)), ("g", new Shape(2)), ("b", new Shape(2)), ("m", new Shape(2)), ("v", new Shape(2))],
            p => Fn.BatchNormEvaluation(p["x"], p["g"], p["b"], p["m"], Fn.AddScalar(Fn.Square(p["v"]), 0.5))),
        ["gaussian-nll"] = ([("mu", new Shape(3, 2)), ("y", new Shape(3, 2))], p => Fn.GaussianNll(p["mu"], p["y"], 0.7)),
        ["gaussian-nll-heteroscedastic"] = ([("mu", new Shape(3, 2)), ("y", new Shape(3, 2)), ("s", new Shape(3, 2))],
            p => Fn.GaussianNll(p["mu"], p["y"], Fn.AddScalar(Fn.Exp(p["s"]), 0.1))),
        ["conv-stride-bias"] = ([("x", new Shape(2, 2, 5, 5)), ("w", new Shape(3, 2, 3, 3)), ("b", new Shape(3))], p => Fn.Conv2d(p["x"], p["w"], p["b"], stride: 2, padding: 1)),
        ["matmul-transposes"] = ([("a", new Shape(3, 4)), ("b", new Shape(3, 2))], p => Fn.MatMul(Fn.MatMul(Fn.MatMul(p["a"], p["b"], transA: true), p["b"], transB: true), p["a"])),
    };

    [Fact]
    public void ShapeErrorsNameThePrimitiveLayerAndShapes()
    {
        var ex = Assert.Throws<TraceShapeException>(() => Tape.Trace(t =>
        {
            var x = t.Input("x", new Shape(8, 576));
            var w = t.Input("w", new Shape(10, 200));
            using var _ = t.Scope("fc2");
            Fn.Linear(x, w);
        }));
        Assert.Equal("matmul_tb", ex.Primitive);
        Assert.Equal("fc2", ex.Scope);
        Assert.Contains("[8, 576]", ex.Message);
        Assert.Contains("[10, 200]", ex.Message);
        Assert.Contains("fc2", ex.Message);
    }

    /// <summary>A convolution and a broadcast whose shapes do not fit name their primitive, layer and both shapes.</summary>
    [Fact]
    public void ConvAndBroadcastShapeErrorsNameThePrimitiveLayerAndShapes()
    {
        var conv = Assert.Throws<TraceShapeException>(() => Tape.Trace(t =>
        {
            var x = t.Input("x", new Shape(2, 3, 8, 8));
            var w = t.Input("w", new Shape(4, 5, 3, 3));
            using var _ = t.Scope("conv2");
            Fn.Conv2d(x, w, padding: 1);
        }));
        Assert.Equal("conv2d", conv.Primitive);
        Assert.Equal("conv2", conv.Scope);
        Assert.Contains("[2, 3, 8, 8]", conv.Message);
        Assert.Contains("[4, 5, 3, 3]", conv.Message);
        var add = Assert.Throws<TraceShapeException>(() => Tape.Trace(t =>
        {
            var a = t.Input("a", new Shape(4, 3));
            var b = t.Input("b", new Shape(4));
            using var _ = t.Scope("head");
            Fn.Add(a, b);
        }));
        Assert.Equal("add", add.Primitive);
        Assert.Equal("head", add.Scope);
        Assert.Contains("[4, 3]", add.Message);
        Assert.Contains("[4]", add.Message);
    }

    [Fact]
    public void NonFiniteCheckNamesTheFirstPrimitive()
    {
        var tape = Tape.Trace(t =>
        {
            var x = t.Input("x", new Shape(4));
            Var y;
            using (t.Scope("head")) y = Fn.Log(x);
            t.Output("out", Fn.Tanh(y));
        });
        using var plan = tape.Plan<double>(backend);
        using var buf = backend.Upload<double>([1.0, -2.0, 3.0, 4.0]);
        plan.Bind("x", buf);
        plan.Run();
        plan.CheckFinite = true;
        var ex = Assert.Throws<NonFiniteException>(plan.Run);
        Assert.Equal("log", ex.Primitive);
        Assert.Equal("head", ex.Scope);
    }

    /// <summary>
    /// √x at x = 0 is finite but its derivative is not: the check on the JVP and on the VJP tape names the derivative
    /// primitive (sqrt_grad) in the layer that owns it, while the forward values stay finite.
    /// </summary>
    [Fact]
    public void NonFiniteCheckNamesTheDerivativePrimitiveInJvpAndVjp()
    {
        var layout = new ParameterLayout().Add("v", new Shape(3));
        var tape = Tape.Trace(t =>
        {
            var p = t.Parameters(layout);
            Var y;
            using (t.Scope("root")) y = Fn.Sqrt(p["v"]);
            t.Output("out", Fn.Tanh(y));
        });
        using var theta = backend.Upload<double>([4.0, 0.0, 1.0]);
        using var dir = backend.Upload<double>([1.0, 1.0, 1.0]);
        foreach (var (t, input) in new[] { (tape.Jvp(1, "theta"), "theta:tangent"), (tape.Vjp(["theta"], ["out"]), "out:cotangent") })
        {
            using var plan = t.Plan<double>(backend);
            plan.Bind("theta", theta);
            plan.Bind(input, dir);
            plan.Run();
            var unchecked_ = plan.ReadOutput(t.Outputs.First(g => g.Name != "out").Name);
            Assert.Contains(unchecked_, v => !double.IsFinite(v));
            plan.CheckFinite = true;
            var ex = Assert.Throws<NonFiniteException>(plan.Run);
            Assert.Equal("sqrt_grad", ex.Primitive);
            Assert.Equal("root", ex.Scope);
            Assert.Contains("sqrt_grad in layer 'root'", ex.Message);
        }
    }

    /// <summary>float32 plans agree with float64 plans to float32 precision (JVP and VJP of an MLP).</summary>
    [Fact]
    public void Float32AgreesWithFloat64() => Float32Agrees(_r, Models.Mlp(2, [4, 5, 3], 2));

    /// <summary>Runs <paramref name="tape"/>'s 2-tangent JVP and its loss gradient in float32 and float64 (rel ≤ 1e-5).</summary>
    internal static void Float32Agrees(Runner r, Tape tape)
    {
        var backend = r.Backend;
        var rng = new Random(5);
        var x = Inputs.Random(tape, rng, 3);
        var jvp = tape.Jvp(2, "theta");
        var xs = x.With("theta:tangent", Inputs.Vec(rng, 2 * tape.Input("theta").TotalLength));
        var d = r.Run<double>(jvp, xs);
        var f = new Runner(backend).Run<float>(jvp, xs);
        foreach (var key in new[] { "logits", "logits:tangent", "loss:tangent" })
            Assert.True(Check.RelErr(f[key], d[key]) <= 1e-5, $"{key}: float32 vs float64 {Check.RelErr(f[key], d[key]):E2}");
        var vjp = tape.Vjp(["theta"], ["loss"]);
        var xv = x.With("loss:cotangent", Inputs.Vec(rng, 2));
        var gd = r.Run<double>(vjp, xv)["theta:cotangent"];
        var gf = new Runner(backend).Run<float>(vjp, xv)["theta:cotangent"];
        Assert.True(Check.RelErr(gf, gd) <= 1e-5, $"gradient float32 vs float64 {Check.RelErr(gf, gd):E2}");
    }

    /// <summary>The materialised Jacobian (P stacked tangents) has J v as its product and gives the NTK block J(x)J(x′)ᵀ.</summary>
    [Fact]
    public void MaterialisedJacobianAndNtk()
    {
        var rng = new Random(11);
        var tape = Models.Mlp(2, [3, 4, 2], 1);
        var x = Inputs.Random(tape, rng, 2);
        int p = tape.Input("theta").TotalLength;
        var jac = Jacobians.Materialize<double>(tape, "theta", "logits", backend, Bind(x));
        Assert.Equal(4 * p, jac.Length);
        var v = Inputs.Vec(rng, p);
        var jv = _r.Run(tape.Jvp(1, "theta"), x.With("theta:tangent", v))["logits:tangent"];
        var want = Enumerable.Range(0, 4).Select(i => Enumerable.Range(0, p).Sum(j => jac[i * p + j] * v[j])).ToArray();
        Assert.True(Check.RelErr(want, jv) <= 1e-12);
        var x2 = Inputs.Random(tape, rng, 2).With("theta", x.Floats["theta"]);
        var ntk = Jacobians.NeuralTangentKernel<double>(tape, "theta", "logits", backend, Bind(x), Bind(x2));
        var jac2 = Jacobians.Materialize<double>(tape, "theta", "logits", backend, Bind(x2));
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
            {
                double dot = Enumerable.Range(0, p).Sum(q => jac[i * p + q] * jac2[j * p + q]);
                Assert.True(Math.Abs(ntk[i * 4 + j] - dot) <= 1e-12 * Math.Max(1, Math.Abs(dot)));
            }
    }

    private Action<Plan<double>> Bind(Inputs x) => plan =>
    {
        foreach (var (k, v) in x.Floats) plan.Bind(k, backend.Upload<double>(v));
        foreach (var (k, v) in x.Ints) plan.BindIndices(k, backend.Upload<int>(v));
    };

    /// <summary>
    /// Bytes that 5 steady-state runs allocate on the calling thread, for a JVP, a VJP and a Vjp-of-Jvp plan of
    /// <paramref name="tape"/> (each run 3 times first).
    /// </summary>
    internal static long[] SteadyStateBytes(Backend backend, Tape tape)
    {
        var rng = new Random(3);
        var result = new List<long>();
        foreach (var t in new[] { tape.Jvp(3, "theta"), tape.Vjp(["theta"], ["loss"]), Compose.VjpOfJvp(tape, "theta", "loss", 2) })
        {
            using var plan = t.Plan<double>(backend);
            foreach (var g in t.Inputs)
            {
                if (g.DType == DType.Int32) plan.BindIndices(g.Name, backend.Upload<int>(new int[g.TotalLength]));
                else plan.Bind(g.Name, backend.Upload<double>(Inputs.Vec(rng, g.TotalLength)));
            }
            for (int i = 0; i < 3; i++) plan.Run();
            result.Add(Allocations.SteadyStateBytes(() => { for (int i = 0; i < 5; i++) plan.Run(); }));
        }
        return result.ToArray();
    }
}

internal static class PipeExtensions
{
    public static TOut Pipe<TIn, TOut>(this TIn x, Func<TIn, TOut> f) => f(x);
}

/// <summary>
/// Derivative checks of convolutional networks and pooling (random small CNNs from FsCheck), float64, one backend per
/// sealed instantiation. Separate from <see cref="AutodiffTests"/> so a backend without pooling kernels can still run
/// the dense and elementwise checks.
/// </summary>
public abstract class ConvAutodiffTests(Backend backend)
{
    private readonly Runner _r = new(backend);

    private static int Size(byte b, int lo, int hi) => lo + b % (hi - lo + 1);

    [Property(MaxTest = 4)]
    public void CnnJvpVjpAndKTangents(byte batch, byte c1, byte c2, byte act, int seed)
    {
        var rng = new Random(seed);
        var tape = Models.Cnn(Size(batch, 1, 3), 2, Size(c1, 1, 3), Size(c2, 1, 3), 4, 3, act % 2);
        var x = Inputs.Random(tape, rng, 3);
        Check.Jvp(_r, tape, "theta", "logits", x, rng);
        Check.Jvp(_r, tape, "x", "logits", x, rng);
        Check.Vjp(_r, tape, "theta", "loss", x, rng);
        Check.Vjp(_r, tape, "x", "logits", x, rng);
        Check.KTangents(_r, tape, "theta", "logits", x, rng, 4);
    }

    [Property(MaxTest = 3)]
    public void SecondOrderCnn(byte batch, byte act, int seed)
    {
        var rng = new Random(seed);
        var tape = Models.Cnn(Size(batch, 1, 2), 1, 2, 2, 4, 3, act % 2);
        var x = Inputs.Random(tape, rng, 3);
        Check.VjpOfJvp(_r, tape, "theta", "loss", x, rng);
        Check.VjpOfJvp(_r, tape, "theta", "logits", x, rng, k: 2);
        Check.Hvp(_r, tape, "theta", "mean_loss", x, rng);
    }

    /// <summary>Max pooling (ties impossible with continuous random values) and padded average pooling: JVP, VJP, K tangents, Vjp-of-Jvp.</summary>
    [Fact]
    public void MaxAndAvgPoolDerivatives()
    {
        var rng = new Random(17);
        var layout = new ParameterLayout().Add("v", new Shape(2, 2, 4, 4));
        var tape = Tape.Trace(t =>
        {
            var p = t.Parameters(layout);
            t.Output("out", Fn.Mul(Fn.Flatten(Fn.MaxPool2d(p["v"], 2)), Fn.Flatten(Fn.MaxPool2d(Fn.AvgPool2d(Fn.Tanh(p["v"]), 3, 1, 1), 2))));
        });
        var x = Inputs.Random(tape, rng, 1);
        Check.Jvp(_r, tape, "theta", "out", x, rng);
        Check.Vjp(_r, tape, "theta", "out", x, rng);
        Check.KTangents(_r, tape, "theta", "out", x, rng, 3);
        Check.VjpOfJvp(_r, tape, "theta", "out", x, rng, k: 2);
    }

    /// <summary>float32 plans agree with float64 plans to float32 precision (JVP and VJP of a CNN).</summary>
    [Fact]
    public void Float32AgreesWithFloat64() => AutodiffTests.Float32Agrees(_r, Models.Cnn(2, 1, 2, 3, 4, 3, 0));
}

public sealed class AutodiffTestsReference() : AutodiffTests(ReferenceBackend.Instance);

public sealed class AutodiffTestsCpu() : AutodiffTests(TestBackends.Cpu)
{
    /// <summary>Steady-state JVP, VJP and Vjp-of-Jvp runs of an MLP allocate no managed memory.</summary>
    [Fact]
    public void SteadyStateRunsAllocateNothing() => Assert.Equal([0, 0, 0], SteadyStateBytes(TestBackends.Cpu, Models.Mlp(3, [4, 5, 3], 0)));
}

/// <summary>
/// ILGPU's CPU accelerator. No allocation test here: its kernel launches allocate managed memory that grows with the
/// launch grid (the tape cannot avoid it); <see cref="AutodiffTestsCpu"/> shows the plan itself allocates nothing.
/// </summary>
public sealed class AutodiffTestsIlgpuCpu() : AutodiffTests(TestBackends.IlgpuCpu);

public sealed class ConvAutodiffTestsReference() : ConvAutodiffTests(ReferenceBackend.Instance);

public sealed class ConvAutodiffTestsCpu() : ConvAutodiffTests(TestBackends.Cpu)
{
    /// <summary>Steady-state JVP, VJP and Vjp-of-Jvp runs of a CNN allocate no managed memory.</summary>
    [Fact]
    public void SteadyStateRunsAllocateNothing() =>
        Assert.Equal([0, 0, 0], AutodiffTests.SteadyStateBytes(TestBackends.Cpu, Models.Cnn(2, 1, 2, 2, 4, 3, 0)));
}

/// <summary>ILGPU's CPU accelerator (no allocation test: see <see cref="AutodiffTestsIlgpuCpu"/>).</summary>
public sealed class ConvAutodiffTestsIlgpuCpu() : ConvAutodiffTests(TestBackends.IlgpuCpu);

/// <summary>The same tapes give the same float64 numbers on <c>cpu</c> and <c>ilgpu-cpu</c> (only summation order differs).</summary>
public sealed class CpuIlgpuAgreementTests
{
    [Fact]
    public void MlpJvpVjpAndSecondOrderAgree()
    {
        var rng = new Random(23);
        var tape = Models.Mlp(3, [5, 6, 4], 3);
        var x = Inputs.Random(tape, rng, 4);
        int p = tape.Input("theta").TotalLength;
        var withTangents = x.With("theta:tangent", Inputs.Vec(rng, 2 * p));
        var cases = new (Tape Tape, Inputs Inputs)[]
        {
            (tape, x),
            (tape.Jvp(2, "theta"), withTangents),
            (tape.Vjp(["theta", "x"], ["loss"]), x.With("loss:cotangent", Inputs.Vec(rng, 3))),
            (Compose.VjpOfJvp(tape, "theta", "loss", 2), withTangents.With("loss:tangent:cotangent", Inputs.Vec(rng, 6))),
        };
        var cpu = new Runner(TestBackends.Cpu);
        var ilgpu = new Runner(TestBackends.IlgpuCpu);
        foreach (var (t, inputs) in cases)
        {
            var a = cpu.Run(t, inputs);
            var b = ilgpu.Run(t, inputs);
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            foreach (var (name, want) in a)
            {
                // float64 GEMMs and reductions in different orders: rounding ~1e-16 per term, far below 1e-12.
                double err = Check.RelErr(b[name], want);
                Assert.True(err <= 1e-12, $"{name}: ilgpu-cpu vs cpu relative difference {err:E2}");
            }
        }
    }
}
