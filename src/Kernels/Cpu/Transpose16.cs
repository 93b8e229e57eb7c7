using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tangent.Kernels.Cpu;

/// <summary>
/// 16×16 float32 transposes in AVX-512 registers, used by the packers when the operand's contiguous direction is
/// the GEMM depth (A row-major, Bᵀ, im2col columns): 64 shuffles instead of 256 scalar strided moves.
/// </summary>
internal static unsafe class Transpose16
{
    /// <summary>Whether the vector transposes can run here.</summary>
    public static bool IsSupported => Avx512F.IsSupported;

    /// <summary>
    /// Reads <paramref name="rows"/> (≤ 16) rows of 16 floats (row i at src + i·srcStride, missing rows read as 0)
    /// and writes column j (16 floats, element i = row i) to dst + j·dstStride, for j = 0..15 in ascending order.
    /// When dstStride &lt; 16 each store spills past its column into the next ones; ascending order makes the next
    /// column's store overwrite the spill, and the caller keeps 16 floats of slack after the last column.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Block(float* src, long srcStride, int rows, float* dst, long dstStride, float scale, bool scaled)
    {
        var z = Vector512<float>.Zero;
        var r0 = Vector512.Load(src);
        var r1 = rows > 1 ? Vector512.Load(src + srcStride) : z;
        var r2 = rows > 2 ? Vector512.Load(src + 2 * srcStride) : z;
        var r3 = rows > 3 ? Vector512.Load(src + 3 * srcStride) : z;
        var r4 = rows > 4 ? Vector512.Load(src + 4 * srcStride) : z;
        var r5 = rows > 5 ? Vector512.Load(src + 5 * srcStride) : z;
        var r6 = rows > 6 ? Vector512.Load(src + 6 * srcStride) : z;
        var r7 = rows > 7 ? Vector512.Load(src + 7 * srcStride) : z;
        var r8 = rows > 8 ? Vector512.Load(src + 8 * srcStride) : z;
        var r9 = rows > 9 ? Vector512.Load(src + 9 * srcStride) : z;
        var r10 = rows > 10 ? Vector512.Load(src + 10 * srcStride) : z;
        var r11 = rows > 11 ? Vector512.Load(src + 11 * srcStride) : z;
        var r12 = rows > 12 ? Vector512.Load(src + 12 * srcStride) : z;
        var r13 = rows > 13 ? Vector512.Load(src + 13 * srcStride) : z;
        var r14 = rows > 14 ? Vector512.Load(src + 14 * srcStride) : z;
        var r15 = rows > 15 ? Vector512.Load(src + 15 * srcStride) : z;

        // Interleave 32-bit elements of row pairs, then 64-bit pairs: u_q holds, in 128-bit lane L, column 4L + q
        // of four consecutive rows.
        var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
        var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
        var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
        var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
        var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
        var t10 = Avx512F.UnpackLow(r10, r11); var t11 = Avx512F.UnpackHigh(r10, r11);
        var t12 = Avx512F.UnpackLow(r12, r13); var t13 = Avx512F.UnpackHigh(r12, r13);
        var t14 = Avx512F.UnpackLow(r14, r15); var t15 = Avx512F.UnpackHigh(r14, r15);

        var u0 = Lo(t0, t2); var u1 = Hi(t0, t2); var u2 = Lo(t1, t3); var u3 = Hi(t1, t3);
        var u4 = Lo(t4, t6); var u5 = Hi(t4, t6); var u6 = Lo(t5, t7); var u7 = Hi(t5, t7);
        var u8 = Lo(t8, t10); var u9 = Hi(t8, t10); var u10 = Lo(t9, t11); var u11 = Hi(t9, t11);
        var u12 = Lo(t12, t14); var u13 = Hi(t12, t14); var u14 = Lo(t13, t15); var u15 = Hi(t13, t15);

        // Gather the 128-bit lanes: column 4L + q = lanes L of u_q, u_{q+4}, u_{q+8}, u_{q+12}.
        Columns(u0, u4, u8, u12, out var c0, out var c4, out var c8, out var c12);
        Columns(u1, u5, u9, u13, out var c1, out var c5, out var c9, out var c13);
        Columns(u2, u6, u10, u14, out var c2, out var c6, out var c10, out var c14);
        Columns(u3, u7, u11, u15, out var c3, out var c7, out var c11, out var c15);
        if (scaled)
        {
            var s = Vector512.Create(scale);
            c0 *= s; c1 *= s; c2 *= s; c3 *= s; c4 *= s; c5 *= s; c6 *= s; c7 *= s;
            c8 *= s; c9 *= s; c10 *= s; c11 *= s; c12 *= s; c13 *= s; c14 *= s; c15 *= s;
        }
        // Ascending order: a column's spill (dstStride < 16) is overwritten by the next column.
        Vector512.Store(c0, dst); Vector512.Store(c1, dst + dstStride);
        Vector512.Store(c2, dst + 2 * dstStride); Vector512.Store(c3, dst + 3 * dstStride);
        Vector512.Store(c4, dst + 4 * dstStride); Vector512.Store(c5, dst + 5 * dstStride);
        Vector512.Store(c6, dst + 6 * dstStride); Vector512.Store(c7, dst + 7 * dstStride);
        Vector512.Store(c8, dst + 8 * dstStride); Vector512.Store(c9, dst + 9 * dstStride);
        Vector512.Store(c10, dst + 10 * dstStride); Vector512.Store(c11, dst + 11 * dstStride);
        Vector512.Store(c12, dst + 12 * dstStride); Vector512.Store(c13, dst + 13 * dstStride);
        Vector512.Store(c14, dst + 14 * dstStride); Vector512.Store(c15, dst + 15 * dstStride);
    }

    /// <summary>From the four u vectors of one q: columns q, 4 + q, 8 + q, 12 + q.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d,
        out Vector512<float> lane0, out Vector512<float> lane1, out Vector512<float> lane2, out Vector512<float> lane3)
    {
        var ab02 = Avx512F.Shuffle4x128(a, b, 0x88); // a.L0 a.L2 b.L0 b.L2
        var ab13 = Avx512F.Shuffle4x128(a, b, 0xDD); // a.L1 a.L3 b.L1 b.L3
        var cd02 = Avx512F.Shuffle4x128(c, d, 0x88);
        var cd13 = Avx512F.Shuffle4x128(c, d, 0xDD);
        lane0 = Avx512F.Shuffle4x128(ab02, cd02, 0x88);
        lane2 = Avx512F.Shuffle4x128(ab02, cd02, 0xDD);
        lane1 = Avx512F.Shuffle4x128(ab13, cd13, 0x88);
        lane3 = Avx512F.Shuffle4x128(ab13, cd13, 0xDD);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Lo(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Hi(Vector512<float> a, Vector512<float> b) =>
        Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();
}
