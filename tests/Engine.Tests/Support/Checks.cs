using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Engine.Transforms;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Tests.Support;

/// <summary>Values for a tape's input groups (floating groups as doubles, integer groups as ints).</summary>
public sealed class Inputs
{
    /// <summary>Floating groups.</summary>
    public Dictionary<string, double[]> Floats { get; } = [];

    /// <summary>Integer groups.</summary>
    public Dictionary<string, int[]> Ints { get; } = [];

    /// <summary>A copy with group <paramref name="group"/> replaced.</summary>
    public Inputs With(string group, double[] value)
    {
        var c = new Inputs();
        foreach (var (k, v) in Floats) c.Floats[k] = v;
        foreach (var (k, v) in Ints) c.Ints[k] = v;
        c.Floats[group] = value;
        return c;
    }

    /// <summary>Random values for every input group of <paramref name="tape"/>; integer groups get labels below <paramref name="classes"/>.</summary>
    public static Inputs Random(Tape tape, Random rng, int classes, double scale = 1)
    {
        var x = new Inputs();
        foreach (var g in tape.Inputs)
        {
            if (g.DType == DType.Int32) x.Ints[g.Name] = Enumerable.Range(0, g.TotalLength).Select(_ => rng.Next(classes)).ToArray();
            else x.Floats[g.Name] = Vec(rng, g.TotalLength, scale);
        }
        return x;
    }

    /// <summary>A vector of uniform values in [−scale, scale].</summary>
    public static double[] Vec(Random rng, int n, double scale = 1) => Enumerable.Range(0, n).Select(_ => scale * (2 * rng.NextDouble() - 1)).ToArray();
}

/// <summary>
/// Runs tapes on a backend in float64 (or float32) from host arrays: a small evaluation harness for the derivative
/// checks. Plans are made once per tape and re-bound per call.
/// </summary>
public sealed class Runner(Backend backend, bool fuse = true)
{
    private readonly Dictionary<Tape, object> _plans = [];

    /// <summary>The backend.</summary>
    public Backend Backend { get; } = backend;

    /// <summary>The plan made for <paramref name="tape"/> in element type <typeparamref name="T"/> by an earlier run.</summary>
    public Plan<T> PlanOf<T>(Tape tape) where T : unmanaged => (Plan<T>)_plans[tape];

    /// <summary>Runs <paramref name="tape"/> and returns the output groups as doubles.</summary>
    public Dictionary<string, double[]> Run(Tape tape, Inputs inputs) => Run<double>(tape, inputs);

    /// <summary>Runs in element type <typeparamref name="T"/> (values converted from and to double).</summary>
    public Dictionary<string, double[]> Run<T>(Tape tape, Inputs inputs) where T : unmanaged
    {
        if (!_plans.TryGetValue(tape, out var p)) _plans[tape] = p = tape.Plan<T>(Backend, fuse);
        var plan = (Plan<T>)p;
        var keep = new List<IDisposable>();
        foreach (var g in tape.Inputs)
        {
            if (g.DType == DType.Int32)
            {
                var buf = Backend.Upload<int>(inputs.Ints[g.Name]);
                keep.Add(buf);
                plan.BindIndices(g.Name, buf);
            }
            else
            {
                var data = inputs.Floats[g.Name];
                if (data.Length != g.TotalLength) throw new ArgumentException($"input '{g.Name}' needs {g.TotalLength} values, got {data.Length}");
                var buf = Backend.Upload<T>(data.Select(Convert<T>).ToArray());
                keep.Add(buf);
                plan.Bind(g.Name, buf);
            }
        }
        plan.Run();
        var result = new Dictionary<string, double[]>();
        foreach (var g in tape.Outputs)
            if (g.DType == DType.Float)
                result[g.Name] = plan.ReadOutput(g.Name).Select(v => v is float f ? f : (double)(object)v).ToArray();
        foreach (var k in keep) k.Dispose();
        return result;
    }

    private static T Convert<T>(double v) => typeof(T) == typeof(float) ? (T)(object)(float)v : (T)(object)v;
}

/// <summary>
/// The HIPS/autograd checks: JVP against central differences, VJP by the dot-product identity, K stacked tangents
/// against single ones, and second order (reverse over forward, Hessian-vector products) against differences of
/// first derivatives. All in float64.
/// </summary>
public static class Check
{
    /// <summary>Central-difference step: truncation error ~h²·f‴ ≈ 1e-10, rounding ~1e-16/h ≈ 1e-11, relative.</summary>
    public const double H = 1e-5;

