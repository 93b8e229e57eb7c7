using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Cpu;

// Convolution as GEMM over the packed-panel driver of Gemm.cs (no column matrix is materialised on the forward
// and weight paths: the packers read the image directly).
//   forward          Y_nᵀ[pq, k]   = col(x_n)[pq, crs] · Wᵀ[crs, k]        m = PQ,  n = K,   k = CRS, per image
//   backward input   dcol_n[crs, pq] = Wᵀ[crs, k] · dY_n[k, pq], then col2im    m = CRS, n = PQ,  k = K,   per image
//   backward weight  dWᵀ[crs, k]   = Σ_n col(x_n)ᵀ[crs, pq] · dY_nᵀ[pq, k]  m = CRS, n = K,   k = N·PQ, split over threads
// The output Yᵀ and dWᵀ tiles are stored transposed through the driver's column stride.

/// <summary>Row-major im2col of one image: element (pq, crs) = x[c, oh·sh − ph + r, ow·sw − pw + s] (0 in the padding).</summary>
internal readonly unsafe struct Im2colPackA<F>(F* x, Conv2dGeometry g) : IPackA<F, Im2colPackA<F>> where F : unmanaged, INumber<F>
{
    private readonly Conv2dGeometry _g = g;

    public Im2colPackA<F> ForBatch(int p) => new(x + (long)p * _g.C * _g.H * _g.W, _g);

    public void Pack(F* dst, int mr, int i0, int mc, int l0, int kc, F alpha)
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
                F* plane = x + (long)c * H * W;
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

/// <summary>
/// Transposed im2col over a run of images: element (crs, (n, pq)) = x[n, c, oh·sh − ph + r, ow·sw − pw + s].
/// </summary>
internal readonly unsafe struct Im2colTransposedPackA<F>(F* x, Conv2dGeometry g) : IPackA<F, Im2colTransposedPackA<F>>
    where F : unmanaged, INumber<F>
{
    private readonly Conv2dGeometry _g = g;

    public Im2colTransposedPackA<F> ForBatch(int p) => new(x + (long)p * _g.C * _g.H * _g.W, _g);

    public void Pack(F* dst, int mr, int i0, int mc, int l0, int kc, F alpha)
    {
        int H = _g.H, W = _g.W, R = _g.R, S = _g.S, OW = _g.OutW, PQ = _g.OutH * _g.OutW;
        long chw = (long)_g.C * H * W;
        long* plane = stackalloc long[mr];
        int* dr = stackalloc int[mr];
        int* ds = stackalloc int[mr];
        for (int ip = 0; ip < mc; ip += mr, dst += mr * kc)
        {
            int rows = Math.Min(mr, mc - ip);
            for (int i = 0; i < rows; i++)
            {
                int crs = i0 + ip + i;
                plane[i] = (long)(crs / (R * S)) * H * W;
                dr[i] = crs / S % R - _g.PadH;
                ds[i] = crs % S - _g.PadW;
            }
            int n = l0 / PQ, pq = l0 % PQ, oh = pq / OW, ow = pq % OW;
            for (int l = 0; l < kc; l++)
            {
                F* img = x + n * chw;
                F* d = dst + l * mr;
                int ihb = oh * _g.StrideH, iwb = ow * _g.StrideW;
                for (int i = 0; i < rows; i++)
                {
                    int ih = ihb + dr[i], iw = iwb + ds[i];
                    d[i] = (uint)ih < (uint)H && (uint)iw < (uint)W ? img[plane[i] + ih * W + iw] : F.Zero;
                }
                for (int i = rows; i < mr; i++) d[i] = F.Zero;
                if (++ow == OW) { ow = 0; if (++oh == _g.OutH) { oh = 0; n++; } }
            }
        }
    }
}

/// <summary>dYᵀ over a run of images: element ((n, pq), k) = dy[n, k, pq].</summary>
internal readonly unsafe struct OutputGradPackB<F>(F* dy, int k, int pq) : IPackB<F, OutputGradPackB<F>> where F : unmanaged, INumber<F>
{
    public OutputGradPackB<F> ForBatch(int p) => new(dy + (long)p * k * pq, k, pq);

    public F* Packed(int nr, int l0, int kc, int j0, int nc) => null;

    public void Pack(F* dst, int nr, int l0, int kc, int j0, int nc)
    {
        for (int jp = 0; jp < nc; jp += nr, dst += nr * kc)
        {
            int cols = Math.Min(nr, nc - jp);
            for (int j = 0; j < cols; j++)
            {
                int ch = j0 + jp + j;
                int n = l0 / pq, p = l0 % pq;
                F* src = dy + ((long)n * k + ch) * pq;
                F* d = dst + j;
                for (int l = 0; l < kc; l++)
                {
                    d[l * nr] = src[p];
                    if (++p == pq) { p = 0; src += (long)k * pq; }
                }
            }
            if (cols < nr)
                for (int l = 0; l < kc; l++)
                    for (int j = cols; j < nr; j++) dst[l * nr + j] = F.Zero;
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
        int kcMax = GemmDriver<F, TK>.KC, nr = TK.NR;
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
        if (Vector512.IsHardwareAccelerated) Forward<F, MicroKernel512<F>>(g, x, w, y);
        else Forward<F, MicroKernel256<F>>(g, x, w, y);
    }

    public static void BackwardInput<F>(in Conv2dGeometry g, F* dy, F* w, F* dx) where F : unmanaged, INumber<F>
    {
        if (Vector512.IsHardwareAccelerated) BackwardInput<F, MicroKernel512<F>>(g, dy, w, dx);
        else BackwardInput<F, MicroKernel256<F>>(g, dy, w, dx);
    }

    public static void BackwardWeight<F>(in Conv2dGeometry g, F* x, F* dy, F* dw, F beta) where F : unmanaged, INumber<F>
    {
        if (Vector512.IsHardwareAccelerated) BackwardWeight<F, MicroKernel512<F>>(g, x, dy, dw, beta);
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

    private static void BackwardInput<F, TK>(in Conv2dGeometry g, F* dy, F* w, F* dx)
        where F : unmanaged, INumber<F> where TK : struct, IMicroKernel<F>
    {
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddInto<F>(F* src, F* dst, int count) where F : unmanaged, INumber<F>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Vector256<F>.Count <= count; i += Vector256<F>.Count)
                Vector256.Store(Vector256.Load(dst + i) + Vector256.Load(src + i), dst + i);
        for (; i < count; i++) dst[i] += src[i];
    }

    private static void BackwardWeight<F, TK>(in Conv2dGeometry g, F* x, F* dy, F* dw, F beta)
        where F : unmanaged, INumber<F> where TK : struct, IMicroKernel<F>
    {
        int crs = g.C * g.R * g.S, pq = g.OutH * g.OutW;
        double work = (double)g.N * g.K * crs * pq;
        int tasks = work < GemmPlan.ParallelThreshold ? 1 : Math.Min(g.N, CpuParallel.ThreadCount);
        if (tasks == 1)
        {
            GemmDriver<F, TK>.Block(new Im2colTransposedPackA<F>(x, g), new OutputGradPackB<F>(dy, g.K, pq),
                dw, 1, crs, 0, crs, 0, g.K, g.N * pq, F.One, beta);
            return;
        }
        // Split the sum over images: task t writes its partial dWᵀ, then the caller adds them into dw.
        long len = (long)crs * g.K;
        F* partial = (F*)GemmScratch.Get(GemmScratch.SharedSlot, (nuint)(len * tasks * sizeof(F)));
        var body = new BackwardWeightBody<F, TK> { G = g, X = x, Dy = dy, Partial = partial, Tasks = tasks };
        CpuParallel.For(tasks, body);
        for (long e = 0; e < len; e++)
        {
            F sum = beta == F.Zero ? F.Zero : beta * dw[e];
            for (int t = 0; t < tasks; t++) sum += partial[t * len + e];
            dw[e] = sum;
        }
    }

    private struct BackwardWeightBody<F, TK> : IParallelBody where F : unmanaged, INumber<F> where TK : struct, IMicroKernel<F>
    {
        public Conv2dGeometry G;
        public F* X, Dy, Partial;
        public int Tasks;

        public readonly void Run(int t)
        {
            int crs = G.C * G.R * G.S, pq = G.OutH * G.OutW;
            int n0 = (int)((long)G.N * t / Tasks), n1 = (int)((long)G.N * (t + 1) / Tasks);
            GemmDriver<F, TK>.Block(new Im2colTransposedPackA<F>(X, G).ForBatch(n0), new OutputGradPackB<F>(Dy, G.K, pq).ForBatch(n0),
                Partial + (long)t * crs * G.K, 1, crs, 0, crs, 0, G.K, (n1 - n0) * pq, F.One, F.Zero);
        }
    }
}
