using Tangent.Inference.Predictive;

namespace Tangent.Inference.Metrics;

/// <summary>Per-input scores for OOD detection (METHODS.md §5).</summary>
public enum OodScore
{
    /// <summary>max_c p̄_c (low means OOD).</summary>
    MaxProbability,
    /// <summary>Entropy of the averaged predictive, −Σ_c p̄_c log p̄_c.</summary>
    PredictiveEntropy,
    /// <summary>Differential entropy of the Gaussian logits, ½ log det V + (C/2)(1 + log 2π) (Gaussian posteriors).</summary>
    GaussianEntropy,
    /// <summary>max_c of the logit variance (diag V, or Var_s over sampled logits).</summary>
    LogitVariance,
    /// <summary>max_c Var_s p_s,c over the sampled probabilities (Monte Carlo and sampled posteriors).</summary>
    ProbabilityVariance,
}

/// <summary>Computes <see cref="OodScore"/>s from a <see cref="PredictiveBatch"/>; names match the evaluation JSON.</summary>
public static class OodScores
{
    /// <summary>Every score, in report order.</summary>
    public static IReadOnlyList<OodScore> All { get; } = Enum.GetValues<OodScore>();

    /// <summary>The JSON name: <c>max_probability</c>, <c>predictive_entropy</c>, <c>gaussian_entropy</c>, <c>logit_variance</c>, <c>probability_variance</c>.</summary>
    public static string Name(OodScore score) => score switch
    {
        OodScore.MaxProbability => "max_probability",
        OodScore.PredictiveEntropy => "predictive_entropy",
        OodScore.GaussianEntropy => "gaussian_entropy",
        OodScore.LogitVariance => "logit_variance",
        _ => "probability_variance",
    };

    /// <summary>Whether a high value means OOD (false only for max-probability).</summary>
    public static bool HigherIsOod(OodScore score) => score != OodScore.MaxProbability;

    /// <summary>The score oriented for <see cref="OodDetection"/> (high = OOD): negated when <see cref="HigherIsOod"/> is false.</summary>
    public static double[] Oriented(OodScore score, double[] values) => HigherIsOod(score) ? values : Array.ConvertAll(values, v => -v);

    /// <summary>Whether <paramref name="batch"/> carries what <paramref name="score"/> needs.</summary>
    public static bool Supports(OodScore score, PredictiveBatch batch) => score switch
    {
        OodScore.GaussianEntropy => batch.LogDeterminant != null,
        OodScore.LogitVariance => batch.LogitVariance != null,
        OodScore.ProbabilityVariance => batch.ProbabilityVariance != null,
        _ => true,
    };

    /// <summary>The score of each input of <paramref name="batch"/> into <paramref name="destination"/> (length B).</summary>
    public static void Compute(OodScore score, PredictiveBatch batch, Span<double> destination)
    {
        if (!Supports(score, batch)) throw new InvalidOperationException($"OOD score {Name(score)} needs quantities this predictive does not have.");
        int c = batch.Classes;
        for (int i = 0; i < batch.Batch; i++)
        {
            destination[i] = score switch
            {
                OodScore.MaxProbability => Max(batch.Probabilities.AsSpan(i * c, c)),
                OodScore.PredictiveEntropy => Entropy(batch.Probabilities.AsSpan(i * c, c), batch.LogProbabilities.AsSpan(i * c, c)),
                OodScore.GaussianEntropy => GaussianEntropy(batch.LogDeterminant![i], c),
                OodScore.LogitVariance => Max(batch.LogitVariance.AsSpan(i * c, c)),
                _ => Max(batch.ProbabilityVariance.AsSpan(i * c, c)),
            };
        }
    }

    /// <summary>Differential entropy of N(μ, V) in C dimensions: ½ log det V + (C/2)(1 + log 2π).</summary>
    public static double GaussianEntropy(double logDeterminant, int classes) => 0.5 * logDeterminant + classes / 2.0 * (1 + Math.Log(2 * Math.PI));

    /// <summary>−Σ_c p_c log p_c, with 0 · log 0 = 0.</summary>
    public static double Entropy(ReadOnlySpan<double> p, ReadOnlySpan<double> logP)
    {
        double h = 0;
        for (int k = 0; k < p.Length; k++)
            if (p[k] > 0) h -= p[k] * logP[k];
        return h;
    }

    private static double Max(ReadOnlySpan<double> v)
    {
        double m = double.NegativeInfinity;
        foreach (double x in v) m = Math.Max(m, x);
        return m;
    }
}
