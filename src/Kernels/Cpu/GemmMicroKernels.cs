// Generated register-tiled micro-kernels (see Gemm.cs for the packed layouts they read).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tangent.Kernels.Cpu;

/// <summary>14 × (2·Vector512) register tile: 28 accumulators, one broadcast of A and two loads of B per step of k.</summary>
internal readonly unsafe struct MicroKernel512<F> : IMicroKernel<F> where F : unmanaged, INumber<F>
{
    public static int MR => 14;
    public static int NR => 2 * Vector512<F>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, F* a, F* b, F* c, long rsc, long csc, F beta, int mr, int nr, F* tile)
    {
        int w = Vector512<F>.Count;
        Vector512<F> c0_0 = Vector512<F>.Zero, c0_1 = Vector512<F>.Zero, c1_0 = Vector512<F>.Zero, c1_1 = Vector512<F>.Zero, c2_0 = Vector512<F>.Zero, c2_1 = Vector512<F>.Zero, c3_0 = Vector512<F>.Zero, c3_1 = Vector512<F>.Zero, c4_0 = Vector512<F>.Zero, c4_1 = Vector512<F>.Zero, c5_0 = Vector512<F>.Zero, c5_1 = Vector512<F>.Zero, c6_0 = Vector512<F>.Zero, c6_1 = Vector512<F>.Zero, c7_0 = Vector512<F>.Zero, c7_1 = Vector512<F>.Zero, c8_0 = Vector512<F>.Zero, c8_1 = Vector512<F>.Zero, c9_0 = Vector512<F>.Zero, c9_1 = Vector512<F>.Zero, c10_0 = Vector512<F>.Zero, c10_1 = Vector512<F>.Zero, c11_0 = Vector512<F>.Zero, c11_1 = Vector512<F>.Zero, c12_0 = Vector512<F>.Zero, c12_1 = Vector512<F>.Zero, c13_0 = Vector512<F>.Zero, c13_1 = Vector512<F>.Zero;
        for (int l = 0; l < kc; l++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + w);
            var a0 = Vector512.Create(a[0]); c0_0 = GemmMath.Fma(a0, b0, c0_0); c0_1 = GemmMath.Fma(a0, b1, c0_1);
            var a1 = Vector512.Create(a[1]); c1_0 = GemmMath.Fma(a1, b0, c1_0); c1_1 = GemmMath.Fma(a1, b1, c1_1);
            var a2 = Vector512.Create(a[2]); c2_0 = GemmMath.Fma(a2, b0, c2_0); c2_1 = GemmMath.Fma(a2, b1, c2_1);
            var a3 = Vector512.Create(a[3]); c3_0 = GemmMath.Fma(a3, b0, c3_0); c3_1 = GemmMath.Fma(a3, b1, c3_1);
            var a4 = Vector512.Create(a[4]); c4_0 = GemmMath.Fma(a4, b0, c4_0); c4_1 = GemmMath.Fma(a4, b1, c4_1);
            var a5 = Vector512.Create(a[5]); c5_0 = GemmMath.Fma(a5, b0, c5_0); c5_1 = GemmMath.Fma(a5, b1, c5_1);
            var a6 = Vector512.Create(a[6]); c6_0 = GemmMath.Fma(a6, b0, c6_0); c6_1 = GemmMath.Fma(a6, b1, c6_1);
            var a7 = Vector512.Create(a[7]); c7_0 = GemmMath.Fma(a7, b0, c7_0); c7_1 = GemmMath.Fma(a7, b1, c7_1);
            var a8 = Vector512.Create(a[8]); c8_0 = GemmMath.Fma(a8, b0, c8_0); c8_1 = GemmMath.Fma(a8, b1, c8_1);
            var a9 = Vector512.Create(a[9]); c9_0 = GemmMath.Fma(a9, b0, c9_0); c9_1 = GemmMath.Fma(a9, b1, c9_1);
            var a10 = Vector512.Create(a[10]); c10_0 = GemmMath.Fma(a10, b0, c10_0); c10_1 = GemmMath.Fma(a10, b1, c10_1);
            var a11 = Vector512.Create(a[11]); c11_0 = GemmMath.Fma(a11, b0, c11_0); c11_1 = GemmMath.Fma(a11, b1, c11_1);
            var a12 = Vector512.Create(a[12]); c12_0 = GemmMath.Fma(a12, b0, c12_0); c12_1 = GemmMath.Fma(a12, b1, c12_1);
            var a13 = Vector512.Create(a[13]); c13_0 = GemmMath.Fma(a13, b0, c13_0); c13_1 = GemmMath.Fma(a13, b1, c13_1);
            a += 14;
            b += 2 * w;
        }
        if (mr == 14 && nr == 2 * w && csc == 1)
        {
            int mode = GemmMath.BetaMode(beta);
            GemmMath.StoreRow(c + 0 * rsc, w, c0_0, c0_1, beta, mode);
            GemmMath.StoreRow(c + 1 * rsc, w, c1_0, c1_1, beta, mode);
            GemmMath.StoreRow(c + 2 * rsc, w, c2_0, c2_1, beta, mode);
            GemmMath.StoreRow(c + 3 * rsc, w, c3_0, c3_1, beta, mode);
            GemmMath.StoreRow(c + 4 * rsc, w, c4_0, c4_1, beta, mode);
            GemmMath.StoreRow(c + 5 * rsc, w, c5_0, c5_1, beta, mode);
            GemmMath.StoreRow(c + 6 * rsc, w, c6_0, c6_1, beta, mode);
            GemmMath.StoreRow(c + 7 * rsc, w, c7_0, c7_1, beta, mode);
            GemmMath.StoreRow(c + 8 * rsc, w, c8_0, c8_1, beta, mode);
            GemmMath.StoreRow(c + 9 * rsc, w, c9_0, c9_1, beta, mode);
            GemmMath.StoreRow(c + 10 * rsc, w, c10_0, c10_1, beta, mode);
            GemmMath.StoreRow(c + 11 * rsc, w, c11_0, c11_1, beta, mode);
            GemmMath.StoreRow(c + 12 * rsc, w, c12_0, c12_1, beta, mode);
            GemmMath.StoreRow(c + 13 * rsc, w, c13_0, c13_1, beta, mode);
        }
        else
        {
            Vector512.Store(c0_0, tile + 0 * 2 * w); Vector512.Store(c0_1, tile + 0 * 2 * w + w);
            Vector512.Store(c1_0, tile + 1 * 2 * w); Vector512.Store(c1_1, tile + 1 * 2 * w + w);
            Vector512.Store(c2_0, tile + 2 * 2 * w); Vector512.Store(c2_1, tile + 2 * 2 * w + w);
            Vector512.Store(c3_0, tile + 3 * 2 * w); Vector512.Store(c3_1, tile + 3 * 2 * w + w);
            Vector512.Store(c4_0, tile + 4 * 2 * w); Vector512.Store(c4_1, tile + 4 * 2 * w + w);
            Vector512.Store(c5_0, tile + 5 * 2 * w); Vector512.Store(c5_1, tile + 5 * 2 * w + w);
            Vector512.Store(c6_0, tile + 6 * 2 * w); Vector512.Store(c6_1, tile + 6 * 2 * w + w);
            Vector512.Store(c7_0, tile + 7 * 2 * w); Vector512.Store(c7_1, tile + 7 * 2 * w + w);
            Vector512.Store(c8_0, tile + 8 * 2 * w); Vector512.Store(c8_1, tile + 8 * 2 * w + w);
            Vector512.Store(c9_0, tile + 9 * 2 * w); Vector512.Store(c9_1, tile + 9 * 2 * w + w);
            Vector512.Store(c10_0, tile + 10 * 2 * w); Vector512.Store(c10_1, tile + 10 * 2 * w + w);
            Vector512.Store(c11_0, tile + 11 * 2 * w); Vector512.Store(c11_1, tile + 11 * 2 * w + w);
            Vector512.Store(c12_0, tile + 12 * 2 * w); Vector512.Store(c12_1, tile + 12 * 2 * w + w);
            Vector512.Store(c13_0, tile + 13 * 2 * w); Vector512.Store(c13_1, tile + 13 * 2 * w + w);
            GemmMath.StoreTile(tile, 2 * w, c, rsc, csc, beta, mr, nr);
        }
    }
}

