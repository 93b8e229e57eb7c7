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

    /// <summary>
    /// Grid (⌈n/Tile⌉, ⌈m/Tile⌉, batch), group (Tile, Tile, 1): C_b ← α·op(A_b)·op(B_b) + β·C_b.
    /// </summary>
    [IlgpuKernel]
    public static void Tiled<T>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, GemmParams<T> p) where T : unmanaged, INumber<T>
    {
        var tileA = SharedMemory.Allocate<T>(MaxTile * MaxTile);
        var tileB = SharedMemory.Allocate<T>(MaxTile * MaxTile);
        int tile = p.Tile;
        int tx = Group.IdxX, ty = Group.IdxY;
        int col = Grid.IdxX * tile + tx, row = Grid.IdxY * tile + ty;
        long batch = Grid.IdxZ;
        long aBase = batch * p.StrideA, bBase = batch * p.StrideB;
        T acc = T.Zero;
        for (int t = 0; t < p.K; t += tile)
        {
            int la = t + tx, lb = t + ty;
            tileA[ty * tile + tx] = row < p.M && la < p.K ? a[aBase + row * p.ARs + la * p.ACs] : T.Zero;
            tileB[ty * tile + tx] = lb < p.K && col < p.N ? b[bBase + lb * p.BRs + col * p.BCs] : T.Zero;
            Group.Barrier();
            for (int q = 0; q < tile; q++) acc += tileA[ty * tile + q] * tileB[q * tile + tx];
            Group.Barrier();
        }
        if (row < p.M && col < p.N)
        {
            long ci = batch * p.StrideC + row * p.Ldc + col;
            c[ci] = p.BetaIsZero != 0 ? p.Alpha * acc : p.Alpha * acc + p.Beta * c[ci];
        }
    }
}
