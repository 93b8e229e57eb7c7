using ScottPlot.Plottables;
using Tangent.Inference.Metrics;

namespace Tangent.Cli.Tests;

/// <summary>The plots draw the metrics module's numbers: the reliability diagram read back gives the reported ECE.</summary>
public sealed class PlotTests
{
    [Theory]
    [InlineData(15, 1)]
    [InlineData(100, 2)]
    [InlineData(7, 3)]
    public void ReliabilityDiagramDataGivesTheMetricsModulesEce(int bins, int seed)
    {
        var random = new Random(seed);
        int n = 2000;
        var confidences = new double[n];
        var correct = new bool[n];
        for (int i = 0; i < n; i++)
        {
            // Over-confident on purpose, with exact 1s and bin edges among them.
            confidences[i] = i % 50 == 0 ? 1.0 : i % 37 == 0 ? Math.Round(random.NextDouble() * bins) / bins : 0.1 + 0.9 * random.NextDouble();
            correct[i] = random.NextDouble() < confidences[i] * 0.9;
        }
        var calibration = Calibration.Compute(confidences, correct, bins);
        var plot = Tangent.Cli.ReliabilityDiagram.Build(calibration, "test");

        var bars = plot.GetPlottables().OfType<BarPlot>().Single().Bars;
        var markers = plot.GetPlottables().OfType<Scatter>().Single(s => s.LegendText == Tangent.Cli.ReliabilityDiagram.ConfidenceLabel)
            .Data.GetScatterPoints();
        Assert.Equal(bars.Count, markers.Count);
        int total = bars.Sum(b => int.Parse(b.Label, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(n, total);
        double ece = 0, mce = 0;
        for (int k = 0; k < bars.Count; k++)
        {
            Assert.Equal(bars[k].Position, markers[k].X, 12);
            int count = int.Parse(bars[k].Label, System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
            double gap = Math.Abs(bars[k].Value - markers[k].Y);
            ece += (double)count / total * gap;
            mce = Math.Max(mce, gap);
        }
        // The same sums in another order: equal to a few ulps of values ≤ 1.
        Assert.Equal(calibration.Ece, ece, 1e-12);
        Assert.Equal(calibration.Mce, mce, 1e-12);
    }

    [Fact]
    public void HistogramsCountEveryValueOnceIncludingTheTopEdge()
    {
        double[] confidences = [0, 0.05, 0.5, 0.999, 1, 1, 1];
        var plot = Tangent.Cli.Histograms.Confidence(confidences, 10, "test");
        var bars = plot.GetPlottables().OfType<BarPlot>().Single().Bars;
        Assert.Equal(10, bars.Count);
        Assert.Equal(confidences.Length, bars.Sum(b => b.Value));
        Assert.Equal(2, bars[0].Value);
        Assert.Equal(4, bars[9].Value);
    }
}