/// <summary>28 × Vector512 register tile (28 accumulators) for narrow products (n ≤ one vector: conv layers with 16 output channels, small heads).</summary>
internal readonly unsafe struct MicroKernel512Narrow<F> : IMicroKernel<F> where F : unmanaged, INumber<F>
{
    public static int MR => 28;
    public static int NR => Vector512<F>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, F* a, F* b, F* c, long rsc, long csc, F beta, int mr, int nr, F* tile)
    {
        int w = Vector512<F>.Count;
        Vector512<F> c0_0 = Vector512<F>.Zero, c1_0 = Vector512<F>.Zero, c2_0 = Vector512<F>.Zero, c3_0 = Vector512<F>.Zero, c4_0 = Vector512<F>.Zero, c5_0 = Vector512<F>.Zero, c6_0 = Vector512<F>.Zero, c7_0 = Vector512<F>.Zero, c8_0 = Vector512<F>.Zero, c9_0 = Vector512<F>.Zero, c10_0 = Vector512<F>.Zero, c11_0 = Vector512<F>.Zero, c12_0 = Vector512<F>.Zero, c13_0 = Vector512<F>.Zero, c14_0 = Vector512<F>.Zero, c15_0 = Vector512<F>.Zero, c16_0 = Vector512<F>.Zero, c17_0 = Vector512<F>.Zero, c18_0 = Vector512<F>.Zero, c19_0 = Vector512<F>.Zero, c20_0 = Vector512<F>.Zero, c21_0 = Vector512<F>.Zero, c22_0 = Vector512<F>.Zero, c23_0 = Vector512<F>.Zero, c24_0 = Vector512<F>.Zero, c25_0 = Vector512<F>.Zero, c26_0 = Vector512<F>.Zero, c27_0 = Vector512<F>.Zero;
        for (int l = 0; l < kc; l++)
        {
            var b0 = Vector512.Load(b);
            var a0 = Vector512.Create(a[0]); c0_0 = GemmMath.Fma(a0, b0, c0_0);
            var a1 = Vector512.Create(a[1]); c1_0 = GemmMath.Fma(a1, b0, c1_0);
            var a2 = Vector512.Create(a[2]); c2_0 = GemmMath.Fma(a2, b0, c2_0);
            var a3 = Vector512.Create(a[3]); c3_0 = GemmMath.Fma(a3, b0, c3_0);
            var a4 = Vector512.Create(a[4]); c4_0 = GemmMath.Fma(a4, b0, c4_0);
            var a5 = Vector512.Create(a[5]); c5_0 = GemmMath.Fma(a5, b0, c5_0);
            var a6 = Vector512.Create(a[6]); c6_0 = GemmMath.Fma(a6, b0, c6_0);
            var a7 = Vector512.Create(a[7]); c7_0 = GemmMath.Fma(a7, b0, c7_0);
            var a8 = Vector512.Create(a[8]); c8_0 = GemmMath.Fma(a8, b0, c8_0);
            var a9 = Vector512.Create(a[9]); c9_0 = GemmMath.Fma(a9, b0, c9_0);
            var a10 = Vector512.Create(a[10]); c10_0 = GemmMath.Fma(a10, b0, c10_0);
            var a11 = Vector512.Create(a[11]); c11_0 = GemmMath.Fma(a11, b0, c11_0);
            var a12 = Vector512.Create(a[12]); c12_0 = GemmMath.Fma(a12, b0, c12_0);
            var a13 = Vector512.Create(a[13]); c13_0 = GemmMath.Fma(a13, b0, c13_0);
            var a14 = Vector512.Create(a[14]); c14_0 = GemmMath.Fma(a14, b0, c14_0);
            var a15 = Vector512.Create(a[15]); c15_0 = GemmMath.Fma(a15, b0, c15_0);
            var a16 = Vector512.Create(a[16]); c16_0 = GemmMath.Fma(a16, b0, c16_0);
            var a17 = Vector512.Create(a[17]); c17_0 = GemmMath.Fma(a17, b0, c17_0);
            var a18 = Vector512.Create(a[18]); c18_0 = GemmMath.Fma(a18, b0, c18_0);
            var a19 = Vector512.Create(a[19]); c19_0 = GemmMath.Fma(a19, b0, c19_0);
            var a20 = Vector512.Create(a[20]); c20_0 = GemmMath.Fma(a20, b0, c20_0);
            var a21 = Vector512.Create(a[21]); c21_0 = GemmMath.Fma(a21, b0, c21_0);
            var a22 = Vector512.Create(a[22]); c22_0 = GemmMath.Fma(a22, b0, c22_0);
            var a23 = Vector512.Create(a[23]); c23_0 = GemmMath.Fma(a23, b0, c23_0);
            var a24 = Vector512.Create(a[24]); c24_0 = GemmMath.Fma(a24, b0, c24_0);
            var a25 = Vector512.Create(a[25]); c25_0 = GemmMath.Fma(a25, b0, c25_0);
            var a26 = Vector512.Create(a[26]); c26_0 = GemmMath.Fma(a26, b0, c26_0);
            var a27 = Vector512.Create(a[27]); c27_0 = GemmMath.Fma(a27, b0, c27_0);
            a += 28;
            b += w;
        }
        if (mr == 28 && nr == w && csc == 1)
        {
            int mode = GemmMath.BetaMode(beta);
            GemmMath.StoreRow(c + 0 * rsc, c0_0, beta, mode);
            GemmMath.StoreRow(c + 1 * rsc, c1_0, beta, mode);
            GemmMath.StoreRow(c + 2 * rsc, c2_0, beta, mode);
            GemmMath.StoreRow(c + 3 * rsc, c3_0, beta, mode);
            GemmMath.StoreRow(c + 4 * rsc, c4_0, beta, mode);
            GemmMath.StoreRow(c + 5 * rsc, c5_0, beta, mode);
            GemmMath.StoreRow(c + 6 * rsc, c6_0, beta, mode);
            GemmMath.StoreRow(c + 7 * rsc, c7_0, beta, mode);
            GemmMath.StoreRow(c + 8 * rsc, c8_0, beta, mode);
            GemmMath.StoreRow(c + 9 * rsc, c9_0, beta, mode);
            GemmMath.StoreRow(c + 10 * rsc, c10_0, beta, mode);
            GemmMath.StoreRow(c + 11 * rsc, c11_0, beta, mode);
            GemmMath.StoreRow(c + 12 * rsc, c12_0, beta, mode);
            GemmMath.StoreRow(c + 13 * rsc, c13_0, beta, mode);
            GemmMath.StoreRow(c + 14 * rsc, c14_0, beta, mode);
            GemmMath.StoreRow(c + 15 * rsc, c15_0, beta, mode);
            GemmMath.StoreRow(c + 16 * rsc, c16_0, beta, mode);
            GemmMath.StoreRow(c + 17 * rsc, c17_0, beta, mode);
            GemmMath.StoreRow(c + 18 * rsc, c18_0, beta, mode);
            GemmMath.StoreRow(c + 19 * rsc, c19_0, beta, mode);
            GemmMath.StoreRow(c + 20 * rsc, c20_0, beta, mode);
            GemmMath.StoreRow(c + 21 * rsc, c21_0, beta, mode);
            GemmMath.StoreRow(c + 22 * rsc, c22_0, beta, mode);
            GemmMath.StoreRow(c + 23 * rsc, c23_0, beta, mode);
            GemmMath.StoreRow(c + 24 * rsc, c24_0, beta, mode);
            GemmMath.StoreRow(c + 25 * rsc, c25_0, beta, mode);
            GemmMath.StoreRow(c + 26 * rsc, c26_0, beta, mode);
            GemmMath.StoreRow(c + 27 * rsc, c27_0, beta, mode);
        }
        else
        {
            Vector512.Store(c0_0, tile + 0 * w);
            Vector512.Store(c1_0, tile + 1 * w);
            Vector512.Store(c2_0, tile + 2 * w);
            Vector512.Store(c3_0, tile + 3 * w);
            Vector512.Store(c4_0, tile + 4 * w);
            Vector512.Store(c5_0, tile + 5 * w);
            Vector512.Store(c6_0, tile + 6 * w);
            Vector512.Store(c7_0, tile + 7 * w);
            Vector512.Store(c8_0, tile + 8 * w);
            Vector512.Store(c9_0, tile + 9 * w);
            Vector512.Store(c10_0, tile + 10 * w);
            Vector512.Store(c11_0, tile + 11 * w);
            Vector512.Store(c12_0, tile + 12 * w);
            Vector512.Store(c13_0, tile + 13 * w);
            Vector512.Store(c14_0, tile + 14 * w);
            Vector512.Store(c15_0, tile + 15 * w);
            Vector512.Store(c16_0, tile + 16 * w);
            Vector512.Store(c17_0, tile + 17 * w);
            Vector512.Store(c18_0, tile + 18 * w);
            Vector512.Store(c19_0, tile + 19 * w);
            Vector512.Store(c20_0, tile + 20 * w);
            Vector512.Store(c21_0, tile + 21 * w);
            Vector512.Store(c22_0, tile + 22 * w);
            Vector512.Store(c23_0, tile + 23 * w);
            Vector512.Store(c24_0, tile + 24 * w);
            Vector512.Store(c25_0, tile + 25 * w);
            Vector512.Store(c26_0, tile + 26 * w);
            Vector512.Store(c27_0, tile + 27 * w);
            GemmMath.StoreTile(tile, w, c, rsc, csc, beta, mr, nr);
        }
    }
}

