using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Cpu;

// Convolution as GEMM over the packed-panel driver of Gemm.cs (the forward packer reads the padded image
// directly; the weight gradient materialises one image's columns at a time).
//   forward          Y_nᵀ[pq, k]   = col(x_n)[pq, crs] · Wᵀ[crs, k]        m = PQ,  n = K,   k = CRS, per image
//   backward input   dcol_n[crs, pq] = Wᵀ[crs, k] · dY_n[k, pq], then col2im    m = CRS, n = PQ,  k = K,   per image
//   backward weight  dWᵀ[crs, k]   = Σ_n col(x_n)[crs, pq] · dY_nᵀ[pq, k]     m = CRS, n = K,   k = PQ per image, images split over threads
// The output Yᵀ tiles are stored transposed through the driver's column stride. With unit stride, backward-input
// runs as a forward convolution of dY with the flipped, channel-swapped weights.

/// <summary>
/// Row-major im2col of one image: element (pq, crs) = x[c, oh·sh − ph + r, ow·sw − pw + s] (0 in the padding).
/// With unit horizontal stride, <see cref="ForBatch"/> first copies the image into a zero-padded buffer of the
/// calling thread; then the panel rows that share an output row are one contiguous run of the padded image, copied
/// with one 16-wide load and store per run and column (the store's spill past the run is overwritten by the next
/// run or column, in ascending order, or lands in slack).
/// </summary>
internal readonly unsafe struct Im2colPackA<F> : IPackA<F, Im2colPackA<F>> where F : unmanaged, INumber<F>
{
    private readonly F* _x;
    private readonly F* _padded;
    private readonly Conv2dGeometry _g;

    public Im2colPackA(F* x, Conv2dGeometry g) : this(x, null, g) { }

    private Im2colPackA(F* x, F* padded, Conv2dGeometry g)
    {
        _x = x;
        _padded = padded;
        _g = g;
    }

    /// <summary>Runs past this many elements after a run are read (and discarded): padded buffers need this slack.</summary>
    public const int ReadSlack = 16;

    public Im2colPackA<F> ForBatch(int p)
    {
        F* image = _x + (long)p * _g.C * _g.H * _g.W;
        if (_g.StrideW != 1) return new Im2colPackA<F>(image, null, _g);
        return new Im2colPackA<F>(image, ConvPadding.Pad(image, _g), _g);
    }

    public void Pack(F* dst, int mr, int i0, int mc, int l0, int kc, F alpha)
    {
        if (_padded != null) PackPadded(dst, mr, i0, mc, l0, kc);
        else PackDirect(dst, mr, i0, mc, l0, kc);
    }

    private void PackPadded(F* dst, int mr, int i0, int mc, int l0, int kc)
    {
        int R = _g.R, S = _g.S, OW = _g.OutW;
        int wp = _g.W + 2 * _g.PadW;
        long planeP = (long)(_g.H + 2 * _g.PadH) * wp;
        // Offset of tap l = (c, r, s) inside the padded image, once per block rather than per panel.
        long* tap = stackalloc long[kc];
        for (int l = 0, c = l0 / (R * S), r = l0 / S % R, s = l0 % S; l < kc; l++)
        {
            tap[l] = c * planeP + r * wp + s;
            if (++s == S) { s = 0; if (++r == R) { r = 0; c++; } }
        }
        int* segRow = stackalloc int[mr + 1];
        long* segSrc = stackalloc long[mr];
        for (int ip = 0; ip < mc; ip += mr, dst += mr * kc)
        {
            int rows = Math.Min(mr, mc - ip);
            int segs = 0;
            for (int i = 0; i < rows;)
            {
                int pq = i0 + ip + i, oh = pq / OW, ow = pq % OW;
                segRow[segs] = i;
                segSrc[segs] = (long)oh * _g.StrideH * wp + ow;
                segs++;
                i += OW - ow;
            }
            segRow[segs] = rows;
            if (segs == 1 && rows <= 16)
            {
                // The whole panel is one run of one output row: one copy per tap.
                F* src = _padded + segSrc[0];
                for (int l = 0; l < kc; l++) Copy16(src + tap[l], dst + l * mr);
            }
            else
            {
                for (int l = 0; l < kc; l++)
                {
                    F* d = dst + l * mr;
                    F* src = _padded + tap[l];
                    for (int q = 0; q < segs; q++)
                    {
                        // Runs longer than 16 (tall panels) go in 16-element pieces, ascending.
                        int len = segRow[q + 1] - segRow[q];
                        for (int o = 0; o < len; o += 16) Copy16(src + segSrc[q] + o, d + segRow[q] + o);
                    }
                }
            }
            if (rows < mr)
                for (int l = 0; l < kc; l++)
                    for (int i = rows; i < mr; i++) dst[l * mr + i] = F.Zero;
        }
    }

    /// <summary>Copies 16 elements (callers rely on the spill past shorter runs being overwritten later).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Copy16(F* src, F* dst)
    {
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512.Store(Vector512.Load(src), dst);
            if (Vector512<F>.Count < 16) Vector512.Store(Vector512.Load(src + Vector512<F>.Count), dst + Vector512<F>.Count);
        }
        else
        {
            for (int q = 0; q < 16; q += Vector256<F>.Count)
                Vector256.Store(Vector256.Load(src + q), dst + q);
        }
    }

    private void PackDirect(F* dst, int mr, int i0, int mc, int l0, int kc)
    {
        int H = _g.H, W = _g.W, R = _g.R, S = _g.S, OW = _g.OutW;
        int* ih0 = stackalloc int[mr];
        int* iw0 = stackalloc int[mr];
        for (int ip = 0; ip < mc; ip += mr, dst += mr * kc)
        {
            int rows = Math.Min(mr, mc - ip);
            for (int i = 0; i < rows; i++)
            {
                int pq = i0 + ip + i;
                ih0[i] = pq / OW * _g.StrideH - _g.PadH;
                iw0[i] = pq % OW * _g.StrideW - _g.PadW;
            }
            int c = l0 / (R * S), r = l0 / S % R, s = l0 % S;
            for (int l = 0; l < kc; l++)
            {
                F* plane = _x + (long)c * H * W;
                F* d = dst + l * mr;
                for (int i = 0; i < rows; i++)
                {
                    int ih = ih0[i] + r, iw = iw0[i] + s;
                    d[i] = (uint)ih < (uint)H && (uint)iw < (uint)W ? plane[ih * W + iw] : F.Zero;
                }
                for (int i = rows; i < mr; i++) d[i] = F.Zero;
                if (++s == S) { s = 0; if (++r == R) { r = 0; c++; } }
            }
        }
    }
}

