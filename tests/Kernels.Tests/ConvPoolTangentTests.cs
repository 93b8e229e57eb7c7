using Xunit;
using FsCheck;
using FsCheck.Fluent;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Kernels.Ops;
using Tangent.Kernels.Tests.Support;

namespace Tangent.Kernels.Tests;

/// <summary>
/// The CPU's fused conv-activation-maxpool tangent against a float64 host reference of its definition:
/// t[e, n, k, p] = f′(a[n, k, q])·(conv(ẋ_e, w) + conv(x, ẇ_e) + ḃ_e)[n, k, q], q = argmax[n, k, p], with the argmax
/// taken by the backend's own max pooling of the activation (so ties and borders are as in a plan). Geometries,
/// tangent counts (including ones that do not fill a vector), strides, padding, ReLU/tanh/σ, and the cases without
/// input or bias tangent from FsCheck.
/// </summary>
public sealed class ConvPoolTangentTests
{
    private static readonly CpuBackend Cpu = CpuBackend.Instance;

    public sealed record Case(int N, int C, int H, int W, int K, int RS, int Stride, int Pad, int Window, int Tangents, bool InputTangent,
        bool BiasTangent, DerivativeKind Activation, int Seed);

    private static Gen<Case> Cases(int minTangents) =>
        from n in Gen.Choose(1, 3)
        from c in Gen.Choose(1, 6)
        from k in Gen.Choose(1, 9)
        from h in Gen.Choose(3, 12)
        from w in Gen.Choose(3, 12)
        from rs in Gen.Choose(1, 3)
        from stride in Gen.Choose(1, 2)
        from pad in Gen.Choose(0, 1)
        from window in Gen.Choose(2, 3)
        from tangents in Gen.Choose(minTangents, 11)
        from input in Gen.Elements(true, false)
        from bias in Gen.Elements(true, false)
        from activation in Gen.Elements(DerivativeKind.Relu, DerivativeKind.TanhFromOutput, DerivativeKind.SigmoidFromOutput)
        from seed in Gen.Choose(0, int.MaxValue)
        where h + 2 * pad >= rs && w + 2 * pad >= rs
              && (h + 2 * pad - rs) / stride + 1 >= window && (w + 2 * pad - rs) / stride + 1 >= window
        select new Case(n, c, h, w, k, rs, stride, pad, window, tangents, input, bias, activation, seed);

