using System.Runtime.Intrinsics;
using Tangent.Kernels.Ops;
using Tangent.Kernels.Tests.Support;
using static Tangent.Kernels.Tests.Support.ElemReference;

namespace Tangent.Kernels.Tests;

/// <summary>
/// Host-only checks of the functors themselves: every vector form (Vector256 and Vector512, whatever the processor
/// accelerates) agrees with the scalar form, and every derivative helper matches a central finite difference of its
/// forward functor in float64.
/// </summary>
public sealed class FunctorTests
{
    private static double[] Grid(double lo, double hi, int n) => Enumerable.Range(0, n).Select(i => lo + (hi - lo) * (i + 0.37) / n).ToArray();

    private static void VectorFormsAgree<TOp>(TOp op, double lo, double hi) where TOp : struct, IUnaryOp<float>, IUnaryOp<double>
    {
        double[] xs = Grid(lo, hi, 512);
        foreach (bool single in new[] { true, false })
        {
            var got256 = new List<double>();
            var got512 = new List<double>();
            var scalar = new List<double>();
            if (single)
            {
                float[] x = xs.Select(v => (float)v).ToArray();
                for (int i = 0; i + 16 <= x.Length; i += 16)
                {
                    var v512 = ((IUnaryOp<float>)op).Apply(Vector512.Create(x.AsSpan(i, 16)));
                    var lo256 = ((IUnaryOp<float>)op).Apply(Vector256.Create(x.AsSpan(i, 8)));
                    var hi256 = ((IUnaryOp<float>)op).Apply(Vector256.Create(x.AsSpan(i + 8, 8)));
                    for (int l = 0; l < 16; l++)
                    {
                        got512.Add(v512[l]);
                        got256.Add(l < 8 ? lo256[l] : hi256[l - 8]);
                        scalar.Add(((IUnaryOp<float>)op).Apply(x[i + l]));
                    }
                }
                AssertClose<float>(got512.ToArray(), scalar.ToArray(), $"{typeof(TOp).Name} Vector512 vs scalar");
                AssertClose<float>(got256.ToArray(), scalar.ToArray(), $"{typeof(TOp).Name} Vector256 vs scalar");
            }
            else
            {
                for (int i = 0; i + 8 <= xs.Length; i += 8)
                {
                    var v512 = ((IUnaryOp<double>)op).Apply(Vector512.Create(xs.AsSpan(i, 8)));
                    var lo256 = ((IUnaryOp<double>)op).Apply(Vector256.Create(xs.AsSpan(i, 4)));
                    var hi256 = ((IUnaryOp<double>)op).Apply(Vector256.Create(xs.AsSpan(i + 4, 4)));
                    for (int l = 0; l < 8; l++)
                    {
                        got512.Add(v512[l]);
                        got256.Add(l < 4 ? lo256[l] : hi256[l - 4]);
                        scalar.Add(((IUnaryOp<double>)op).Apply(xs[i + l]));
                    }
                }
                AssertClose<double>(got512.ToArray(), scalar.ToArray(), $"{typeof(TOp).Name} Vector512 vs scalar");
                AssertClose<double>(got256.ToArray(), scalar.ToArray(), $"{typeof(TOp).Name} Vector256 vs scalar");
            }
        }
    }

    private static void VectorFormsAgree2<TOp>(TOp op, (double Lo, double Hi) da, (double Lo, double Hi) db) where TOp : struct, IBinaryOp<float>, IBinaryOp<double>
    {
        double[] a = Grid(da.Lo, da.Hi, 256), b = Grid(db.Lo, db.Hi, 256).Reverse().ToArray();
        var s512 = new List<double>(); var s256 = new List<double>(); var ss = new List<double>();
        var d512 = new List<double>(); var d256 = new List<double>(); var ds = new List<double>();
        float[] af = a.Select(v => (float)v).ToArray(), bf = b.Select(v => (float)v).ToArray();
        for (int i = 0; i + 16 <= a.Length; i += 16)
        {
            var v = ((IBinaryOp<float>)op).Apply(Vector512.Create(af.AsSpan(i, 16)), Vector512.Create(bf.AsSpan(i, 16)));
            var w0 = ((IBinaryOp<float>)op).Apply(Vector256.Create(af.AsSpan(i, 8)), Vector256.Create(bf.AsSpan(i, 8)));
            var w1 = ((IBinaryOp<float>)op).Apply(Vector256.Create(af.AsSpan(i + 8, 8)), Vector256.Create(bf.AsSpan(i + 8, 8)));
            var dv = ((IBinaryOp<double>)op).Apply(Vector512.Create(a.AsSpan(i, 8)), Vector512.Create(b.AsSpan(i, 8)));
            var dw = ((IBinaryOp<double>)op).Apply(Vector256.Create(a.AsSpan(i, 4)), Vector256.Create(b.AsSpan(i, 4)));
            for (int l = 0; l < 16; l++)
            {
                s512.Add(v[l]); s256.Add(l < 8 ? w0[l] : w1[l - 8]); ss.Add(((IBinaryOp<float>)op).Apply(af[i + l], bf[i + l]));
            }
            for (int l = 0; l < 8; l++) { d512.Add(dv[l]); ds.Add(((IBinaryOp<double>)op).Apply(a[i + l], b[i + l])); }
            for (int l = 0; l < 4; l++) d256.Add(dw[l]);
        }
        AssertClose<float>(s512.ToArray(), ss.ToArray(), $"{typeof(TOp).Name} Vector512 vs scalar");
        AssertClose<float>(s256.ToArray(), ss.ToArray(), $"{typeof(TOp).Name} Vector256 vs scalar");
        AssertClose<double>(d512.ToArray(), ds.ToArray(), $"{typeof(TOp).Name} Vector512 vs scalar");
        var dsFirst4 = ds.Where((_, k) => k % 8 < 4).ToArray();
        AssertClose<double>(d256.ToArray(), dsFirst4, $"{typeof(TOp).Name} Vector256 vs scalar");
    }

