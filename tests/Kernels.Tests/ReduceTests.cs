using Xunit;
using FsCheck;
using FsCheck.Fluent;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;
using Tangent.Kernels.Tests.Support;
using static Tangent.Kernels.Tests.Support.ElemReference;

namespace Tangent.Kernels.Tests;

/// <summary>Reduce (sum, max, min along an axis of [outer, axis, inner]) and Argmax against float64 references.</summary>
public abstract class ReduceTests(Backend backend)
{
    private readonly Backend _b = backend;

    /// <summary>Largest dimension generated.</summary>
    protected virtual int MaxDim => 40;

    /// <summary>Whether <see cref="LargeShapes"/> caps its sizes (slow simulated backends).</summary>
    protected virtual bool SmallLargeShapes => false;

    /// <summary>Length of the long full reduction.</summary>
    protected virtual int LongLength => 1_000_000;

    private Gen<(int Outer, int Axis, int Inner, double[] X)> Shapes(double lo, double hi) =>
        from outer in Gen.Choose(0, 6)
        from axis in Gen.Frequency((1, Gen.Elements(0, 1, 2, 17)), (3, Gen.Choose(1, MaxDim * 4)))
        from inner in Gen.Frequency((2, Gen.Constant(1)), (2, Gen.Choose(1, MaxDim)), (1, Gen.Choose(16, 40)))
        from x in Values(outer * axis * inner, lo, hi)
        select (outer, axis, inner, x);

