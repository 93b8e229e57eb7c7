using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override void Softmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y) => throw new NotSupportedException("cpu Softmax: not implemented yet");

    /// <inheritdoc />
    public override void LogSoftmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y) => throw new NotSupportedException("cpu LogSoftmax: not implemented yet");

    /// <inheritdoc />
    public override void SoftmaxCrossEntropy<T>(BufferView<T> logits, BufferView<int> labels, int rows, int cols, BufferView<T> loss, BufferView<T> probs) => throw new NotSupportedException("cpu SoftmaxCrossEntropy: not implemented yet");

    /// <inheritdoc />
    public override void SoftmaxCrossEntropyBackward<T>(BufferView<T> probs, BufferView<int> labels, BufferView<T> dloss, int rows, int cols, BufferView<T> dlogits) => throw new NotSupportedException("cpu SoftmaxCrossEntropyBackward: not implemented yet");

}
