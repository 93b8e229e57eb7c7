namespace Tangent.Kernels.Ops;

/// <summary>
/// An activation's derivative f′ as a function of the value a it reads: the primal input (ReLU) or the primal
/// output (the rest, cheaper than recomputing from the input). The engine's <c>DerivativeMul</c> applies it through
/// the matching functor (<see cref="ReluGrad"/>, <see cref="TanhGradFromOutput"/>, …); the fused
/// conv → activation → max-pool kernels evaluate it in place.
/// </summary>
public enum DerivativeKind
{
    /// <summary>[a &gt; 0], a = x.</summary>
    Relu,
    /// <summary>1 − a², a = tanh x.</summary>
    TanhFromOutput,
    /// <summary>a(1 − a), a = σ(x).</summary>
    SigmoidFromOutput,
    /// <summary>1/(2a), a = √x.</summary>
    SqrtFromOutput,
    /// <summary>−a², a = 1/x.</summary>
    ReciprocalFromOutput,
}
