using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

/// <summary>
/// The reverse sweep of conv (+ bias) → activation → max pooling for E stacked cotangents at once, from the pooled
/// cotangent c̄[E, N, K, PH, PW]: with g = f′(a)·c̄ placed at p = argmax (the only nonzero positions of the scattered
/// cotangent), dW[e, k] = Σ g·patch(x), dx[e, n] = Σ g·W[k] scattered over the receptive field, db[e, k] = Σ g. The
/// dense route scatters, multiplies and runs two full convolution products over mostly zeros; this visits only the
/// kept positions, all E cotangents in one vector: per (image, channel) block of four kept positions, each tap
/// accumulates the four positions' contributions to dW in registers (one read-modify-write per tap), and adds
/// W·g into an E-innermost padded dx, which the task then copies out for its image. Tasks own parts of the batch
/// (<see cref="BatchParts"/>), so dx needs no synchronisation; dW and db are summed over the parts' partials at the end,
/// in part order.
/// </summary>
internal static unsafe class ConvPoolCotangent
{
    private const int Block = 4;

    /// <summary>Runs the fused cotangent; <paramref name="dx"/>, <paramref name="w"/> and <paramref name="db"/> may be null.</summary>
    public static void Run<F>(in Conv2dGeometry g, in Pool2dGeometry pool, int sets, DerivativeKind activation, F* ct, int* argmax,
        F* a, F* x, F* w, F* dw, F* dx, F* db) where F : unmanaged, INumber<F>
    {
        int v = Vector256<F>.Count;
        int lanes = (sets + v - 1) / v * v;
        int hp = g.H + 2 * g.PadH, wp = g.W + 2 * g.PadW, taps = g.C * g.R * g.S;
        long plane = (long)hp * wp, xpLen = (long)g.N * g.C * plane;
        int parts = BatchParts.Count(g.N);
        long wLen = (long)g.K * taps * lanes, bLen = (long)g.K * lanes;
        F* xp = (F*)GemmScratch.Get(GemmScratch.FusedPrimalSlot, (nuint)(xpLen * sizeof(F)));
        F* dxT = dx == null ? null : (F*)GemmScratch.Get(GemmScratch.FusedTangentSlot, (nuint)(xpLen * lanes * sizeof(F)));
        F* partial = (F*)GemmScratch.Get(GemmScratch.FusedWeightSlot, (nuint)(parts * (wLen + bLen) * sizeof(F)));
        var body = new Body<F>
        {
            G = g, Pool = pool, Sets = sets, Lanes = lanes, Parts = parts, Activation = activation,
            Ct = ct, Argmax = argmax, A = a, X = x, W = w, Xp = xp, DxT = dxT, Dx = dx, Partial = partial,
        };
        double work = 2.0 * g.N * g.K * pool.OutH * pool.OutW * taps * lanes * (dx == null ? 1 : 2);
        if (work < GemmPlan.ParallelThreshold)
            for (int p = 0; p < parts; p++) body.Run(p);
        else CpuParallel.For(parts, body);

        // The parts' dW and db added in part order (BatchParts), then out of the E-innermost layout.
        for (int p = 1; p < parts; p++)
            for (long i = 0; i < wLen + bLen; i += Vector256<F>.Count)
                (Vector256.Load(partial + i) + Vector256.Load(partial + p * (wLen + bLen) + i)).Store(partial + i);
        for (int k = 0; k < g.K; k++)
            for (int i = 0; i < taps; i++)
                for (int e = 0; e < sets; e++)
                    dw[((long)e * g.K + k) * taps + i] = partial[((long)k * taps + i) * lanes + e];
        if (db != null)
            for (int k = 0; k < g.K; k++)
                for (int e = 0; e < sets; e++)
                    db[(long)e * g.K + k] = partial[wLen + (long)k * lanes + e];
    }

    private struct Body<F> : IParallelBody where F : unmanaged, INumber<F>
    {
        public Conv2dGeometry G;
        public Pool2dGeometry Pool;
        public int Sets, Lanes, Parts;
        public DerivativeKind Activation;
        public F* Ct, A, X, W, Xp, DxT, Dx, Partial;
        public int* Argmax;

