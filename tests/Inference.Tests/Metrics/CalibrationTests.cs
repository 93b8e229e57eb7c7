using Tangent.Inference.Metrics;

namespace Tangent.Inference.Tests.Metrics;

public sealed class CalibrationTests
{
    // Confidences at the edges on purpose: 0, a bin edge (0.5) and 1.
    private static readonly double[] Conf = [0, 0.25, 0.5, 1.0];
    private static readonly bool[] Correct = [false, true, true, true];

    [Fact]
    public void EqualWidthBinsCountEveryConfidenceIncludingZeroAndOne()
    {
        var r = Calibration.Compute(Conf, Correct, 2);
        // [0, ½): {0, 0.25} conf 0.125, acc ½ → gap 0.375; [½, 1]: {0.5, 1} conf 0.75, acc 1 → gap 0.25.
        Assert.Equal(4, r.Counted);
        Assert.Equal(0, r.Excluded);
        Assert.Equal([2, 2], r.Bins.Select(b => b.Count));
        Assert.Equal(0.5 * 0.375 + 0.5 * 0.25, r.Ece, 15);
        Assert.Equal(0.375, r.Mce, 15);
        Assert.Equal(0.125, r.Bins[0].MeanConfidence, 15);
        Assert.Equal(0.5, r.Bins[0].Accuracy, 15);
        Assert.Equal("equal-width-2", r.Label);
    }

    [Fact]
    public void ScallaVariantUsesHalfOpenBinsFromTheRightAndDropsZero()
    {
        var r = Calibration.Compute(Conf, Correct, 2, CalibrationBinning.ScallaReference);
        // (0, ½]: {0.25, 0.5} conf 0.375, acc 1 → 0.625; (½, 1]: {1} → 0. Zero is not counted.
        Assert.Equal(1, r.Excluded);
        Assert.Equal([2, 1], r.Bins.Select(b => b.Count));
        Assert.Equal(2.0 / 3 * 0.625, r.Ece, 15);
        Assert.Equal(0.625, r.Mce, 15);
    }

    [Fact]
    public void LaplaceReduxVariantDropsConfidencesInTheLastBin()
    {
        var r = Calibration.Compute(Conf, Correct, 4, CalibrationBinning.LaplaceReduxReference);
        // Counted: c < 3/4. [0, ¼): {0} gap 0; [¼, ½): {0.25} gap 0.75; [½, ¾): {0.5} gap 0.5; the confidence 1 is dropped.
        Assert.Equal(1, r.Excluded);
        Assert.Equal([1, 1, 1, 0], r.Bins.Select(b => b.Count));
        Assert.Equal((0 + 0.75 + 0.5) / 3, r.Ece, 15);
        Assert.Equal(0.75, r.Mce, 15);
    }

    [Fact]
    public void LaplaceReduxVariantAtHundredBinsExcludesConfidencesFromPoint99()
    {
        var r = Calibration.LaplaceReduxReference([0.989, 0.99, 0.995, 1.0], [true, true, true, true]);
        Assert.Equal(1, r.Counted);
        Assert.Equal(3, r.Excluded);
        Assert.Equal(1, r.Bins[98].Count);
    }

    [Theory]
    [InlineData(0.0, 0)]
    [InlineData(1.0 / 15, 1)]
    [InlineData(0.2, 3)]
    [InlineData(0.9999, 14)]
    [InlineData(1.0, 14)]
    public void EqualWidthBinOfAConfidence(double c, int bin) => Assert.Equal(bin, Calibration.Bin(c, 15, CalibrationBinning.EqualWidth));

    [Theory]
    [InlineData(0.0, -1)]
    [InlineData(1.0 / 15, 0)]
    [InlineData(0.2, 2)]
    [InlineData(1.0, 14)]
    public void ScallaBinOfAConfidence(double c, int bin) => Assert.Equal(bin, Calibration.Bin(c, 15, CalibrationBinning.ScallaReference));

    [Fact]
    public void PerfectlyCalibratedBinsGiveZeroError()
    {
        // [0.5, 0.75): two at 0.5, one correct; [0.75, 1]: two at 1, both correct.
        var r = Calibration.Compute([0.5, 0.5, 1, 1], [true, false, true, true], 4);
        Assert.Equal(0, r.Ece, 15);
        Assert.Equal(0, r.Mce, 15);
    }
}
