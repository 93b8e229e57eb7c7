using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override void GatherRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst) => throw new NotSupportedException("cpu GatherRows: not implemented yet");

    /// <inheritdoc />
    public override void ScatterAddRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst) => throw new NotSupportedException("cpu ScatterAddRows: not implemented yet");

}
