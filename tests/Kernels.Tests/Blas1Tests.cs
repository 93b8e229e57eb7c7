using Xunit;
using FsCheck.Fluent;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Tests.Support;
using static Tangent.Kernels.Tests.Support.ElemReference;

namespace Tangent.Kernels.Tests;

/// <summary>BLAS-1 kernels against float64 host references.</summary>
public abstract class Blas1Tests(Backend backend)
{
    private readonly Backend _b = backend;

    /// <summary>Largest generated length.</summary>
    protected virtual int MaxLength => 5000;

    /// <summary>Length of the long dot/nrm2 test.</summary>
    protected virtual int LongLength => 1_000_000;

    private FsCheck.Gen<(double Alpha, double[] X, double[] Y)> Pairs =>
        from n in Lengths(MaxLength)
        from x in Values(n, -2, 2)
        from y in Values(n, -2, 2)
        from a in Values(1, -3, 3)
        select (a[0], x, y);

    private void AxpyCase<T>((double Alpha, double[] X, double[] Y) c) where T : unmanaged
    {
        double alpha = Round<T>([c.Alpha])[0];
        double[] x = Round<T>(c.X), y = Round<T>(c.Y);
        using var bx = Upload<T>(_b, x);
        using var by = Upload<T>(_b, y);
        _b.Axpy(To<T>([alpha])[0], bx.View, by.View);
        // Error against ‖|αx| + |y|‖: α·x is rounded before the add, so where αx ≈ −y only the terms' size bounds it.
        double[] got = Download(by);
        double num = 0, den = 0;
        for (int i = 0; i < x.Length; i++)
        {
            double d = got[i] - (alpha * x[i] + y[i]), m = Math.Abs(alpha * x[i]) + Math.Abs(y[i]);
            num += d * d;
            den += m * m;
        }
        double err = den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
        Assert.True(err <= Tolerance<T>(), $"axpy n={x.Length} ({typeof(T).Name}): error {err:E3} relative to ‖|αx| + |y|‖");
    }

    [Fact] public void AxpyFloat() => Check(Pairs, AxpyCase<float>);
    [Fact] public void AxpyDouble() => Check(Pairs, AxpyCase<double>);

    private void ScalCase<T>((double Alpha, double[] X, double[] Y) c) where T : unmanaged
    {
        double alpha = Round<T>([c.Alpha])[0];
        double[] x = Round<T>(c.X);
        using var bx = Upload<T>(_b, x);
        _b.Scal(To<T>([alpha])[0], bx.View);
        AssertClose<T>(Download(bx), x.Select(u => alpha * u).ToArray(), $"scal n={x.Length}");
    }

    [Fact] public void ScalFloat() => Check(Pairs, ScalCase<float>);
    [Fact] public void ScalDouble() => Check(Pairs, ScalCase<double>);

    private void DotCase<T>((double Alpha, double[] X, double[] Y) c) where T : unmanaged
    {
        double[] x = Round<T>(c.X), y = Round<T>(c.Y);
        using var bx = Upload<T>(_b, x);
        using var by = Upload<T>(_b, y);
        double got = ToDouble(new[] { _b.Dot(bx.View, by.View) })[0];
        double expected = 0;
        for (int i = 0; i < x.Length; i++) expected += x[i] * y[i];
        // Relative to Σ|x·y| (the dot's condition), as cancellation makes |⟨x,y⟩| itself arbitrarily small.
        double scale = x.Zip(y, (u, v) => Math.Abs(u * v)).Sum();
        double err = Math.Abs(got - expected) / Math.Max(scale, 1e-300);
        Assert.True(err <= Tolerance<T>(), $"dot n={x.Length} ({typeof(T).Name}): got {got:R}, expected {expected:R}, error/Σ|x·y| = {err:E3}");
    }

    [Fact] public void DotFloat() => Check(Pairs, DotCase<float>);
    [Fact] public void DotDouble() => Check(Pairs, DotCase<double>);

