using Xunit;
using System.Runtime.Intrinsics;
using FsCheck;
using FsCheck.Fluent;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;
using Tangent.Kernels.Tests.Support;
using static Tangent.Kernels.Tests.Support.ElemReference;
using MathNetSpecial = MathNet.Numerics.SpecialFunctions;

namespace Tangent.Kernels.Tests;

/// <summary>
/// Map, Map2, Map2Broadcast, Fill and Copy against float64 host references, for every functor in Tangent.Kernels.Ops.
/// </summary>
public abstract class ElementwiseTests(Backend backend)
{
    private readonly Backend _b = backend;

    /// <summary>FsCheck cases per functor and precision (slow simulated backends use fewer).</summary>
    protected virtual int Cases => 25;

    /// <summary>Largest length generated; ILGPU test instantiations keep this modest.</summary>
    protected virtual int MaxLength => 3000;

    // ------------------------------------------------------------------ references (plain float64)

    private const double K0 = 0.7978845608028654, K1 = 0.044715;
    private static double Sigm(double x) => 1 / (1 + Math.Exp(-x));
    // ½(1 + tanh u) = σ(2u): the σ form keeps float64 references accurate in the negative tail.
    private static double GeluTanhRef(double x) => x * Sigm(2 * K0 * (x + K1 * x * x * x));
    private static double Phi(double x) => 0.5 * MathNetSpecial.Erfc(-x / Math.Sqrt(2));
    private static double GeluErfRef(double x) => x * Phi(x);
    private static double GeluTanhGradRef(double x)
    {
        // d/dx [x·σ(2u)] = σ(2u) + x·σ(2u)(1 − σ(2u))·2u′, u′ = K0(1 + 3·K1·x²).
        double s = Sigm(2 * K0 * (x + K1 * x * x * x));
        return s + x * s * (1 - s) * 2 * K0 * (1 + 3 * K1 * x * x);
    }

    /// <summary>(name, check) for every unary functor: domain [lo, hi] and the float64 reference.</summary>
    public static readonly Dictionary<string, Action<ElementwiseTests>> UnaryCases = new()
    {
        ["Identity"] = t => t.CheckUnary(new Identity(), x => x, -5, 5),
        ["Neg"] = t => t.CheckUnary(new Neg(), x => -x, -5, 5),
        ["Abs"] = t => t.CheckUnary(new Abs(), Math.Abs, -5, 5),
        ["Square"] = t => t.CheckUnary(new Square(), x => x * x, -5, 5),
        ["Sqrt"] = t => t.CheckUnary(new Sqrt(), Math.Sqrt, 0, 50),
        ["Exp"] = t => t.CheckUnary(new Exp(), Math.Exp, -30, 30),
        ["Log"] = t => t.CheckUnary(new Log(), Math.Log, 1e-4, 1e4),
        ["Relu"] = t => t.CheckUnary(new Relu(), x => x > 0 ? x : 0, -5, 5),
        ["Tanh"] = t => t.CheckUnary(new Tanh(), Math.Tanh, -8, 8),
        ["TanhSmall"] = t => t.CheckUnary(new Tanh(), Math.Tanh, -0.06, 0.06),
        ["TanhTiny"] = t => t.CheckUnary(new Tanh(), Math.Tanh, -1e-6, 1e-6),
        ["Sigmoid"] = t => t.CheckUnary(new Sigmoid(), Sigm, -40, 40),
        ["Silu"] = t => t.CheckUnary(new Silu(), x => x * Sigm(x), -20, 20),
        ["Gelu"] = t => t.CheckUnary(new Gelu(), GeluTanhRef, -8, 8),
        ["GeluSmall"] = t => t.CheckUnary(new Gelu(), GeluTanhRef, -0.05, 0.05),
        ["GeluErf"] = t => t.CheckUnary(new GeluErf(), GeluErfRef, -8, 8),
        ["GeluErfTail"] = t => t.CheckUnary(new GeluErf(), GeluErfRef, -9, -2),
        ["Reciprocal"] = t => t.CheckUnary(new Reciprocal(), x => 1 / x, 0.1, 10),
        ["ReciprocalNegative"] = t => t.CheckUnary(new Reciprocal(), x => 1 / x, -10, -0.1),
        ["Scale"] = t => t.CheckUnary(new Scale(-1.75), x => -1.75 * x, -5, 5),
        ["AddScalar"] = t => t.CheckUnary(new AddScalar(2.5), x => x + 2.5, -5, 5),
        ["Affine"] = t => t.CheckUnary(new Affine(-0.5, 3.25), x => -0.5 * x + 3.25, -5, 5),
    };

