using ScottPlot;
using ScottPlot.Plottables;
using Tangent.Inference.Metrics;

namespace Tangent.Cli;

/// <summary>
/// A reliability diagram drawn from the metrics module's bins: one bar per non-empty bin at its accuracy, labelled
/// with its count, a marker at its mean confidence, and the diagonal of perfect calibration. What is drawn is exactly
/// <see cref="CalibrationResult.Bins"/>, so the ECE read back from the plot is the reported one.
/// </summary>
internal static class ReliabilityDiagram
{
    /// <summary>Legend text of the mean-confidence markers (tests find them by it).</summary>
    public const string ConfidenceLabel = "mean confidence";

    public static Plot Build(CalibrationResult calibration, string title)
    {
        var plot = new Plot();
        var bars = calibration.Bins.Where(b => b.Count > 0).Select(b => new Bar
        {
            Position = (b.Lower + b.Upper) / 2,
            Value = b.Accuracy,
            Size = b.Upper - b.Lower,
            Label = b.Count.ToString("N0", System.Globalization.CultureInfo.InvariantCulture),
            CenterLabel = true,
            FillColor = Colors.SteelBlue.WithAlpha(0.75),
            LineColor = Colors.Black,
            LineWidth = 1,
        }).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.LegendText = "accuracy (label: inputs in the bin)";
        barPlot.ValueLabelStyle.FontSize = 11;
        barPlot.ValueLabelStyle.ForeColor = Colors.White;
        barPlot.ValueLabelStyle.Rotation = -90;

        var counted = calibration.Bins.Where(b => b.Count > 0).ToArray();
        var markers = plot.Add.Scatter(counted.Select(b => (b.Lower + b.Upper) / 2).ToArray(), counted.Select(b => b.MeanConfidence).ToArray(), Colors.OrangeRed);
        markers.LineWidth = 0;
        markers.MarkerSize = 9;
        markers.MarkerShape = MarkerShape.FilledDiamond;
        markers.LegendText = ConfidenceLabel;

        var diagonal = plot.Add.Line(0, 0, 1, 1);
        diagonal.LinePattern = LinePattern.Dashed;
        diagonal.LineWidth = 1.5f;
        diagonal.Color = Colors.DimGray;
        diagonal.LegendText = "perfect calibration";

        plot.Axes.SetLimits(0, 1, 0, 1.1);
        plot.Title(title);
        plot.XLabel("confidence (max probability)");
        plot.YLabel("accuracy");
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }
}
