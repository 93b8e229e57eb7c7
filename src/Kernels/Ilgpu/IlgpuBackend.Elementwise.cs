using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Map<T, TOp>(TOp op, BufferView<T> x, BufferView<T> y) => throw new NotSupportedException("ilgpu Map: not implemented yet");

    /// <inheritdoc />
    public override void Map2<T, TOp>(TOp op, BufferView<T> a, BufferView<T> b, BufferView<T> c) => throw new NotSupportedException("ilgpu Map2: not implemented yet");

    /// <inheritdoc />
    public override void Map2Broadcast<T, TOp>(TOp op, in BroadcastLayout layout, BufferView<T> a, BufferView<T> b, BufferView<T> c) => throw new NotSupportedException("ilgpu Map2Broadcast: not implemented yet");

    /// <inheritdoc />
    public override void Fill<T>(BufferView<T> y, T value) => throw new NotSupportedException("ilgpu Fill: not implemented yet");

    /// <inheritdoc />
    public override void Copy<T>(BufferView<T> x, BufferView<T> y) => throw new NotSupportedException("ilgpu Copy: not implemented yet");

}
