using Xunit;
using FsCheck;
using FsCheck.Fluent;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Tests.Support;

namespace Tangent.Kernels.Tests;

/// <summary>
/// conv2d forward, backward-input and backward-weight on one backend against direct float64 loops written from
/// the definition y[n,k,oh,ow] = Σ_{c,r,s} x[n,c,oh·sh−ph+r, ow·sw−pw+s]·w[k,c,r,s]. Geometries (stride, padding,
/// kernel larger than stride, 1×1 images) and values come from FsCheck. Error measured as for GEMM, against the
/// norm of the same sums over absolute values: ≤ 1e-5 in float32 (at most a few hundred terms), ≤ 1e-12 in float64.
/// </summary>
public abstract class ConvTests(Backend backend)
{
    private bool Fast => backend.Info.Kind == DeviceKind.Cpu;

    /// <summary>One generated convolution problem.</summary>
    public sealed record Case(int N, int C, int H, int W, int K, int R, int S, int StrideH, int StrideW, int PadH, int PadW,
        double Beta, int Seed)
    {
        public Conv2dGeometry Geometry => new(N, C, H, W, K, R, S, StrideH, StrideW, PadH, PadW);
        public override string ToString() =>
            $"x[{N},{C},{H},{W}] w[{K},{C},{R},{S}] stride {StrideH}×{StrideW} pad {PadH}×{PadW} beta={Beta} seed={Seed}";
    }

    private Gen<Case> Cases(int maxBatch, int maxChannels, int maxSide) =>
        from n in Gen.Choose(1, maxBatch)
        from c in Gen.Choose(1, maxChannels)
        from k in Gen.Choose(1, maxChannels + 2)
        from h in Gen.Choose(1, maxSide)
        from w in Gen.Choose(1, maxSide)
        from r in Gen.Choose(1, 4)
        from s in Gen.Choose(1, 4)
        from sh in Gen.Choose(1, 3)
        from sw in Gen.Choose(1, 3)
        from ph in Gen.Choose(0, 2)
        from pw in Gen.Choose(0, 2)
        from beta in Gen.Elements(0.0, 1.0, -0.5)
        from seed in Gen.Choose(0, int.MaxValue)
        where h + 2 * ph >= r && w + 2 * pw >= s
        select new Case(n, c, h, w, k, r, s, sh, sw, ph, pw, beta, seed);

