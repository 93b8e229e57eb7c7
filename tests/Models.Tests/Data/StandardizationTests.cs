using Tangent.Engine;
using Tangent.Models.Data;

namespace Tangent.Models.Tests.Data;

/// <summary>Z-scores fitted on one set and applied to another: mean 0 and variance 1 on the fitting set, constant columns kept finite.</summary>
public sealed class StandardizationTests
{
    [Fact]
    public void Fitted_columns_have_mean_zero_and_unit_variance_and_other_sets_use_the_same_statistics()
    {
        // Three features: spread, constant, large offset; one target.
        float[] x = [1, 5, 1000, 2, 5, 1002, 3, 5, 1004, 6, 5, 1010];
        float[] y = [10, 20, 30, 40];
        var train = new DataSet("t", x, new Shape(3), [], 0, y, 1);
        var s = Standardization.Fit(train);
        var z = s.Apply(train);
        for (int c = 0; c < 3; c++)
        {
            var column = Enumerable.Range(0, 4).Select(i => (double)z.Inputs[i * 3 + c]).ToArray();
            double mean = column.Average(), variance = column.Average(v => (v - mean) * (v - mean));
            Assert.Equal(0, mean, 1e-6);
            // The constant column has no spread to scale away: it becomes 0, with scale 1.
            Assert.Equal(c == 1 ? 0 : 1, variance, 1e-5);
        }
        Assert.Equal(1f, s.FeatureScale[1]);
        Assert.Equal(25f, s.TargetMean[0]);
        Assert.Equal((float)Math.Sqrt(125), s.TargetScale[0], 1e-4f);

        var other = s.Apply(new DataSet("o", [3.5f, 5, 1004], new Shape(3), [], 0, [25f], 1));
        Assert.Equal((3.5f - 3f) / (float)Math.Sqrt(3.5), other.Inputs[0], 1e-5f);
        Assert.Equal(0f, other.Targets![0], 1e-6f);
        Assert.Throws<ArgumentException>(() => s.Apply(new DataSet("w", [1f, 2f], new Shape(2), [0], 2)));
    }
}
