using Tangent.Inference.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Inference.Laplace;

/// <summary>One point of the evidence curve: α and log p(D | α).</summary>
/// <param name="Precision">α.</param>
/// <param name="LogMarginalLikelihood">log p(D | α).</param>
public readonly record struct EvidencePoint(double Precision, double LogMarginalLikelihood);

/// <summary>The Gaussian posterior N(θ*, Σ) of a GGN-Laplace fit over P′ parameters, with how α was chosen.</summary>
public sealed class GgnLaplaceFit
{
    internal GgnLaplaceFit(double precision, bool optimised, double logMarginalLikelihood, IReadOnlyList<EvidencePoint> curve, double[] covariance,
        CholeskyOutcome jitter, int negativeEigenvalues)
    {
        Precision = precision;
        Optimised = optimised;
        LogMarginalLikelihood = logMarginalLikelihood;
        EvidenceCurve = curve;
        Covariance = covariance;
        Jitter = jitter;
        NegativeEigenvalues = negativeEigenvalues;
    }

    /// <summary>The prior precision α used (α* when <see cref="Optimised"/>).</summary>
    public double Precision { get; }

    /// <summary>Whether α was chosen by maximising the marginal likelihood.</summary>
    public bool Optimised { get; }

    /// <summary>log p(D | α) at the α used.</summary>
    public double LogMarginalLikelihood { get; }

    /// <summary>log p(D | α) on a log-spaced grid of α around α* (empty for a fixed α).</summary>
    public IReadOnlyList<EvidencePoint> EvidenceCurve { get; }

    /// <summary>Σ = (H + αI)⁻¹, P′×P′ row-major.</summary>
    public double[] Covariance { get; }

    /// <summary>The jitter the Cholesky factorisation of H + αI needed (0 when positive definite as computed).</summary>
    public CholeskyOutcome Jitter { get; }

    /// <summary>Eigenvalues of H below zero from rounding (H is positive semi-definite), clipped to 0 in the evidence.</summary>
    public int NegativeEigenvalues { get; }
}

/// <summary>
/// The Laplace step shared by the last-layer and the exact linearised Laplace (METHODS.md §6): given the GGN
/// H = Σ_n J_nᵀ Λ_n J_n over P′ parameters, θ* and log p(D | θ*), choose α (fixed, or α* maximising
/// log p(D | α) ≈ log p(D | θ*) − ½ α ‖θ*‖² + ½ P′ log α − ½ Σᵢ log(λᵢ + α) with one eigendecomposition H = QΛQᵀ)
/// and form Σ = (H + αI)⁻¹ by Cholesky (jitter reported) as Σ = L⁻ᵀL⁻¹, the product on the backend.
/// </summary>
public static class GgnLaplace
{
    /// <summary>Grid of the evidence curve: α* · 10^k for k from −3 to 3 in steps of 1/4.</summary>
    public const int CurveHalfWidth = 12;

    /// <summary>Fits the posterior. <paramref name="ggn"/> (P′×P′ row-major, symmetric) is not changed.</summary>
    public static GgnLaplaceFit Fit(double[] ggn, ReadOnlySpan<double> theta, double logLikelihood, LaplacePrior prior, Backend backend, string what)
    {
        int p = theta.Length;
        if (ggn.Length != (long)p * p) throw new ArgumentException($"{what}: the GGN has {ggn.Length} values; {p} parameters need {(long)p * p}.");
        double thetaSquared = Cholesky.Dot(theta, theta);
        double alpha;
        var curve = new List<EvidencePoint>();
        int negative = 0;
        if (prior.Precision is { } fixedAlpha) alpha = fixedAlpha;
        else
        {
            var eigenvalues = SymmetricEigenvalues.Compute((double[])ggn.Clone(), p);
            for (int i = 0; i < p; i++)
                if (eigenvalues[i] < 0) { negative++; eigenvalues[i] = 0; }
            alpha = MaximiseEvidence(eigenvalues, thetaSquared, what);
            for (int k = -CurveHalfWidth; k <= CurveHalfWidth; k++)
            {
                double a = alpha * Math.Pow(10, k / 4.0);
                curve.Add(new EvidencePoint(a, Evidence(eigenvalues, thetaSquared, logLikelihood, a)));
            }
        }
        var factor = (double[])ggn.Clone();
        for (int i = 0; i < p; i++) factor[i * p + i] += alpha;
        var jitter = Cholesky.FactorWithJitter(factor, p, $"{what}: the posterior precision H + αI (α = {alpha:G6})");
        // With the factor at hand, log det(H + αI) gives the evidence at α whichever way α was chosen.
        double evidence = logLikelihood - 0.5 * alpha * thetaSquared + 0.5 * p * Math.Log(alpha) - 0.5 * Cholesky.LogDeterminant(factor, p);
        return new GgnLaplaceFit(alpha, prior.Precision is null, evidence, curve, Covariance(factor, p, backend), jitter, negative);
    }

    /// <summary>log p(D | α) from the eigenvalues λ of H (laplace-torch's <c>log_marginal_likelihood</c> with a scalar prior).</summary>
    public static double Evidence(ReadOnlySpan<double> eigenvalues, double thetaSquared, double logLikelihood, double alpha)
    {
        double logDet = 0;
        foreach (double l in eigenvalues) logDet += Math.Log(l + alpha);
        return logLikelihood - 0.5 * alpha * thetaSquared + 0.5 * eigenvalues.Length * Math.Log(alpha) - 0.5 * logDet;
    }

    /// <summary>
    /// α* by bisection in u = log α on the derivative ½(γ(α) − α‖θ*‖²), γ = Σ λᵢ/(λᵢ + α): the evidence is strictly
    /// concave in u (second derivative −½(α‖θ*‖² + Σ λᵢα/(λᵢ + α)²) &lt; 0), so the root is its maximum (MacKay's
    /// fixed point α = γ/‖θ*‖²).
    /// </summary>
    public static double MaximiseEvidence(ReadOnlySpan<double> eigenvalues, double thetaSquared, string what)
    {
        if (!(thetaSquared > 0)) throw new ArgumentException($"{what}: ‖θ*‖² = {thetaSquared}; the marginal likelihood has no maximum (use a fixed prior precision).");
        double Slope(double u, ReadOnlySpan<double> l)
        {
            double a = Math.Exp(u), gamma = 0;
            foreach (double x in l) gamma += x / (x + a);
            return gamma - a * thetaSquared;
        }
        double lo = -50, hi = 50;
        if (!(Slope(lo, eigenvalues) > 0))
            throw new ArgumentException($"{what}: the GGN has no positive eigenvalue above e⁻⁵⁰; the marginal likelihood is maximised at α → 0.");
        while (hi - lo > 1e-13 * Math.Max(1, Math.Abs(lo)))
        {
            double mid = 0.5 * (lo + hi);
            if (Slope(mid, eigenvalues) > 0) lo = mid; else hi = mid;
        }
        return Math.Exp(0.5 * (lo + hi));
    }

    /// <summary>Σ = (LLᵀ)⁻¹ = YᵀY with Y = L⁻¹ (host), the product a GEMM on the backend.</summary>
    private static double[] Covariance(double[] factor, int p, Backend backend)
    {
        var y = Cholesky.InvertFactor(factor, p);
        using var dy = backend.Upload<double>(y);
        using var sigma = backend.Allocate<double>(p * p);
        backend.Gemm(Transpose.Yes, Transpose.No, p, p, p, 1.0, dy.View, p, dy.View, p, 0.0, sigma.View, p);
        return sigma.ToArray();
    }
}
