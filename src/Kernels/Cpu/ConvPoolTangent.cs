using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

/// <summary>
/// The forward-mode tangent of max-pool(f(conv(x, w) + b)) for E tangents at once, evaluated only where max pooling
/// reads: t[e, n, k, i, j] = f′(a[n, k, p])·(conv(ẋ_e, w) + conv(x, ẇ_e) + ḃ_e)[n, k, p] with p = argmax[n, k, i, j].
/// The dense route computes both convolutions at every output position and then throws away all but one position of
/// each pooling window (3 of 4 for 2×2 pooling, more where pooling drops a border row); this computes each kept
/// output as one dot product over the C·R·S taps, for all E tangents in one vector: the tangents are first copied to
/// an E-innermost layout (ẋ as [N, C, H+2ph, W+2pw, Ê] with zero borders, ẇ as [K, C·R·S, Ê], Ê = E rounded up to
/// the vector width), so each tap costs one vector load and one FMA per operand. Outputs with f′ = 0 (an inactive
/// ReLU) are skipped outright.
/// </summary>
internal static unsafe class ConvPoolTangent
{
    /// <summary>Pooled outputs (of one image and channel) per register block; they share the weight loads.</summary>
    private const int Block = 4;

    /// <summary>Whether the fused kernel serves this case: 256-bit vectors and at least half a vector of tangents.</summary>
    public static bool Suits<F>(in Conv2dGeometry g, int tangents) where F : unmanaged
        => Vector256.IsHardwareAccelerated && tangents >= Vector256<F>.Count / 2;

    /// <summary>Runs the fused tangent; <paramref name="xdot"/> (and then <paramref name="w"/>) may be null.</summary>
    public static void Run<F>(in Conv2dGeometry g, in Pool2dGeometry pool, int tangents, DerivativeKind activation, F* x, F* w,
        F* xdot, F* wdot, F* bdot, F* z, int* argmax, F* t) where F : unmanaged, INumber<F>
    {
        int v = Vector256<F>.Count;
        int lanes = (tangents + v - 1) / v * v;
        int hp = g.H + 2 * g.PadH, wp = g.W + 2 * g.PadW, taps = g.C * g.R * g.S;
        long plane = (long)hp * wp;
        long xpLen = (long)g.N * g.C * plane;
        // Padded primal input [N, C, Hp, Wp]; E-innermost padded input tangents [N, C, Hp, Wp, Ê]; weight tangents [K, taps, Ê].
        F* xp = (F*)GemmScratch.Get(GemmScratch.FusedPrimalSlot, (nuint)(xpLen * sizeof(F)));
        F* xdT = xdot == null ? null : (F*)GemmScratch.Get(GemmScratch.FusedTangentSlot, (nuint)(xpLen * lanes * sizeof(F)));
        F* wdT = (F*)GemmScratch.Get(GemmScratch.FusedWeightSlot, (nuint)((long)g.K * taps * lanes * sizeof(F)));
        // Layout changes, one (image, channel) plane or one filter per task, in parallel with the products' own split.
        var prep = new Prep<F> { G = g, Tangents = tangents, Lanes = lanes, X = x, Xdot = xdot, Wdot = wdot, Xp = xp, XdT = xdT, WdT = wdT };
        int prepItems = g.N * g.C + g.K;
        if ((long)prepItems * plane * lanes < 1 << 14) prep.Range(0, prepItems);
        else
        {
            prep.Tasks = Math.Min(prepItems, 4 * CpuParallel.ThreadCount);
            CpuParallel.For(prep.Tasks, prep);
        }

        var body = new Body<F>
        {
            G = g, Pool = pool, Tangents = tangents, Lanes = lanes, Activation = activation, Xp = xp, W = w, XdT = xdT, WdT = wdT, Bdot = bdot,
            Z = z, Argmax = argmax, T = t,
        };
        int items = g.N * g.K;
        double work = 2.0 * items * pool.OutH * pool.OutW * taps * lanes * (xdT == null ? 1 : 2);
        if (work < GemmPlan.ParallelThreshold) body.Range(0, items);
        else
        {
            body.Tasks = Math.Min(items, 4 * CpuParallel.ThreadCount);
            CpuParallel.For(body.Tasks, body);
        }
    }