    /// <summary>(name, check) for every binary functor: domains of a and b and the float64 reference.</summary>
    public static readonly Dictionary<string, Action<ElementwiseTests>> BinaryCases = new()
    {
        ["Add"] = t => t.CheckBinary(new Add(), (a, b) => a + b, (-5, 5), (-5, 5)),
        ["Sub"] = t => t.CheckBinary(new Sub(), (a, b) => a - b, (-5, 5), (-5, 5)),
        ["Mul"] = t => t.CheckBinary(new Mul(), (a, b) => a * b, (-5, 5), (-5, 5)),
        ["Div"] = t => t.CheckBinary(new Div(), (a, b) => a / b, (-5, 5), (0.5, 5)),
        ["Max"] = t => t.CheckBinary(new Max(), Math.Max, (-5, 5), (-5, 5)),
        ["Min"] = t => t.CheckBinary(new Min(), Math.Min, (-5, 5), (-5, 5)),
        // Same-sign terms: a·α + b·β rounds each product first, so cancelling terms would test the data, not the kernel.
        ["Axpby"] = t => t.CheckBinary(new Axpby(1.5, -0.25), (a, b) => 1.5 * a - 0.25 * b, (0.5, 5), (-5, -0.5)),
        ["ReluGrad"] = t => t.CheckBinary(new ReluGrad(), (x, dy) => x > 0 ? dy : 0, (-5, 5), (-2, 2)),
        ["TanhGradFromOutput"] = t => t.CheckBinary(new TanhGradFromOutput(), (y, dy) => dy * (1 - y * y), (-1, 1), (-2, 2)),
        ["SigmoidGradFromOutput"] = t => t.CheckBinary(new SigmoidGradFromOutput(), (y, dy) => dy * y * (1 - y), (0, 1), (-2, 2)),
        ["SqrtGradFromOutput"] = t => t.CheckBinary(new SqrtGradFromOutput(), (y, dy) => dy / (2 * y), (0.1, 5), (-2, 2)),
        ["ReciprocalGradFromOutput"] = t => t.CheckBinary(new ReciprocalGradFromOutput(), (y, dy) => -dy * y * y, (-5, 5), (-2, 2)),
        ["AbsGrad"] = t => t.CheckBinary(new AbsGrad(), (x, dy) => Math.Sign(x) * dy, (-5, 5), (-2, 2)),
        ["SiluGrad"] = t => t.CheckBinary(new SiluGrad(), (x, dy) => dy * (Sigm(x) + x * Sigm(x) * (1 - Sigm(x))), (-20, 20), (-2, 2)),
        ["GeluGrad"] = t => t.CheckBinary(new GeluGrad(), (x, dy) => dy * GeluTanhGradRef(x), (-8, 8), (-2, 2)),
        ["GeluErfGrad"] = t => t.CheckBinary(new GeluErfGrad(), (x, dy) => dy * (Phi(x) + x * Math.Exp(-x * x / 2) / Math.Sqrt(2 * Math.PI)), (-8, 8), (-2, 2)),
    };

    /// <summary>Unary case names for the theory.</summary>
    public static TheoryData<string> UnaryNames => new(UnaryCases.Keys);

    /// <summary>Binary case names for the theory.</summary>
    public static TheoryData<string> BinaryNames => new(BinaryCases.Keys);

    [Theory, MemberData(nameof(UnaryNames))]
    public void MapMatchesReference(string name) => UnaryCases[name](this);

    [Theory, MemberData(nameof(BinaryNames))]
    public void Map2MatchesReference(string name) => BinaryCases[name](this);

    private void CheckUnary<TOp>(TOp op, Func<double, double> f, double lo, double hi) where TOp : struct, IUnaryOp<float>, IUnaryOp<double>
    {
        var gen = from n in Lengths(MaxLength) from x in Values(n, lo, hi) select x;
        Check(gen, x => UnaryCase<float, TOp>(op, f, x), Cases);
        Check(gen, x => UnaryCase<double, TOp>(op, f, x), Cases);
    }

    private void UnaryCase<T, TOp>(TOp op, Func<double, double> f, double[] x0) where T : unmanaged where TOp : struct, IUnaryOp<T>
    {
        double[] x = Round<T>(x0);
        double[] expected = x.Select(f).ToArray();
        using var bx = Upload<T>(_b, x);
        using var by = _b.Allocate<T>(x.Length);
        _b.Map(op, bx.View, by.View);
        AssertClose<T>(Download(by), expected, $"{typeof(TOp).Name} n={x.Length}");
        // In place (x and y the same view) gives the same values.
        _b.Map(op, bx.View, bx.View);
        AssertClose<T>(Download(bx), expected, $"{typeof(TOp).Name} in place n={x.Length}");
    }

