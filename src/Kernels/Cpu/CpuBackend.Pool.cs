using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override void MaxPool2dForward<T>(in Pool2dGeometry g, BufferView<T> x, BufferView<T> y, BufferView<int> argmax) => throw new NotSupportedException("cpu MaxPool2dForward: not implemented yet");

    /// <inheritdoc />
    public override void MaxPool2dBackward<T>(in Pool2dGeometry g, BufferView<T> dy, BufferView<int> argmax, BufferView<T> dx, int repeats) => throw new NotSupportedException("cpu MaxPool2dBackward: not implemented yet");

    /// <inheritdoc />
    public override void MaxPool2dGather<T>(in Pool2dGeometry g, BufferView<T> xdot, BufferView<int> argmax, BufferView<T> ydot, int repeats) => throw new NotSupportedException("cpu MaxPool2dGather: not implemented yet");

    /// <inheritdoc />
    public override void AvgPool2dForward<T>(in Pool2dGeometry g, BufferView<T> x, BufferView<T> y) => throw new NotSupportedException("cpu AvgPool2dForward: not implemented yet");

    /// <inheritdoc />
    public override void AvgPool2dBackward<T>(in Pool2dGeometry g, BufferView<T> dy, BufferView<T> dx) => throw new NotSupportedException("cpu AvgPool2dBackward: not implemented yet");

}
