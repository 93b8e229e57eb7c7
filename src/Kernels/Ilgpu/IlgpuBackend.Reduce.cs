using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Reduce<T, TOp>(TOp op, BufferView<T> x, int outer, int axis, int inner, BufferView<T> y) => throw new NotSupportedException("ilgpu Reduce: not implemented yet");

    /// <inheritdoc />
    public override void Argmax<T>(BufferView<T> x, int outer, int axis, int inner, BufferView<int> indices) => throw new NotSupportedException("ilgpu Argmax: not implemented yet");

}
