using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override void Axpy<T>(T alpha, BufferView<T> x, BufferView<T> y) => throw new NotSupportedException("cpu Axpy: not implemented yet");

    /// <inheritdoc />
    public override void Scal<T>(T alpha, BufferView<T> x) => throw new NotSupportedException("cpu Scal: not implemented yet");

    /// <inheritdoc />
    public override T Dot<T>(BufferView<T> x, BufferView<T> y) => throw new NotSupportedException("cpu Dot: not implemented yet");

    /// <inheritdoc />
    public override T Nrm2<T>(BufferView<T> x) => throw new NotSupportedException("cpu Nrm2: not implemented yet");

}
