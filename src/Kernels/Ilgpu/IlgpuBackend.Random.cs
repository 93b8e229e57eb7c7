using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void RandomUniform<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) => throw new NotSupportedException("ilgpu RandomUniform: not implemented yet");

    /// <inheritdoc />
    public override void RandomNormal<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) => throw new NotSupportedException("ilgpu RandomNormal: not implemented yet");

    /// <inheritdoc />
    public override void RandomRademacher<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) => throw new NotSupportedException("ilgpu RandomRademacher: not implemented yet");

}
