using Tangent.Inference.Metrics;

namespace Tangent.Inference.Tests.Metrics;

public sealed class ClassificationMetricsTests
{
    // Two inputs, three classes: p̄ = [0.7, 0.2, 0.1] (label 0, correct) and [0.1, 0.3, 0.6] (label 1, wrong).
    private static readonly double[] P = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6];
    private static readonly int[] Y = [0, 1];

    [Fact]
    public void AccuracyNllAndBrierOfAHandComputedCase()
    {
        Assert.Equal(0.5, ClassificationMetrics.Accuracy(P, Y, 3));
        var logP = P.Select(x => Math.Log(x)).ToArray();
        Assert.Equal(-(Math.Log(0.7) + Math.Log(0.3)) / 2, ClassificationMetrics.NegativeLogLikelihood(logP, Y, 3), 15);
        // ((0.3² + 0.2² + 0.1²) + (0.1² + 0.7² + 0.6²)) / 2 = (0.14 + 0.86) / 2
        Assert.Equal(0.5, ClassificationMetrics.Brier(P, Y, 3), 15);
    }

    [Fact]
    public void ExpectedNllIsTheMeanOfTheExpectedLogProbabilityOfTheLabel()
    {
        // E_s log p_s for two inputs; the labels pick −1.5 and −0.25.
        double[] e = [-1.5, -0.2, -3, -4, -1, -0.25];
        Assert.Equal((1.5 + 0.25) / 2, ClassificationMetrics.ExpectedNegativeLogLikelihood(e, [0, 2], 3), 15);
    }

    [Fact]
    public void ArgMaxTakesTheFirstOfTiedMaxima()
    {
        Assert.Equal(1, ClassificationMetrics.ArgMax([0.1, 0.45, 0.45]));
        Assert.Equal(0.0, ClassificationMetrics.Accuracy([0.1, 0.45, 0.45], [2], 3));
    }

    [Fact]
    public void MismatchedSizesAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => ClassificationMetrics.Brier(P, [0], 3));
        Assert.Contains("6 values, 1 labels", e.Message);
    }
}