    private void CheckBinary<TOp>(TOp op, Func<double, double, double> f, (double Lo, double Hi) da, (double Lo, double Hi) db)
        where TOp : struct, IBinaryOp<float>, IBinaryOp<double>
    {
        var gen = from n in Lengths(MaxLength) from a in Values(n, da.Lo, da.Hi) from b in Values(n, db.Lo, db.Hi) select (a, b);
        Check(gen, c => BinaryCase<float, TOp>(op, f, c.a, c.b), Cases);
        Check(gen, c => BinaryCase<double, TOp>(op, f, c.a, c.b), Cases);
    }

    private void BinaryCase<T, TOp>(TOp op, Func<double, double, double> f, double[] a0, double[] b0) where T : unmanaged where TOp : struct, IBinaryOp<T>
    {
        double[] a = Round<T>(a0), b = Round<T>(b0);
        double[] expected = a.Zip(b, f).ToArray();
        using var ba = Upload<T>(_b, a);
        using var bb = Upload<T>(_b, b);
        using var bc = _b.Allocate<T>(a.Length);
        _b.Map2(op, ba.View, bb.View, bc.View);
        AssertClose<T>(Download(bc), expected, $"{typeof(TOp).Name} n={a.Length}");
        // c aliasing a.
        _b.Map2(op, ba.View, bb.View, ba.View);
        AssertClose<T>(Download(ba), expected, $"{typeof(TOp).Name} aliased n={a.Length}");
    }

    // ------------------------------------------------------------------ large (parallel path) and offsets

    [Fact]
    public void LargeMapAndMap2UseEveryChunk()
    {
        int n = LargeLength;
        var rnd = new Random(11);
        double[] x = Round<float>(Enumerable.Range(0, n).Select(_ => rnd.NextDouble() * 8 - 4).ToArray());
        using var bx = Upload<float>(_b, x);
        using var by = _b.Allocate<float>(n);
        _b.Map(new Tanh(), bx.View, by.View);
        AssertClose<float>(Download(by), x.Select(Math.Tanh).ToArray(), $"tanh n={n}");
        _b.Map2(new Mul(), bx.View, by.View, by.View);
        AssertClose<float>(Download(by), x.Select(v => v * Math.Tanh(v)).ToArray(), $"x·tanh x n={n}");
    }

    /// <summary>Length for the large-input tests (above the cpu parallel threshold).</summary>
    protected virtual int LargeLength => 300_001;

    [Fact]
    public void MapOnSubViewsTouchesOnlyTheView()
    {
        double[] x = Enumerable.Range(0, 50).Select(i => i - 25.0).ToArray();
        using var bx = Upload<double>(_b, x);
        using var by = Upload<double>(_b, Enumerable.Repeat(7.0, 50).ToArray());
        _b.Map(new Square(), bx.Slice(3, 37), by.Slice(5, 37));
        double[] got = Download(by);
        for (int i = 0; i < 50; i++)
        {
            double expected = i >= 5 && i < 42 ? x[i - 2] * x[i - 2] : 7.0;
            Assert.Equal(expected, got[i]);
        }
    }

    // ------------------------------------------------------------------ broadcasting

    /// <summary>Two broadcast-compatible shapes (rank ≤ 4, dims ≤ 5; one operand may have fewer leading dims).</summary>
    private static readonly Gen<(int[] A, int[] B)> ShapePairs =
        from rank in Gen.Choose(0, 4)
        from dims in Gen.ArrayOf(Gen.Choose(1, 5), rank)
        from maskA in Gen.ArrayOf(Gen.Elements(true, false), rank)
        from maskB in Gen.ArrayOf(Gen.Elements(true, false), rank)
        from dropA in Gen.Choose(0, rank)
        from dropB in Gen.Choose(0, rank)
        let a = dims.Select((d, i) => maskA[i] ? 1 : d).ToArray()
        let b = dims.Select((d, i) => maskB[i] ? 1 : d).ToArray()
        select (a[Math.Min(dropA, dropB == 0 ? dropA : 0)..], b[(dropB == 0 ? 0 : dropB)..]);

