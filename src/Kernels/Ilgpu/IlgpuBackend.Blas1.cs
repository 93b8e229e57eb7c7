using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Axpy<T>(T alpha, BufferView<T> x, BufferView<T> y) => throw new NotSupportedException("ilgpu Axpy: not implemented yet");

    /// <inheritdoc />
    public override void Scal<T>(T alpha, BufferView<T> x) => throw new NotSupportedException("ilgpu Scal: not implemented yet");

    /// <inheritdoc />
    public override T Dot<T>(BufferView<T> x, BufferView<T> y) => throw new NotSupportedException("ilgpu Dot: not implemented yet");

    /// <inheritdoc />
    public override T Nrm2<T>(BufferView<T> x) => throw new NotSupportedException("ilgpu Nrm2: not implemented yet");

}