    /// <summary>Items [0, N·C): pad plane nc of x and of the E-innermost ẋ; items [N·C, N·C + K): filter k of ẇ.</summary>
    private struct Prep<F> : IParallelBody where F : unmanaged, INumber<F>
    {
        public Conv2dGeometry G;
        public int Tangents, Lanes, Tasks;
        public F* X, Xdot, Wdot, Xp, XdT, WdT;

        public readonly void Run(int task)
        {
            int items = G.N * G.C + G.K;
            Range((int)((long)items * task / Tasks), (int)((long)items * (task + 1) / Tasks));
        }

        public readonly void Range(int from, int to)
        {
            int hp = G.H + 2 * G.PadH, wp = G.W + 2 * G.PadW, taps = G.C * G.R * G.S, planes = G.N * G.C;
            long plane = (long)hp * wp, stride = (long)G.N * G.C * G.H * G.W, wLen = (long)G.K * taps;
            for (int item = from; item < to; item++)
            {
                if (item < planes)
                {
                    long nc = item;
                    F* xp = Xp + nc * plane;
                    new Span<F>(xp, (int)plane).Clear();
                    for (int h = 0; h < G.H; h++)
                        new Span<F>(X + nc * G.H * G.W + (long)h * G.W, G.W).CopyTo(new Span<F>(xp + (long)(h + G.PadH) * wp + G.PadW, G.W));
                    if (XdT == null) continue;
                    F* xd = XdT + nc * plane * Lanes;
                    new Span<F>(xd, (int)(plane * Lanes)).Clear();
                    for (int e = 0; e < Tangents; e++)
                    {
                        F* src = Xdot + e * stride + nc * G.H * G.W;
                        for (int h = 0; h < G.H; h++)
                        {
                            F* dst = xd + ((long)(h + G.PadH) * wp + G.PadW) * Lanes + e;
                            F* row = src + (long)h * G.W;
                            for (int col = 0; col < G.W; col++) dst[(long)col * Lanes] = row[col];
                        }
                    }
                }
                else
                {
                    long k = item - planes;
                    F* dst = WdT + k * taps * Lanes;
                    if (Lanes != Tangents) new Span<F>(dst, taps * Lanes).Clear();
                    for (int e = 0; e < Tangents; e++)
                    {
                        F* src = Wdot + e * wLen + k * taps;
                        for (int i = 0; i < taps; i++) dst[(long)i * Lanes + e] = src[i];
                    }
                }
            }
        }
    }

    private struct Body<F> : IParallelBody where F : unmanaged, INumber<F>
    {
        public Conv2dGeometry G;
        public Pool2dGeometry Pool;
        public int Tangents, Lanes, Tasks;
        public DerivativeKind Activation;
        public F* Xp, W, XdT, WdT, Bdot, Z, T;
        public int* Argmax;

        public readonly void Run(int task) => Range((int)((long)G.N * G.K * task / Tasks), (int)((long)G.N * G.K * (task + 1) / Tasks));

