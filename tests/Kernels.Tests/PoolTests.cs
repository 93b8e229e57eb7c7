using FsCheck;
using FsCheck.Fluent;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Tests.Support;

namespace Tangent.Kernels.Tests;

/// <summary>
/// Max and average pooling (forward, backward, and the max-pool tangent gather with stacked repeats) on one backend
/// against float64 loops written from the definitions: max over the in-bounds window (first maximum in row-major
/// window order), average over the in-bounds window (padding excluded from the divisor), backward = transpose.
/// Max pooling only selects and scatters, so it must match exactly; average pooling is held to 1e-6 (float32, windows
/// of at most 16 terms) and 1e-13 (float64).
/// </summary>
public abstract class PoolTests(Backend backend)
{
    private bool Fast => backend.Info.Kind == DeviceKind.Cpu;

    /// <summary>One generated pooling problem.</summary>
    public sealed record Case(int N, int C, int H, int W, int Kh, int Kw, int Sh, int Sw, int Ph, int Pw, int Repeats, int Seed)
    {
        public Pool2dGeometry Geometry => new(N, C, H, W, Kh, Kw, Sh, Sw, Ph, Pw);
        public override string ToString() => $"x[{N},{C},{H},{W}] window {Kh}×{Kw} stride {Sh}×{Sw} pad {Ph}×{Pw} repeats {Repeats} seed {Seed}";
    }

    private static Gen<Case> Cases(int maxSide) =>
        from n in Gen.Choose(1, 3)
        from c in Gen.Choose(1, 4)
        from h in Gen.Choose(1, maxSide)
        from w in Gen.Choose(1, maxSide)
        from kh in Gen.Choose(1, 4)
        from kw in Gen.Choose(1, 4)
        from sh in Gen.Choose(1, 3)
        from sw in Gen.Choose(1, 3)
        from ph in Gen.Choose(0, kh / 2)
        from pw in Gen.Choose(0, kw / 2)
        from repeats in Gen.Choose(1, 3)
        from seed in Gen.Choose(0, int.MaxValue)
        where h + 2 * ph >= kh && w + 2 * pw >= kw
        select new Case(n, c, h, w, kh, kw, sh, sw, ph, pw, repeats, seed);

