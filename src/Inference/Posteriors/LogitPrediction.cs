namespace Tangent.Inference.Posteriors;

/// <summary>What a posterior says about the logits of a batch.</summary>
public enum PredictionKind
{
    /// <summary>One logit vector per input (MAP).</summary>
    Point,
    /// <summary>A Gaussian over each input's logits: mean [B, C] and covariance [B, C, C] (Laplace, ScaLLA).</summary>
    Gaussian,
    /// <summary>S sampled logit vectors per input, [S, B, C] (VIKING, projection posterior sampled through the network).</summary>
    Samples,
}

/// <summary>
/// The logits a posterior predicts for a batch of B inputs with C classes (or C outputs in regression), as host
/// arrays in row-major order. Exactly the arrays of <see cref="Kind"/> are set: <see cref="Mean"/> for
/// <see cref="PredictionKind.Point"/>; <see cref="Mean"/> and <see cref="Covariance"/> for
/// <see cref="PredictionKind.Gaussian"/>; <see cref="Samples"/> for <see cref="PredictionKind.Samples"/>.
/// </summary>
public sealed class LogitPrediction
{
    private LogitPrediction(PredictionKind kind, int batch, int classes, int sampleCount, float[]? mean, float[]? covariance, float[]? samples)
    {
        if (batch <= 0 || classes <= 0) throw new ArgumentOutOfRangeException(nameof(batch), $"logit prediction: batch {batch} and classes {classes} must be positive.");
        Kind = kind;
        Batch = batch;
        Classes = classes;
        SampleCount = sampleCount;
        Mean = mean;
        Covariance = covariance;
        Samples = samples;
    }

    /// <summary>Point logits [B, C].</summary>
    public static LogitPrediction Point(float[] logits, int batch, int classes)
    {
        Require(logits, (long)batch * classes, "logits");
        return new LogitPrediction(PredictionKind.Point, batch, classes, 0, logits, null, null);
    }

    /// <summary>Gaussian logits: mean [B, C], covariance [B, C, C] (each C × C block symmetric positive semi-definite).</summary>
    public static LogitPrediction Gaussian(float[] mean, float[] covariance, int batch, int classes)
    {
        Require(mean, (long)batch * classes, "mean");
        Require(covariance, (long)batch * classes * classes, "covariance");
        return new LogitPrediction(PredictionKind.Gaussian, batch, classes, 0, mean, covariance, null);
    }

    /// <summary>Sampled logits [S, B, C].</summary>
    public static LogitPrediction Sampled(float[] samples, int sampleCount, int batch, int classes)
    {
        if (sampleCount <= 0) throw new ArgumentOutOfRangeException(nameof(sampleCount), $"logit prediction: {sampleCount} samples; need at least one.");
        Require(samples, (long)sampleCount * batch * classes, "samples");
        return new LogitPrediction(PredictionKind.Samples, batch, classes, sampleCount, null, null, samples);
    }

    /// <summary>Which arrays are set.</summary>
    public PredictionKind Kind { get; }

    /// <summary>Number of inputs B.</summary>
    public int Batch { get; }

    /// <summary>Number of logits per input C.</summary>
    public int Classes { get; }

    /// <summary>S for <see cref="PredictionKind.Samples"/>, else 0.</summary>
    public int SampleCount { get; }

    /// <summary>[B, C]: the point logits or the Gaussian's mean; null for samples.</summary>
    public float[]? Mean { get; }

    /// <summary>[B, C, C] for <see cref="PredictionKind.Gaussian"/>, else null.</summary>
    public float[]? Covariance { get; }

    /// <summary>[S, B, C] for <see cref="PredictionKind.Samples"/>, else null.</summary>
    public float[]? Samples { get; }

    private static void Require(float[] values, long length, string what)
    {
        ArgumentNullException.ThrowIfNull(values, what);
        if (values.Length != length)
            throw new ArgumentException($"logit prediction: {what} has {values.Length} values; expected {length}.", what);
    }
}
