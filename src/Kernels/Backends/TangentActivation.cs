namespace Tangent.Kernels.Backends;

/// <summary>The activation derivative f′ of <see cref="Backend.ConvActivationMaxPoolTangent{T}"/>, from the value a it reads.</summary>
public enum TangentActivation
{
    /// <summary>f′ = [a &gt; 0], a the pre-activation (ReLU).</summary>
    Relu,
    /// <summary>f′ = 1 − a², a = tanh of the pre-activation.</summary>
    TanhFromOutput,
    /// <summary>f′ = a(1 − a), a = σ of the pre-activation.</summary>
    SigmoidFromOutput,
}
