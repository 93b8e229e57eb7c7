using FsCheck;
using FsCheck.Fluent;
using Tangent.Inference.Metrics;

namespace Tangent.Inference.Tests.Metrics;

public sealed class OodDetectionTests
{
    // OOD positive, high = OOD. Ties between the sets at 0.4.
    private static readonly double[] In = [0.1, 0.4, 0.4, 0.8];
    private static readonly double[] Out = [0.4, 0.9];

    [Fact]
    public void AurocCountsTiedPairsAsOneHalf()
    {
        // out 0.4 beats 0.1, ties 0.4 twice (½ each), loses to 0.8: 2; out 0.9 beats all four: 4. 6 of 8 pairs.
        Assert.Equal(0.75, OodDetection.Auroc(In, Out), 15);
    }

    [Fact]
    public void AuprIsTheTrapezoidOverDistinctThresholds()
    {
        // (R, P) from (0, 1): t=0.9 → (½, 1); t=0.8 → (½, ½); t=0.4 → (1, 2/5); t=0.1 → (1, 1/3).
        // Area: ½·(1+1)/2 + 0 + ½·(½+⅖)/2 + 0 = 0.5 + 0.225.
        Assert.Equal(0.725, OodDetection.Aupr(In, Out), 15);
    }

    [Fact]
    public void FprAt95TakesTiedScoresTogether()
    {
        // TPR reaches 1 ≥ 0.95 first at t = 0.4, where 0.8, 0.4, 0.4 of the in-distribution scores are ≥ t.
        Assert.Equal(0.75, OodDetection.FalsePositiveRate(In, Out, 0.95), 15);
        Assert.Equal(0.0, OodDetection.FalsePositiveRate(In, Out, 0.5), 15);
    }

    [Fact]
    public void PerfectSeparationAndAllTies()
    {
        var perfect = OodDetection.Evaluate([0, 1, 2], [3, 4]);
        Assert.Equal(new OodMetrics(1, 1, 0), perfect);
        var tied = OodDetection.Evaluate([1, 1, 1], [1, 1]);
        Assert.Equal(0.5, tied.Auroc, 15);
        Assert.Equal(1.0, tied.Fpr95, 15);
        // One point (R 1, P 2/5) from (0, 1): (1 + 0.4)/2.
        Assert.Equal(0.7, tied.Aupr, 15);
    }

    [Fact]
    public void AurocEqualsTheBruteForcePairCount()
    {
        // Values from a small set so that ties are common.
        var gen = from nIn in Gen.Choose(1, 40)
                  from nOut in Gen.Choose(1, 40)
                  from a in Gen.ArrayOf(Gen.Choose(0, 9), nIn)
                  from b in Gen.ArrayOf(Gen.Choose(0, 9), nOut)
                  select (a.Select(v => v / 10.0).ToArray(), b.Select(v => v / 10.0).ToArray());
        Prop.ForAll(gen.ToArbitrary(), t =>
        {
            var (a, b) = t;
            double pairs = 0;
            foreach (double o in b)
                foreach (double i in a)
                    pairs += o > i ? 1 : o == i ? 0.5 : 0;
            Assert.Equal(pairs / (a.Length * b.Length), OodDetection.Auroc(a, b), 12);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(200));
    }

    [Fact]
    public void NaNScoresAreRejectedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => OodDetection.Auroc([0.1], [double.NaN]));
        Assert.Contains("OOD score 1 (OOD) is NaN", e.Message);
    }
}
