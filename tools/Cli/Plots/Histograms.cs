using ScottPlot;
using ScottPlot.Plottables;

namespace Tangent.Cli;

/// <summary>Histograms of per-input values: the confidence histogram, and an OOD score in and out of distribution.</summary>
internal static class Histograms
{
    /// <summary>Histogram of the test inputs' confidences over [0, 1] in <paramref name="bins"/> equal-width bins.</summary>
    public static Plot Confidence(double[] confidences, int bins, string title)
    {
        var plot = new Plot();
        var bars = Add(plot, confidences, bins, 0, 1, Colors.SteelBlue, $"{confidences.Length:N0} inputs", normalise: false);
        plot.Title(title);
        plot.XLabel("confidence (max probability)");
        plot.YLabel("inputs");
        plot.Axes.SetLimits(0, 1, 0, 1.08 * bars.Bars.Max(b => b.Value));
        plot.ShowLegend(Alignment.UpperLeft);
        return plot;
    }

    /// <summary>The score's distribution on the test set and on the OOD set, as overlaid histograms (fractions of each set) over the range of both.</summary>
    public static Plot InVersusOut(double[] inScores, double[] outScores, string inName, string outName, string score, string title)
    {
        double lo = Math.Min(inScores.Min(), outScores.Min()), hi = Math.Max(inScores.Max(), outScores.Max());
        if (!(hi > lo)) hi = lo + 1; // a constant score: one visible bin
        var plot = new Plot();
        var inBars = Add(plot, inScores, 40, lo, hi, Colors.SteelBlue, $"{inName} ({inScores.Length:N0})", normalise: true);
        var outBars = Add(plot, outScores, 40, lo, hi, Colors.OrangeRed, $"{outName} ({outScores.Length:N0})", normalise: true);
        double top = inBars.Bars.Concat(outBars.Bars).Max(b => b.Value);
        plot.Axes.SetLimits(lo, hi, 0, 1.08 * top);
        plot.Title(title);
        plot.XLabel(score);
        plot.YLabel("fraction of the set");
        plot.ShowLegend(Alignment.UpperCenter);
        return plot;
    }

    private static BarPlot Add(Plot plot, double[] values, int bins, double lo, double hi, Color color, string legend, bool normalise)
    {
        // Equal-width bins [lo + k·w, lo + (k+1)·w), the last one closed, so the maximum (a confidence of 1) is counted.
        double width = (hi - lo) / bins;
        var counts = new double[bins];
        foreach (double v in values) counts[Math.Clamp((int)Math.Floor((v - lo) / width), 0, bins - 1)]++;
        var bars = counts.Select((count, k) => new Bar
        {
            Position = lo + (k + 0.5) * width,
            Value = normalise ? count / values.Length : count,
            Size = width,
            FillColor = color.WithAlpha(normalise ? 0.55 : 0.85),
            LineWidth = 0,
        }).ToList();
        var barPlot = plot.Add.Bars(bars);
        barPlot.LegendText = legend;
        return barPlot;
    }
}
