using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tangent.Kernels.Cpu;

// BLIS-style GEMM (Van Zee & van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", 2015):
//   for jc in n step NC:                       B block  kc×nc   packed into NR-wide panels (L2/L3)
//     for pc in k step KC:
//       for ic in m step MC:                   A block  mc×kc   packed into MR-tall panels (L2)
//         for jr in nc step NR, ir in mc step MR: micro-kernel C[MR×NR] += Ã[MR×kc]·B̃[kc×NR] in registers.
// Packed layouts: an A panel stores element (i, l) at l·MR + i; a B panel stores (l, j) at l·NR + j. Panels are
// zero-padded past the matrix edge, so the micro-kernel always runs full tiles and only the store is clipped.
// The packers are struct type parameters so that convolution can pack im2col panels straight from the image.

/// <summary>A register-tiled micro-kernel: C[mr×nr] ← Ã·B̃ + β·C over one packed A panel and one packed B panel.</summary>
internal unsafe interface IMicroKernel<F> where F : unmanaged
{
    /// <summary>Rows of the register tile.</summary>
    static abstract int MR { get; }
    /// <summary>Columns of the register tile.</summary>
    static abstract int NR { get; }
    /// <summary>
    /// Multiplies an MR×kc panel by a kc×NR panel and stores the top-left mr×nr corner into C (element (i, j) at
    /// c[i·rsc + j·csc]) as acc + β·C; β = 0 does not read C. <paramref name="tile"/> is MR·NR scratch for edges.
    /// </summary>
    static abstract void Run(int kc, F* a, F* b, F* c, long rsc, long csc, F beta, int mr, int nr, F* tile);
}

/// <summary>Packs a block of op(A) (times α) into MR-tall panels.</summary>
internal unsafe interface IPackA<F, TSelf> where F : unmanaged where TSelf : struct, IPackA<F, TSelf>
{
    /// <summary>
    /// Writes rows [i0, i0+mc) × columns [l0, l0+kc) of α·op(A) as ⌈mc/mr⌉ panels of mr×kc (panel q at
    /// dst + q·mr·kc, element (i, l) at l·mr + i), zero rows past mc.
    /// </summary>
    void Pack(F* dst, int mr, int i0, int mc, int l0, int kc, F alpha);
    /// <summary>The same operand for the <paramref name="p"/>-th problem of a batch.</summary>
    TSelf ForBatch(int p);
}

/// <summary>Packs a block of op(B) into NR-wide panels.</summary>
internal unsafe interface IPackB<F, TSelf> where F : unmanaged where TSelf : struct, IPackB<F, TSelf>
{
    /// <summary>
    /// Writes rows [l0, l0+kc) × columns [j0, j0+nc) of op(B) as ⌈nc/nr⌉ panels of kc×nr (panel q at
    /// dst + q·nr·kc, element (l, j) at l·nr + j), zero columns past nc.
    /// </summary>
    void Pack(F* dst, int nr, int l0, int kc, int j0, int nc);
    /// <summary>
    /// The packed block of <see cref="Pack"/> when the operand is already stored packed (weights packed once per
    /// convolution), else null.
    /// </summary>
    F* Packed(int nr, int l0, int kc, int j0, int nc);
    /// <summary>The same operand for the <paramref name="p"/>-th problem of a batch.</summary>
    TSelf ForBatch(int p);
}

