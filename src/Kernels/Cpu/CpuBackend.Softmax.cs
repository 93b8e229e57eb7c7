using System.Numerics;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override unsafe void Softmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y)
    {
        RequireFloat<T>();
        KernelChecks.Rows("Softmax", rows, cols);
        RequireLength("Softmax", "x", x, (long)rows * cols);
        RequireLength("Softmax", "y", y, (long)rows * cols);
        RunSoftmax(SoftmaxMode.Softmax, false, PtrOf(x), PtrOf(y), null, null, rows, cols);
    }

    /// <inheritdoc />
    public override unsafe void LogSoftmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y)
    {
        RequireFloat<T>();
        KernelChecks.Rows("LogSoftmax", rows, cols);
        RequireLength("LogSoftmax", "x", x, (long)rows * cols);
        RequireLength("LogSoftmax", "y", y, (long)rows * cols);
        RunSoftmax(SoftmaxMode.LogSoftmax, false, PtrOf(x), PtrOf(y), null, null, rows, cols);
    }

    /// <inheritdoc />
    public override unsafe void SoftmaxCrossEntropy<T>(BufferView<T> logits, BufferView<int> labels, int rows, int cols,
        BufferView<T> loss, BufferView<T> probs)
    {
        RequireFloat<T>();
        KernelChecks.Rows("SoftmaxCrossEntropy", rows, cols);
        RequireLength("SoftmaxCrossEntropy", "logits", logits, (long)rows * cols);
        RequireLength("SoftmaxCrossEntropy", "labels", labels, rows);
        RequireLength("SoftmaxCrossEntropy", "loss", loss, rows);
        RequireLength("SoftmaxCrossEntropy", "probs", probs, (long)rows * cols);
        int* pl = PtrOf(labels);
        RequireLabels("SoftmaxCrossEntropy", pl, rows, cols);
        RunSoftmax(SoftmaxMode.CrossEntropy, false, PtrOf(logits), PtrOf(probs), PtrOf(loss), pl, rows, cols);
    }

    /// <inheritdoc />
    public override unsafe void SoftmaxCrossEntropyBackward<T>(BufferView<T> probs, BufferView<int> labels, BufferView<T> dloss,
        int rows, int cols, BufferView<T> dlogits)
    {
        RequireFloat<T>();
        KernelChecks.Rows("SoftmaxCrossEntropyBackward", rows, cols);
        RequireLength("SoftmaxCrossEntropyBackward", "probs", probs, (long)rows * cols);
        RequireLength("SoftmaxCrossEntropyBackward", "labels", labels, rows);
        RequireLength("SoftmaxCrossEntropyBackward", "dloss", dloss, rows);
        RequireLength("SoftmaxCrossEntropyBackward", "dlogits", dlogits, (long)rows * cols);
        int* pl = PtrOf(labels);
        RequireLabels("SoftmaxCrossEntropyBackward", pl, rows, cols);
        RunSoftmax(SoftmaxMode.CrossEntropy, true, PtrOf(probs), PtrOf(dlogits), PtrOf(dloss), pl, rows, cols);
    }

    private static unsafe void RunSoftmax<T>(SoftmaxMode mode, bool backward, T* x, T* y, T* loss, int* labels, int rows, int cols) where T : unmanaged
    {
        if (rows == 0) return;
        if (typeof(T) == typeof(float))
            RunSoftmaxTyped<float, Exp>(mode, backward, (float*)x, (float*)y, (float*)loss, labels, rows, cols);
        else
            RunSoftmaxTyped<double, Exp>(mode, backward, (double*)x, (double*)y, (double*)loss, labels, rows, cols);
    }

    private static unsafe void RunSoftmaxTyped<TF, TExp>(SoftmaxMode mode, bool backward, TF* x, TF* y, TF* loss, int* labels, int rows, int cols)
        where TF : unmanaged, IFloatingPointIeee754<TF> where TExp : struct, IUnaryOp<TF>
    {
        // Exponentials cost ~10× a copy, so go parallel at a quarter of the plain elementwise threshold.
        int tasks = ElementwiseKernels.TaskCount((long)rows * cols, ElementwiseKernels.Grain / 4, ElementwiseKernels.ParallelThreshold / 4);
        tasks = Math.Min(tasks, rows);
        int per = (rows + tasks - 1) / tasks;
        var body = new SoftmaxBody<TF, TExp> { Mode = mode, Backward = backward, X = x, Y = y, Loss = loss, Labels = labels, Rows = rows, Cols = cols, RowsPerTask = per };
        if (tasks <= 1) body.Run(0);
        else CpuParallel.For((rows + per - 1) / per, body);
    }

    private static unsafe void RequireLabels(string kernel, int* labels, int rows, int cols)
    {
        for (int r = 0; r < rows; r++)
            if ((uint)labels[r] >= (uint)cols)
                throw new ArgumentException($"{kernel}: label {labels[r]} of row {r} is outside [0, {cols}).");
    }
}
