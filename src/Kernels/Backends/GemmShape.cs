namespace Tangent.Kernels.Backends;

/// <summary>Argument checks shared by every backend's GEMM: sizes, leading dimensions, strides and view lengths.</summary>
internal static class GemmShape
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the offending argument and values.</summary>
    public static void Validate<T>(string kernel, Transpose transA, Transpose transB, int m, int n, int k,
        BufferView<T> a, int lda, long strideA, BufferView<T> b, int ldb, long strideB,
        BufferView<T> c, int ldc, long strideC, int batchCount) where T : unmanaged
    {
        if (m < 0 || n < 0 || k < 0)
            throw new ArgumentException($"{kernel}: sizes must be non-negative (m={m}, n={n}, k={k}).");
        if (batchCount < 0)
            throw new ArgumentException($"{kernel}: batch count {batchCount} is negative.");
        if (strideA < 0 || strideB < 0 || strideC < 0)
            throw new ArgumentException($"{kernel}: batch strides must be non-negative (A {strideA}, B {strideB}, C {strideC}).");
        bool ta = transA == Transpose.Yes, tb = transB == Transpose.Yes;
        Operand(kernel, "A", a, ta ? k : m, ta ? m : k, lda, strideA, batchCount, transA, m, k);
        Operand(kernel, "B", b, tb ? n : k, tb ? k : n, ldb, strideB, batchCount, transB, k, n);
        Operand(kernel, "C", c, m, n, ldc, strideC, batchCount, Transpose.No, m, n);
        if (batchCount > 1 && strideC == 0 && m > 0 && n > 0)
            throw new ArgumentException($"{kernel}: C batch stride is 0 with {batchCount} problems; the outputs would overwrite each other.");
    }

    private static void Operand<T>(string kernel, string name, BufferView<T> view, int rows, int cols, int ld, long stride,
        int batch, Transpose trans, int opRows, int opCols) where T : unmanaged
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"{kernel}: leading dimension of {name} is {ld} but its stored rows have {cols} elements " +
                $"({name} is {(trans == Transpose.Yes ? "transposed, " : "")}op({name}) {opRows}×{opCols}).");
        if (rows == 0 || cols == 0 || batch == 0) return;
        long needed = stride * (batch - 1) + (long)(rows - 1) * ld + cols;
        if (view.IsNull)
            throw new ArgumentException($"{kernel}: {name} is not set.");
        if (view.Length < needed)
            throw new ArgumentException($"{kernel}: {name} has {view.Length} elements but {needed} are needed " +
                $"({rows}×{cols} stored, leading dimension {ld}, batch {batch} with stride {stride}).");
    }
}