/// <summary>op(A) as a strided matrix: element (i, l) at p[i·rs + l·cs]; covers A and Aᵀ.</summary>
internal readonly unsafe struct StridedPackA<F>(F* p, long rs, long cs, long batchStride) : IPackA<F, StridedPackA<F>>
    where F : unmanaged, INumber<F>
{
    public StridedPackA<F> ForBatch(int q) => new(p + q * batchStride, rs, cs, batchStride);

    public void Pack(F* dst, int mr, int i0, int mc, int l0, int kc, F alpha)
    {
        bool scale = alpha != F.One;
        for (int ip = 0; ip < mc; ip += mr, dst += mr * kc)
        {
            int rows = Math.Min(mr, mc - ip);
            F* src = p + (i0 + ip) * rs + l0 * cs;
            if (cs == 1)
            {
                // Rows contiguous along k: a transpose. 16-deep chunks go through AVX-512 16×16 transposes (their
                // spill past column l lands in column l + 1, written next; the block has slack after its end).
                // Panels taller than 16 go in 16-row blocks, the lower block first: its spill into the next
                // column's top rows is then overwritten by the upper block.
                int lv = 0;
                if (typeof(F) == typeof(float) && Transpose16.IsSupported)
                    for (; lv + 16 <= kc; lv += 16)
                        for (int ib = (rows - 1) / 16 * 16; ib >= 0; ib -= 16)
                            Transpose16.Block((float*)(src + ib * rs + lv), rs, Math.Min(16, rows - ib), (float*)(dst + lv * mr + ib), mr,
                                Unsafe.As<F, float>(ref alpha), scale);
                for (int i = 0; i < rows; i++)
                {
                    F* s = src + i * rs;
                    F* d = dst + i;
                    if (scale) for (int l = lv; l < kc; l++) d[l * mr] = alpha * s[l];
                    else for (int l = lv; l < kc; l++) d[l * mr] = s[l];
                }
            }
            else if (rs == 1 && Avx512F.IsSupported)
            {
                // Aᵀ stored: each panel column is `rows` contiguous elements; masked loads never read past them.
                for (int l = 0; l < kc; l++)
                    GemmMath.CopyMasked(src + l * cs, dst + l * mr, rows, alpha, scale);
            }
            else
            {
                for (int l = 0; l < kc; l++)
                {
                    F* s = src + l * cs;
                    F* d = dst + l * mr;
                    if (scale) for (int i = 0; i < rows; i++) d[i] = alpha * s[i * rs];
                    else for (int i = 0; i < rows; i++) d[i] = s[i * rs];
                }
            }
            if (rows < mr)
                for (int l = 0; l < kc; l++)
                    for (int i = rows; i < mr; i++) dst[l * mr + i] = F.Zero;
        }
    }
}

/// <summary>op(B) as a strided matrix: element (l, j) at p[l·rs + j·cs]; covers B and Bᵀ.</summary>
internal readonly unsafe struct StridedPackB<F>(F* p, long rs, long cs, long batchStride) : IPackB<F, StridedPackB<F>>
    where F : unmanaged, INumber<F>
{
    public StridedPackB<F> ForBatch(int q) => new(p + q * batchStride, rs, cs, batchStride);

    public F* Packed(int nr, int l0, int kc, int j0, int nc) => null;

    public void Pack(F* dst, int nr, int l0, int kc, int j0, int nc)
    {
        for (int jp = 0; jp < nc; jp += nr, dst += nr * kc)
        {
            int cols = Math.Min(nr, nc - jp);
            F* src = p + l0 * rs + (j0 + jp) * cs;
            if (cs == 1)
            {
                if (Avx512F.IsSupported)
                    for (int l = 0; l < kc; l++) GemmMath.CopyMasked(src + l * rs, dst + l * nr, cols, F.One, false);
                else
                    for (int l = 0; l < kc; l++) Unsafe.CopyBlockUnaligned(dst + l * nr, src + l * rs, (uint)(cols * sizeof(F)));
            }
            else
            {
                int lv = 0;
                if (rs == 1 && typeof(F) == typeof(float) && Transpose16.IsSupported && nr % 16 == 0)
                {
                    // Bᵀ stored: columns contiguous along k, so 16×16 transposes (no spill: nr ≥ 16).
                    for (; lv + 16 <= kc; lv += 16)
                        for (int jb = 0; jb < cols; jb += 16)
                            Transpose16.Block((float*)(src + jb * cs + lv), cs, Math.Min(16, cols - jb),
                                (float*)(dst + lv * nr + jb), nr, 1f, false);
                }
                for (int j = 0; j < cols; j++)
                {
                    F* s = src + j * cs;
                    F* d = dst + j;
                    for (int l = lv; l < kc; l++) d[l * nr] = s[l * rs];
                }
            }
            if (cols < nr)
                for (int l = 0; l < kc; l++)
                    for (int j = cols; j < nr; j++) dst[l * nr + j] = F.Zero;
        }
    }
}

