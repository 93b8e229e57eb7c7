using System.Numerics;
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
    public override void GemmStridedBatched<T>(Transpose transA, Transpose transB, int m, int n, int k,
        T alpha, BufferView<T> a, int lda, long strideA, BufferView<T> b, int ldb, long strideB,
        T beta, BufferView<T> c, int ldc, long strideC, int batchCount)
    {
        RequireFloat<T>();
        if (typeof(T) == typeof(float))
            GemmNaive(transA, transB, m, n, k, Unsafe.As<T, float>(ref alpha), As<T, float>(SpanOf(a)), lda, strideA,
                As<T, float>(SpanOf(b)), ldb, strideB, Unsafe.As<T, float>(ref beta), As<T, float>(SpanOf(c)), ldc, strideC, batchCount);
        else
            GemmNaive(transA, transB, m, n, k, Unsafe.As<T, double>(ref alpha), As<T, double>(SpanOf(a)), lda, strideA,
                As<T, double>(SpanOf(b)), ldb, strideB, Unsafe.As<T, double>(ref beta), As<T, double>(SpanOf(c)), ldc, strideC, batchCount);
    }

    private static void GemmNaive<F>(Transpose ta, Transpose tb, int m, int n, int k, F alpha, Span<F> a, int lda, long sa,
        Span<F> b, int ldb, long sb, F beta, Span<F> c, int ldc, long sc, int batch) where F : unmanaged, IFloatingPointIeee754<F>
    {
        for (int p = 0; p < batch; p++)
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            F acc = F.Zero;
            for (int l = 0; l < k; l++)
            {
                F av = ta == Transpose.No ? a[(int)(p * sa) + i * lda + l] : a[(int)(p * sa) + l * lda + i];
                F bv = tb == Transpose.No ? b[(int)(p * sb) + l * ldb + j] : b[(int)(p * sb) + j * ldb + l];
                acc += av * bv;
            }
            ref F cv = ref c[(int)(p * sc) + i * ldc + j];
            cv = beta == F.Zero ? alpha * acc : alpha * acc + beta * cv;
        }
    }
}
