using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Softmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y) => throw new NotSupportedException("ilgpu Softmax: not implemented yet");

    /// <inheritdoc />
    public override void LogSoftmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y) => throw new NotSupportedException("ilgpu LogSoftmax: not implemented yet");

    /// <inheritdoc />
    public override void SoftmaxCrossEntropy<T>(BufferView<T> logits, BufferView<int> labels, int rows, int cols, BufferView<T> loss, BufferView<T> probs) => throw new NotSupportedException("ilgpu SoftmaxCrossEntropy: not implemented yet");

    /// <inheritdoc />
    public override void SoftmaxCrossEntropyBackward<T>(BufferView<T> probs, BufferView<int> labels, BufferView<T> dloss, int rows, int cols, BufferView<T> dlogits) => throw new NotSupportedException("ilgpu SoftmaxCrossEntropyBackward: not implemented yet");

}
