using Tangent.Models.Optim;

namespace Tangent.Models.Tests.Optim;

public class ScheduleTests
{
    [Fact]
    public void StepLrDecaysPerEpoch()
    {
        var s = LearningRateSchedule.Step(1e-3, 1, 0.7);
        Assert.Equal(1e-3, s.At(0, 5, 10), 15);
        Assert.Equal(7e-4, s.At(1, 0, 10), 15);
        Assert.Equal(1e-3 * Math.Pow(0.7, 39), s.At(39), 1e-20);
        var s3 = LearningRateSchedule.Step(0.1, 3, 0.5);
        Assert.Equal([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025], Enumerable.Range(0, 7).Select(e => s3.At(e)).ToArray());
    }

    [Fact]
    public void CosineStartsAtBaseEndsAtMinimumAndIsHalfWayInTheMiddle()
    {
        var c = LearningRateSchedule.Cosine(0.1, 10, minRate: 0.01);
        Assert.Equal(0.1, c.At(0, 0, 100), 15);
        Assert.Equal(0.055, c.At(5, 0, 100), 15);
        // Last step: s = 999 of 1000 → p = 0.999, close to the minimum.
        Assert.Equal(0.01 + 0.09 * (1 + Math.Cos(Math.PI * 0.999)) / 2, c.At(9, 99, 100), 15);
        for (int e = 1; e < 10; e++) Assert.True(c.At(e) < c.At(e - 1));
    }

    [Fact]
    public void CosineWarmupIsLinear()
    {
        var c = LearningRateSchedule.Cosine(1.0, 10, warmupEpochs: 2);
        Assert.Equal(1.0 / 20, c.At(0, 0, 10), 15);
        Assert.Equal(10.0 / 20, c.At(0, 9, 10), 15);
        Assert.Equal(1.0, c.At(1, 9, 10), 15);
        Assert.Equal(1.0, c.At(2, 0, 10), 15);
        Assert.Equal(0.5, c.At(6, 0, 10), 15);
    }

    [Fact]
    public void ConstantAndValidation()
    {
        Assert.Equal(0.3, LearningRateSchedule.Constant(0.3).At(17, 3, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Step(0.1, 1, 1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Cosine(0.1, 5, warmupEpochs: 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => LearningRateSchedule.Constant(0.1).At(0, 4, 4));
    }
}