/// <summary>Zero-padded image copies and explicit im2col, in the calling thread's scratch.</summary>
internal static unsafe class ConvPadding
{
    /// <summary>
    /// Copies one image x[C, H, W] into [C, H + 2ph, W + 2pw] with zero borders (plus read slack) in the calling
    /// thread's padded-image buffer.
    /// </summary>
    public static F* Pad<F>(F* image, in Conv2dGeometry g) where F : unmanaged, INumber<F>
    {
        int hp = g.H + 2 * g.PadH, wp = g.W + 2 * g.PadW;
        long len = (long)g.C * hp * wp;
        F* p = (F*)GemmScratch.Get(GemmScratch.PaddedSlot, (nuint)((len + Im2colPackA<F>.ReadSlack) * sizeof(F)));
        if (g.PadH == 0 && g.PadW == 0)
        {
            new Span<F>(image, (int)len).CopyTo(new Span<F>(p, (int)len));
            // This copy overwrites the zero borders a padded layout may have left in the buffer.
            _lastLayout = default;
            return p;
        }
        // The borders stay zero between images of the same layout in this thread's buffer, so they are written
        // only when the layout (or the buffer) changes.
        var layout = (Pointer: (nint)p, typeof(F), g.C, g.H, g.W, g.PadH, g.PadW);
        if (_lastLayout != layout)
        {
            new Span<F>(p, (int)len + Im2colPackA<F>.ReadSlack).Clear();
            _lastLayout = layout;
        }
        for (int c = 0; c < g.C; c++)
        {
            F* src = image + (long)c * g.H * g.W;
            F* dst = p + ((long)c * hp + g.PadH) * wp + g.PadW;
            for (int h = 0; h < g.H; h++, src += g.W, dst += wp)
                CopyRow(src, dst, g.W);
        }
        return p;
    }

    [ThreadStatic] private static (nint, Type, int, int, int, int, int) _lastLayout;