    /// <summary>NumPy-rule reference: c[idx] = f(a[idx mod shapeA], b[idx mod shapeB]).</summary>
    private static (int[] Shape, double[] C) BroadcastRef(int[] sa, double[] a, int[] sb, double[] b, Func<double, double, double> f)
    {
        int rank = Math.Max(sa.Length, sb.Length);
        int[] pa = Enumerable.Repeat(1, rank - sa.Length).Concat(sa).ToArray();
        int[] pb = Enumerable.Repeat(1, rank - sb.Length).Concat(sb).ToArray();
        int[] shape = pa.Zip(pb, (x, y) => x == 1 ? y : x).ToArray();
        int total = shape.Aggregate(1, (p, d) => p * d);
        var c = new double[total];
        var idx = new int[rank];
        for (int lin = 0; lin < total; lin++)
        {
            int rem = lin;
            for (int d = rank - 1; d >= 0; d--) { idx[d] = rem % shape[d]; rem /= shape[d]; }
            int ia = 0, ib = 0;
            for (int d = 0; d < rank; d++)
            {
                ia = ia * pa[d] + (pa[d] == 1 ? 0 : idx[d]);
                ib = ib * pb[d] + (pb[d] == 1 ? 0 : idx[d]);
            }
            c[lin] = f(a[ia], b[ib]);
        }
        return (shape, c);
    }