/// <summary>6 × (2·Vector256) register tile (12 accumulators) for processors without 512-bit vectors.</summary>
internal readonly unsafe struct MicroKernel256<F> : IMicroKernel<F> where F : unmanaged, INumber<F>
{
    public static int MR => 6;
    public static int NR => 2 * Vector256<F>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, F* a, F* b, F* c, long rsc, long csc, F beta, int mr, int nr, F* tile)
    {
        int w = Vector256<F>.Count;
        Vector256<F> c0_0 = Vector256<F>.Zero, c0_1 = Vector256<F>.Zero, c1_0 = Vector256<F>.Zero, c1_1 = Vector256<F>.Zero, c2_0 = Vector256<F>.Zero, c2_1 = Vector256<F>.Zero, c3_0 = Vector256<F>.Zero, c3_1 = Vector256<F>.Zero, c4_0 = Vector256<F>.Zero, c4_1 = Vector256<F>.Zero, c5_0 = Vector256<F>.Zero, c5_1 = Vector256<F>.Zero;
        for (int l = 0; l < kc; l++)
        {
            var b0 = Vector256.Load(b);
            var b1 = Vector256.Load(b + w);
            var a0 = Vector256.Create(a[0]); c0_0 = GemmMath.Fma(a0, b0, c0_0); c0_1 = GemmMath.Fma(a0, b1, c0_1);
            var a1 = Vector256.Create(a[1]); c1_0 = GemmMath.Fma(a1, b0, c1_0); c1_1 = GemmMath.Fma(a1, b1, c1_1);
            var a2 = Vector256.Create(a[2]); c2_0 = GemmMath.Fma(a2, b0, c2_0); c2_1 = GemmMath.Fma(a2, b1, c2_1);
            var a3 = Vector256.Create(a[3]); c3_0 = GemmMath.Fma(a3, b0, c3_0); c3_1 = GemmMath.Fma(a3, b1, c3_1);
            var a4 = Vector256.Create(a[4]); c4_0 = GemmMath.Fma(a4, b0, c4_0); c4_1 = GemmMath.Fma(a4, b1, c4_1);
            var a5 = Vector256.Create(a[5]); c5_0 = GemmMath.Fma(a5, b0, c5_0); c5_1 = GemmMath.Fma(a5, b1, c5_1);
            a += 6;
            b += 2 * w;
        }
        if (mr == 6 && nr == 2 * w && csc == 1)
        {
            int mode = GemmMath.BetaMode(beta);
            GemmMath.StoreRow(c + 0 * rsc, w, c0_0, c0_1, beta, mode);
            GemmMath.StoreRow(c + 1 * rsc, w, c1_0, c1_1, beta, mode);
            GemmMath.StoreRow(c + 2 * rsc, w, c2_0, c2_1, beta, mode);
            GemmMath.StoreRow(c + 3 * rsc, w, c3_0, c3_1, beta, mode);
            GemmMath.StoreRow(c + 4 * rsc, w, c4_0, c4_1, beta, mode);
            GemmMath.StoreRow(c + 5 * rsc, w, c5_0, c5_1, beta, mode);
        }
        else
        {
            Vector256.Store(c0_0, tile + 0 * 2 * w); Vector256.Store(c0_1, tile + 0 * 2 * w + w);
            Vector256.Store(c1_0, tile + 1 * 2 * w); Vector256.Store(c1_1, tile + 1 * 2 * w + w);
            Vector256.Store(c2_0, tile + 2 * 2 * w); Vector256.Store(c2_1, tile + 2 * 2 * w + w);
            Vector256.Store(c3_0, tile + 3 * 2 * w); Vector256.Store(c3_1, tile + 3 * 2 * w + w);
            Vector256.Store(c4_0, tile + 4 * 2 * w); Vector256.Store(c4_1, tile + 4 * 2 * w + w);
            Vector256.Store(c5_0, tile + 5 * 2 * w); Vector256.Store(c5_1, tile + 5 * 2 * w + w);
            GemmMath.StoreTile(tile, 2 * w, c, rsc, csc, beta, mr, nr);
        }
    }
}