    /// <summary>Copies exactly <paramref name="count"/> elements (no spill: the borders around must stay zero).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyRow<F>(F* src, F* dst, int count) where F : unmanaged
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<F>.Count <= count; i += Vector256<F>.Count)
                Vector256.Store(Vector256.Load(src + i), dst + i);
        for (; i < count; i++) dst[i] = src[i];
    }

    /// <summary>Elements a column buffer needs after its end for the spill of <see cref="Im2col{F}"/>.</summary>
    public const int ColumnSlack = 16;

    /// <summary>col[crs, pq] = padded[c, oh·sh + r, ow·sw + s] for one image (rows of PQ elements).</summary>
    public static void Im2col<F>(F* padded, in Conv2dGeometry g, F* col) where F : unmanaged, INumber<F>
    {
        int wp = g.W + 2 * g.PadW, OH = g.OutH, OW = g.OutW;
        long planeP = (long)(g.H + 2 * g.PadH) * wp;
        for (int c = 0; c < g.C; c++)
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++)
                    for (int oh = 0; oh < OH; oh++, col += OW)
                    {
                        F* src = padded + c * planeP + (long)(oh * g.StrideH + r) * wp + s;
                        // Rows go in ascending order, so a 16-wide copy's spill is overwritten by the next row
                        // (the column buffer has ColumnSlack after its end).
                        if (g.StrideW == 1) for (int o = 0; o < OW; o += 16) Im2colPackA<F>.Copy16(src + o, col + o);
                        else for (int ow = 0; ow < OW; ow++) col[ow] = src[ow * g.StrideW];
                    }
    }
}

/// <summary>
/// An operand packed once for the whole call (the convolution weights, shared by every image and thread): depth
/// block pc (KC deep) starts at pc·nPadded and holds ⌈n/NR⌉ panels of kc×NR.
/// </summary>
internal readonly unsafe struct PrepackedB<F>(F* packed, int nPadded) : IPackB<F, PrepackedB<F>> where F : unmanaged, INumber<F>
{
    public PrepackedB<F> ForBatch(int p) => this;

    public F* Packed(int nr, int l0, int kc, int j0, int nc) => packed + (long)l0 * nPadded + (long)j0 * kc;

    public void Pack(F* dst, int nr, int l0, int kc, int j0, int nc) =>
        throw new InvalidOperationException("a prepacked operand is never packed again");

    /// <summary>Packs all of <paramref name="source"/> (k×n) into the layout <see cref="Packed"/> reads.</summary>
    public static PrepackedB<F> Create<TB, TK>(in TB source, int k, int n, F* buffer)
        where TB : struct, IPackB<F, TB> where TK : struct, IMicroKernel<F>
    {
        int kcMax = GemmDriver<F, TK>.DepthBlock(k), nr = TK.NR;
        int nPadded = (n + nr - 1) / nr * nr;
        for (int pc = 0; pc < k; pc += kcMax)
            source.Pack(buffer + (long)pc * nPadded, nr, pc, Math.Min(kcMax, k - pc), 0, n);
        return new PrepackedB<F>(buffer, nPadded);
    }

    /// <summary>Elements of the buffer <see cref="Create{TB,TK}"/> needs.</summary>
    public static long Length<TK>(int k, int n) where TK : struct, IMicroKernel<F> => (long)k * ((n + TK.NR - 1) / TK.NR * TK.NR);
}

/// <summary>Convolution entry points on raw pointers (float or double), NCHW input, KCRS weights.</summary>
internal static unsafe class Conv
{
    public static void Forward<F>(in Conv2dGeometry g, F* x, F* w, F* y) where F : unmanaged, INumber<F>
    {
        if (ConvDirect.Suits<F>(g)) ConvDirect.Forward(g, x, w, y);
        else if (Vector512.IsHardwareAccelerated && g.K <= Vector512<F>.Count) Forward<F, MicroKernel512Narrow<F>>(g, x, w, y);
        else if (Vector512.IsHardwareAccelerated) Forward<F, MicroKernel512<F>>(g, x, w, y);
        else Forward<F, MicroKernel256<F>>(g, x, w, y);
    }

    /// <summary>y[E, N, K, OH, OW] = conv(x, w[e]) for E weight sets w[E, K, C, R, S].</summary>
    public static void ForwardSets<F>(in Conv2dGeometry g, int sets, F* x, F* w, F* y) where F : unmanaged, INumber<F>
    {
        if (sets == 1)
        {
            Forward(g, x, w, y);
            return;
        }
        if (ConvDirect.Suits<F>(g))
        {
            ConvDirect.Forward(g, x, w, y, sets);
            return;
        }
        var stacked = new Conv2dGeometry(g.N, g.C, g.H, g.W, g.K * sets, g.R, g.S, g.StrideH, g.StrideW, g.PadH, g.PadW);
        F* t = (F*)GemmScratch.Get(GemmScratch.StackedSlot, (nuint)((long)stacked.OutputLength * sizeof(F)));
        Forward(stacked, x, w, t);
        long block = (long)g.K * g.OutH * g.OutW;
        for (int n = 0; n < g.N; n++)
            for (int e = 0; e < sets; e++)
                new Span<F>(t + (n * sets + e) * block, (int)block).CopyTo(new Span<F>(y + (e * (long)g.N + n) * block, (int)block));
    }