    private void BroadcastCase<T>(int[] sa, int[] sb, int seed) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) BroadcastCase<float, Axpby>(new Axpby(2, 1), sa, sb, seed);
        else BroadcastCase<double, Axpby>(new Axpby(2, 1), sa, sb, seed);
    }

    private void BroadcastCase<T, TOp>(TOp op, int[] sa, int[] sb, int seed) where T : unmanaged where TOp : struct, IBinaryOp<T>
    {
        var rnd = new Random(seed);
        // Positive operands and a positive combination (2a + b): no cancellation, so 1e-5 tests the indexing exactly.
        double[] a = Round<T>(Enumerable.Range(0, sa.Aggregate(1, (p, d) => p * d)).Select(_ => rnd.NextDouble() * 2 + 0.5).ToArray());
        double[] b = Round<T>(Enumerable.Range(0, sb.Aggregate(1, (p, d) => p * d)).Select(_ => rnd.NextDouble() * 2 + 0.5).ToArray());
        var (shape, expected) = BroadcastRef(sa, a, sb, b, (u, v) => u * 2 + v);
        var layout = BroadcastLayout.Create(sa, sb);
        Assert.Equal(shape, layout.Shape);
        using var ba = Upload<T>(_b, a);
        using var bb = Upload<T>(_b, b);
        using var bc = _b.Allocate<T>(expected.Length);
        _b.Map2Broadcast(op, layout, ba.View, bb.View, bc.View);
        AssertClose<T>(Download(bc), expected, $"broadcast [{string.Join(",", sa)}] ∘ [{string.Join(",", sb)}]");
    }

    [Fact]
    public void BroadcastMatchesNumPyRules()
    {
        var gen = from s in ShapePairs from seed in Gen.Choose(0, 1 << 20) select (s.A, s.B, seed);
        Check(gen, c => BroadcastCase<float>(c.A, c.B, c.seed), 60);
        Check(gen, c => BroadcastCase<double>(c.A, c.B, c.seed), 60);
    }

    [Theory]
    [InlineData(new[] { 7, 33 }, new[] { 33 })]                 // bias add
    [InlineData(new[] { 33 }, new[] { 7, 33 })]                 // bias first
    [InlineData(new[] { 3, 5, 4, 6 }, new[] { 1, 5, 1, 1 })]    // per-channel
    [InlineData(new[] { 1, 5, 1, 1 }, new[] { 3, 5, 4, 6 })]
    [InlineData(new[] { 6, 1 }, new[] { 1, 9 })]                // outer product
    [InlineData(new[] { 4, 17 }, new[] { 4, 1 })]               // per-row scalar
    [InlineData(new int[0], new[] { 3, 2 })]                    // scalar operand
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 3, 4 })]          // same shape
    [InlineData(new[] { 0, 3 }, new[] { 3 })]                   // empty output
    public void BroadcastFastPaths(int[] sa, int[] sb)
    {
        BroadcastCase<float>(sa, sb, 1);
        BroadcastCase<double>(sa, sb, 2);
    }

    [Fact]
    public void LargeBroadcastsUseEveryRow()
    {
        BroadcastCase<float>([LargeLength / 64, 64], [64], 3);
        BroadcastCase<float>([8, 16, LargeLength / 512, 4], [1, 16, 1, 1], 4);
    }

    [Fact]
    public void BroadcastRejectsShortOperand()
    {
        var layout = BroadcastLayout.Create([4, 3], [3]);
        using var a = _b.Allocate<float>(12);
        using var b = _b.Allocate<float>(2);
        using var c = _b.Allocate<float>(12);
        var e = Assert.Throws<ArgumentException>(() => _b.Map2Broadcast(new Add(), layout, a.View, b.View, c.View));
        Assert.Contains("b", e.Message);
    }

    [Fact]
    public void BroadcastRejectsAliasedOutput()
    {
        var layout = BroadcastLayout.Create([4, 3], [3]);
        using var a = _b.Allocate<float>(12);
        using var b = _b.Allocate<float>(3);
        var e = Assert.Throws<ArgumentException>(() => _b.Map2Broadcast(new Add(), layout, a.View, b.View, a.View));
        Assert.Contains("alias", e.Message);
    }

    // ------------------------------------------------------------------ fill, copy, errors

    [Fact]
    public void FillAndCopy()
    {
        var gen = from n in Lengths(MaxLength) from v in Values(1, -9, 9) select (n, v[0]);
        Check(gen, c =>
        {
            using var y = _b.Allocate<double>(c.n);
            _b.Fill(y.View, c.Item2);
            Assert.All(y.ToArray(), v => Assert.Equal(c.Item2, v));
            using var z = _b.Allocate<double>(c.n);
            _b.Copy(y.View, z.View);
            Assert.Equal(y.ToArray(), z.ToArray());
            using var yi = _b.Allocate<int>(c.n);
            _b.Fill(yi.View, c.n);
            Assert.All(yi.ToArray(), v => Assert.Equal(c.n, v));
        }, 20);
    }

    [Fact]
    public void CopyBetweenDisjointRangesOfOneBuffer()
    {
        using var y = _b.Upload<float>([1, 2, 3, 4, 5, 6, 7, 8]);
        _b.Copy(y.Slice(0, 3), y.Slice(5, 3));
        Assert.Equal([1f, 2, 3, 4, 5, 1, 2, 3], y.ToArray());
    }

    [Fact]
    public void LengthMismatchesThrowWithBothLengths()
    {
        using var x = _b.Allocate<float>(10);
        using var y = _b.Allocate<float>(11);
        var e = Assert.Throws<ArgumentException>(() => _b.Map(new Relu(), x.View, y.View));
        Assert.Contains("10", e.Message);
        Assert.Contains("11", e.Message);
        Assert.Throws<ArgumentException>(() => _b.Map2(new Add(), x.View, y.View, x.View));
        Assert.Throws<ArgumentException>(() => _b.Map2(new Add(), x.View, x.View, y.View));
        Assert.Throws<ArgumentException>(() => _b.Copy(x.View, y.View));
    }

    [Fact]
    public void IntegerElementTypeIsRejectedForMath()
    {
        using var x = _b.Allocate<int>(4);
        Assert.Throws<NotSupportedException>(() => _b.Map<int, IntNeg>(default, x.View, x.View));
    }

    private struct IntNeg : IUnaryOp<int>
    {
        public readonly int Apply(int x) => -x;
        public readonly Vector256<int> Apply(Vector256<int> x) => -x;
        public readonly Vector512<int> Apply(Vector512<int> x) => -x;
    }
}

/// <summary>Elementwise tests on the cpu backend.</summary>
public sealed class ElementwiseTestsCpu() : ElementwiseTests(TestBackends.Cpu);

/// <summary>Elementwise tests on ILGPU's CPU accelerator (small sizes: each launch costs ~0.4 ms there).</summary>
[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class ElementwiseTestsIlgpuCpu() : ElementwiseTests(TestBackends.IlgpuCpu)
{
    /// <inheritdoc />
    protected override int MaxLength => 400;
    /// <inheritdoc />
    protected override int Cases => 10;
    /// <inheritdoc />
    protected override int LargeLength => 20_000;
}

/// <summary>Elementwise tests on the OpenCL device (PoCL here) (small sizes: each launch costs ~0.4 ms there).</summary>
[Collection(TestBackends.OpenCLCollection)]
public sealed class ElementwiseTestsOpenCL() : ElementwiseTests(TestBackends.OpenCL)
{
    /// <inheritdoc />
    protected override int MaxLength => 400;
    /// <inheritdoc />
    protected override int Cases => 10;
    /// <inheritdoc />
    protected override int LargeLength => 20_000;
}
