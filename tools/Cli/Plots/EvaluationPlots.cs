using System.Globalization;
using ScottPlot;
using Tangent.Inference.Evaluation;

namespace Tangent.Cli;

/// <summary>The PNG files of <c>tangent evaluate --plots DIR</c>, each written atomically.</summary>
internal static class EvaluationPlots
{
    public const int Width = 800, Height = 600;

    /// <summary>Writes reliability.png, confidence.png and one ood-SCORE.png per OOD score; returns the paths.</summary>
    public static IReadOnlyList<string> Write(EvaluationReport r, string directory)
    {
        Directory.CreateDirectory(directory);
        var calibration = r.Calibration[0];
        string what = $"{r.Method} {r.Model} on {r.Data}";
        var plots = new List<(string File, Plot Plot)>
        {
            ("reliability.png", ReliabilityDiagram.Build(calibration,
                $"Reliability: {what}, ECE {calibration.Ece.ToString("F4", CultureInfo.InvariantCulture)} ({calibration.BinCount} bins)")),
            ("confidence.png", Histograms.Confidence(r.Confidences, calibration.BinCount, $"Confidence: {what}")),
        };
        if (r.Ood is { } ood)
            foreach (var s in ood.Scores)
                plots.Add(($"ood-{s.Name}.png", Histograms.InVersusOut(s.InScores, s.OutScores, r.Data, ood.Set, s.Name,
                    $"{s.Name}: {r.Data} vs {ood.Set}, AUROC {s.Metrics.Auroc.ToString("F4", CultureInfo.InvariantCulture)}")));
        var written = new List<string>();
        foreach (var (file, plot) in plots)
        {
            string path = Path.Combine(directory, file);
            OutputFiles.Write(path, temp => plot.SavePng(temp, Width, Height));
            written.Add(path);
        }
        return written;
    }
}
