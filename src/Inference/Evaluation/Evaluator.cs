using System.Diagnostics;
using Tangent.Inference.Metrics;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Predictive;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;

namespace Tangent.Inference.Evaluation;

/// <summary>
/// Evaluates any <see cref="IPosterior"/> the same way: its logits for the test set (and an OOD set) in batches, the
/// predictive on a backend, then every metric of METHODS.md §5 from the one metrics module.
/// </summary>
public static class Evaluator
{
    /// <summary>
    /// Runs <paramref name="posterior"/> on <paramref name="test"/> (and <paramref name="ood"/> when given) and
    /// measures everything in <see cref="EvaluationReport"/>. The predictive runs on <paramref name="backend"/>.
    /// Throws <see cref="ArgumentException"/> for a data set that does not fit the network and
    /// <see cref="NonFiniteLogitsException"/> (naming the set and input) for NaN or infinite logits.
    /// </summary>
    public static EvaluationReport Run(IPosterior posterior, DataSet test, DataSet? ood, EvaluationOptions options, Backend backend,
        Action<EvaluationProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        ArgumentNullException.ThrowIfNull(test);
        options.Validate();
        CheckFits(posterior, test, labelled: true);
        if (ood != null) CheckFits(posterior, ood, labelled: false);
        var total = Stopwatch.StartNew();
        using var predictor = new Predictor(backend, new PredictiveOptions(options.Predictive, options.Samples, options.Seed));
        var clocks = new Clocks();
        var inSet = Collect(posterior, predictor, test, options.BatchSize, stream: 0, clocks, progress);
        var outSet = ood != null ? Collect(posterior, predictor, ood, options.BatchSize, stream: 1, clocks, progress) : null;

        var metrics = Stopwatch.StartNew();
        int c = posterior.Model.Network.OutputShape.Length;
        var labels = test.Labels;
        var confidences = new double[test.Count];
        var correct = new bool[test.Count];
        for (int i = 0; i < test.Count; i++)
        {
            var row = inSet.Probabilities.AsSpan(i * c, c);
            int k = ClassificationMetrics.ArgMax(row);
            confidences[i] = row[k];
            correct[i] = k == labels[i];
        }
        OodEvaluation? oodResult = null;
        if (outSet != null)
        {
            var scores = inSet.Scores.Keys.Where(outSet.Scores.ContainsKey)
                .Select(s => new OodScoreResult(s, OodScores.Name(s), OodScores.HigherIsOod(s),
                    OodDetection.Evaluate(OodScores.Oriented(s, inSet.Scores[s]), OodScores.Oriented(s, outSet.Scores[s])),
                    inSet.Scores[s], outSet.Scores[s]))
                .ToList();
            oodResult = new OodEvaluation(ood!.Name, ood.Count, scores);
        }
        double accuracy = ClassificationMetrics.Accuracy(inSet.Probabilities, labels, c);
        double nll = ClassificationMetrics.NegativeLogLikelihood(inSet.LogProbabilities, labels, c);
        double? expectedNll = inSet.ExpectedLogProbabilities is { } e ? ClassificationMetrics.ExpectedNegativeLogLikelihood(e, labels, c) : null;
        double brier = ClassificationMetrics.Brier(inSet.Probabilities, labels, c);
        var calibration = options.Bins.Select(b => Calibration.Compute(confidences, correct, b)).ToList();
        CalibrationResult[] reference = [Calibration.ScallaReference(confidences, correct), Calibration.LaplaceReduxReference(confidences, correct)];
        metrics.Stop();
        return new EvaluationReport
        {
            Method = posterior.Method,
            Model = posterior.Model.Name,
            Data = test.Name,
            Examples = test.Count,
            Predictive = PredictiveName(posterior.Kind, options.Predictive),
            Samples = posterior.Kind == PredictionKind.Gaussian && options.Predictive == GaussianPredictive.MonteCarlo ? options.Samples : inSet.SampleCount,
            Accuracy = accuracy,
            Nll = nll,
            ExpectedNll = expectedNll,
            Brier = brier,
            Calibration = calibration,
            ReferenceCalibration = reference,
            Confidences = confidences,
            Ood = oodResult,
            Jitter = (inSet.JitteredInputs + (outSet?.JitteredInputs ?? 0), Math.Max(inSet.MaxJitter, outSet?.MaxJitter ?? 0),
                Math.Max(inSet.MaxRelativeJitter, outSet?.MaxRelativeJitter ?? 0)),
            Timing = new EvaluationTiming(clocks.Posterior.Elapsed.TotalSeconds, clocks.Predictive.Elapsed.TotalSeconds,
                metrics.Elapsed.TotalSeconds, total.Elapsed.TotalSeconds),
        };
    }