    [Fact]
    public void Float32_matches_reference_on_generated_geometries() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Fast ? 80 : 10),
            Prop.ForAll(Cases(Fast ? 20 : 8).ToArbitrary(), c => Run<float>(c, 1e-6, ties: false)));

    [Fact]
    public void Float64_matches_reference_on_generated_geometries() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Fast ? 60 : 8),
            Prop.ForAll(Cases(Fast ? 20 : 8).ToArbitrary(), c => Run<double>(c, 1e-13, ties: false)));

    [Fact]
    public void Ties_pick_the_first_maximum() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Fast ? 40 : 6),
            Prop.ForAll(Cases(Fast ? 12 : 6).ToArbitrary(), c => Run<double>(c, 1e-13, ties: true)));

    /// <summary>The FashionMNIST CNN's pools (2×2/2 on 28, 14, 7) at a batch big enough for the threaded path.</summary>
    [Theory]
    [InlineData(40, 16, 28, 28)]
    [InlineData(40, 32, 14, 14)]
    [InlineData(40, 64, 7, 7)]
    public void Network_shapes_match_reference(int n, int c, int h, int w)
    {
        if (!Fast) n = 2;
        Run<float>(new Case(n, c, h, w, 2, 2, 2, 2, 0, 0, 2, 7), 1e-6, ties: false);
    }

    /// <summary>float32 2×2/2 windows with many equal values (the vectorised CPU path) keep the first maximum.</summary>
    [Theory]
    [InlineData(3, 4, 28, 28)]
    [InlineData(2, 3, 14, 15)]
    [InlineData(2, 5, 7, 7)]
    public void Float32_two_by_two_ties_pick_the_first_maximum(int n, int c, int h, int w) =>
        Run<float>(new Case(n, c, h, w, 2, 2, 2, 2, 0, 0, 2, 11), 1e-6, ties: true);

    /// <summary>
    /// NaN propagates through max pooling: the first NaN of a window (row-major) is the result and its index the
    /// argmax, even after a larger number or before one; a window without NaN keeps its ordinary maximum. Padded
    /// 3×3/2 windows exercise the bounds checks; the backward pass routes dy to those indices.
    /// </summary>
    [Fact]
    public void NaN_wins_the_window_and_is_the_argmax()
    {
        NaNCase<float>();
        NaNCase<double>();
    }

    private void NaNCase<T>() where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        // x is 4×4: window (0,0) = rows 0–1 × cols 0–1 of the 2×2/2 geometry, and so on.
        double nan = double.NaN;
        double[] x =
        [
            5, nan, 9, 1,
            nan, 2, 3, 8,
            nan, 1, 4, 0,
            7, 6, 2, 3,
        ];
        var g = new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2);
        using var xb = backend.Upload(x.Select(T.CreateTruncating).ToArray());
        using var yb = backend.Allocate<T>(g.OutputLength);
        using var ab = backend.Allocate<int>(g.OutputLength);
        backend.MaxPool2dForward(g, xb.View, yb.View, ab.View);
        var y = yb.ToArray();
        // Window 0: 5 then NaN at index 1 (the first NaN, not the one at 4); window 1: no NaN, max 9 at 2;
        // window 2: NaN at 8 comes first and beats 7; window 3: max 4 at 10.
        Assert.Equal([1, 2, 8, 10], ab.ToArray());
        Assert.True(T.IsNaN(y[0]) && T.IsNaN(y[2]), $"NaN did not propagate: {string.Join(", ", y)}");
        Assert.Equal(9.0, double.CreateTruncating(y[1]));
        Assert.Equal(4.0, double.CreateTruncating(y[3]));

        // Padded 3×3/2 windows over the same plane: window (0,0) covers rows/cols −1..1 (NaN at 1 first).
        var gp = new Pool2dGeometry(1, 1, 4, 4, 3, 3, 2, 2, 1, 1);
        using var yp = backend.Allocate<T>(gp.OutputLength);
        using var ap = backend.Allocate<int>(gp.OutputLength);
        backend.MaxPool2dForward(gp, xb.View, yp.View, ap.View);
        // Windows: (0,0) rows 0–1 cols 0–1 → NaN at 1; (0,1) rows 0–1 cols 1–3 → NaN at 1;
        // (1,0) rows 1–3 cols 0–1 → NaN at 4; (1,1) rows 1–3 cols 1–3 → max 8 at 7.
        Assert.Equal([1, 1, 4, 7], ap.ToArray());

        using var dy = backend.Upload(new[] { 1.0, 2.0, 4.0, 8.0 }.Select(T.CreateTruncating).ToArray());
        using var dx = backend.Upload(Enumerable.Repeat(T.CreateTruncating(-1.0), 16).ToArray());
        backend.MaxPool2dBackward(gp, dy.View, ap.View, dx.View);
        var expected = new double[16];
        expected[1] = 3; expected[4] = 4; expected[7] = 8;
        Assert.Equal(expected, dx.ToArray().Select(double.CreateTruncating).ToArray());
    }

    [Fact]
    public void Bad_geometry_and_short_buffers_are_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new Pool2dGeometry(1, 1, 4, 4, 2, 2, 2, 2, 2, 0));
        Assert.Contains("padding 2×0 must be at most half the window 2×2", e.Message);
        var g = new Pool2dGeometry(1, 2, 4, 4, 2, 2, 2, 2);
        using var x = backend.Allocate<float>(g.InputLength - 1);
        using var y = backend.Allocate<float>(g.OutputLength);
        using var a = backend.Allocate<int>(g.OutputLength);
        var ex = Assert.Throws<ArgumentException>(() => backend.MaxPool2dForward<float>(g, x, y, a));
        Assert.Contains($"x has {g.InputLength - 1} elements, {g.InputLength} needed", ex.Message);
        var ry = Assert.Throws<ArgumentException>(() => backend.MaxPool2dGather<float>(g, y, a, y, 0));
        Assert.Contains("repeats", ry.Message);
    }

    private bool Run<T>(Case c, double tol, bool ties) where T : unmanaged
    {
        var g = c.Geometry;
        var rng = new Random(c.Seed);
        // Ties: draw from three values so windows often hold equal maxima.
        double[] x = Enumerable.Range(0, g.InputLength).Select(_ => ties ? rng.Next(3) : rng.NextDouble() * 2 - 1).ToArray();
        double[] dy = Enumerable.Range(0, g.OutputLength * c.Repeats).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        double[] xdot = Enumerable.Range(0, g.InputLength * c.Repeats).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var (yMax, arg, yAvg) = Forward(g, x);

        using var bx = Upload<T>(x);
        using var bdy = Upload<T>(dy);
        using var bxdot = Upload<T>(xdot);
        using var by = backend.Allocate<T>(g.OutputLength);
        using var barg = backend.Allocate<int>(g.OutputLength);
        using var bdx = backend.Allocate<T>(g.InputLength * c.Repeats);
        using var bydot = backend.Allocate<T>(g.OutputLength * c.Repeats);

        backend.MaxPool2dForward<T>(g, bx, by, barg);
        int[] gotArg = barg.ToArray();
        Assert.True(arg.SequenceEqual(gotArg), $"{c}: argmax differs");
        AssertClose(c, "max forward", yMax, Download(by), 0);

        backend.MaxPool2dBackward<T>(g, bdy, barg, bdx, c.Repeats);
        var dxRef = new double[g.InputLength * c.Repeats];
        int inPlane = g.H * g.W, outPlane = g.OutH * g.OutW, planes = g.N * g.C;
        for (int p = 0; p < planes * c.Repeats; p++)
            for (int o = 0; o < outPlane; o++)
                dxRef[p * inPlane + arg[(p % planes) * outPlane + o]] += dy[p * outPlane + o];
        AssertClose(c, "max backward", dxRef, Download(bdx), typeof(T) == typeof(float) ? 1e-6 : 1e-14);

        backend.MaxPool2dGather<T>(g, bxdot, barg, bydot, c.Repeats);
        var ydotRef = new double[g.OutputLength * c.Repeats];
        for (int p = 0; p < planes * c.Repeats; p++)
            for (int o = 0; o < outPlane; o++)
                ydotRef[p * outPlane + o] = xdot[p * inPlane + arg[(p % planes) * outPlane + o]];
        AssertClose(c, "max gather", ydotRef, Download(bydot), 0);

        backend.AvgPool2dForward<T>(g, bx, by);
        AssertClose(c, "avg forward", yAvg, Download(by), tol);

        using var bdy1 = Upload<T>(dy.AsSpan(0, g.OutputLength).ToArray());
        backend.AvgPool2dBackward<T>(g, bdy1, bdx);
        var avgBack = new double[g.InputLength];
        ForEachWindow(g, (p, o, h0, h1, w0, w1) =>
        {
            double share = dy[p * outPlane + o] / ((h1 - h0) * (w1 - w0));
            for (int h = h0; h < h1; h++)
                for (int w = w0; w < w1; w++) avgBack[p * inPlane + h * g.W + w] += share;
        });
        AssertClose(c, "avg backward", avgBack, Download(bdx).AsSpan(0, g.InputLength).ToArray(), tol);
        return true;
    }

    private static (double[] Max, int[] Arg, double[] Avg) Forward(Pool2dGeometry g, double[] x)
    {
        var max = new double[g.OutputLength];
        var arg = new int[g.OutputLength];
        var avg = new double[g.OutputLength];
        int inPlane = g.H * g.W, outPlane = g.OutH * g.OutW;
        ForEachWindow(g, (p, o, h0, h1, w0, w1) =>
        {
            double best = double.NegativeInfinity, sum = 0;
            int bi = -1;
            for (int h = h0; h < h1; h++)
                for (int w = w0; w < w1; w++)
                {
                    double v = x[p * inPlane + h * g.W + w];
                    sum += v;
                    if (bi < 0 || v > best) { best = v; bi = h * g.W + w; }
                }
            max[p * outPlane + o] = best;
            arg[p * outPlane + o] = bi;
            avg[p * outPlane + o] = sum / ((h1 - h0) * (w1 - w0));
        });
        return (max, arg, avg);
    }

    /// <summary>Calls <paramref name="f"/>(plane, output index, in-bounds window rows [h0,h1) and columns [w0,w1)).</summary>
    private static void ForEachWindow(Pool2dGeometry g, Action<int, int, int, int, int, int> f)
    {
        for (int p = 0; p < g.N * g.C; p++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int h0 = oh * g.StrideH - g.PadH, w0 = ow * g.StrideW - g.PadW;
                    f(p, oh * g.OutW + ow, Math.Max(0, h0), Math.Min(g.H, h0 + g.WindowH), Math.Max(0, w0), Math.Min(g.W, w0 + g.WindowW));
                }
    }

    private DeviceBuffer<T> Upload<T>(double[] v) where T : unmanaged =>
        typeof(T) == typeof(float)
            ? (DeviceBuffer<T>)(object)backend.Upload<float>(v.Select(d => (float)d).ToArray())
            : (DeviceBuffer<T>)(object)backend.Upload<double>(v);

    private static double[] Download<T>(DeviceBuffer<T> b) where T : unmanaged =>
        b is DeviceBuffer<float> f ? f.ToArray().Select(v => (double)v).ToArray() : ((DeviceBuffer<double>)(object)b).ToArray();

    private static void AssertClose(Case c, string what, double[] expected, double[] got, double tol)
    {
        double err = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i];
            err += (got[i] - e) * (got[i] - e);
            norm += e * e;
        }
        double rel = norm == 0 ? Math.Sqrt(err) : Math.Sqrt(err / norm);
        // Selection is exact, but float32 inputs were rounded on upload: 1e-7 covers that rounding only.
        double limit = tol == 0 ? 1e-7 : tol;
        Assert.True(rel <= limit, $"{c} {what}: relative error {rel:E2} > {limit:E0}");
    }
}

public sealed class PoolTestsCpu() : PoolTests(TestBackends.Cpu);

/// <summary>Pooling kernels on ILGPU's CPU accelerator (small sizes).</summary>
[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class PoolTestsIlgpuCpu() : PoolTests(TestBackends.IlgpuCpu);

/// <summary>Pooling kernels on the OpenCL device (PoCL here).</summary>
[Collection(TestBackends.OpenCLCollection)]
public sealed class PoolTestsOpenCL() : PoolTests(TestBackends.OpenCL);