    public static void BackwardInput<F>(in Conv2dGeometry g, F* dy, F* w, F* dx) where F : unmanaged, INumber<F>
    {
        if (Vector512.IsHardwareAccelerated) BackwardInput<F, MicroKernel512<F>>(g, dy, w, dx);
        else BackwardInput<F, MicroKernel256<F>>(g, dy, w, dx);
    }

    public static void BackwardWeight<F>(in Conv2dGeometry g, F* x, F* dy, F* dw, F beta) where F : unmanaged, INumber<F>
    {
        if (Vector512.IsHardwareAccelerated && g.K <= Vector512<F>.Count) BackwardWeight<F, MicroKernel512Narrow<F>>(g, x, dy, dw, beta);
        else if (Vector512.IsHardwareAccelerated) BackwardWeight<F, MicroKernel512<F>>(g, x, dy, dw, beta);
        else BackwardWeight<F, MicroKernel256<F>>(g, x, dy, dw, beta);
    }

    private static void Forward<F, TK>(in Conv2dGeometry g, F* x, F* w, F* y)
        where F : unmanaged, INumber<F> where TK : struct, IMicroKernel<F>
    {
        int crs = g.C * g.R * g.S, pq = g.OutH * g.OutW;
        // Wᵀ (crs × K) packed once, shared read-only by every image and thread.
        var wt = new StridedPackB<F>(w, 1, crs, 0);
        F* buffer = (F*)GemmScratch.Get(GemmScratch.SharedSlot, (nuint)(PrepackedB<F>.Length<TK>(crs, g.K) * sizeof(F)));
        var packedW = PrepackedB<F>.Create<StridedPackB<F>, TK>(wt, crs, g.K, buffer);
        GemmDriver<F, TK>.Batched(new Im2colPackA<F>(x, g), packedW, y, 1, pq, (long)g.K * pq, pq, g.K, crs,
            F.One, F.Zero, g.N);
    }

    /// <summary>
    /// Whether n columns use at least 3/4 of the wide register tiles (measured: the narrow 28×16 tile does not win
    /// here, its A panels are packed for one vector of work each).
    /// </summary>
    private static bool FillsTileWidth<F>(int n) where F : unmanaged, INumber<F>
    {
        int width = 2 * (Vector512.IsHardwareAccelerated ? Vector512<F>.Count : Vector256<F>.Count);
        int padded = (n + width - 1) / width * width;
        return n >= width && 4 * n >= 3 * padded;
    }

    private static void BackwardInput<F, TK>(in Conv2dGeometry g, F* dy, F* w, F* dx)
        where F : unmanaged, INumber<F> where TK : struct, IMicroKernel<F>
    {
        if (FillsTileWidth<F>(g.C) && g.StrideH == 1 && g.StrideW == 1 && g.PadH <= g.R - 1 && g.PadW <= g.S - 1)
        {
            // Unit stride: dx = conv(dy, w') with w'[c, k, r, s] = w[k, c, R−1−r, S−1−s] and padding R−1−ph,
            // S−1−pw (the "full" correlation), so the fast forward path serves and no col2im is needed. Its GEMM
            // has n = C, so it only pays when C fills most of the register tile's width (measured: C = 32 gains
            // 1.3× over the col2im path; C = 1 loses 4×).
            var gt = new Conv2dGeometry(g.N, g.K, g.OutH, g.OutW, g.C, g.R, g.S, 1, 1, g.R - 1 - g.PadH, g.S - 1 - g.PadW);
            F* wt = (F*)GemmScratch.Get(GemmScratch.WeightsSlot, (nuint)((long)g.WeightLength * sizeof(F)));
            int rs = g.R * g.S;
            for (int k = 0; k < g.K; k++)
                for (int c = 0; c < g.C; c++)
                {
                    F* src = w + ((long)k * g.C + c) * rs;
                    F* dst = wt + ((long)c * g.K + k) * rs;
                    for (int t = 0; t < rs; t++) dst[t] = src[rs - 1 - t];
                }
            Forward<F, TK>(gt, dy, wt, dx);
            return;
        }
        var body = new BackwardInputBody<F, TK> { G = g, Dy = dy, W = w, Dx = dx };
        double work = (double)g.N * g.K * g.C * g.R * g.S * g.OutH * g.OutW;
        if (work < GemmPlan.ParallelThreshold)
            for (int n = 0; n < g.N; n++) body.Run(n);
        else
            CpuParallel.For(g.N, body);
    }