/// <summary>Shared helpers of the micro-kernels.</summary>
internal static unsafe class GemmMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<F> Fma<F>(Vector512<F> a, Vector512<F> b, Vector512<F> c) where F : unmanaged
    {
        if (typeof(F) == typeof(float))
            return Vector512.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, F>();
        return Vector512.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, F>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<F> Fma<F>(Vector256<F> a, Vector256<F> b, Vector256<F> c) where F : unmanaged
    {
        if (typeof(F) == typeof(float))
            return Vector256.FusedMultiplyAdd(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, F>();
        return Vector256.FusedMultiplyAdd(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, F>();
    }

    /// <summary>
    /// dst[0..count) ← scale·src[0..count) with 512-bit masked loads and stores (nothing outside the range is read or
    /// written). Requires AVX-512F.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyMasked<F>(F* src, F* dst, int count, F scale, bool scaled) where F : unmanaged
    {
        int w = Vector512<F>.Count;
        for (int i = 0; i < count; i += w)
        {
            int left = count - i;
            if (typeof(F) == typeof(float))
            {
                var v = left >= 16 ? Vector512.Load((float*)src + i)
                    : Avx512F.MaskLoad((float*)src + i, Mask32(left), Vector512<float>.Zero);
                if (scaled) v *= Vector512.Create(Unsafe.As<F, float>(ref scale));
                if (left >= 16) Vector512.Store(v, (float*)dst + i);
                else Avx512F.MaskStore((float*)dst + i, Mask32(left), v);
            }
            else
            {
                var v = left >= 8 ? Vector512.Load((double*)src + i)
                    : Avx512F.MaskLoad((double*)src + i, Mask64(left), Vector512<double>.Zero);
                if (scaled) v *= Vector512.Create(Unsafe.As<F, double>(ref scale));
                if (left >= 8) Vector512.Store(v, (double*)dst + i);
                else Avx512F.MaskStore((double*)dst + i, Mask64(left), v);
            }
        }
    }

    /// <summary>dst[0..min(left, one vector)) += src[same] with masked loads and stores. Requires AVX-512F.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddMasked<F>(F* src, F* dst, int left) where F : unmanaged
    {
        if (typeof(F) == typeof(float))
        {
            var m = Mask32(left);
            Avx512F.MaskStore((float*)dst, m, Avx512F.MaskLoad((float*)dst, m, Vector512<float>.Zero) + Avx512F.MaskLoad((float*)src, m, Vector512<float>.Zero));
        }
        else
        {
            var m = Mask64(left);
            Avx512F.MaskStore((double*)dst, m, Avx512F.MaskLoad((double*)dst, m, Vector512<double>.Zero) + Avx512F.MaskLoad((double*)src, m, Vector512<double>.Zero));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Mask32(int count) =>
        Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(count)).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<double> Mask64(int count) =>
        Vector512.LessThan(Vector512.Create(0L, 1, 2, 3, 4, 5, 6, 7), Vector512.Create((long)count)).AsDouble();

    /// <summary>0 when β = 0 (C is not read), 1 when β = 1, 2 otherwise.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int BetaMode<F>(F beta) where F : unmanaged, INumber<F>
        => beta == F.Zero ? 0 : beta == F.One ? 1 : 2;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow<F>(F* c, int w, Vector512<F> x0, Vector512<F> x1, F beta, int mode) where F : unmanaged
    {
        if (mode == 1)
        {
            x0 += Vector512.Load(c);
            x1 += Vector512.Load(c + w);
        }
        else if (mode == 2)
        {
            var bv = Vector512.Create(beta);
            x0 = Fma(Vector512.Load(c), bv, x0);
            x1 = Fma(Vector512.Load(c + w), bv, x1);
        }
        Vector512.Store(x0, c);
        Vector512.Store(x1, c + w);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow<F>(F* c, Vector512<F> x0, F beta, int mode) where F : unmanaged
    {
        if (mode == 1) x0 += Vector512.Load(c);
        else if (mode == 2) x0 = Fma(Vector512.Load(c), Vector512.Create(beta), x0);
        Vector512.Store(x0, c);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void StoreRow<F>(F* c, int w, Vector256<F> x0, Vector256<F> x1, F beta, int mode) where F : unmanaged
    {
        if (mode == 1)
        {
            x0 += Vector256.Load(c);
            x1 += Vector256.Load(c + w);
        }
        else if (mode == 2)
        {
            var bv = Vector256.Create(beta);
            x0 = Fma(Vector256.Load(c), bv, x0);
            x1 = Fma(Vector256.Load(c + w), bv, x1);
        }
        Vector256.Store(x0, c);
        Vector256.Store(x1, c + w);
    }

    /// <summary>Stores the mr×nr corner of a tile (row stride <paramref name="ldt"/>) into a strided C.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void StoreTile<F>(F* tile, int ldt, F* c, long rsc, long csc, F beta, int mr, int nr)
        where F : unmanaged, INumber<F>
    {
        int mode = BetaMode(beta);
        if (typeof(F) == typeof(float) && rsc == 1 && csc != 1 && Transpose16.IsSupported)
        {
            StoreColumns((float*)tile, ldt, (float*)c, csc, Unsafe.As<F, float>(ref beta), mode, mr, nr);
            return;
        }
        // Walk C along whichever index is contiguous in memory (conv outputs are stored transposed).
        if (csc <= rsc)
            for (int i = 0; i < mr; i++) StoreLine(tile + i * ldt, 1, c + i * rsc, csc, nr, beta, mode);
        else
            for (int j = 0; j < nr; j++) StoreLine(tile + j, ldt, c + j * csc, rsc, mr, beta, mode);
    }

    /// <summary>
    /// Column-major C (conv outputs Yᵀ): transposes the tile 16 columns at a time and writes each column's mr
    /// contiguous elements with a masked store, instead of mr·nr scalar stores.
    /// </summary>
    private static void StoreColumns(float* tile, int ldt, float* c, long csc, float beta, int mode, int mr, int nr)
    {
        float* t = stackalloc float[256];
        var lanes = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var bv = Vector512.Create(beta);
        for (int ib = 0; ib < mr; ib += 16)
        {
            int rows = Math.Min(16, mr - ib);
            var mask = Vector512.LessThan(lanes, Vector512.Create(rows)).AsSingle();
            for (int jb = 0; jb < nr; jb += 16)
            {
                Transpose16.Block(tile + ib * ldt + jb, ldt, rows, t, 16, 1f, false);
                int cols = Math.Min(16, nr - jb);
                for (int j = 0; j < cols; j++)
                {
                    var v = Vector512.Load(t + j * 16);
                    float* dst = c + (jb + j) * csc + ib;
                    if (mode == 1) v += Avx512F.MaskLoad(dst, mask, Vector512<float>.Zero);
                    else if (mode == 2) v = Vector512.FusedMultiplyAdd(Avx512F.MaskLoad(dst, mask, Vector512<float>.Zero), bv, v);
                    Avx512F.MaskStore(dst, mask, v);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLine<F>(F* t, long ts, F* c, long cs, int count, F beta, int mode) where F : unmanaged, INumber<F>
    {
        if (mode == 0) for (int q = 0; q < count; q++) c[q * cs] = t[q * ts];
        else if (mode == 1) for (int q = 0; q < count; q++) c[q * cs] += t[q * ts];
        else for (int q = 0; q < count; q++) c[q * cs] = t[q * ts] + beta * c[q * cs];
    }
}

/// <summary>
/// Per-thread packing buffers, 64-byte aligned, grown on demand and then reused: steady-state GEMMs allocate
/// nothing. They live as long as their thread (the pool's workers and the callers).
/// </summary>
internal static unsafe class GemmScratch
{
    /// <summary>Slot of the packed A and B blocks and the edge tile (used inside <c>GemmDriver.Block</c>).</summary>
    public const int PackingSlot = 0;
    /// <summary>Slot of a convolution's column matrix (col2im input).</summary>
    public const int ColumnsSlot = 1;
    /// <summary>Slot of an operand packed once per call and shared with the workers (convolution weights, partial sums).</summary>
    public const int SharedSlot = 2;
    /// <summary>Slot of a zero-padded copy of one image (convolution packers).</summary>
    public const int PaddedSlot = 3;
    /// <summary>Slot of rearranged convolution weights (backward-input as a forward convolution).</summary>
    public const int WeightsSlot = 4;
    /// <summary>Slot of a convolution's stacked output before it is copied out set by set (calling thread only).</summary>
    public const int StackedSlot = 5;
    /// <summary>Slots of the fused conv-pool tangent's padded input, E-innermost input tangents and weight tangents.</summary>
    public const int FusedPrimalSlot = 6, FusedTangentSlot = 7, FusedWeightSlot = 8;

    [ThreadStatic] private static Slots _slots;

    [InlineArray(9)]
    private struct Pointers { private nint _p; }

    private struct Slots
    {
        public Pointers Buffer;
        public Pointers Capacity;
    }

    /// <summary>At least <paramref name="bytes"/> bytes of the calling thread's buffer <paramref name="slot"/>.</summary>
    public static byte* Get(int slot, nuint bytes)
    {
        ref var s = ref _slots;
        if ((nuint)s.Capacity[slot] < bytes)
        {
            if (s.Buffer[slot] != 0) NativeMemory.AlignedFree((void*)s.Buffer[slot]);
            s.Buffer[slot] = 0;
            s.Buffer[slot] = (nint)NativeMemory.AlignedAlloc(bytes, 64);
            s.Capacity[slot] = (nint)bytes;
        }
        return (byte*)s.Buffer[slot];
    }
}

/// <summary>The blocked GEMM loops over a micro-kernel <typeparamref name="TK"/>.</summary>
internal static unsafe class GemmDriver<F, TK> where F : unmanaged, INumber<F> where TK : struct, IMicroKernel<F>
{
    /// <summary>Depth of a packed block: 1 KiB of k per panel row (256 floats, 128 doubles).</summary>
    public static int KC => 1024 / sizeof(F);
    /// <summary>
    /// Depth of the blocks for a total depth k: k split evenly into ⌈k/KC⌉ blocks (784 → 4×196, not 3×256 + 16, whose
    /// thin last block would pay the C update for little work).
    /// </summary>
    public static int DepthBlock(int k)
    {
        int blocks = Math.Max(1, (k + KC - 1) / KC);
        return (k + blocks - 1) / blocks;
    }

    /// <summary>Rows of a packed A block (8 panels).</summary>
    public static int MC => 8 * TK.MR;
    /// <summary>Columns of a packed B block (16 panels).</summary>
    public static int NC => 16 * TK.NR;

    /// <summary>Bytes of per-thread scratch that <see cref="Block{TA,TB}"/> uses.</summary>
    public static nuint ScratchBytes => (nuint)((MC * KC + Slack + NC * KC + TK.MR * TK.NR) * sizeof(F));

    /// <summary>Elements after the A block that absorb the spill of the vector packers (keeps B 64-byte aligned).</summary>
    public const int Slack = 64;

    /// <summary>
    /// C[i0:i1, j0:j1] ← α·op(A)·op(B) + β·C over the full depth k, on the calling thread. C(i, j) is at
    /// c[i·rsc + j·csc].
    /// </summary>
    public static void Block<TA, TB>(in TA a, in TB b, F* c, long rsc, long csc, int i0, int i1, int j0, int j1, int k,
        F alpha, F beta)
        where TA : struct, IPackA<F, TA> where TB : struct, IPackB<F, TB>
    {
        int mr = TK.MR, nr = TK.NR, kcMax = DepthBlock(k), mcMax = MC, ncMax = NC;
        F* pa = (F*)GemmScratch.Get(GemmScratch.PackingSlot, ScratchBytes);
        F* pb = pa + mcMax * kcMax + Slack;
        F* tile = pb + ncMax * kcMax;
        for (int jc = j0; jc < j1; jc += ncMax)
        {
            int nc = Math.Min(ncMax, j1 - jc);
            for (int pc = 0; pc < k; pc += kcMax)
            {
                int kc = Math.Min(kcMax, k - pc);
                F betaBlock = pc == 0 ? beta : F.One;
                F* bBlock = b.Packed(nr, pc, kc, jc, nc);
                if (bBlock == null)
                {
                    b.Pack(pb, nr, pc, kc, jc, nc);
                    bBlock = pb;
                }
                for (int ic = i0; ic < i1; ic += mcMax)
                {
                    int mc = Math.Min(mcMax, i1 - ic);
                    a.Pack(pa, mr, ic, mc, pc, kc, alpha);
                    for (int jr = 0; jr < nc; jr += nr)
                    {
                        int nrr = Math.Min(nr, nc - jr);
                        F* bp = bBlock + jr * kc;
                        F* cc = c + (jc + jr) * csc + ic * rsc;
                        for (int ir = 0; ir < mc; ir += mr)
                            TK.Run(kc, pa + ir * kc, bp, cc + ir * rsc, rsc, csc, betaBlock, Math.Min(mr, mc - ir), nrr, tile);
                    }
                }
            }
        }
    }

    /// <summary>
    /// A batch of GEMMs, split over the thread pool: across the batch when it is large enough, else each GEMM's
    /// larger dimension is split into whole panels. Small problems run on the calling thread.
    /// </summary>
    public static void Batched<TA, TB>(in TA a, in TB b, F* c, long rsc, long csc, long strideC, int m, int n, int k,
        F alpha, F beta, int batch)
        where TA : struct, IPackA<F, TA> where TB : struct, IPackB<F, TB>
    {
        double work = (double)m * n * k * batch;
        int threads = CpuParallel.ThreadCount;
        if (threads == 1 || work < GemmPlan.ParallelThreshold)
        {
            for (int p = 0; p < batch; p++)
                Block(a.ForBatch(p), b.ForBatch(p), c + p * strideC, rsc, csc, 0, m, 0, n, k, alpha, beta);
            return;
        }
        int mPanels = (m + TK.MR - 1) / TK.MR, nPanels = (n + TK.NR - 1) / TK.NR;
        bool splitM = mPanels >= nPanels;
        int panels = splitM ? mPanels : nPanels;
        int splits = batch >= 2 * threads ? 1 : Math.Min(threads, panels);
        int chunk = (panels + splits - 1) / splits * (splitM ? TK.MR : TK.NR);
        splits = ((splitM ? m : n) + chunk - 1) / chunk;
        var body = new BatchBody<TA, TB>
        {
            A = a, B = b, C = c, Rsc = rsc, Csc = csc, StrideC = strideC, M = m, N = n, K = k,
            Alpha = alpha, Beta = beta, Splits = splits, Chunk = chunk, SplitM = splitM,
        };
        CpuParallel.For(batch * splits, body);
    }

    private struct BatchBody<TA, TB> : IParallelBody
        where TA : struct, IPackA<F, TA> where TB : struct, IPackB<F, TB>
    {
        public TA A;
        public TB B;
        public F* C;
        public long Rsc, Csc, StrideC;
        public int M, N, K, Splits, Chunk;
        public F Alpha, Beta;
        public bool SplitM;

        public readonly void Run(int index)
        {
            int p = index / Splits, s = index % Splits;
            int lo = s * Chunk;
            int i0 = 0, i1 = M, j0 = 0, j1 = N;
            if (SplitM) { i0 = lo; i1 = Math.Min(M, lo + Chunk); }
            else { j0 = lo; j1 = Math.Min(N, lo + Chunk); }
            Block(A.ForBatch(p), B.ForBatch(p), C + p * StrideC, Rsc, Csc, i0, i1, j0, j1, K, Alpha, Beta);
        }
    }
}

/// <summary>Thresholds that choose between the direct, single-threaded and threaded paths.</summary>
internal static class GemmPlan
{
    /// <summary>Below this many multiply-adds a GEMM runs on the calling thread (a hand-off costs a few µs).</summary>
    public const double ParallelThreshold = 1 << 19;

    /// <summary>Below this many multiply-adds a GEMM skips packing and runs plain loops.</summary>
    public const long DirectThreshold = 4096;
}

/// <summary>Entry points of the CPU GEMM on raw pointers (float or double).</summary>
internal static unsafe class Gemm
{
    /// <summary>
    /// C_p ← α·op(A_p)·op(B_p) + β·C_p for p in [0, batch), with A_p = a + p·strideA etc. (row-major, leading
    /// dimensions as in BLAS). β = 0 does not read C.
    /// </summary>
    public static void Run<F>(bool transA, bool transB, int m, int n, int k, F alpha, F* a, int lda, long strideA,
        F* b, int ldb, long strideB, F beta, F* c, int ldc, long strideC, int batch) where F : unmanaged, INumber<F>
    {
        if (m == 0 || n == 0 || batch == 0) return;
        if (k == 0 || alpha == F.Zero)
        {
            for (int p = 0; p < batch; p++) ScaleC(c + p * strideC, ldc, m, n, beta);
            return;
        }
        if ((long)m * n * k <= GemmPlan.DirectThreshold)
        {
            for (int p = 0; p < batch; p++)
                Direct(transA, transB, m, n, k, alpha, a + p * strideA, lda, b + p * strideB, ldb, beta, c + p * strideC, ldc);
            return;
        }
        var pa = transA ? new StridedPackA<F>(a, 1, lda, strideA) : new StridedPackA<F>(a, lda, 1, strideA);
        var pb = transB ? new StridedPackB<F>(b, 1, ldb, strideB) : new StridedPackB<F>(b, ldb, 1, strideB);
        if (Vector512.IsHardwareAccelerated && n <= Vector512<F>.Count)
            GemmDriver<F, MicroKernel512Narrow<F>>.Batched(pa, pb, c, ldc, 1, strideC, m, n, k, alpha, beta, batch);
        else if (Vector512.IsHardwareAccelerated)
            GemmDriver<F, MicroKernel512<F>>.Batched(pa, pb, c, ldc, 1, strideC, m, n, k, alpha, beta, batch);
        else
            GemmDriver<F, MicroKernel256<F>>.Batched(pa, pb, c, ldc, 1, strideC, m, n, k, alpha, beta, batch);
    }

    /// <summary>C ← β·C (β = 0 writes zeros without reading C).</summary>
    public static void ScaleC<F>(F* c, long ldc, int m, int n, F beta) where F : unmanaged, INumber<F>
    {
        for (int i = 0; i < m; i++)
        {
            F* row = c + i * ldc;
            if (beta == F.Zero) new Span<F>(row, n).Clear();
            else if (beta != F.One) for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }

    /// <summary>Plain loops for problems too small to amortise packing.</summary>
    private static void Direct<F>(bool ta, bool tb, int m, int n, int k, F alpha, F* a, int lda, F* b, int ldb,
        F beta, F* c, int ldc) where F : unmanaged, INumber<F>
    {
        long ars = ta ? 1 : lda, acs = ta ? lda : 1, brs = tb ? 1 : ldb, bcs = tb ? ldb : 1;
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                F acc = F.Zero;
                F* ap = a + i * ars;
                F* bp = b + j * bcs;
                for (int l = 0; l < k; l++) acc += ap[l * acs] * bp[l * brs];
                ref F cv = ref c[i * ldc + j];
                cv = beta == F.Zero ? alpha * acc : alpha * acc + beta * cv;
            }
    }
}