    [Fact]
    public void Float32_matches_reference_on_generated_geometries() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Fast ? 60 : 10),
            Prop.ForAll(Cases(Fast ? 4 : 2, Fast ? 6 : 3, Fast ? 16 : 7).ToArbitrary(), c => RunAll<float>(c, 1e-5)));

    [Fact]
    public void Float64_matches_reference_on_generated_geometries() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Fast ? 40 : 6),
            Prop.ForAll(Cases(Fast ? 4 : 2, Fast ? 6 : 3, Fast ? 16 : 7).ToArbitrary(), c => RunAll<double>(c, 1e-12)));

    /// <summary>The FashionMNIST CNN's layers (3×3, pad 1) and a LeNet layer; batches big enough for the threaded paths.</summary>
    [Theory]
    [InlineData(12, 1, 28, 28, 16, 3, 1)]
    [InlineData(6, 16, 14, 14, 32, 3, 1)]
    [InlineData(5, 32, 7, 7, 64, 3, 1)]
    [InlineData(3, 6, 12, 12, 16, 5, 0)]
    [InlineData(1, 40, 9, 9, 20, 3, 1)]
    public void Network_layers_match_reference(int n, int c, int h, int w, int k, int rs, int pad)
    {
        if (!Fast) { n = 1; c = Math.Min(c, 4); h = Math.Min(h, 7); w = Math.Min(w, 7); k = Math.Min(k, 4); }
        var cs = new Case(n, c, h, w, k, rs, rs, 1, 1, pad, pad, 0.5, n * 31 + c);
        RunAll<float>(cs, 1e-5);
        RunAll<double>(cs with { Beta = 0 }, 1e-12);
    }

    /// <summary>
    /// Few-tap geometries (C·R·S ≤ 32, unit stride, rows of at least 8 outputs): the CPU backend's direct kernel
    /// serves their forward product (channel blocks of 16 and of 4 with remainders, row tails, the last row's
    /// partial store), the other backends their usual paths.
    /// </summary>
    [Fact]
    public void Few_tap_unit_stride_geometries_match_reference() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Fast ? 40 : 4),
            Prop.ForAll((
                from n in Gen.Choose(1, Fast ? 3 : 1)
                from c in Gen.Choose(1, 3)
                from r in Gen.Choose(1, 5)
                from s in Gen.Choose(1, 5)
                from k in Gen.Choose(1, Fast ? 40 : 5)
                from h in Gen.Choose(1, Fast ? 20 : 4)
                from w in Gen.Choose(8, Fast ? 40 : 12)
                from ph in Gen.Choose(0, 2)
                from pw in Gen.Choose(0, 2)
                from seed in Gen.Choose(0, int.MaxValue)
                where c * r * s <= 32 && h + 2 * ph >= r && w + 2 * pw - s + 1 >= 8
                select new Case(n, c, h, w, k, r, s, 1, 1, ph, pw, 0.0, seed)).ToArbitrary(),
                cs => RunAll<float>(cs, 1e-5) && RunAll<double>(cs, 1e-12)));

    /// <summary>
    /// Conv2dForwardSets: E weight sets on one shared input give y[E, N, K, OH, OW], each set equal to its own
    /// reference convolution. Geometries include few-tap ones (the CPU's direct kernel, channel blocks crossing set
    /// boundaries when K is not a multiple of 4) and larger ones (the CPU's stacked GEMM path plus block copies).
    /// </summary>
    [Fact]
    public void Weight_sets_on_a_shared_input_match_per_set_references() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Fast ? 30 : 4),
            Prop.ForAll((
                from sets in Gen.Choose(2, 4)
                from n in Gen.Choose(1, Fast ? 3 : 1)
                from c in Gen.Choose(1, Fast ? 8 : 3)
                from rs in Gen.Choose(1, 3)
                from k in Gen.Choose(1, Fast ? 9 : 3)
                from h in Gen.Choose(2, Fast ? 12 : 5)
                from w in Gen.Choose(6, Fast ? 20 : 9)
                from pad in Gen.Choose(0, 1)
                from seed in Gen.Choose(0, int.MaxValue)
                where h + 2 * pad >= rs
                select (Sets: sets, Case: new Case(n, c, h, w, k, rs, rs, 1, 1, pad, pad, 0.0, seed))).ToArbitrary(),
                t => RunSets<float>(t.Case, t.Sets, 1e-5) && RunSets<double>(t.Case, t.Sets, 1e-12)));

    private bool RunSets<T>(Case c, int sets, double tol) where T : unmanaged
    {
        var g = c.Geometry;
        var rng = new Random(c.Seed);
        var x = Values(rng, g.InputLength);
        var w = Values(rng, sets * g.WeightLength);
        using var dx = backend.Upload(GemmTests.Convert<T>(x));
        using var dW = backend.Upload(GemmTests.Convert<T>(w));
        using var y = backend.Upload(GemmTests.Convert<T>(Enumerable.Repeat(double.NaN, sets * g.OutputLength).ToArray()));
        backend.Conv2dForwardSets<T>(g, sets, dx, dW, y);
        var got = GemmTests.ToDouble(y.ToArray());
        for (int e = 0; e < sets; e++)
        {
            var we = w.Skip(e * g.WeightLength).Take(g.WeightLength).ToArray();
            var (yRef, _, _) = Reference(g, x, we, new double[g.OutputLength]);
            var (yAbs, _, _) = Reference(g, Abs(x), Abs(we), new double[g.OutputLength]);
            Compare(c, $"forward set {e} of {sets}", yRef, yAbs, got.Skip(e * g.OutputLength).Take(g.OutputLength).ToArray(), tol);
        }
        return true;
    }

    /// <summary>
    /// A padded convolution, an unpadded one on an image of the same size (which reuses the padded-image scratch on
    /// the CPU path), then the padded one again: the last must equal the first exactly. Pins the CPU scratch cache,
    /// which once kept stale borders after an unpadded copy (found by a residual-block test with 1×1 shortcuts).
    /// </summary>
    [Fact]
    public void Padded_convolution_after_an_unpadded_one_is_unchanged()
    {
        var padded = new Conv2dGeometry(2, 3, 6, 6, 4, 3, 3, padH: 1, padW: 1);
        var plain = new Conv2dGeometry(2, 3, 6, 6, 4, 1, 1);
        var rng = new Random(5);
        using var x = backend.Upload(Values(rng, padded.InputLength).Select(v => (float)v).ToArray());
        using var w3 = backend.Upload(Values(rng, padded.WeightLength).Select(v => (float)v).ToArray());
        using var w1 = backend.Upload(Values(rng, plain.WeightLength).Select(v => (float)v).ToArray());
        using var y = backend.Allocate<float>(padded.OutputLength);
        using var y1 = backend.Allocate<float>(plain.OutputLength);
        using var dw1 = backend.Allocate<float>(plain.WeightLength);
        backend.Conv2dForward<float>(padded, x, w3, y);
        float[] first = y.ToArray();
        backend.Conv2dForward<float>(plain, x, w1, y1);
        backend.Conv2dBackwardWeight<float>(plain, x, y1, dw1, 0f);
        backend.Fill<float>(y, float.NaN);
        backend.Conv2dForward<float>(padded, x, w3, y);
        Assert.Equal(first, y.ToArray());
    }

    [Fact]
    public void Shape_errors_name_the_tensor_and_geometry()
    {
        var g = new Conv2dGeometry(2, 3, 5, 5, 4, 3, 3, padH: 1, padW: 1);
        using var x = backend.Allocate<float>(g.InputLength);
        using var w = backend.Allocate<float>(g.WeightLength - 1);
        using var y = backend.Allocate<float>(g.OutputLength);
        var e = Assert.Throws<ArgumentException>(() => backend.Conv2dForward<float>(g, x, w, y));
        Assert.Contains($"w has {g.WeightLength - 1} elements but {g.WeightLength} are needed", e.Message);
        Assert.Contains("weight [4,3,3,3]", e.Message);
        using var small = backend.Allocate<float>(10);
        using var wOk = backend.Allocate<float>(g.WeightLength);
        e = Assert.Throws<ArgumentException>(() => backend.Conv2dBackwardInput<float>(g, small, wOk, x));
        Assert.Contains("dy has 10 elements", e.Message);
        var bad = Assert.Throws<ArgumentException>(() => new Conv2dGeometry(1, 1, 2, 2, 1, 5, 5));
        Assert.Contains("kernel 5×5 is larger than the padded input 2×2", bad.Message);
    }

    private bool RunAll<T>(Case c, double tol) where T : unmanaged
    {
        var g = c.Geometry;
        var rng = new Random(c.Seed);
        var x = Values(rng, g.InputLength);
        var w = Values(rng, g.WeightLength);
        var dy = Values(rng, g.OutputLength);
        var dw0 = Values(rng, g.WeightLength);
        var (yRef, dxRef, dwRef) = Reference(g, x, w, dy);
        // The same sums over |x|, |w|, |dy|: the size of the terms, the yardstick for round-off (see Compare).
        var (yAbs, dxAbs, dwAbs) = Reference(g, Abs(x), Abs(w), Abs(dy));
        for (int i = 0; i < dwRef.Length; i++)
        {
            dwRef[i] += c.Beta == 0 ? 0 : c.Beta * dw0[i];
            dwAbs[i] += Math.Abs(c.Beta * dw0[i]);
        }
        if (c.Beta == 0) Array.Fill(dw0, double.NaN);

        using var dx = backend.Upload(GemmTests.Convert<T>(x));
        using var dW = backend.Upload(GemmTests.Convert<T>(w));
        using var dDy = backend.Upload(GemmTests.Convert<T>(dy));
        using var y = backend.Upload(GemmTests.Convert<T>(Enumerable.Repeat(double.NaN, g.OutputLength).ToArray()));
        using var gx = backend.Upload(GemmTests.Convert<T>(Enumerable.Repeat(double.NaN, g.InputLength).ToArray()));
        using var gw = backend.Upload(GemmTests.Convert<T>(dw0));

        backend.Conv2dForward<T>(g, dx, dW, y);
        Compare(c, "forward", yRef, yAbs, GemmTests.ToDouble(y.ToArray()), tol);
        backend.Conv2dBackwardInput<T>(g, dDy, dW, gx);
        Compare(c, "backward-input", dxRef, dxAbs, GemmTests.ToDouble(gx.ToArray()), tol);
        backend.Conv2dBackwardWeight<T>(g, dx, dDy, gw, GemmTests.Scalar<T>(c.Beta));
        Compare(c, "backward-weight", dwRef, dwAbs, GemmTests.ToDouble(gw.ToArray()), tol);
        return true;
    }

    /// <summary>Direct loops: y = conv(x, w), dx = ∂⟨dy, y⟩/∂x, dw = ∂⟨dy, y⟩/∂w.</summary>
    private static (double[] Y, double[] Dx, double[] Dw) Reference(Conv2dGeometry g, double[] x, double[] w, double[] dy)
    {
        var y = new double[g.OutputLength];
        var dx = new double[g.InputLength];
        var dw = new double[g.WeightLength];
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        int yi = ((n * g.K + k) * g.OutH + oh) * g.OutW + ow;
                        double acc = 0;
                        for (int c = 0; c < g.C; c++)
                            for (int r = 0; r < g.R; r++)
                                for (int s = 0; s < g.S; s++)
                                {
                                    int ih = oh * g.StrideH - g.PadH + r, iw = ow * g.StrideW - g.PadW + s;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    int xi = ((n * g.C + c) * g.H + ih) * g.W + iw;
                                    int wi = ((k * g.C + c) * g.R + r) * g.S + s;
                                    acc += x[xi] * w[wi];
                                    dx[xi] += dy[yi] * w[wi];
                                    dw[wi] += dy[yi] * x[xi];
                                }
                        y[yi] = acc;
                    }
        return (y, dx, dw);
    }

    /// <summary>‖got − expected‖ / ‖scale‖ ≤ tol, where scale sums the terms' absolute values (outputs can cancel).</summary>
    private static void Compare(Case c, string what, double[] expected, double[] scale, double[] got, double tol)
    {
        double err = 0, norm = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            err += (got[i] - expected[i]) * (got[i] - expected[i]);
            norm += scale[i] * scale[i];
        }
        double rel = Math.Sqrt(err) / Math.Max(Math.Sqrt(norm), 1e-300);
        // An all-zero reference (every tap in the padding) must come back exactly zero.
        if (norm == 0) Assert.True(err == 0, $"{c} {what}: expected zeros, error {err:E2}");
        else Assert.True(rel <= tol, $"{c} {what}: relative error {rel:E2} > {tol:E0}");
    }

    private static double[] Abs(double[] v) => v.Select(Math.Abs).ToArray();

    private static double[] Values(Random rng, int count)
    {
        var v = new double[count];
        for (int i = 0; i < v.Length; i++) v[i] = rng.NextDouble() * 2 - 1;
        return v;
    }
}

/// <summary>conv2d on the managed SIMD backend.</summary>
public sealed class ConvTestsCpu() : ConvTests(TestBackends.Cpu);

/// <summary>conv2d kernels on ILGPU's CPU accelerator (small sizes).</summary>
[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class ConvTestsIlgpuCpu() : ConvTests(TestBackends.IlgpuCpu);

/// <summary>conv2d kernels on the OpenCL device (PoCL here) (small sizes).</summary>
[Collection(TestBackends.OpenCLCollection)]
public sealed class ConvTestsOpenCL() : ConvTests(TestBackends.OpenCL);
