namespace Tangent.Inference.Predictive;

/// <summary>
/// The predictive distribution over classes for a batch of B inputs with C classes, and the per-input quantities the
/// metrics and OOD scores need, as host arrays [B, C] (or [B]). Which optional arrays are set depends on the
/// posterior's prediction kind and the predictive method (see each property).
/// </summary>
public sealed class PredictiveBatch
{
    internal PredictiveBatch(int batch, int classes, double[] probabilities, double[] logProbabilities)
    {
        Batch = batch;
        Classes = classes;
        Probabilities = probabilities;
        LogProbabilities = logProbabilities;
    }

    /// <summary>Number of inputs B.</summary>
    public int Batch { get; }

    /// <summary>Number of classes C.</summary>
    public int Classes { get; }

    /// <summary>p̄ [B, C]: the averaged class probabilities (point: softmax of the logits; probit: its approximation).</summary>
    public double[] Probabilities { get; }

    /// <summary>log p̄ [B, C] (point and probit: a log-softmax, exact where p̄ underflows; sampled: log of the average).</summary>
    public double[] LogProbabilities { get; }

    /// <summary>E_s log p_s [B, C] over the samples (Gaussian MC, sampled logits); null otherwise.</summary>
    public double[]? ExpectedLogProbabilities { get; internal set; }

    /// <summary>Var_s p_s [B, C] of the sampled probabilities (Gaussian MC, sampled logits); null otherwise.</summary>
    public double[]? ProbabilityVariance { get; internal set; }

    /// <summary>Variance of each logit [B, C]: diag V for Gaussian logits, Var_s f_s for sampled logits; null for points.</summary>
    public double[]? LogitVariance { get; internal set; }

    /// <summary>log det V [B] of each Gaussian logit covariance (after any jitter); null unless Gaussian.</summary>
    public double[]? LogDeterminant { get; internal set; }

    /// <summary>Inputs whose logit covariance needed jitter before its Cholesky factorisation.</summary>
    public int JitteredInputs { get; internal set; }

    /// <summary>Largest absolute jitter added to a logit covariance's diagonal (0 when none was needed).</summary>
    public double MaxJitter { get; internal set; }

    /// <summary>Largest jitter relative to that covariance's mean diagonal.</summary>
    public double MaxRelativeJitter { get; internal set; }
}
