using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override void RandomUniform<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) => throw new NotSupportedException("cpu RandomUniform: not implemented yet");

    /// <inheritdoc />
    public override void RandomNormal<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) => throw new NotSupportedException("cpu RandomNormal: not implemented yet");

    /// <inheritdoc />
    public override void RandomRademacher<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) => throw new NotSupportedException("cpu RandomRademacher: not implemented yet");

}
