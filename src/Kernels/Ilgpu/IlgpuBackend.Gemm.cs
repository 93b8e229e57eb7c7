using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Gemm<T>(Transpose transA, Transpose transB, int m, int n, int k, T alpha, BufferView<T> a, int lda,
        BufferView<T> b, int ldb, T beta, BufferView<T> c, int ldc)
        => GemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);

    /// <inheritdoc />
    public override void GemmStridedBatched<T>(Transpose transA, Transpose transB, int m, int n, int k, T alpha,
        BufferView<T> a, int lda, long strideA, BufferView<T> b, int ldb, long strideB, T beta, BufferView<T> c, int ldc,
        long strideC, int batchCount)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        GemmShape.Validate("gemm", transA, transB, m, n, k, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batchCount);
        if (m == 0 || n == 0 || batchCount == 0) return;
        RequireOwned("gemm", "C", c);
        if (typeof(T) == typeof(float))
            LaunchGemm(transA, transB, m, n, k, Unsafe.As<T, float>(ref alpha), a, lda, strideA, b, ldb, strideB, Unsafe.As<T, float>(ref beta), c, ldc, strideC, batchCount);
        else
            LaunchGemm(transA, transB, m, n, k, Unsafe.As<T, double>(ref alpha), a, lda, strideA, b, ldb, strideB, Unsafe.As<T, double>(ref beta), c, ldc, strideC, batchCount);
    }

    private void LaunchGemm<T, F>(Transpose transA, Transpose transB, int m, int n, int k, F alpha, BufferView<T> a, int lda,
        long strideA, BufferView<T> b, int ldb, long strideB, F beta, BufferView<T> c, int ldc, long strideC, int batch)
        where T : unmanaged where F : unmanaged, System.Numerics.INumber<F>
    {
        var kernel = GetKernel("gemm.tiled", typeof(F), acc =>
            acc.LoadStreamKernel<ArrayView<F>, ArrayView<F>, ArrayView<F>, GemmParams<F>>(GemmKernels.Tiled));
        bool ta = transA == Transpose.Yes, tb = transB == Transpose.Yes;
        var p = new GemmParams<F>
        {
            M = m, N = n, K = k,
            ARs = ta ? 1 : lda, ACs = ta ? lda : 1,
            BRs = tb ? 1 : ldb, BCs = tb ? ldb : 1,
            Ldc = ldc, StrideA = strideA, StrideB = strideB, StrideC = strideC,
            Alpha = alpha, Beta = beta, BetaIsZero = beta == F.Zero ? 1 : 0,
        };
        int tile = GemmKernels.TileFor(Accelerator.MaxNumThreadsPerGroup);
        p.Tile = tile;
        // k = 0 still launches: every tile loop is empty and C ← β·C.
        int block = GemmKernels.Work * tile;
        var grid = new Index3D((n + block - 1) / block, (m + block - 1) / block, batch);
        var group = new Index3D(tile, tile, 1);
        kernel(new KernelConfig(grid, group), Cast<T, F>(a), Cast<T, F>(b), Cast<T, F>(c), p);
    }

    /// <summary>The ILGPU view of a buffer view reinterpreted as <typeparamref name="F"/> (T is known to be F); empty views stay empty.</summary>
    private static ArrayView<F> Cast<T, F>(BufferView<T> view) where T : unmanaged where F : unmanaged
        => view.IsNull || view.Length == 0 ? default : ViewOf(view).Cast<F>();
}
