using System.Globalization;
using System.Text.Json;
using Tangent.Inference.Evaluation;

namespace Tangent.Cli;

/// <summary><c>tangent evaluate</c>'s table and its JSON document (the format is documented in docs/evaluate-json.md).</summary>
internal static class EvaluationOutput
{
    /// <summary>The metrics as a two-column table, then the OOD scores as a table of AUROC, AUPR and FPR@95.</summary>
    public static void Print(EvaluationReport r, string path, int parameters, TextWriter w)
    {
        var headline = r.Calibration[0];
        w.WriteLine($"{r.Model} ({parameters:N0} parameters), method {r.Method}, from {path}");
        w.WriteLine($"{r.Data}: {r.Examples:N0} examples, predictive {r.Predictive}" + (r.Samples > 0 ? $" ({r.Samples:N0} samples)" : ""));
        var rows = new List<(string, string)>
        {
            ("accuracy", F(r.Accuracy)),
            ("NLL", F(r.Nll)),
        };
        if (r.ExpectedNll is { } e) rows.Add(("expected NLL", F(e)));
        rows.Add(("Brier", F(r.Brier)));
        rows.Add(($"ECE ({headline.BinCount} bins)", F(headline.Ece)));
        rows.Add(($"MCE ({headline.BinCount} bins)", F(headline.Mce)));
        foreach (var c in r.ReferenceCalibration)
            rows.Add(($"ECE / MCE {c.Label}", $"{F(c.Ece)} / {F(c.Mce)}" + (c.Excluded > 0 ? $" ({c.Excluded:N0} confidences not counted)" : "")));
        Table(w, ("metric", "value"), rows);
        if (r.Jitter.Inputs > 0)
            w.WriteLine($"jitter: {r.Jitter.Inputs:N0} logit covariances needed jitter (largest {r.Jitter.Max:G3}, {r.Jitter.MaxRelative:G3} of the mean diagonal)");
        if (r.Ood is { } ood)
        {
            w.WriteLine();
            w.WriteLine($"OOD {ood.Set}: {ood.Examples:N0} examples (OOD is the positive class)");
            var scoreRows = ood.Scores.Select(s => (s.Name, $"{F(s.Metrics.Auroc)}  {F(s.Metrics.Aupr)}  {F(s.Metrics.Fpr95)}")).ToList();
            Table(w, ("score", "AUROC   AUPR    FPR95"), scoreRows);
        }
        w.WriteLine($"time: {r.Timing.TotalSeconds:F1} s (posterior {r.Timing.PosteriorSeconds:F1} s, predictive {r.Timing.PredictiveSeconds:F1} s, metrics {r.Timing.MetricSeconds:F1} s)");
    }

    /// <summary>The JSON document: top-level metrics, calibration variants with their bins, OOD scores, jitter and timing.</summary>
    public static string Json(EvaluationReport r, string path)
    {
        var headline = r.Calibration[0];
        var doc = new Dictionary<string, object?>
        {
            ["file"] = path,
            ["model"] = r.Model,
            ["method"] = r.Method,
            ["data"] = r.Data,
            ["examples"] = r.Examples,
            ["predictive"] = r.Predictive,
            ["samples"] = r.Samples,
            ["accuracy"] = r.Accuracy,
            ["nll"] = r.Nll,
            ["expected_nll"] = r.ExpectedNll,
            ["brier"] = r.Brier,
            ["ece"] = Finite(headline.Ece),
            ["mce"] = Finite(headline.Mce),
            ["bins"] = headline.BinCount,
            ["calibration"] = r.Calibration.Concat(r.ReferenceCalibration).Select(c => new Dictionary<string, object?>
            {
                ["label"] = c.Label,
                ["bins"] = c.BinCount,
                ["ece"] = Finite(c.Ece),
                ["mce"] = Finite(c.Mce),
                ["counted"] = c.Counted,
                ["excluded"] = c.Excluded,
                ["reliability"] = c.Bins.Select(b => new Dictionary<string, object>
                {
                    ["lower"] = b.Lower, ["upper"] = b.Upper, ["count"] = b.Count, ["confidence"] = b.MeanConfidence, ["accuracy"] = b.Accuracy,
                }).ToList(),
            }).ToList(),
            ["ood"] = r.Ood is not { } ood ? null : new Dictionary<string, object>
            {
                ["set"] = ood.Set,
                ["examples"] = ood.Examples,
                ["scores"] = ood.Scores.ToDictionary(s => s.Name, s => new Dictionary<string, double>
                {
                    ["auroc"] = s.Metrics.Auroc, ["aupr"] = s.Metrics.Aupr, ["fpr95"] = s.Metrics.Fpr95,
                }),
            },
            ["jitter"] = new Dictionary<string, object> { ["inputs"] = r.Jitter.Inputs, ["max"] = r.Jitter.Max, ["max_relative"] = r.Jitter.MaxRelative },
            ["seconds"] = new Dictionary<string, double>
            {
                ["posterior"] = r.Timing.PosteriorSeconds, ["predictive"] = r.Timing.PredictiveSeconds,
                ["metrics"] = r.Timing.MetricSeconds, ["total"] = r.Timing.TotalSeconds,
            },
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>JSON has no NaN: a variant that counts no confidence has ECE null.</summary>
    private static double? Finite(double x) => double.IsFinite(x) ? x : null;

    private static string F(double x) => double.IsNaN(x) ? "n/a" : x.ToString("F4", CultureInfo.InvariantCulture);

    private static void Table(TextWriter w, (string, string) header, IReadOnlyList<(string Name, string Value)> rows)
    {
        int width = Math.Max(header.Item1.Length, rows.Max(r => r.Name.Length)) + 2;
        w.WriteLine(header.Item1.PadRight(width) + header.Item2);
        foreach (var (name, value) in rows) w.WriteLine(name.PadRight(width) + value);
    }
}