    private struct BackwardInputBody<F, TK> : IParallelBody where F : unmanaged, INumber<F> where TK : struct, IMicroKernel<F>
    {
        public Conv2dGeometry G;
        public F* Dy, W, Dx;

        public readonly void Run(int n)
        {
            int crs = G.C * G.R * G.S, pq = G.OutH * G.OutW, hw = G.H * G.W;
            F* col = (F*)GemmScratch.Get(GemmScratch.ColumnsSlot, (nuint)((long)crs * pq * sizeof(F)));
            // dcol[crs, pq] = Wᵀ · dY_n: A(i = crs, l = k) = w[k·crs + i], B(l = k, j = pq) = dy_n[k·pq + j].
            GemmDriver<F, TK>.Block(new StridedPackA<F>(W, 1, crs, 0), new StridedPackB<F>(Dy + (long)n * G.K * pq, pq, 1, 0),
                col, pq, 1, 0, crs, 0, pq, G.K, F.One, F.Zero);
            F* dx = Dx + (long)n * G.C * hw;
            new Span<F>(dx, G.C * hw).Clear();
            Col2im(G, col, dx);
        }
    }

    /// <summary>dx[c, ih, iw] += dcol[(c, r, s), (oh, ow)] for every tap that reads (ih, iw).</summary>
    private static void Col2im<F>(in Conv2dGeometry g, F* col, F* dx) where F : unmanaged, INumber<F>
    {
        if (typeof(F) == typeof(float) && Avx512F.IsSupported && g.StrideW == 1 && g.W <= 16 && g.S <= 16)
        {
            Col2imNarrow(g, (float*)col, (float*)dx);
            return;
        }
        int OH = g.OutH, OW = g.OutW, pq = OH * OW;
        for (int c = 0; c < g.C; c++)
        {
            F* plane = dx + (long)c * g.H * g.W;
            for (int r = 0; r < g.R; r++)
                for (int s = 0; s < g.S; s++, col += pq)
                {
                    // Output columns whose tap lands inside the row: 0 ≤ ow·sw − pw + s < W.
                    int owLo = Math.Max(0, (g.PadW - s + g.StrideW - 1) / g.StrideW);
                    int owHi = Math.Min(OW, (g.W + g.PadW - s + g.StrideW - 1) / g.StrideW);
                    for (int oh = 0; oh < OH; oh++)
                    {
                        int ih = oh * g.StrideH - g.PadH + r;
                        if ((uint)ih >= (uint)g.H) continue;
                        F* src = col + oh * OW;
                        F* dst = plane + ih * g.W - g.PadW + s;
                        if (g.StrideW == 1)
                            AddInto(src + owLo, dst + owLo, owHi - owLo);
                        else
                            for (int ow = owLo; ow < owHi; ow++) dst[ow * g.StrideW] += src[ow];
                    }
                }
        }
    }