    [Fact]
    public void UnaryVectorFormsAgreeWithScalar()
    {
        VectorFormsAgree(new Identity(), -5, 5);
        VectorFormsAgree(new Neg(), -5, 5);
        VectorFormsAgree(new Abs(), -5, 5);
        VectorFormsAgree(new Square(), -5, 5);
        VectorFormsAgree(new Sqrt(), 0, 50);
        VectorFormsAgree(new Exp(), -30, 30);
        VectorFormsAgree(new Log(), 1e-4, 1e4);
        VectorFormsAgree(new Relu(), -5, 5);
        VectorFormsAgree(new Tanh(), -8, 8);
        VectorFormsAgree(new Tanh(), -0.05, 0.05);
        VectorFormsAgree(new Sigmoid(), -40, 40);
        VectorFormsAgree(new Silu(), -20, 20);
        VectorFormsAgree(new Gelu(), -8, 8);
        VectorFormsAgree(new GeluErf(), -8, 8);
        VectorFormsAgree(new Reciprocal(), 0.1, 10);
        VectorFormsAgree(new Scale(0.3), -5, 5);
        VectorFormsAgree(new AddScalar(-1.5), -5, 5);
        VectorFormsAgree(new Affine(2, 1), -5, 5);
        VectorFormsAgree(new ScaledSquare(0.25), -5, 5);
    }

    [Fact]
    public void BinaryVectorFormsAgreeWithScalar()
    {
        VectorFormsAgree2(new Add(), (-5, 5), (-5, 5));
        VectorFormsAgree2(new Sub(), (-5, 5), (-5, 5));
        VectorFormsAgree2(new Mul(), (-5, 5), (-5, 5));
        VectorFormsAgree2(new Div(), (-5, 5), (0.5, 5));
        VectorFormsAgree2(new Max(), (-5, 5), (-5, 5));
        VectorFormsAgree2(new Min(), (-5, 5), (-5, 5));
        VectorFormsAgree2(new Axpby(0.5, 2), (-5, 5), (-5, 5));
        VectorFormsAgree2(new ReluGrad(), (-5, 5), (-2, 2));
        VectorFormsAgree2(new TanhGradFromOutput(), (-1, 1), (-2, 2));
        VectorFormsAgree2(new SigmoidGradFromOutput(), (0, 1), (-2, 2));
        VectorFormsAgree2(new SqrtGradFromOutput(), (0.1, 5), (-2, 2));
        VectorFormsAgree2(new ReciprocalGradFromOutput(), (-5, 5), (-2, 2));
        VectorFormsAgree2(new AbsGrad(), (-5, 5), (-2, 2));
        VectorFormsAgree2(new SiluGrad(), (-20, 20), (-2, 2));
        VectorFormsAgree2(new GeluGrad(), (-8, 8), (-2, 2));
        VectorFormsAgree2(new GeluErfGrad(), (-8, 8), (-2, 2));
    }

    [Fact]
    public void ReduceVectorFormsAgreeWithScalar()
    {
        double[] a = Grid(-5, 5, 16), b = Grid(-4, 6, 16).Reverse().ToArray();
        CheckReduce(new SumOp(), a, b);
        CheckReduce(new MaxOp(), a, b);
        CheckReduce(new MinOp(), a, b);
        Assert.Equal(0.0, ((IReduceOp<double>)new SumOp()).Identity);
        Assert.Equal(double.NegativeInfinity, ((IReduceOp<double>)new MaxOp()).Identity);
        Assert.Equal(float.PositiveInfinity, ((IReduceOp<float>)new MinOp()).Identity);
    }

    private static void CheckReduce<TOp>(TOp op, double[] a, double[] b) where TOp : struct, IReduceOp<double>
    {
        var v = op.Combine(Vector512.Create(a.AsSpan(0, 8)), Vector512.Create(b.AsSpan(0, 8)));
        var w = op.Combine(Vector256.Create(a.AsSpan(0, 4)), Vector256.Create(b.AsSpan(0, 4)));
        for (int l = 0; l < 8; l++) Assert.Equal(op.Combine(a[l], b[l]), v[l]);
        for (int l = 0; l < 4; l++) Assert.Equal(op.Combine(a[l], b[l]), w[l]);
    }

