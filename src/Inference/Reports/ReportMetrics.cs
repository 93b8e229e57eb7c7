using Tangent.Inference.Evaluation;
using Tangent.Inference.Metrics;

namespace Tangent.Inference.Reports;

/// <summary>A column of a report table: which metric, its header, how many decimals.</summary>
/// <param name="Key">The metric's key in <see cref="ReportMetrics"/> (and in results.json).</param>
/// <param name="Header">Column header.</param>
/// <param name="Decimals">Decimals shown.</param>
public sealed record ReportColumn(string Key, string Header, int Decimals = 4);

/// <summary>
/// The numbers a report row holds, by key, taken from one <see cref="EvaluationReport"/>: <c>accuracy</c>, <c>nll</c>
/// (of the averaged predictive), <c>expected_nll</c> (−mean E_s log p_s(y); for a point posterior the NLL itself),
/// <c>brier</c>, <c>ece_15</c>/<c>mce_15</c> (equal-width, every confidence counted), <c>ece_scalla</c>/<c>mce_scalla</c>
/// (ScaLLA's code: 15 bins on (lo, hi]), <c>ece_redux</c>/<c>mce_redux</c> (laplace-redux's 100 bins as VIKING's code
/// computes them, confidences ≥ 0.99 left out), <c>auroc_SCORE</c>, <c>aupr_SCORE</c>, <c>fpr95_SCORE</c> for every OOD
/// score the posterior supports, <c>auroc_uncertainty</c> (the Gaussian-entropy AUROC for Gaussian posteriors, the
/// logit-variance AUROC for sampled ones) and <c>eval_s</c>. Keys a posterior cannot have are absent.
/// </summary>
public static class ReportMetrics
{
    /// <summary>Key of the AUROC of the posterior's own uncertainty score (see the class summary).</summary>
    public const string UncertaintyAuroc = "auroc_uncertainty";

    /// <summary>The metrics of <paramref name="r"/> by key.</summary>
    public static Dictionary<string, double> From(EvaluationReport r)
    {
        var m = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = r.Accuracy,
            ["nll"] = r.Nll,
            ["brier"] = r.Brier,
            ["eval_s"] = r.Timing.TotalSeconds,
        };
        if (r.ExpectedNll is { } e) m["expected_nll"] = e;
        else if (r.Predictive == "point") m["expected_nll"] = r.Nll;
        foreach (var c in r.Calibration.Concat(r.ReferenceCalibration))
        {
            string? suffix = c.Binning switch
            {
                CalibrationBinning.EqualWidth => c.BinCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                CalibrationBinning.ScallaReference => "scalla",
                _ => "redux",
            };
            if (double.IsFinite(c.Ece)) m[$"ece_{suffix}"] = c.Ece;
            if (double.IsFinite(c.Mce)) m[$"mce_{suffix}"] = c.Mce;
        }
        if (r.Ood is { } ood)
        {
            foreach (var s in ood.Scores)
            {
                m[$"auroc_{s.Name}"] = s.Metrics.Auroc;
                m[$"aupr_{s.Name}"] = s.Metrics.Aupr;
                m[$"fpr95_{s.Name}"] = s.Metrics.Fpr95;
            }
            var own = ood.Scores.FirstOrDefault(s => s.Score == OodScore.GaussianEntropy) ?? ood.Scores.FirstOrDefault(s => s.Score == OodScore.LogitVariance);
            if (own != null) m[UncertaintyAuroc] = own.Metrics.Auroc;
        }
        return m;
    }
}
