using Tangent.Inference.Metrics;

namespace Tangent.Inference.Evaluation;

/// <summary>Everything <see cref="Evaluator.Run"/> measures: metrics on the test set, calibration bins, OOD detection, jitter and timing.</summary>
public sealed class EvaluationReport
{
    /// <summary>The posterior's method (<c>map</c>, <c>last-layer</c>, …).</summary>
    public required string Method { get; init; }

    /// <summary>The zoo model.</summary>
    public required string Model { get; init; }

    /// <summary>The test set's name.</summary>
    public required string Data { get; init; }

    /// <summary>Test inputs N.</summary>
    public required int Examples { get; init; }

    /// <summary>How probabilities were formed: <c>point</c>, <c>mc</c>, <c>probit</c> or <c>samples</c>.</summary>
    public required string Predictive { get; init; }

    /// <summary>Monte Carlo samples per input for <c>mc</c>, the posterior's sample count for <c>samples</c>, else 0.</summary>
    public required int Samples { get; init; }

    /// <summary>Accuracy of arg-max p̄.</summary>
    public required double Accuracy { get; init; }

    /// <summary>−mean log p̄(y) of the averaged predictive.</summary>
    public required double Nll { get; init; }

    /// <summary>−mean E_s log p_s(y) for sampled predictives (<c>mc</c>, <c>samples</c>); null otherwise.</summary>
    public required double? ExpectedNll { get; init; }

    /// <summary>mean Σ_c (p̄_c − y_c)².</summary>
    public required double Brier { get; init; }

    /// <summary>Equal-width ECE/MCE with their reliability bins, one per requested bin count (the first is the headline <c>ece</c>/<c>mce</c>).</summary>
    public required IReadOnlyList<CalibrationResult> Calibration { get; init; }

    /// <summary>The reference implementations' variants, labelled: ScaLLA's 15 bins on (lo, hi] and laplace-redux's 100 bins (VIKING).</summary>
    public required IReadOnlyList<CalibrationResult> ReferenceCalibration { get; init; }

    /// <summary>max_c p̄_c of every test input (the confidence histogram).</summary>
    public required double[] Confidences { get; init; }

    /// <summary>OOD detection, when an OOD set was given.</summary>
    public required OodEvaluation? Ood { get; init; }

    /// <summary>Test and OOD inputs whose logit covariance needed jitter, and the largest (absolute, relative to its mean diagonal).</summary>
    public required (int Inputs, double Max, double MaxRelative) Jitter { get; init; }

    /// <summary>Wall-clock seconds spent.</summary>
    public required EvaluationTiming Timing { get; init; }
}

/// <summary>OOD detection of one OOD set: one entry per score the posterior supports.</summary>
/// <param name="Set">The OOD set's name.</param>
/// <param name="Examples">OOD inputs.</param>
/// <param name="Scores">Per score: metrics and both score arrays.</param>
public sealed record OodEvaluation(string Set, int Examples, IReadOnlyList<OodScoreResult> Scores);

/// <summary>One OOD score: its metrics (OOD positive, see <see cref="OodDetection"/>) and the raw score of every input (as computed, not negated).</summary>
/// <param name="Score">Which score.</param>
/// <param name="Name">Its JSON name.</param>
/// <param name="HigherIsOod">Whether high values flag OOD (false for max-probability).</param>
/// <param name="Metrics">AUROC, AUPR, FPR@95 %TPR.</param>
/// <param name="InScores">Raw scores of the test inputs.</param>
/// <param name="OutScores">Raw scores of the OOD inputs.</param>
public sealed record OodScoreResult(OodScore Score, string Name, bool HigherIsOod, OodMetrics Metrics, double[] InScores, double[] OutScores);

/// <summary>Where the time went.</summary>
/// <param name="PosteriorSeconds">In the posterior's <c>Predict</c> (network passes, covariances).</param>
/// <param name="PredictiveSeconds">Turning logits into probabilities (sampling, softmax, reductions).</param>
/// <param name="MetricSeconds">Metrics, calibration and OOD metrics.</param>
/// <param name="TotalSeconds">All of it.</param>
public sealed record EvaluationTiming(double PosteriorSeconds, double PredictiveSeconds, double MetricSeconds, double TotalSeconds);

/// <summary>Progress of <see cref="Evaluator.Run"/>: inputs done of a set.</summary>
/// <param name="Set">The set being evaluated.</param>
/// <param name="Done">Inputs done.</param>
/// <param name="Total">Inputs in the set.</param>
public readonly record struct EvaluationProgress(string Set, int Done, int Total);
