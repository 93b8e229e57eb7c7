using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Backends;

/// <summary>
/// An optional capability: a backend with a fused kernel for the forward-mode tangent of
/// maxpool(f(conv(x, w) + b)) with E stacked tangents implements this (the <c>cpu</c> backend does). Plans ask
/// <c>backend is IConvActivationMaxPoolTangent</c> and <see cref="SupportsConvActivationMaxPoolTangent{T}"/> once, when
/// they compile, and otherwise run the separate products that every backend has.
/// </summary>
public interface IConvActivationMaxPoolTangent
{
    /// <summary>Whether the kernel serves this case and pays off there (tangent count, sizes, activation).</summary>
    bool SupportsConvActivationMaxPoolTangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int tangents, DerivativeKind activation)
        where T : unmanaged;

    /// <summary>
    /// The tangent only where max pooling reads: t[E, N, K, PH, PW] = f′·(conv(ẋ_e, w) + conv(x, ẇ_e) + ḃ_e) at position
    /// p = argmax[N, K, PH, PW] of each OH×OW plane, with f′ from <paramref name="activation"/> evaluated on
    /// <paramref name="a"/> [N, K, OH, OW] at p (the pre-activation for ReLU, the activation's output for tanh and
    /// sigmoid). <paramref name="xdot"/> [E, N, C, H, W] may be a null view (an input without tangent; then
    /// <paramref name="w"/> is not read), as may <paramref name="bdot"/> [E, K]; <paramref name="wdot"/> is
    /// [E, K, C, R, S]. Only where <see cref="SupportsConvActivationMaxPoolTangent{T}"/> said yes.
    /// </summary>
    void ConvActivationMaxPoolTangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int tangents, DerivativeKind activation,
        BufferView<T> x, BufferView<T> w, BufferView<T> xdot, BufferView<T> wdot, BufferView<T> bdot, BufferView<T> a, BufferView<int> argmax,
        BufferView<T> t) where T : unmanaged;
}