    /// <summary>‖a − b‖/‖b‖ (absolute when ‖b‖ is tiny).</summary>
    public static double RelErr(double[] a, double[] b)
    {
        Assert.Equal(b.Length, a.Length);
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++)
        {
            num += (a[i] - b[i]) * (a[i] - b[i]);
            den += b[i] * b[i];
        }
        return Math.Sqrt(num) / Math.Max(Math.Sqrt(den), 1e-12);
    }

    /// <summary>x + c·v.</summary>
    public static double[] Axpy(double[] x, double c, double[] v) => x.Select((xi, i) => xi + c * v[i]).ToArray();

    /// <summary>⟨a, b⟩.</summary>
    public static double Dot(double[] a, double[] b) => a.Select((x, i) => x * b[i]).Sum();

    /// <summary>Central difference of <paramref name="f"/> at x along v.</summary>
    public static double[] CentralDifference(Func<double[], double[]> f, double[] x, double[] v)
    {
        var fp = f(Axpy(x, H, v));
        var fm = f(Axpy(x, -H, v));
        return fp.Select((p, i) => (p - fm[i]) / (2 * H)).ToArray();
    }

    /// <summary>JVP of output <paramref name="output"/> w.r.t. <paramref name="wrt"/> along a random direction equals central differences (rel ≤ 1e-6).</summary>
    public static void Jvp(Runner r, Tape tape, string wrt, string output, Inputs x, Random rng, double tol = 1e-6)
    {
        var jvp = tape.Jvp(1, wrt);
        var v = Inputs.Vec(rng, tape.Input(wrt).TotalLength);
        var got = r.Run(jvp, x.With(wrt + Transform.TangentSuffix, v))[output + Transform.TangentSuffix];
        var fd = CentralDifference(p => r.Run(tape, x.With(wrt, p))[output], x.Floats[wrt], v);
        double err = RelErr(got, fd);
        Assert.True(err <= tol, $"JVP of {output} w.r.t. {wrt}: relative error {err:E2} > {tol:E0}");
    }

    /// <summary>⟨u, J v⟩ = ⟨Jᵀu, v⟩ with random u, v (rel ≤ 1e-10).</summary>
    public static void Vjp(Runner r, Tape tape, string wrt, string output, Inputs x, Random rng, double tol = 1e-10)
    {
        var jvp = tape.Jvp(1, wrt);
        var vjp = tape.Vjp([wrt], [output]);
        var v = Inputs.Vec(rng, tape.Input(wrt).TotalLength);
        var u = Inputs.Vec(rng, tape.Output(output).TotalLength);
        var jv = r.Run(jvp, x.With(wrt + Transform.TangentSuffix, v))[output + Transform.TangentSuffix];
        var jtu = r.Run(vjp, x.With(output + Transform.CotangentSuffix, u))[wrt + Transform.CotangentSuffix];
        double lhs = Dot(u, jv), rhs = Dot(jtu, v);
        double err = Math.Abs(lhs - rhs) / Math.Max(Math.Abs(lhs), 1e-12);
        Assert.True(err <= tol, $"⟨u, Jv⟩ = {lhs:R} vs ⟨Jᵀu, v⟩ = {rhs:R}: relative error {err:E2}");
    }

    /// <summary>A K-tangent JVP equals K single JVPs (rel ≤ 1e-12: the same arithmetic in another order).</summary>
    public static void KTangents(Runner r, Tape tape, string wrt, string output, Inputs x, Random rng, int k)
    {
        var jk = tape.Jvp(k, wrt);
        var j1 = tape.Jvp(1, wrt);
        int p = tape.Input(wrt).TotalLength;
        var vs = Enumerable.Range(0, k).Select(_ => Inputs.Vec(rng, p)).ToArray();
        var stacked = r.Run(jk, x.With(wrt + Transform.TangentSuffix, vs.SelectMany(a => a).ToArray()))[output + Transform.TangentSuffix];
        var singles = vs.SelectMany(v => r.Run(j1, x.With(wrt + Transform.TangentSuffix, v))[output + Transform.TangentSuffix]).ToArray();
        double err = RelErr(stacked, singles);
        Assert.True(err <= 1e-12, $"{k}-tangent JVP differs from {k} single JVPs: relative error {err:E2}");
    }

    /// <summary>
    /// ∇_θ⟨ξ, J(θ) z⟩ (Vjp of Jvp) along a random w equals the central difference of ⟨ξ, J(θ) z⟩ (rel ≤ 1e-6).
    /// </summary>
    public static void VjpOfJvp(Runner r, Tape tape, string wrt, string output, Inputs x, Random rng, int k = 1, double tol = 1e-6)
    {
        var jvp = tape.Jvp(k, wrt);
        var second = Compose.VjpOfJvp(tape, wrt, output, k);
        int p = tape.Input(wrt).TotalLength;
        var z = Inputs.Vec(rng, k * p);
        var xi = Inputs.Vec(rng, k * tape.Output(output).TotalLength);
        var w = Inputs.Vec(rng, p);
        var withZ = x.With(wrt + Transform.TangentSuffix, z);
        var grad = r.Run(second, withZ.With(output + Transform.TangentSuffix + Transform.CotangentSuffix, xi))[wrt + Transform.CotangentSuffix];
        double G(double[] theta) => Dot(xi, r.Run(jvp, withZ.With(wrt, theta))[output + Transform.TangentSuffix]);
        var theta0 = x.Floats[wrt];
        double fd = (G(Axpy(theta0, H, w)) - G(Axpy(theta0, -H, w))) / (2 * H);
        double got = Dot(grad, w);
        double err = Math.Abs(got - fd) / Math.Max(Math.Abs(fd), 1e-8);
        Assert.True(err <= tol, $"∇⟨ξ, Jz⟩·w = {got:R} vs finite difference {fd:R}: relative error {err:E2}");
    }

    /// <summary>Hessian-vector product of a scalar output equals central differences of the gradient (rel ≤ 1e-6).</summary>
    public static void Hvp(Runner r, Tape tape, string wrt, string loss, Inputs x, Random rng, double tol = 1e-6)
    {
        var hvp = Compose.HessianVectorProduct(tape, wrt, loss);
        var grad = tape.Vjp([wrt], [loss]);
        int p = tape.Input(wrt).TotalLength;
        var v = Inputs.Vec(rng, p);
        var got = r.Run(hvp, x.With(wrt + Transform.TangentSuffix, v))[wrt + ":hvp"];
        var one = x.With(loss + Transform.CotangentSuffix, [1.0]);
        var fd = CentralDifference(t => r.Run(grad, one.With(wrt, t))[wrt + Transform.CotangentSuffix], x.Floats[wrt], v);
        double err = RelErr(got, fd);
        Assert.True(err <= tol, $"HVP: relative error {err:E2} against differences of gradients");
    }
}
