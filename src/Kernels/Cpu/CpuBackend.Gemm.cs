using System.Runtime.CompilerServices;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override void Gemm<T>(Transpose transA, Transpose transB, int m, int n, int k,
        T alpha, BufferView<T> a, int lda, BufferView<T> b, int ldb, T beta, BufferView<T> c, int ldc)
        => GemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);

    /// <inheritdoc />
    public override unsafe void GemmStridedBatched<T>(Transpose transA, Transpose transB, int m, int n, int k,
        T alpha, BufferView<T> a, int lda, long strideA, BufferView<T> b, int ldb, long strideB,
        T beta, BufferView<T> c, int ldc, long strideC, int batchCount)
    {
        RequireFloat<T>();
        GemmShape.Validate("gemm", transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batchCount);
        if (m == 0 || n == 0 || batchCount == 0) return;
        RequireOwned("gemm", "C", c);
        // With k = 0 the operands may be unset views: they are never read.
        static T* OrNull(BufferView<T> v) => v.IsNull ? null : PtrOf(v);
        bool ta = transA == Transpose.Yes, tb = transB == Transpose.Yes;
        if (typeof(T) == typeof(float))
            Cpu.Gemm.Run(ta, tb, m, n, k, Unsafe.As<T, float>(ref alpha), (float*)OrNull(a), lda, strideA, (float*)OrNull(b), ldb, strideB,
                Unsafe.As<T, float>(ref beta), (float*)PtrOf(c), ldc, strideC, batchCount);
        else
            Cpu.Gemm.Run(ta, tb, m, n, k, Unsafe.As<T, double>(ref alpha), (double*)OrNull(a), lda, strideA, (double*)OrNull(b), ldb, strideB,
                Unsafe.As<T, double>(ref beta), (double*)PtrOf(c), ldc, strideC, batchCount);
    }
}
