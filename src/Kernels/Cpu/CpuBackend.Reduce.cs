using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override void Reduce<T, TOp>(TOp op, BufferView<T> x, int outer, int axis, int inner, BufferView<T> y) => throw new NotSupportedException("cpu Reduce: not implemented yet");

    /// <inheritdoc />
    public override void Argmax<T>(BufferView<T> x, int outer, int axis, int inner, BufferView<int> indices) => throw new NotSupportedException("cpu Argmax: not implemented yet");

}