    /// <summary>
    /// Col2im for unit horizontal stride and rows of at most 16 floats: the S taps of one (c, r, oh) are summed in a
    /// register (tap s reads dcol at ow = iw + pw − s, masked to 0 ≤ ow &lt; OW) and added to the dx row once.
    /// </summary>
    private static void Col2imNarrow(in Conv2dGeometry g, float* col, float* dx)
    {
        int OH = g.OutH, OW = g.OutW, pq = OH * OW, S = g.S;
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var rowMask = Vector512.LessThan(lanes, Vector512.Create(g.W)).AsSingle();
        Vector512<float>* tapMask = stackalloc Vector512<float>[S];
        for (int s = 0; s < S; s++)
        {
            var ow = lanes + Vector512.Create(g.PadW - s);
            tapMask[s] = (Vector512.GreaterThanOrEqual(ow, Vector512<int>.Zero) & Vector512.LessThan(ow, Vector512.Create(OW))).AsSingle() & rowMask;
        }
        for (int c = 0; c < g.C; c++)
        {
            float* plane = dx + (long)c * g.H * g.W;
            for (int r = 0; r < g.R; r++, col += (long)S * pq)
                for (int oh = 0; oh < OH; oh++)
                {
                    int ih = oh * g.StrideH - g.PadH + r;
                    if ((uint)ih >= (uint)g.H) continue;
                    var sum = Vector512<float>.Zero;
                    for (int s = 0; s < S; s++)
                        sum += Avx512F.MaskLoad(col + (long)s * pq + oh * OW + g.PadW - s, tapMask[s], Vector512<float>.Zero);
                    float* row = plane + ih * g.W;
                    Avx512F.MaskStore(row, rowMask, Avx512F.MaskLoad(row, rowMask, Vector512<float>.Zero) + sum);
                }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddInto<F>(F* src, F* dst, int count) where F : unmanaged, INumber<F>
    {
        if (Avx512F.IsSupported)
        {
            // Output rows are short (7–28): masked 512-bit adds cover them without a scalar tail.
            for (int o = 0; o < count; o += Vector512<F>.Count)
                GemmMath.AddMasked(src + o, dst + o, count - o);
            return;
        }
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<F>.Count <= count; i += Vector256<F>.Count)
                Vector256.Store(Vector256.Load(dst + i) + Vector256.Load(src + i), dst + i);
        for (; i < count; i++) dst[i] += src[i];
    }

    private static void BackwardWeight<F, TK>(in Conv2dGeometry g, F* x, F* dy, F* dw, F beta)
        where F : unmanaged, INumber<F> where TK : struct, IMicroKernel<F>
    {
        int crs = g.C * g.R * g.S;
        double work = (double)g.N * g.K * crs * g.OutH * g.OutW;
        // Each part of the batch (BatchParts: fixed by N, not by the thread count) sums its images into its own
        // dWᵀ[crs, k]; the parts are then added in order and transposed into dw.
        int parts = BatchParts.Count(g.N);
        long len = (long)crs * g.K;
        F* partial = (F*)GemmScratch.Get(GemmScratch.SharedSlot, (nuint)(len * parts * sizeof(F)));
        var body = new BackwardWeightBody<F, TK> { G = g, X = x, Dy = dy, Partial = partial, Parts = parts };
        if (work < GemmPlan.ParallelThreshold)
            for (int p = 0; p < parts; p++) body.Run(p);
        else CpuParallel.For(parts, body);
        for (int p = 1; p < parts; p++) AddInto(partial + p * len, partial, (int)len);
        for (int k = 0; k < g.K; k++)
            for (int i = 0; i < crs; i++)
            {
                long e = (long)k * crs + i;
                F sum = partial[(long)i * g.K + k];
                dw[e] = beta == F.Zero ? sum : beta * dw[e] + sum;
            }
    }

    private struct BackwardWeightBody<F, TK> : IParallelBody where F : unmanaged, INumber<F> where TK : struct, IMicroKernel<F>
    {
        public Conv2dGeometry G;
        public F* X, Dy, Partial;
        public int Parts;

        public readonly void Run(int part)
        {
            int crs = G.C * G.R * G.S, pq = G.OutH * G.OutW;
            var (n0, n1) = BatchParts.Range(G.N, Parts, part);
            F* col = (F*)GemmScratch.Get(GemmScratch.ColumnsSlot, (nuint)(((long)crs * pq + ConvPadding.ColumnSlack) * sizeof(F)));
            F* dwT = Partial + (long)part * crs * G.K;
            for (int n = n0; n < n1; n++)
            {
                F* padded = ConvPadding.Pad(X + (long)n * G.C * G.H * G.W, G);
                ConvPadding.Im2col(padded, G, col);
                // dWᵀ[crs, k] (+)= col[crs, pq] · dY_nᵀ[pq, k]: A rows contiguous along pq, B = dY_n stored transposed.
                if (GemmDot.Suits(crs, G.K))
                    GemmDot.RunNT(crs, G.K, pq, col, pq, Dy + (long)n * G.K * pq, pq, dwT, G.K, n == n0 ? F.Zero : F.One);
                else
                    GemmDriver<F, TK>.Block(new StridedPackA<F>(col, pq, 1, 0), new StridedPackB<F>(Dy + (long)n * G.K * pq, 1, pq, 0),
                    dwT, G.K, 1, 0, crs, 0, G.K, pq, F.One, n == n0 ? F.Zero : F.One);
            }
        }
    }
}
