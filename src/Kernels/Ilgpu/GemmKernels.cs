using System.Numerics;
using ILGPU;

namespace Tangent.Kernels.Ilgpu;

/// <summary>Scalars of one (batched) GEMM launch. op(A)(i, l) = a[batch·StrideA + i·ARs + l·ACs], likewise B.</summary>
public struct GemmParams<T> where T : unmanaged
{
    /// <summary>Rows of op(A) and C.</summary>
    public int M;
    /// <summary>Columns of op(B) and C.</summary>
    public int N;
    /// <summary>Inner dimension.</summary>
    public int K;
    /// <summary>Strides of op(A) along rows and columns (covers the transpose).</summary>
    public long ARs, ACs;
    /// <summary>Strides of op(B) along rows and columns.</summary>
    public long BRs, BCs;
    /// <summary>Row stride of C.</summary>
    public long Ldc;
    /// <summary>Batch strides.</summary>
    public long StrideA, StrideB, StrideC;
    /// <summary>Scale of the product.</summary>
    public T Alpha;
    /// <summary>Scale of the old C.</summary>
    public T Beta;
    /// <summary>1 when β = 0: C is then not read, so NaNs in C do not propagate.</summary>
    public int BetaIsZero;
    /// <summary>Side of the thread group and shared tiles for this launch (≤ <see cref="GemmKernels.MaxTile"/>).</summary>
    public int Tile;
}

/// <summary>
/// GEMM as an ILGPU kernel: one thread per element of C, Tile×Tile groups that stage Tile-deep slices of op(A) and
/// op(B) in shared memory between barriers (global + shared memory + Group.Barrier only, so it runs on PoCL).
/// </summary>
public static class GemmKernels
{
    /// <summary>Largest side of the square thread group and of the shared-memory tiles.</summary>
    public const int MaxTile = 16;

    /// <summary>The tile side for an accelerator: 16 where groups of 256 threads are allowed, else the largest power of two that fits.</summary>
    public static int TileFor(int maxThreadsPerGroup)
    {
        int t = MaxTile;
        while (t > 1 && t * t > maxThreadsPerGroup) t /= 2;
        return t;
    }

    /// <summary>Outputs per thread along each dimension: a thread computes a Work×Work block of C.</summary>
    public const int Work = 4;

    /// <summary>
    /// Grid (⌈n/(Work·Tile)⌉, ⌈m/(Work·Tile)⌉, batch), group (Tile, Tile, 1): C_b ← α·op(A_b)·op(B_b) + β·C_b. Each
    /// group stages a (Work·Tile)×Tile slice of op(A) and a Tile×(Work·Tile) slice of op(B) in shared memory; each
    /// thread then accumulates Work×Work outputs in registers (rows ty + i·Tile, columns tx + j·Tile), so every
    /// shared-memory value read feeds Work multiply-adds.
    /// </summary>
    [IlgpuKernel]
    public static void Tiled<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, GemmParams<T> p) where T : unmanaged, INumber<T>
    {
        var tileA = SharedMemory.Allocate<T>(Work * MaxTile * MaxTile);
        var tileB = SharedMemory.Allocate<T>(Work * MaxTile * MaxTile);
        int tile = p.Tile, block = Work * tile, threads = tile * tile;
        int tx = Group.IdxX, ty = Group.IdxY, tid = ty * tile + tx;
        int rowBase = Grid.IdxY * block, colBase = Grid.IdxX * block;
        long batch = Grid.IdxZ;
        long aBase = batch * p.StrideA, bBase = batch * p.StrideB, cBase = batch * p.StrideC;
        T c00 = T.Zero, c01 = T.Zero, c02 = T.Zero, c03 = T.Zero, c10 = T.Zero, c11 = T.Zero, c12 = T.Zero, c13 = T.Zero, c20 = T.Zero, c21 = T.Zero, c22 = T.Zero, c23 = T.Zero, c30 = T.Zero, c31 = T.Zero, c32 = T.Zero, c33 = T.Zero;
        for (int t = 0; t < p.K; t += tile)
        {
            // tileA[kk·block + r] = op(A)(rowBase + r, t + kk); tileB[kk·block + q] = op(B)(t + kk, colBase + q).
            for (int e = tid; e < block * tile; e += threads)
            {
                int r = e / tile, kk = e % tile;
                int row = rowBase + r, l = t + kk;
                tileA[kk * block + r] = row < p.M && l < p.K ? a[aBase + row * p.ARs + l * p.ACs] : T.Zero;
                int lb = t + e / block, q = e % block, col = colBase + q;
                tileB[e] = lb < p.K && col < p.N ? b[bBase + lb * p.BRs + col * p.BCs] : T.Zero;
            }
            Group.Barrier();
            for (int kk = 0; kk < tile; kk++)
            {
                int ka = kk * block;
                T a0 = tileA[ka + ty], a1 = tileA[ka + ty + tile], a2 = tileA[ka + ty + 2 * tile], a3 = tileA[ka + ty + 3 * tile];
                T b0 = tileB[ka + tx], b1 = tileB[ka + tx + tile], b2 = tileB[ka + tx + 2 * tile], b3 = tileB[ka + tx + 3 * tile];
                c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
                c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
                c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
                c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
            }
            Group.Barrier();
        }
        int row0 = rowBase + ty, col0 = colBase + tx;
        Store(c, p, cBase, row0 + 0 * tile, col0 + 0 * tile, c00);
        Store(c, p, cBase, row0 + 0 * tile, col0 + 1 * tile, c01);
        Store(c, p, cBase, row0 + 0 * tile, col0 + 2 * tile, c02);
        Store(c, p, cBase, row0 + 0 * tile, col0 + 3 * tile, c03);
        Store(c, p, cBase, row0 + 1 * tile, col0 + 0 * tile, c10);
        Store(c, p, cBase, row0 + 1 * tile, col0 + 1 * tile, c11);
        Store(c, p, cBase, row0 + 1 * tile, col0 + 2 * tile, c12);
        Store(c, p, cBase, row0 + 1 * tile, col0 + 3 * tile, c13);
        Store(c, p, cBase, row0 + 2 * tile, col0 + 0 * tile, c20);
        Store(c, p, cBase, row0 + 2 * tile, col0 + 1 * tile, c21);
        Store(c, p, cBase, row0 + 2 * tile, col0 + 2 * tile, c22);
        Store(c, p, cBase, row0 + 2 * tile, col0 + 3 * tile, c23);
        Store(c, p, cBase, row0 + 3 * tile, col0 + 0 * tile, c30);
        Store(c, p, cBase, row0 + 3 * tile, col0 + 1 * tile, c31);
        Store(c, p, cBase, row0 + 3 * tile, col0 + 2 * tile, c32);
        Store(c, p, cBase, row0 + 3 * tile, col0 + 3 * tile, c33);
    }

    /// <summary>Writes α·acc + β·C to C(row, col) when it lies inside C (β = 0 does not read C).</summary>
    private static void Store<T>(ArrayView<T> c, GemmParams<T> p, long cBase, int row, int col, T acc) where T : unmanaged, INumber<T>
    {
        if (row >= p.M || col >= p.N) return;
        long ci = cBase + row * p.Ldc + col;
        c[ci] = p.BetaIsZero != 0 ? p.Alpha * acc : p.Alpha * acc + p.Beta * c[ci];
    }
}
