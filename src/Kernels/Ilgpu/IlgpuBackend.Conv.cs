using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Conv2dForward<T>(in Conv2dGeometry g, BufferView<T> x, BufferView<T> w, BufferView<T> y) => throw new NotSupportedException("ilgpu Conv2dForward: not implemented yet");

    /// <inheritdoc />
    public override void Conv2dBackwardInput<T>(in Conv2dGeometry g, BufferView<T> dy, BufferView<T> w, BufferView<T> dx) => throw new NotSupportedException("ilgpu Conv2dBackwardInput: not implemented yet");

    /// <inheritdoc />
    public override void Conv2dBackwardWeight<T>(in Conv2dGeometry g, BufferView<T> x, BufferView<T> dy, BufferView<T> dw, T beta) => throw new NotSupportedException("ilgpu Conv2dBackwardWeight: not implemented yet");

}
