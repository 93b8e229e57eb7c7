using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void GatherRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst) => throw new NotSupportedException("ilgpu GatherRows: not implemented yet");

    /// <inheritdoc />
    public override void ScatterAddRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst) => throw new NotSupportedException("ilgpu ScatterAddRows: not implemented yet");

}
