namespace Tangent.Inference.Viking;

/// <summary>
/// KL(q ‖ p) of VIKING's posterior q = N(θ̂, α⁻¹UUᵀ + σ²(I − UUᵀ)) against the prior p = N(0, α⁻¹I) in closed form,
/// with R = tr UUᵀ (the kernel's dimension) given (estimated, and held constant under differentiation):
/// <code>KL = ½[R + α(P−R)σ² − P + α‖θ̂‖² − P log α + R log α − 2(P−R) log σ]</code>
/// (METHODS.md §3): α tr Σ = R + α(P−R)σ², log det Σ = −R log α + 2(P−R) log σ. Derivatives are in the
/// optimised coordinates log α and log σ.
/// </summary>
/// <param name="Value">KL.</param>
/// <param name="MeanGradientScale">∂KL/∂θ̂ = α θ̂: the factor α.</param>
/// <param name="LogPrecisionGradient">∂KL/∂log α = ½[α(P−R)σ² + α‖θ̂‖² − P + R].</param>
/// <param name="LogImageScaleGradient">∂KL/∂log σ = (P−R)(ασ² − 1).</param>
public readonly record struct KernelImageKl(double Value, double MeanGradientScale, double LogPrecisionGradient, double LogImageScaleGradient)
{
    /// <summary>The KL and its derivatives for P parameters, kernel dimension R, ‖θ̂‖², log α and log σ.</summary>
    public static KernelImageKl At(int parameters, double kernelDimension, double meanSquaredNorm, double logPrecision, double logImageScale)
    {
        double p = parameters, r = kernelDimension, alpha = Math.Exp(logPrecision), sigma2 = Math.Exp(2 * logImageScale);
        double value = 0.5 * (r + alpha * (p - r) * sigma2 - p + alpha * meanSquaredNorm - p * logPrecision + r * logPrecision
                              - 2 * (p - r) * logImageScale);
        return new KernelImageKl(value, alpha,
            0.5 * (alpha * (p - r) * sigma2 + alpha * meanSquaredNorm - p + r),
            (p - r) * (alpha * sigma2 - 1));
    }
}