    // ------------------------------------------------------------------ derivative helpers vs finite differences

    /// <summary>
    /// grad(input(x), dy)/dy against (f(x + h) − f(x − h))/(2h), h = 1e-5·max(1, |x|), in float64: truncation
    /// O(h²·f‴) ≲ 1e-9 and round-off O(ε·|f|/h) ≲ 1e-10 relative, so 1e-7 leaves a margin without hiding a wrong rule.
    /// </summary>
    private static void GradMatchesFiniteDifference<TF, TG>(TF forward, TG grad, Func<double, double> gradInput, double lo, double hi, double[]? avoid = null)
        where TF : struct, IUnaryOp<double> where TG : struct, IBinaryOp<double>
    {
        var xs = Grid(lo, hi, 400).Where(x => avoid == null || avoid.All(p => Math.Abs(x - p) > 1e-3)).ToArray();
        var fd = new double[xs.Length];
        var got = new double[xs.Length];
        const double dy = 0.75;
        for (int i = 0; i < xs.Length; i++)
        {
            double x = xs[i], h = 1e-5 * Math.Max(1, Math.Abs(x));
            fd[i] = dy * (forward.Apply(x + h) - forward.Apply(x - h)) / (2 * h);
            got[i] = grad.Apply(gradInput(x), dy);
        }
        AssertClose(got, fd, 1e-7, $"{typeof(TG).Name} vs finite differences of {typeof(TF).Name}");
    }

    [Fact] public void ReluGradIsDerivative() => GradMatchesFiniteDifference(new Relu(), new ReluGrad(), x => x, -4, 4, [0]);
    [Fact] public void AbsGradIsDerivative() => GradMatchesFiniteDifference(new Abs(), new AbsGrad(), x => x, -4, 4, [0]);
    [Fact] public void TanhGradIsDerivative() => GradMatchesFiniteDifference(new Tanh(), new TanhGradFromOutput(), Math.Tanh, -5, 5);
    [Fact] public void SigmoidGradIsDerivative() => GradMatchesFiniteDifference(new Sigmoid(), new SigmoidGradFromOutput(), x => 1 / (1 + Math.Exp(-x)), -10, 10);
    [Fact] public void SqrtGradIsDerivative() => GradMatchesFiniteDifference(new Sqrt(), new SqrtGradFromOutput(), Math.Sqrt, 0.1, 20);
    [Fact] public void ReciprocalGradIsDerivative() => GradMatchesFiniteDifference(new Reciprocal(), new ReciprocalGradFromOutput(), x => 1 / x, 0.2, 10);
    [Fact] public void SiluGradIsDerivative() => GradMatchesFiniteDifference(new Silu(), new SiluGrad(), x => x, -15, 15);
    [Fact] public void GeluGradIsDerivative() => GradMatchesFiniteDifference(new Gelu(), new GeluGrad(), x => x, -7, 7);
    [Fact] public void GeluErfGradIsDerivative() => GradMatchesFiniteDifference(new GeluErf(), new GeluErfGrad(), x => x, -7, 7);

    [Fact]
    public void ErfMatchesMathNet()
    {
        // Across the series/continued-fraction switch at 2.5 and into the tails.
        var xs = Grid(-6, 6, 2001);
        AssertClose(xs.Select(SpecialFunctions.Erf).ToArray(), xs.Select(MathNet.Numerics.SpecialFunctions.Erf).ToArray(), 1e-14, "erf");
        var tail = Grid(-30, -1, 500);
        double[] got = tail.Select(SpecialFunctions.NormalCdf).ToArray();
        double[] expected = tail.Select(x => 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(-x / Math.Sqrt(2))).ToArray();
        // Pointwise relative error: the lower tail must stay accurate far below 1e-16 in absolute terms.
        for (int i = 0; i < tail.Length; i++)
            Assert.True(Math.Abs(got[i] - expected[i]) <= 1e-12 * expected[i], $"Φ({tail[i]}) = {got[i]:R}, expected {expected[i]:R}");
    }

    [Fact]
    public void GeluFormsAgreeWithTheirDefinitions()
    {
        // The σ(2u) evaluation of the tanh GELU equals ½(1 + tanh u) where the latter has no cancellation.
        foreach (double x in Grid(-3, 8, 300))
        {
            double u = Gelu.K0 * (x + Gelu.K1 * x * x * x);
            Assert.Equal(0.5 * x * (1 + Math.Tanh(u)), new Gelu().Apply(x), 1e-13);
        }
        // Exact GELU: x·Φ(x), Φ from MathNet.
        foreach (double x in Grid(-8, 8, 300))
            Assert.Equal(x * 0.5 * MathNet.Numerics.SpecialFunctions.Erfc(-x / Math.Sqrt(2)), new GeluErf().Apply(x), 1e-14);
    }
}