    private void Nrm2Case<T>((double Alpha, double[] X, double[] Y) c) where T : unmanaged
    {
        double[] x = Round<T>(c.X);
        using var bx = Upload<T>(_b, x);
        double got = ToDouble(new[] { _b.Nrm2(bx.View) })[0];
        AssertClose<T>([got], [Math.Sqrt(x.Sum(u => u * u))], $"nrm2 n={x.Length}");
    }

    [Fact] public void Nrm2Float() => Check(Pairs, Nrm2Case<float>);
    [Fact] public void Nrm2Double() => Check(Pairs, Nrm2Case<double>);

    private void HugeNrm2<T>(double value) where T : unmanaged
    {
        const int n = 1000;
        var x = Enumerable.Range(0, n).Select(i => value * (i % 2 == 0 ? 1 : -0.5)).ToArray();
        double[] xr = Round<T>(x);
        using var bx = Upload<T>(_b, xr);
        double got = ToDouble(new[] { _b.Nrm2(bx.View) })[0];
        // Exact: n/2 entries of v and n/2 of v/2: ‖x‖ = |v|·√(n/2·(1 + 1/4)).
        double expected = Math.Abs(xr[0]) * Math.Sqrt(n / 2 * 1.25);
        AssertClose<T>([got], [expected], $"nrm2 of {value:E0} entries");
    }

    [Fact] public void Nrm2NoOverflowFloat() => HugeNrm2<float>(1e30);
    [Fact] public void Nrm2NoOverflowDouble() => HugeNrm2<double>(1e300);
    [Fact] public void Nrm2NoUnderflowFloat() => HugeNrm2<float>(1e-30);
    [Fact] public void Nrm2NoUnderflowDouble() => HugeNrm2<double>(1e-300);

    [Fact]
    public void DotLengthMismatchThrows()
    {
        using var x = _b.Allocate<float>(5);
        using var y = _b.Allocate<float>(6);
        var e = Assert.Throws<ArgumentException>(() => _b.Dot(x.View, y.View));
        Assert.Contains("5", e.Message);
        Assert.Contains("6", e.Message);
    }

    [Fact]
    public void AxpyLengthMismatchThrows()
    {
        using var x = _b.Allocate<double>(3);
        using var y = _b.Allocate<double>(4);
        Assert.Throws<ArgumentException>(() => _b.Axpy(1.0, x.View, y.View));
    }

    [Fact]
    public void LongFloatDotStaysAccurate()
    {
        // Same-sign terms of a million elements: plain float accumulation would drift by ~1e-4 relative.
        int n = LongLength;
        var rnd = new Random(7);
        var x = Enumerable.Range(0, n).Select(_ => rnd.NextDouble()).ToArray();
        var y = Enumerable.Range(0, n).Select(_ => rnd.NextDouble()).ToArray();
        double[] xr = Round<float>(x), yr = Round<float>(y);
        using var bx = Upload<float>(_b, xr);
        using var by = Upload<float>(_b, yr);
        double expected = 0;
        for (int i = 0; i < n; i++) expected += xr[i] * yr[i];
        AssertClose<float>([_b.Dot(bx.View, by.View)], [expected], $"dot n={n}");
        AssertClose<float>([_b.Nrm2(bx.View)], [Math.Sqrt(xr.Sum(v => v * v))], $"nrm2 n={n}");
    }
}

/// <summary>BLAS-1 tests on the cpu backend.</summary>
public sealed class Blas1TestsCpu() : Blas1Tests(TestBackends.Cpu);

/// <summary>BLAS-1 tests on ILGPU's CPU accelerator (small sizes).</summary>
[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class Blas1TestsIlgpuCpu() : Blas1Tests(TestBackends.IlgpuCpu)
{
    /// <inheritdoc />
    protected override int MaxLength => 1500;
    /// <inheritdoc />
    protected override int LongLength => 50_000;
}

/// <summary>BLAS-1 tests on the OpenCL device (PoCL here) (small sizes).</summary>
[Collection(TestBackends.OpenCLCollection)]
public sealed class Blas1TestsOpenCL() : Blas1Tests(TestBackends.OpenCL)
{
    /// <inheritdoc />
    protected override int MaxLength => 1500;
    /// <inheritdoc />
    protected override int LongLength => 50_000;
}
