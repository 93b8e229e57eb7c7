using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override void Map<T, TOp>(TOp op, BufferView<T> x, BufferView<T> y) => throw new NotSupportedException("cpu Map: not implemented yet");

    /// <inheritdoc />
    public override void Map2<T, TOp>(TOp op, BufferView<T> a, BufferView<T> b, BufferView<T> c) => throw new NotSupportedException("cpu Map2: not implemented yet");

    /// <inheritdoc />
    public override void Map2Broadcast<T, TOp>(TOp op, in BroadcastLayout layout, BufferView<T> a, BufferView<T> b, BufferView<T> c) => throw new NotSupportedException("cpu Map2Broadcast: not implemented yet");

    /// <inheritdoc />
    public override void Fill<T>(BufferView<T> y, T value) => throw new NotSupportedException("cpu Fill: not implemented yet");

    /// <inheritdoc />
    public override void Copy<T>(BufferView<T> x, BufferView<T> y) => throw new NotSupportedException("cpu Copy: not implemented yet");

}