        /// <summary>(image, channel) pairs [from, to).</summary>
        public readonly void Range(int from, int to)
        {
            int taps = G.C * G.R * G.S, wp = G.W + 2 * G.PadW, hp = G.H + 2 * G.PadH;
            int pooled = Pool.OutH * Pool.OutW, plane = G.OutH * G.OutW;
            long tangentStride = (long)G.N * G.K * pooled;
            int* offsets = stackalloc int[taps];
            int* scaled = stackalloc int[taps];
            for (int c = 0, i = 0; c < G.C; c++)
                for (int r = 0; r < G.R; r++)
                    for (int s = 0; s < G.S; s++, i++)
                    {
                        offsets[i] = (c * hp + r) * wp + s;
                        scaled[i] = offsets[i] * Lanes;
                    }
            int* active = stackalloc int[pooled];
            int* origin = stackalloc int[pooled];
            F* factor = stackalloc F[pooled];
            // Padded-image offset of the receptive field of each conv output position (no division per output).
            int* field = stackalloc int[plane];
            for (int oh = 0, a = 0; oh < G.OutH; oh++)
                for (int ow = 0; ow < G.OutW; ow++, a++)
                    field[a] = oh * G.StrideH * wp + ow * G.StrideW;
            F* acc = stackalloc F[Block * Lanes];
            for (int item = from; item < to; item++)
            {
                int n = item / G.K, k = item - n * G.K;
                int* arg = Argmax + (long)item * pooled;
                F* zPlane = Z + (long)item * plane;
                F* tOut = T + (long)item * pooled;
                // Kept outputs whose ReLU is active, and the padded-input offset of their receptive field.
                int count = 0;
                for (int p = 0; p < pooled; p++)
                {
                    int a = arg[p];
                    F v = zPlane[a];
                    F f = Activation switch
                    {
                        DerivativeKind.Relu => v > F.Zero ? F.One : F.Zero,
                        DerivativeKind.TanhFromOutput => F.One - v * v,
                        _ => v * (F.One - v), // σ: the entry point refuses the other kinds
                    };
                    if (f != F.Zero)
                    {
                        active[count] = p;
                        factor[count] = f;
                        origin[count++] = field[a];
                    }
                    else
                        for (int e = 0; e < Tangents; e++) tOut[e * tangentStride + p] = F.Zero;
                }
                F* wRow = W + (long)k * taps;
                F* wdRow = WdT + (long)k * taps * Lanes;
                F* xImage = Xp + (long)n * G.C * hp * wp;
                F* xdImage = XdT == null ? null : XdT + (long)n * G.C * hp * wp * Lanes;
                for (int b0 = 0; b0 < count; b0 += Block)
                {
                    int nb = Math.Min(Block, count - b0);
                    for (int lane = 0; lane < Lanes; lane += Vector256<F>.Count)
                    {
                        if (nb == Block) Dot4(taps, offsets, scaled, origin + b0, wRow, wdRow + lane, xImage, xdImage == null ? null : xdImage + lane, Lanes, acc + lane);
                        else
                            for (int q = 0; q < nb; q++)
                                Dot1(taps, offsets, scaled, origin[b0 + q], wRow, wdRow + lane, xImage, xdImage == null ? null : xdImage + lane, Lanes, acc + q * Lanes + lane);
                    }
                    for (int q = 0; q < nb; q++)
                    {
                        int p = active[b0 + q];
                        F f = factor[b0 + q];
                        F* aq = acc + q * Lanes;
                        if (Bdot == null)
                            for (int e = 0; e < Tangents; e++) tOut[e * tangentStride + p] = f * aq[e];
                        else
                            for (int e = 0; e < Tangents; e++) tOut[e * tangentStride + p] = f * (aq[e] + Bdot[(long)e * G.K + k]);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Four kept outputs of one (image, channel): Σ_taps x·ẇ + ẋ·w, one vector of tangents each. Two branch-free
    /// loops; <paramref name="offsets"/> index the padded image, <paramref name="scaled"/> the same taps × lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot4<F>(int taps, int* offsets, int* scaled, int* origin, F* w, F* wd, F* x, F* xd, int lanes, F* acc)
        where F : unmanaged, INumber<F>
    {
        // Two independent accumulator sets (even and odd taps): eight FMA chains, enough to cover the FMA latency.
        var a0 = Vector256<F>.Zero; var a1 = Vector256<F>.Zero; var a2 = Vector256<F>.Zero; var a3 = Vector256<F>.Zero;
        var b0 = Vector256<F>.Zero; var b1 = Vector256<F>.Zero; var b2 = Vector256<F>.Zero; var b3 = Vector256<F>.Zero;
        F* x0 = x + origin[0], x1 = x + origin[1], x2 = x + origin[2], x3 = x + origin[3];
        int i = 0;
        for (; i + 2 <= taps; i += 2)
        {
            int off = offsets[i], offB = offsets[i + 1];
            var wdv = Vector256.Load(wd + (long)i * lanes);
            var wdB = Vector256.Load(wd + (long)(i + 1) * lanes);
            a0 = Fma(Vector256.Create(x0[off]), wdv, a0);
            a1 = Fma(Vector256.Create(x1[off]), wdv, a1);
            a2 = Fma(Vector256.Create(x2[off]), wdv, a2);
            a3 = Fma(Vector256.Create(x3[off]), wdv, a3);
            b0 = Fma(Vector256.Create(x0[offB]), wdB, b0);
            b1 = Fma(Vector256.Create(x1[offB]), wdB, b1);
            b2 = Fma(Vector256.Create(x2[offB]), wdB, b2);
            b3 = Fma(Vector256.Create(x3[offB]), wdB, b3);
        }
        if (i < taps)
        {
            int off = offsets[i];
            var wdv = Vector256.Load(wd + (long)i * lanes);
            a0 = Fma(Vector256.Create(x0[off]), wdv, a0);
            a1 = Fma(Vector256.Create(x1[off]), wdv, a1);
            a2 = Fma(Vector256.Create(x2[off]), wdv, a2);
            a3 = Fma(Vector256.Create(x3[off]), wdv, a3);
        }
        if (xd != null)
        {
            F* d0 = xd + (long)origin[0] * lanes, d1 = xd + (long)origin[1] * lanes, d2 = xd + (long)origin[2] * lanes, d3 = xd + (long)origin[3] * lanes;
            for (i = 0; i + 2 <= taps; i += 2)
            {
                int off = scaled[i], offB = scaled[i + 1];
                var wv = Vector256.Create(w[i]);
                var wB = Vector256.Create(w[i + 1]);
                a0 = Fma(Vector256.Load(d0 + off), wv, a0);
                a1 = Fma(Vector256.Load(d1 + off), wv, a1);
                a2 = Fma(Vector256.Load(d2 + off), wv, a2);
                a3 = Fma(Vector256.Load(d3 + off), wv, a3);
                b0 = Fma(Vector256.Load(d0 + offB), wB, b0);
                b1 = Fma(Vector256.Load(d1 + offB), wB, b1);
                b2 = Fma(Vector256.Load(d2 + offB), wB, b2);
                b3 = Fma(Vector256.Load(d3 + offB), wB, b3);
            }
            if (i < taps)
            {
                int off = scaled[i];
                var wv = Vector256.Create(w[i]);
                a0 = Fma(Vector256.Load(d0 + off), wv, a0);
                a1 = Fma(Vector256.Load(d1 + off), wv, a1);
                a2 = Fma(Vector256.Load(d2 + off), wv, a2);
                a3 = Fma(Vector256.Load(d3 + off), wv, a3);
            }
        }
        a0 += b0;
        a1 += b1;
        a2 += b2;
        a3 += b3;
        a0.Store(acc);
        a1.Store(acc + lanes);
        a2.Store(acc + 2 * lanes);
        a3.Store(acc + 3 * lanes);
    }

    /// <summary>One kept output.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Dot1<F>(int taps, int* offsets, int* scaled, int origin, F* w, F* wd, F* x, F* xd, int lanes, F* acc)
        where F : unmanaged, INumber<F>
    {
        var a = Vector256<F>.Zero;
        F* x0 = x + origin;
        for (int i = 0; i < taps; i++)
            a = Fma(Vector256.Create(x0[offsets[i]]), Vector256.Load(wd + (long)i * lanes), a);
        if (xd != null)
        {
            F* d0 = xd + (long)origin * lanes;
            for (int i = 0; i < taps; i++)
                a = Fma(Vector256.Load(d0 + scaled[i]), Vector256.Create(w[i]), a);
        }
        a.Store(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<F> Fma<F>(Vector256<F> a, Vector256<F> b, Vector256<F> c) where F : unmanaged => GemmMath.Fma(a, b, c);
}
