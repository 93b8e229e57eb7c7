using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    /// <remarks>
    /// Indices are range-checked on the host: the index buffer is copied back (a device→host transfer and a wait)
    /// before the launch, because a kernel cannot raise an error; an index outside [0, src rows) throws
    /// <see cref="ArgumentOutOfRangeException"/> and nothing is written.
    /// </remarks>
    public override void GatherRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        var (rows, count) = GatherShape.Validate("GatherRows", src, cols, indices, dst, gather: true);
        if (count == 0 || cols == 0) return;
        CheckIndicesOnHost("GatherRows", indices, rows, "src");
        int threads = Elements("GatherRows", count, cols);
        if (typeof(T) == typeof(float)) LaunchGather<T, float>(src, cols, indices, dst, threads);
        else LaunchGather<T, double>(src, cols, indices, dst, threads);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Indices are range-checked on the host as in <see cref="GatherRows{T}"/>. The kernel runs one thread per element
    /// of dst scanning the index list (no atomics; repeated indices add in index order, as on the CPU).
    /// </remarks>
    public override void ScatterAddRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        var (rows, count) = GatherShape.Validate("ScatterAddRows", src, cols, indices, dst, gather: false);
        if (count == 0 || cols == 0 || rows == 0) return;
        CheckIndicesOnHost("ScatterAddRows", indices, rows, "dst");
        int threads = Elements("ScatterAddRows", rows, cols);
        if (typeof(T) == typeof(float)) LaunchScatter<T, float>(src, cols, indices, dst, threads, count);
        else LaunchScatter<T, double>(src, cols, indices, dst, threads, count);
    }

    private static void CheckIndicesOnHost(string kernel, BufferView<int> indices, int rows, string indexedName)
    {
        var host = new int[indices.Length];
        indices.Buffer.CopyTo(host, indices.Offset);
        GatherShape.CheckIndices(kernel, host, rows, indexedName);
    }

    private static int Elements(string kernel, int rows, int cols)
    {
        long n = (long)rows * cols;
        if (n > int.MaxValue) throw new ArgumentException($"{kernel}: {rows} rows of {cols} exceed the {int.MaxValue} elements one launch covers.");
        return (int)n;
    }

    private void LaunchGather<T, F>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst, int threads)
        where T : unmanaged where F : unmanaged
    {
        var k = GetKernel("gather.rows", typeof(F), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<F>, ArrayView<int>, ArrayView<F>, int>(GatherKernels.GatherRows));
        k(threads, Cast<T, F>(src), ViewOf(indices), Cast<T, F>(dst), cols);
    }

    private void LaunchScatter<T, F>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst, int threads, int count)
        where T : unmanaged where F : unmanaged, INumber<F>
    {
        var k = GetKernel("scatter-add.rows", typeof(F), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<F>, ArrayView<int>, ArrayView<F>, int, int>(GatherKernels.ScatterAddRows));
        k(threads, Cast<T, F>(src), ViewOf(indices), Cast<T, F>(dst), cols, count);
    }
}
