using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tangent.Kernels.Cpu;

/// <summary>
/// C ← β·C + A·Bᵀ for a tiny output (a few hundred elements) and a long, contiguous depth: 4×4 blocks of dot
/// products with 16 vector accumulators and one horizontal sum each at the end. The packed micro-kernels would pad
/// a 9×16 output to 28×16 tiles and pack both operands for a single use; this path reads them in place. Used for
/// the weight gradient of convolutions with few taps and channels (a 1-channel first layer: 9×16 per image).
/// </summary>
internal static unsafe class GemmDot
{
    /// <summary>Whether the dot path applies here: AVX-512 and an output of at most 256 elements.</summary>
    public static bool Suits(int m, int n) => Avx512F.IsSupported && (long)m * n <= 256;

    /// <summary>C[i·ldc + j] ← β·C + Σ_l a[i·lda + l]·b[j·ldb + l] for i &lt; m, j &lt; n (β = 0 does not read C).</summary>
    public static void RunNT<F>(int m, int n, int k, F* a, long lda, F* b, long ldb, F* c, long ldc, F beta)
        where F : unmanaged, INumber<F>
    {
        int w = Vector512<F>.Count;
        for (int i0 = 0; i0 < m; i0 += 4)
            for (int j0 = 0; j0 < n; j0 += 4)
            {
                // Rows past the edge repeat the last valid row; their sums are computed and dropped.
                F* a0 = a + Math.Min(i0, m - 1) * lda, a1 = a + Math.Min(i0 + 1, m - 1) * lda;
                F* a2 = a + Math.Min(i0 + 2, m - 1) * lda, a3 = a + Math.Min(i0 + 3, m - 1) * lda;
                F* b0 = b + Math.Min(j0, n - 1) * ldb, b1 = b + Math.Min(j0 + 1, n - 1) * ldb;
                F* b2 = b + Math.Min(j0 + 2, n - 1) * ldb, b3 = b + Math.Min(j0 + 3, n - 1) * ldb;
                Vector512<F> s00 = default, s01 = default, s02 = default, s03 = default;
                Vector512<F> s10 = default, s11 = default, s12 = default, s13 = default;
                Vector512<F> s20 = default, s21 = default, s22 = default, s23 = default;
                Vector512<F> s30 = default, s31 = default, s32 = default, s33 = default;
                for (int l = 0; l < k; l += w)
                {
                    Vector512<F> x0, x1, x2, x3, y0, y1, y2, y3;
                    if (l + w <= k)
                    {
                        x0 = Vector512.Load(a0 + l); x1 = Vector512.Load(a1 + l); x2 = Vector512.Load(a2 + l); x3 = Vector512.Load(a3 + l);
                        y0 = Vector512.Load(b0 + l); y1 = Vector512.Load(b1 + l); y2 = Vector512.Load(b2 + l); y3 = Vector512.Load(b3 + l);
                    }
                    else
                    {
                        int left = k - l;
                        x0 = Masked(a0 + l, left); x1 = Masked(a1 + l, left); x2 = Masked(a2 + l, left); x3 = Masked(a3 + l, left);
                        y0 = Masked(b0 + l, left); y1 = Masked(b1 + l, left); y2 = Masked(b2 + l, left); y3 = Masked(b3 + l, left);
                    }
                    s00 = GemmMath.Fma(x0, y0, s00); s01 = GemmMath.Fma(x0, y1, s01); s02 = GemmMath.Fma(x0, y2, s02); s03 = GemmMath.Fma(x0, y3, s03);
                    s10 = GemmMath.Fma(x1, y0, s10); s11 = GemmMath.Fma(x1, y1, s11); s12 = GemmMath.Fma(x1, y2, s12); s13 = GemmMath.Fma(x1, y3, s13);
                    s20 = GemmMath.Fma(x2, y0, s20); s21 = GemmMath.Fma(x2, y1, s21); s22 = GemmMath.Fma(x2, y2, s22); s23 = GemmMath.Fma(x2, y3, s23);
                    s30 = GemmMath.Fma(x3, y0, s30); s31 = GemmMath.Fma(x3, y1, s31); s32 = GemmMath.Fma(x3, y2, s32); s33 = GemmMath.Fma(x3, y3, s33);
                }
                int mi = Math.Min(4, m - i0), nj = Math.Min(4, n - j0);
                F* cb = c + i0 * ldc + j0;
                Put(cb, 0, 0, mi, nj, ldc, s00, beta); Put(cb, 0, 1, mi, nj, ldc, s01, beta); Put(cb, 0, 2, mi, nj, ldc, s02, beta); Put(cb, 0, 3, mi, nj, ldc, s03, beta);
                Put(cb, 1, 0, mi, nj, ldc, s10, beta); Put(cb, 1, 1, mi, nj, ldc, s11, beta); Put(cb, 1, 2, mi, nj, ldc, s12, beta); Put(cb, 1, 3, mi, nj, ldc, s13, beta);
                Put(cb, 2, 0, mi, nj, ldc, s20, beta); Put(cb, 2, 1, mi, nj, ldc, s21, beta); Put(cb, 2, 2, mi, nj, ldc, s22, beta); Put(cb, 2, 3, mi, nj, ldc, s23, beta);
                Put(cb, 3, 0, mi, nj, ldc, s30, beta); Put(cb, 3, 1, mi, nj, ldc, s31, beta); Put(cb, 3, 2, mi, nj, ldc, s32, beta); Put(cb, 3, 3, mi, nj, ldc, s33, beta);
            }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put<F>(F* c, int i, int j, int mi, int nj, long ldc, Vector512<F> sum, F beta) where F : unmanaged, INumber<F>
    {
        if (i >= mi || j >= nj) return;
        ref F dst = ref c[i * ldc + j];
        F s = Vector512.Sum(sum);
        dst = beta == F.Zero ? s : s + beta * dst;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<F> Masked<F>(F* p, int left) where F : unmanaged
    {
        if (typeof(F) == typeof(float))
            return Avx512F.MaskLoad((float*)p, Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                Vector512.Create(left)).AsSingle(), Vector512<float>.Zero).As<float, F>();
        return Avx512F.MaskLoad((double*)p, Vector512.LessThan(Vector512.Create(0L, 1, 2, 3, 4, 5, 6, 7),
            Vector512.Create((long)left)).AsDouble(), Vector512<double>.Zero).As<double, F>();
    }
}
