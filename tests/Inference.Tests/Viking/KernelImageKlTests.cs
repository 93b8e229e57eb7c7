using MathNet.Numerics.LinearAlgebra;
using Tangent.Inference.Viking;

namespace Tangent.Inference.Tests.Viking;

/// <summary>
/// The closed-form KL of VIKING's posterior against the prior, checked against the dense Gaussian KL
/// ½[tr(Σ_p⁻¹Σ) + μᵀΣ_p⁻¹μ − P + log det Σ_p − log det Σ] with Σ = α⁻¹UUᵀ + σ²(I − UUᵀ) built from a random
/// matrix's null space (MathNet, float64), and its derivatives against central differences of the dense KL.
/// </summary>
public sealed class KernelImageKlTests
{
    private const int P = 12, Rows = 4;

    private static (Matrix<double> Projector, Vector<double> Mean) Problem()
    {
        var rng = new Random(5);
        var j = Matrix<double>.Build.Dense(Rows, P, (_, _) => Tiny.Normal(rng));
        var mean = Vector<double>.Build.Dense(P, _ => Tiny.Normal(rng));
        return (DenseReference.KernelProjector(j), mean);
    }

    private static double DenseKl(Matrix<double> kernel, Vector<double> mean, double logAlpha, double logSigma)
    {
        double alpha = Math.Exp(logAlpha), sigma2 = Math.Exp(2 * logSigma);
        var identity = Matrix<double>.Build.DenseIdentity(P);
        var cov = kernel / alpha + (identity - kernel) * sigma2;
        return 0.5 * (alpha * cov.Trace() + alpha * mean.DotProduct(mean) - P - P * logAlpha - cov.Cholesky().DeterminantLn);
    }

    [Fact]
    public void Value_matches_the_dense_Gaussian_KL()
    {
        var (kernel, mean) = Problem();
        foreach (var (la, ls) in new[] { (4.0, -2.0), (0.0, 0.0), (-1.5, 0.7) })
        {
            double dense = DenseKl(kernel, mean, la, ls);
            // tr UUᵀ = P − rank J = 8 exactly for a random J; 1e-10 relative covers the Cholesky's rounding.
            double closed = KernelImageKl.At(P, kernel.Trace(), mean.DotProduct(mean), la, ls).Value;
            Assert.True(Math.Abs(closed - dense) <= 1e-10 * Math.Abs(dense), $"log α {la}, log σ {ls}: closed form {closed:R}, dense {dense:R}");
        }
    }

    [Fact]
    public void Derivatives_match_central_differences_of_the_dense_KL()
    {
        var (kernel, mean) = Problem();
        const double la = 1.3, ls = -0.8, h = 1e-5;
        var kl = KernelImageKl.At(P, kernel.Trace(), mean.DotProduct(mean), la, ls);
        // Central differences in float64: truncation ~h² and rounding ~1e-16/h, so 1e-7 relative.
        double dLa = (DenseKl(kernel, mean, la + h, ls) - DenseKl(kernel, mean, la - h, ls)) / (2 * h);
        double dLs = (DenseKl(kernel, mean, la, ls + h) - DenseKl(kernel, mean, la, ls - h)) / (2 * h);
        var w = Vector<double>.Build.Dense(P, i => Math.Sin(i + 1));
        double dMean = (DenseKl(kernel, mean + h * w, la, ls) - DenseKl(kernel, mean - h * w, la, ls)) / (2 * h);
        Assert.Equal(dLa, kl.LogPrecisionGradient, Math.Abs(dLa) * 1e-7);
        Assert.Equal(dLs, kl.LogImageScaleGradient, Math.Abs(dLs) * 1e-7);
        Assert.Equal(dMean, kl.MeanGradientScale * mean.DotProduct(w), Math.Abs(dMean) * 1e-7);
    }
}