    [Fact]
    public void Float32_matches_the_definition() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), Prop.ForAll(Cases(4).ToArbitrary(), c => Run<float>(c, 1e-5)));

    [Fact]
    public void Float64_matches_the_definition() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), Prop.ForAll(Cases(2).ToArbitrary(), c => Run<double>(c, 1e-12)));

    [Fact]
    public void Few_tangents_other_activations_and_other_backends_are_not_served()
    {
        var g = new Conv2dGeometry(2, 3, 8, 8, 4, 3, 3, padH: 1, padW: 1);
        var pool = new Pool2dGeometry(2, 4, 8, 8, 2, 2, 2, 2);
        Assert.True(Cpu.SupportsConvActivationMaxPoolTangent<float>(g, pool, 8, DerivativeKind.Relu));
        Assert.True(Cpu.SupportsConvActivationMaxPoolCotangent<float>(g, pool, 8, DerivativeKind.SigmoidFromOutput));
        Assert.False(Cpu.SupportsConvActivationMaxPoolTangent<float>(g, pool, 1, DerivativeKind.Relu));
        Assert.False(Cpu.SupportsConvActivationMaxPoolTangent<float>(g, new Pool2dGeometry(2, 4, 9, 8, 2, 2, 2, 2), 8, DerivativeKind.Relu));
        // √ and 1/x derivatives are kinds of the same enum, but the fused kernels have no activation for them.
        Assert.False(Cpu.SupportsConvActivationMaxPoolTangent<float>(g, pool, 8, DerivativeKind.SqrtFromOutput));
        Assert.False(Cpu.SupportsConvActivationMaxPoolCotangent<double>(g, pool, 8, DerivativeKind.ReciprocalFromOutput));
        Assert.False(TestBackends.IlgpuCpu is IConvActivationMaxPoolTangent);
        Assert.False(TestBackends.IlgpuCpu is IConvActivationMaxPoolCotangent);
    }

    [Fact]
    public void Cotangent_float32_matches_the_definition() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), Prop.ForAll(Cases(4).ToArbitrary(), c => RunCotangent<float>(c, 1e-5)));

    [Fact]
    public void Cotangent_float64_matches_the_definition() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), Prop.ForAll(Cases(2).ToArbitrary(), c => RunCotangent<double>(c, 1e-12)));

    /// <summary>
    /// The reverse sweep: g = f′(a)·c̄ placed at the argmax positions, then dW = Σ g·patch(x), dx = convᵀ(g, W),
    /// db = Σ g, per cotangent set (InputTangent/BiasTangent of the case select whether dx/db are asked for).
    /// </summary>
    private static bool RunCotangent<T>(Case c, double tol) where T : unmanaged
    {
        var g = new Conv2dGeometry(c.N, c.C, c.H, c.W, c.K, c.RS, c.RS, c.Stride, c.Stride, c.Pad, c.Pad);
        var pool = new Pool2dGeometry(c.N, c.K, g.OutH, g.OutW, c.Window, c.Window, 2, 2);
        if (!Cpu.SupportsConvActivationMaxPoolCotangent<T>(g, pool, c.Tangents, c.Activation)) throw new InvalidOperationException($"{c}: not served");
        var rng = new Random(c.Seed);
        double[] Values(int count) => Enumerable.Range(0, count).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        int e = c.Tangents, pq = g.OutH * g.OutW, pp = pool.OutH * pool.OutW;
        var x = Values(g.InputLength);
        var w = Values(g.WeightLength);
        var ct = Values(e * pool.OutputLength);
        var a = ActivationValues<T>(c.Activation, Values(g.OutputLength));
        var (da, argmax, arg) = Pooled<T>(c.Activation, pool, a);
        using var daOwner = da;
        using var argmaxOwner = argmax;
        using var dx = Cpu.Upload(GemmTests.Convert<T>(x));
        using var dw = Cpu.Upload(GemmTests.Convert<T>(w));
        using var dct = Cpu.Upload(GemmTests.Convert<T>(ct));
        using var gw = Cpu.Upload(GemmTests.Convert<T>(Enumerable.Repeat(double.NaN, e * g.WeightLength).ToArray()));
        using var gx = Cpu.Upload(GemmTests.Convert<T>(Enumerable.Repeat(double.NaN, e * g.InputLength).ToArray()));
        using var gb = Cpu.Upload(GemmTests.Convert<T>(Enumerable.Repeat(double.NaN, e * c.K).ToArray()));
        Cpu.ConvActivationMaxPoolCotangent<T>(g, pool, e, c.Activation, dct, argmax, da, dx, dw, gw,
            c.InputTangent ? gx.View : default, c.BiasTangent ? gb.View : default);

        var wantW = new double[e * g.WeightLength];
        var scaleW = new double[wantW.Length];
        var wantX = new double[e * g.InputLength];
        var scaleX = new double[wantX.Length];
        var wantB = new double[e * c.K];
        var scaleB = new double[wantB.Length];
        for (int k = 0; k < e; k++)
            for (int n = 0; n < c.N; n++)
                for (int ch = 0; ch < c.K; ch++)
                    for (int p = 0; p < pp; p++)
                    {
                        int pos = arg[(n * c.K + ch) * pp + p];
                        double av = a[(n * c.K + ch) * pq + pos];
                        double slope = Slope(c.Activation, av);
                        double gv = slope * ct[((k * c.N + n) * c.K + ch) * pp + p];
                        wantB[k * c.K + ch] += gv;
                        scaleB[k * c.K + ch] += Math.Abs(gv);
                        int oh = pos / g.OutW, ow = pos % g.OutW;
                        for (int ci = 0; ci < c.C; ci++)
                            for (int r = 0; r < c.RS; r++)
                                for (int s = 0; s < c.RS; s++)
                                {
                                    int ih = oh * c.Stride - c.Pad + r, iw = ow * c.Stride - c.Pad + s;
                                    if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                                    int xi = ((n * c.C + ci) * c.H + ih) * c.W + iw, wi = ((ch * c.C + ci) * c.RS + r) * c.RS + s;
                                    wantW[k * g.WeightLength + wi] += gv * x[xi];
                                    scaleW[k * g.WeightLength + wi] += Math.Abs(gv * x[xi]);
                                    wantX[k * g.InputLength + xi] += gv * w[wi];
                                    scaleX[k * g.InputLength + xi] += Math.Abs(gv * w[wi]);
                                }
                    }
        void Compare(string what, double[] want, double[] scale, double[] got)
        {
            double err = 0, norm = 0;
            for (int i = 0; i < want.Length; i++)
            {
                if (scale[i] == 0) Assert.True(got[i] == 0, $"{c} {what}[{i}]: expected an exact 0, got {got[i]}");
                err += (got[i] - want[i]) * (got[i] - want[i]);
                norm += scale[i] * scale[i];
            }
            double rel = Math.Sqrt(err) / Math.Max(Math.Sqrt(norm), 1e-300);
            Assert.True(rel <= tol, $"{c} {what}: relative error {rel:E2} > {tol:E0}");
        }
        Compare("dw", wantW, scaleW, GemmTests.ToDouble(gw.ToArray()));
        if (c.InputTangent) Compare("dx", wantX, scaleX, GemmTests.ToDouble(gx.ToArray()));
        if (c.BiasTangent) Compare("db", wantB, scaleB, GemmTests.ToDouble(gb.ToArray()));
        return true;
    }

    /// <summary>a, what f′ reads (ReLU: the pre-activation; tanh, σ: their outputs), rounded to T.</summary>
    private static double[] ActivationValues<T>(DerivativeKind activation, double[] pre) where T : unmanaged =>
        GemmTests.ToDouble(GemmTests.Convert<T>(activation switch
        {
            DerivativeKind.Relu => pre,
            DerivativeKind.TanhFromOutput => pre.Select(Math.Tanh).ToArray(),
            _ => pre.Select(v => 1 / (1 + Math.Exp(-v))).ToArray(),
        }));

    /// <summary>a on the device, and the argmax of the backend's own max pooling of the activation (buffers for the caller to dispose).</summary>
    private static (DeviceBuffer<T> A, DeviceBuffer<int> Argmax, int[] Arg) Pooled<T>(DerivativeKind activation, Pool2dGeometry pool, double[] a)
        where T : unmanaged
    {
        var activated = activation == DerivativeKind.Relu ? a.Select(v => Math.Max(v, 0)).ToArray() : a;
        var da = Cpu.Upload(GemmTests.Convert<T>(a));
        using var act = Cpu.Upload(GemmTests.Convert<T>(activated));
        using var pooled = Cpu.Allocate<T>(pool.OutputLength);
        var argmax = Cpu.Allocate<int>(pool.OutputLength);
        Cpu.MaxPool2dForward<T>(pool, act, pooled, argmax);
        return (da, argmax, argmax.ToArray());
    }

    /// <summary>f′ from a.</summary>
    private static double Slope(DerivativeKind activation, double a) => activation switch
    {
        DerivativeKind.Relu => a > 0 ? 1 : 0,
        DerivativeKind.TanhFromOutput => 1 - a * a,
        _ => a * (1 - a),
    };

    private static bool Run<T>(Case c, double tol) where T : unmanaged
    {
        var g = new Conv2dGeometry(c.N, c.C, c.H, c.W, c.K, c.RS, c.RS, c.Stride, c.Stride, c.Pad, c.Pad);
        var pool = new Pool2dGeometry(c.N, c.K, g.OutH, g.OutW, c.Window, c.Window, 2, 2);
        if (!Cpu.SupportsConvActivationMaxPoolTangent<T>(g, pool, c.Tangents, c.Activation)) throw new InvalidOperationException($"{c}: not served");
        var rng = new Random(c.Seed);
        double[] Values(int count) => Enumerable.Range(0, count).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        int e = c.Tangents;
        var x = Values(g.InputLength);
        var w = Values(g.WeightLength);
        var xdot = Values(e * g.InputLength);
        var wdot = Values(e * g.WeightLength);
        var bdot = Values(e * c.K);
        var a = ActivationValues<T>(c.Activation, Values(g.OutputLength));
        var (dz, argmax, arg) = Pooled<T>(c.Activation, pool, a);
        using var dzOwner = dz;
        using var argmaxOwner = argmax;

        using var dx = Cpu.Upload(GemmTests.Convert<T>(x));
        using var dw = Cpu.Upload(GemmTests.Convert<T>(w));
        using var dxdot = Cpu.Upload(GemmTests.Convert<T>(xdot));
        using var dwdot = Cpu.Upload(GemmTests.Convert<T>(wdot));
        using var dbdot = Cpu.Upload(GemmTests.Convert<T>(bdot));
        using var t = Cpu.Upload(GemmTests.Convert<T>(Enumerable.Repeat(double.NaN, e * pool.OutputLength).ToArray()));
        Cpu.ConvActivationMaxPoolTangent<T>(g, pool, e, c.Activation, dx, dw, c.InputTangent ? dxdot.View : default, dwdot,
            c.BiasTangent ? dbdot.View : default, dz, argmax, t);
        var got = GemmTests.ToDouble(t.ToArray());

        int pq = g.OutH * g.OutW, pp = pool.OutH * pool.OutW;
        double err = 0, norm = 0;
        for (int k = 0; k < e; k++)
            for (int n = 0; n < c.N; n++)
                for (int ch = 0; ch < c.K; ch++)
                    for (int p = 0; p < pp; p++)
                    {
                        int pos = arg[(n * c.K + ch) * pp + p];
                        double want = 0, scale = 0;
                        double av = a[(n * c.K + ch) * pq + pos];
                        double slope = Slope(c.Activation, av);
                        if (slope != 0)
                        {
                            int oh = pos / g.OutW, ow = pos % g.OutW;
                            for (int ci = 0; ci < c.C; ci++)
                                for (int r = 0; r < c.RS; r++)
                                    for (int s = 0; s < c.RS; s++)
                                    {
                                        int ih = oh * c.Stride - c.Pad + r, iw = ow * c.Stride - c.Pad + s;
                                        if (ih < 0 || ih >= c.H || iw < 0 || iw >= c.W) continue;
                                        int xi = ((n * c.C + ci) * c.H + ih) * c.W + iw, wi = ((ch * c.C + ci) * c.RS + r) * c.RS + s;
                                        double term = x[xi] * wdot[k * g.WeightLength + wi];
                                        if (c.InputTangent) term += xdot[k * g.InputLength + xi] * w[wi];
                                        want += term;
                                        scale += Math.Abs(x[xi] * wdot[k * g.WeightLength + wi]) + (c.InputTangent ? Math.Abs(xdot[k * g.InputLength + xi] * w[wi]) : 0);
                                    }
                            if (c.BiasTangent)
                            {
                                want += bdot[k * c.K + ch];
                                scale += Math.Abs(bdot[k * c.K + ch]);
                            }
                            want *= slope;
                            scale *= Math.Abs(slope);
                        }
                        double v = got[((k * c.N + n) * c.K + ch) * pp + p];
                        if (scale == 0) Assert.True(v == 0, $"{c}: expected an exact 0 at tangent {k}, image {n}, channel {ch}, output {p}; got {v}");
                        err += (v - want) * (v - want);
                        norm += scale * scale;
                    }
        double rel = Math.Sqrt(err) / Math.Max(Math.Sqrt(norm), 1e-300);
        Assert.True(rel <= tol, $"{c}: relative error {rel:E2} > {tol:E0}");
        return true;
    }
}