    private static string PredictiveName(PredictionKind kind, GaussianPredictive gaussian) => kind switch
    {
        PredictionKind.Point => "point",
        PredictionKind.Gaussian => gaussian == GaussianPredictive.Probit ? "probit" : "mc",
        _ => "samples",
    };

    private static void CheckFits(IPosterior posterior, DataSet data, bool labelled)
    {
        var net = posterior.Model.Network;
        if (data.SampleShape != net.InputShape)
            throw new ArgumentException($"data set '{data.Name}' has inputs of shape {data.SampleShape}; model '{posterior.Model.Name}' expects {net.InputShape}.");
        if (labelled && (!data.IsClassification || net.OutputShape.Rank != 1 || data.ClassCount != net.OutputShape[0]))
            throw new ArgumentException($"data set '{data.Name}' has {data.ClassCount} classes; model '{posterior.Model.Name}' outputs {net.OutputShape}.");
    }

    private sealed class Clocks
    {
        public Stopwatch Posterior { get; } = new();
        public Stopwatch Predictive { get; } = new();
    }

    /// <summary>The predictive of a whole set, concatenated over batches, with every supported OOD score.</summary>
    private sealed class SetPredictive
    {
        public required double[] Probabilities { get; init; }
        public required double[] LogProbabilities { get; init; }
        public double[]? ExpectedLogProbabilities { get; set; }
        public Dictionary<OodScore, double[]> Scores { get; } = [];
        public int SampleCount { get; set; }
        public int JitteredInputs { get; set; }
        public double MaxJitter { get; set; }
        public double MaxRelativeJitter { get; set; }
    }

    private static SetPredictive Collect(IPosterior posterior, Predictor predictor, DataSet data, int batchSize, ulong stream, Clocks clocks,
        Action<EvaluationProgress>? progress)
    {
        int n = data.Count, c = posterior.Model.Network.OutputShape.Length, sample = data.SampleSize;
        var set = new SetPredictive { Probabilities = new double[(long)n * c], LogProbabilities = new double[(long)n * c] };
        for (int start = 0; start < n; start += batchSize)
        {
            int b = Math.Min(batchSize, n - start);
            clocks.Posterior.Start();
            var logits = posterior.Predict(data.Inputs.AsSpan(start * sample, b * sample), b, start);
            clocks.Posterior.Stop();
            clocks.Predictive.Start();
            PredictiveBatch p;
            try
            {
                p = predictor.Compute(logits, start, stream);
            }
            catch (NonFiniteLogitsException e)
            {
                throw new NonFiniteLogitsException($"{posterior.Method} posterior of {posterior.Model.Name} on {data.Name}: {e.Message}");
            }
            clocks.Predictive.Stop();
            p.Probabilities.CopyTo(set.Probabilities, (long)start * c);
            p.LogProbabilities.CopyTo(set.LogProbabilities, (long)start * c);
            if (p.ExpectedLogProbabilities is { } e2)
            {
                set.ExpectedLogProbabilities ??= new double[(long)n * c];
                e2.CopyTo(set.ExpectedLogProbabilities, (long)start * c);
            }
            foreach (var score in OodScores.All)
            {
                if (!OodScores.Supports(score, p)) continue;
                if (!set.Scores.TryGetValue(score, out var values)) set.Scores[score] = values = new double[n];
                OodScores.Compute(score, p, values.AsSpan(start, b));
            }
            set.SampleCount = logits.SampleCount;
            set.JitteredInputs += p.JitteredInputs;
            set.MaxJitter = Math.Max(set.MaxJitter, p.MaxJitter);
            set.MaxRelativeJitter = Math.Max(set.MaxRelativeJitter, p.MaxRelativeJitter);
            progress?.Invoke(new EvaluationProgress(data.Name, start + b, n));
        }
        return set;
    }
}
