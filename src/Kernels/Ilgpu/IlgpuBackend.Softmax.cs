using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Softmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        KernelChecks.Rows("Softmax", rows, cols);
        RequireLength("Softmax", "x", x, (long)rows * cols);
        RequireLength("Softmax", "y", y, (long)rows * cols);
        LaunchSoftmax(0, x, y, y, default, rows, cols);
    }

    /// <inheritdoc />
    public override void LogSoftmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        KernelChecks.Rows("LogSoftmax", rows, cols);
        RequireLength("LogSoftmax", "x", x, (long)rows * cols);
        RequireLength("LogSoftmax", "y", y, (long)rows * cols);
        LaunchSoftmax(1, x, y, y, default, rows, cols);
    }

    /// <inheritdoc />
    /// <remarks>Labels are not checked on this backend (that would need a device-to-host copy); a row whose label is
    /// outside [0, cols) gets a NaN loss, so the error is visible, never silent.</remarks>
    public override void SoftmaxCrossEntropy<T>(BufferView<T> logits, BufferView<int> labels, int rows, int cols,
        BufferView<T> loss, BufferView<T> probs)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        KernelChecks.Rows("SoftmaxCrossEntropy", rows, cols);
        RequireLength("SoftmaxCrossEntropy", "logits", logits, (long)rows * cols);
        RequireLength("SoftmaxCrossEntropy", "labels", labels, rows);
        RequireLength("SoftmaxCrossEntropy", "loss", loss, rows);
        RequireLength("SoftmaxCrossEntropy", "probs", probs, (long)rows * cols);
        LaunchSoftmax(2, logits, probs, loss, labels, rows, cols);
    }

    /// <inheritdoc />
    /// <remarks>A row whose label is outside [0, cols) gets NaN gradients.</remarks>
    public override void SoftmaxCrossEntropyBackward<T>(BufferView<T> probs, BufferView<int> labels, BufferView<T> dloss,
        int rows, int cols, BufferView<T> dlogits)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        KernelChecks.Rows("SoftmaxCrossEntropyBackward", rows, cols);
        RequireLength("SoftmaxCrossEntropyBackward", "probs", probs, (long)rows * cols);
        RequireLength("SoftmaxCrossEntropyBackward", "labels", labels, rows);
        RequireLength("SoftmaxCrossEntropyBackward", "dloss", dloss, rows);
        RequireLength("SoftmaxCrossEntropyBackward", "dlogits", dlogits, (long)rows * cols);
        if ((long)rows * cols == 0) return;
        if (typeof(T) == typeof(float)) LaunchCrossEntropyBackward(AsView<T, float>(probs), labels, AsView<T, float>(dloss), cols, AsView<T, float>(dlogits), rows * cols);
        else LaunchCrossEntropyBackward(AsView<T, double>(probs), labels, AsView<T, double>(dloss), cols, AsView<T, double>(dlogits), rows * cols);
    }

    private void LaunchCrossEntropyBackward<TF>(BufferView<TF> probs, BufferView<int> labels, BufferView<TF> dloss, int cols, BufferView<TF> dlogits, int n)
        where TF : unmanaged, INumber<TF>
    {
        var k = GetKernel("SoftmaxCrossEntropyBackward", typeof(TF), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<TF>, ArrayView<int>, ArrayView<TF>, ArrayView<TF>, int>(IlgpuElementwiseKernels.SoftmaxCrossEntropyBackward<TF>));
        k(n, ViewOf(probs), ViewOf(labels), ViewOf(dloss), ViewOf(dlogits), cols);
    }

    private void LaunchSoftmax<T>(int mode, BufferView<T> x, BufferView<T> y, BufferView<T> loss, BufferView<int> labels, int rows, int cols) where T : unmanaged
    {
        if (rows == 0) return;
        // Softmax and log-softmax read no labels; a one-element scratch stands in so that every argument is a valid view.
        var lv = labels.IsNull ? Scratch<int>(1, 0) : ViewOf(labels);
        if (typeof(T) == typeof(float))
            LaunchSoftmaxTyped<float, Exp, Log>(mode, ViewOf(AsView<T, float>(x)), ViewOf(AsView<T, float>(y)), ViewOf(AsView<T, float>(loss)), lv, rows, cols);
        else
            LaunchSoftmaxTyped<double, Exp, Log>(mode, ViewOf(AsView<T, double>(x)), ViewOf(AsView<T, double>(y)), ViewOf(AsView<T, double>(loss)), lv, rows, cols);
    }

    private void LaunchSoftmaxTyped<TF, TExp, TLog>(int mode, ArrayView<TF> x, ArrayView<TF> y, ArrayView<TF> loss, ArrayView<int> labels, int rows, int cols)
        where TF : unmanaged, INumber<TF> where TExp : struct, IUnaryOp<TF> where TLog : struct, IUnaryOp<TF>
    {
        var k = GetKernel("SoftmaxRows", typeof(TF), acc => acc.LoadStreamKernel<ArrayView<TF>, ArrayView<TF>, ArrayView<TF>, ArrayView<int>, int, int, TExp, TLog>(IlgpuElementwiseKernels.SoftmaxRows<TF, TExp, TLog>));
        k(new KernelConfig(rows, ReduceGroupSize), x, y, loss, labels, cols, mode, default(TExp), default(TLog));
    }
}