    private static double[] ReduceRef(double[] x, int outer, int axis, int inner, double identity, Func<double, double, double> f)
    {
        var y = new double[outer * inner];
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                double acc = identity;
                for (int a = 0; a < axis; a++) acc = f(acc, x[(o * axis + a) * inner + j]);
                y[o * inner + j] = acc;
            }
        return y;
    }

    private void ReduceCase<T, TOp>(TOp op, double identity, Func<double, double, double> f, (int Outer, int Axis, int Inner, double[] X) c)
        where T : unmanaged where TOp : struct, IReduceOp<T>
    {
        double[] x = Round<T>(c.X);
        using var bx = Upload<T>(_b, x);
        using var by = _b.Allocate<T>(c.Outer * c.Inner);
        _b.Reduce(op, bx.View, c.Outer, c.Axis, c.Inner, by.View);
        var expected = ReduceRef(x, c.Outer, c.Axis, c.Inner, identity, f);
        double[] got = Download(by);
        string what = $"{typeof(TOp).Name} [{c.Outer},{c.Axis},{c.Inner}] ({typeof(T).Name})";
        if (typeof(TOp) != typeof(SumOp))
        {
            AssertClose(got, expected, Tolerance<T>(), what);
            return;
        }
        // A sum is only as accurate as its condition allows: measure the error against Σ|x| (what a backward-stable
        // summation bounds), since with cancellation Σx can be far smaller than the rounding of its terms.
        var absSums = ReduceRef(x.Select(Math.Abs).ToArray(), c.Outer, c.Axis, c.Inner, 0, (a, b) => a + b);
        double num = 0, den = 0;
        for (int i = 0; i < got.Length; i++) { num += (got[i] - expected[i]) * (got[i] - expected[i]); den += absSums[i] * absSums[i]; }
        double err = den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
        Assert.True(err <= Tolerance<T>(), $"{what}: error relative to Σ|x| is {err:E3}, above {Tolerance<T>():E1}");
    }

    [Fact]
    public void SumMatchesReference()
    {
        Check(Shapes(-3, 3), c => ReduceCase<float, SumOp>(default, 0, (a, b) => a + b, c), 40);
        Check(Shapes(-3, 3), c => ReduceCase<double, SumOp>(default, 0, (a, b) => a + b, c), 40);
    }

    [Fact]
    public void MaxMatchesReference()
    {
        Check(Shapes(-3, 3), c => ReduceCase<float, MaxOp>(default, double.NegativeInfinity, Math.Max, c), 30);
        Check(Shapes(-3, 3), c => ReduceCase<double, MaxOp>(default, double.NegativeInfinity, Math.Max, c), 30);
    }

    [Fact]
    public void MinMatchesReference()
    {
        Check(Shapes(-3, 3), c => ReduceCase<float, MinOp>(default, double.PositiveInfinity, Math.Min, c), 20);
        Check(Shapes(-3, 3), c => ReduceCase<double, MinOp>(default, double.PositiveInfinity, Math.Min, c), 20);
    }

    [Fact]
    public void LongSameSignSumStaysAccurate()
    {
        // A million positive floats: naive float accumulation drifts by ~1e-4 relative; blocked/tree sums do not.
        var rnd = new Random(5);
        int n = LongLength;
        var x = Enumerable.Range(0, n).Select(_ => rnd.NextDouble()).ToArray();
        ReduceCase<float, SumOp>(default, 0, (a, b) => a + b, (1, n, 1, x));
    }

    [Theory]
    [InlineData(2, 50_000, 1)]     // few long rows: split within rows
    [InlineData(1, 2000, 300)]     // one wide slice: split across columns
    [InlineData(300, 20, 40)]      // many slices
    [InlineData(3000, 70, 1)]      // many short rows
    [InlineData(3, 5000, 17)]      // long axis, narrow slices (multi-pass column reduction on ILGPU)
    public void LargeShapes(int outer, int axis, int inner)
    {
        if (SmallLargeShapes) { outer = Math.Min(outer, 8); axis = Math.Min(axis, 3000); inner = Math.Min(inner, 40); }
        var rnd = new Random(outer + axis + inner);
        var x = Enumerable.Range(0, outer * axis * inner).Select(_ => rnd.NextDouble() * 2 - 0.5).ToArray();
        ReduceCase<float, SumOp>(default, 0, (a, b) => a + b, (outer, axis, inner, x));
        ReduceCase<double, MaxOp>(default, double.NegativeInfinity, Math.Max, (outer, axis, inner, x));
    }

    private void ArgmaxCase<T>((int Outer, int Axis, int Inner, double[] X) c) where T : unmanaged
    {
        if (c.Axis == 0) return;
        double[] x = Round<T>(c.X);
        using var bx = Upload<T>(_b, x);
        using var bi = _b.Allocate<int>(c.Outer * c.Inner);
        _b.Argmax(bx.View, c.Outer, c.Axis, c.Inner, bi.View);
        int[] got = bi.ToArray();
        for (int o = 0; o < c.Outer; o++)
            for (int j = 0; j < c.Inner; j++)
            {
                int best = 0;
                for (int a = 1; a < c.Axis; a++)
                    if (x[(o * c.Axis + a) * c.Inner + j] > x[(o * c.Axis + best) * c.Inner + j]) best = a;
                Assert.True(best == got[o * c.Inner + j], $"argmax [{c.Outer},{c.Axis},{c.Inner}] at ({o},{j}): got {got[o * c.Inner + j]}, expected {best}");
            }
    }

    [Fact]
    public void ArgmaxFindsFirstMaximum()
    {
        // Values on a coarse grid so that ties are common: the first index must win.
        var gen = from s in Shapes(0, 1) select (s.Outer, s.Axis, s.Inner, s.X.Select(v => Math.Floor(v * 4)).ToArray());
        Check(gen, ArgmaxCase<float>, 40);
        Check(gen, ArgmaxCase<double>, 40);
    }

    [Fact]
    public void ArgmaxNaNRule()
    {
        // NaNs never compare greater: they are skipped, except at index 0 where the sweep starts.
        foreach (int n in new[] { 5, 70, 300 })
        {
            var x = Enumerable.Range(0, n).Select(i => Math.Sin(i * 0.7)).ToArray();
            int expected = Array.IndexOf(x, x.Max());
            x[n / 3] = double.NaN;
            if (expected == n / 3) expected = Array.IndexOf(x, x.Where(v => !double.IsNaN(v)).Max());
            using var bx = _b.Upload<double>(x);
            using var bi = _b.Allocate<int>(1);
            _b.Argmax(bx.View, 1, n, 1, bi.View);
            Assert.Equal(expected, bi.ToArray()[0]);
            x[0] = double.NaN;
            bx.CopyFrom(x);
            _b.Argmax(bx.View, 1, n, 1, bi.View);
            Assert.Equal(0, bi.ToArray()[0]);
        }
    }

    [Fact]
    public void BadShapesThrow()
    {
        using var x = _b.Allocate<float>(10);
        using var y = _b.Allocate<float>(2);
        var e = Assert.Throws<ArgumentException>(() => _b.Reduce(new SumOp(), x.View, 2, 6, 1, y.View));
        Assert.Contains("12", e.Message);
        Assert.Throws<ArgumentException>(() => _b.Reduce(new SumOp(), x.View, 3, 2, 1, y.View));
        using var idx = _b.Allocate<int>(2);
        Assert.Throws<ArgumentException>(() => _b.Argmax(x.View, 2, 0, 1, idx.View));
    }
}

/// <summary>Reduction tests on the cpu backend.</summary>
public sealed class ReduceTestsCpu() : ReduceTests(TestBackends.Cpu);

/// <summary>Reduction tests on ILGPU's CPU accelerator (small sizes: barriers cost milliseconds there).</summary>
[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class ReduceTestsIlgpuCpu() : ReduceTests(TestBackends.IlgpuCpu)
{
    /// <inheritdoc />
    protected override int MaxDim => 12;
    /// <inheritdoc />
    protected override int LongLength => 100_000;
    /// <inheritdoc />
    protected override bool SmallLargeShapes => true;
}

/// <summary>Reduction tests on the OpenCL device (PoCL here) (small sizes: barriers cost milliseconds there).</summary>
[Collection(TestBackends.OpenCLCollection)]
public sealed class ReduceTestsOpenCL() : ReduceTests(TestBackends.OpenCL)
{
    /// <inheritdoc />
    protected override int MaxDim => 12;
    /// <inheritdoc />
    protected override int LongLength => 100_000;
    /// <inheritdoc />
    protected override bool SmallLargeShapes => true;
}
