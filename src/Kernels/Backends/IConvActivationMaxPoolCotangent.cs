using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Backends;

/// <summary>
/// An optional capability: a backend with a fused kernel for the reverse sweep of maxpool(f(conv(x, w) + b)) with E
/// stacked cotangents implements this (the <c>cpu</c> backend does); plans ask as for
/// <see cref="IConvActivationMaxPoolTangent"/>.
/// </summary>
public interface IConvActivationMaxPoolCotangent
{
    /// <summary>Whether the kernel serves this case and pays off there (set count, sizes, activation).</summary>
    bool SupportsConvActivationMaxPoolCotangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int sets, DerivativeKind activation)
        where T : unmanaged;

    /// <summary>
    /// The reverse sweep for the cotangents <paramref name="ct"/> [E, N, K, PH, PW]: with g = f′(a)·c̄ at p = argmax (f′
    /// as in <see cref="IConvActivationMaxPoolTangent.ConvActivationMaxPoolTangent{T}"/>), writes dw[E, K, C, R, S] =
    /// ∂/∂w, and where not null views dx[E, N, C, H, W] = ∂/∂x (then <paramref name="w"/> is read) and db[E, K] = ∂/∂b.
    /// Overwrites its outputs. Only where <see cref="SupportsConvActivationMaxPoolCotangent{T}"/> said yes.
    /// </summary>
    void ConvActivationMaxPoolCotangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int sets, DerivativeKind activation,
        BufferView<T> ct, BufferView<int> argmax, BufferView<T> a, BufferView<T> x, BufferView<T> w, BufferView<T> dw, BufferView<T> dx,
        BufferView<T> db) where T : unmanaged;
}
