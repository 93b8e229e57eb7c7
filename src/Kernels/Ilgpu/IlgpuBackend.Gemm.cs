using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Gemm<T>(Transpose transA, Transpose transB, int m, int n, int k, T alpha, BufferView<T> a, int lda, BufferView<T> b, int ldb, T beta, BufferView<T> c, int ldc) => throw new NotSupportedException("ilgpu Gemm: not implemented yet");

    /// <inheritdoc />
    public override void GemmStridedBatched<T>(Transpose transA, Transpose transB, int m, int n, int k, T alpha, BufferView<T> a, int lda, long strideA, BufferView<T> b, int ldb, long strideB, T beta, BufferView<T> c, int ldc, long strideC, int batchCount) => throw new NotSupportedException("ilgpu GemmStridedBatched: not implemented yet");

}