        public readonly void Run(int part)
        {
            var (n0, n1) = BatchParts.Range(G.N, Parts, part);
            int taps = G.C * G.R * G.S, hp = G.H + 2 * G.PadH, wp = G.W + 2 * G.PadW;
            int pooled = Pool.OutH * Pool.OutW, plane = G.OutH * G.OutW;
            long imagePlane = (long)hp * wp, wLen = (long)G.K * taps * Lanes, bLen = (long)G.K * Lanes;
            long ctStride = (long)G.N * G.K * pooled;
            F* dwT = Partial + part * (wLen + bLen);
            F* dbT = dwT + wLen;
            new Span<F>(dwT, (int)(wLen + bLen)).Clear();
            // The same tap and receptive-field tables as ConvPoolTangent builds, kept inline: moving them into a shared
            // helper measured ~20 % slower here (0.185 → 0.225 ms for LeNet conv1, 8 sets), a JIT layout effect.
            int* offsets = stackalloc int[taps];
            int* scaled = stackalloc int[taps];
            for (int c = 0, i = 0; c < G.C; c++)
                for (int r = 0; r < G.R; r++)
                    for (int s = 0; s < G.S; s++, i++)
                    {
                        offsets[i] = (c * hp + r) * wp + s;
                        scaled[i] = offsets[i] * Lanes;
                    }
            int* field = stackalloc int[plane];
            for (int oh = 0, q = 0; oh < G.OutH; oh++)
                for (int ow = 0; ow < G.OutW; ow++, q++)
                    field[q] = oh * G.StrideH * wp + ow * G.StrideW;
            int* origin = stackalloc int[pooled];
            F* values = stackalloc F[pooled * Lanes];
            for (int n = n0; n < n1; n++)
            {
                F* xp = Xp + (long)n * G.C * imagePlane;
                new Span<F>(xp, (int)(G.C * imagePlane)).Clear();
                for (int c = 0; c < G.C; c++)
                    for (int h = 0; h < G.H; h++)
                        new Span<F>(X + (((long)n * G.C + c) * G.H + h) * G.W, G.W)
                            .CopyTo(new Span<F>(xp + c * imagePlane + (long)(h + G.PadH) * wp + G.PadW, G.W));
                F* dxImage = DxT == null ? null : DxT + (long)n * G.C * imagePlane * Lanes;
                if (dxImage != null) new Span<F>(dxImage, (int)(G.C * imagePlane * Lanes)).Clear();
                for (int k = 0; k < G.K; k++)
                {
                    long item = (long)n * G.K + k;
                    int* arg = Argmax + item * pooled;
                    F* aPlane = A + item * plane;
                    // Kept positions with f′ ≠ 0 and their cotangent vectors g = f′·c̄ (lanes past Sets stay 0).
                    int count = 0;
                    for (int p = 0; p < pooled; p++)
                    {
                        int at = arg[p];
                        F av = aPlane[at];
                        F f = Activation switch
                        {
                            DerivativeKind.Relu => av > F.Zero ? F.One : F.Zero,
                            DerivativeKind.TanhFromOutput => F.One - av * av,
                            _ => av * (F.One - av), // σ: the entry point refuses the other kinds
                        };
                        if (f == F.Zero) continue;
                        F* gv = values + count * Lanes;
                        for (int e = 0; e < Lanes; e++) gv[e] = e < Sets ? f * Ct[e * ctStride + item * pooled + p] : F.Zero;
                        origin[count++] = field[at];
                    }
                    F* dwRow = dwT + (long)k * taps * Lanes;
                    F* dbRow = dbT + (long)k * Lanes;
                    F* wRow = W + (long)k * taps;
                    for (int lane = 0; lane < Lanes; lane += Vector256<F>.Count)
                    {
                        var bias = Vector256.Load(dbRow + lane);
                        int q = 0;
                        for (; q + Block <= count; q += Block)
                        {
                            var g0 = Vector256.Load(values + q * Lanes + lane);
                            var g1 = Vector256.Load(values + (q + 1) * Lanes + lane);
                            var g2 = Vector256.Load(values + (q + 2) * Lanes + lane);
                            var g3 = Vector256.Load(values + (q + 3) * Lanes + lane);
                            bias += g0 + g1 + g2 + g3;
                            F* x0 = xp + origin[q], x1 = xp + origin[q + 1], x2 = xp + origin[q + 2], x3 = xp + origin[q + 3];
                            F* d = dwRow + lane;
                            for (int i = 0; i < taps; i++, d += Lanes)
                            {
                                int off = offsets[i];
                                // Two short chains instead of one of four: the FMA latency, not the loads, bounds this loop.
                                var p01 = GemmMath.Fma(Vector256.Create(x1[off]), g1, Vector256.Create(x0[off]) * g0);
                                var p23 = GemmMath.Fma(Vector256.Create(x3[off]), g3, GemmMath.Fma(Vector256.Create(x2[off]), g2, Vector256.Load(d)));
                                (p01 + p23).Store(d);
                            }
                            if (dxImage != null)
                                for (int j = 0; j < Block; j++) ScatterInput(dxImage + (long)origin[q + j] * Lanes + lane, scaled, wRow, taps, values + (q + j) * Lanes + lane);
                        }
                        for (; q < count; q++)
                        {
                            var g0 = Vector256.Load(values + q * Lanes + lane);
                            bias += g0;
                            F* x0 = xp + origin[q];
                            F* d = dwRow + lane;
                            for (int i = 0; i < taps; i++, d += Lanes)
                                GemmMath.Fma(Vector256.Create(x0[offsets[i]]), g0, Vector256.Load(d)).Store(d);
                            if (dxImage != null) ScatterInput(dxImage + (long)origin[q] * Lanes + lane, scaled, wRow, taps, values + q * Lanes + lane);
                        }
                        bias.Store(dbRow + lane);
                    }
                }
                // This image's input cotangents out of the padded E-innermost layout into dx[E, N, C, H, W].
                if (dxImage != null)
                {
                    long stride = (long)G.N * G.C * G.H * G.W;
                    for (int c = 0; c < G.C; c++)
                        for (int h = 0; h < G.H; h++)
                        {
                            F* src = dxImage + (c * imagePlane + (long)(h + G.PadH) * wp + G.PadW) * Lanes;
                            F* dst = Dx + (((long)n * G.C + c) * G.H + h) * G.W;
                            for (int col = 0; col < G.W; col++, src += Lanes)
                                for (int e = 0; e < Sets; e++) dst[e * stride + col] = src[e];
                        }
                }
            }
        }
    }

    /// <summary>dx[field + tap, :] += W[k, tap]·g for every tap of one kept position (E-innermost, padded).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ScatterInput<F>(F* dx, int* scaled, F* w, int taps, F* g) where F : unmanaged, INumber<F>
    {
        var gv = Vector256.Load(g);
        for (int i = 0; i < taps; i++)
        {
            F* d = dx + scaled[i];
            GemmMath.Fma(Vector256.Create(w[i]), gv, Vector256.Load(d)).Store(d);
        }
    }
}
