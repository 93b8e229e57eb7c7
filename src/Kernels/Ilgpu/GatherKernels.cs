using System.Numerics;
using ILGPU;

namespace Tangent.Kernels.Ilgpu;

/// <summary>
/// Row gather and scatter-add. The scatter runs one thread per (destination row, column) that scans the whole index
/// list and adds the rows that point at it, in index order: no atomics (PoCL-portable), deterministic, and the same
/// summation order as the CPU backend. Its cost is O(dst elements × indices), fine for batch-sized index lists
/// (labels, sample ids), not for huge embedding tables.
/// </summary>
public static class GatherKernels
{
    /// <summary>dst[i, c] = src[indices[i], c]; one thread per element of dst's first indices.Length rows.</summary>
    [IlgpuKernel]
    public static void GatherRows<T>(Index1D index, ArrayView<T> src, ArrayView<int> indices, ArrayView<T> dst, int cols)
        where T : unmanaged
    {
        int i = index;
        int row = i / cols, c = i - row * cols;
        dst[i] = src[(long)indices[row] * cols + c];
    }

    /// <summary>dst[r, c] += Σ_{k : indices[k] = r} src[k, c] (k ascending); one thread per element of dst.</summary>
    [IlgpuKernel]
    public static void ScatterAddRows<T>(Index1D index, ArrayView<T> src, ArrayView<int> indices, ArrayView<T> dst, int cols, int count)
        where T : unmanaged, INumber<T>
    {
        int i = index;
        int row = i / cols, c = i - row * cols;
        T acc = dst[i];
        for (int k = 0; k < count; k++)
            if (indices[k] == row) acc += src[(long)k * cols + c];
        dst[i] = acc;
    }
}
