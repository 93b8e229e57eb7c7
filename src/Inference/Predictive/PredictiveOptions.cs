namespace Tangent.Inference.Predictive;

/// <summary>How Gaussian logits N(μ, V) become class probabilities (METHODS.md §1).</summary>
public enum GaussianPredictive
{
    /// <summary>Monte Carlo: S draws μ + L z (L = chol V, z Philox normals), softmax each, average.</summary>
    MonteCarlo,
    /// <summary>Probit: softmax(μ / √(1 + π/8 · diag V)) (laplace-torch's default).</summary>
    Probit,
}

/// <summary>Settings of the predictive.</summary>
/// <param name="Gaussian">Monte Carlo or probit for Gaussian logits (other kinds ignore it).</param>
/// <param name="Samples">Monte Carlo draws S per input (ScaLLA's code: 2048).</param>
/// <param name="Seed">Philox key of the draws.</param>
public sealed record PredictiveOptions(GaussianPredictive Gaussian = GaussianPredictive.MonteCarlo, int Samples = 2048, ulong Seed = 0)
{
    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Samples < 1) throw new ArgumentOutOfRangeException(nameof(Samples), $"predictive samples must be at least 1, got {Samples}.");
    }
}
