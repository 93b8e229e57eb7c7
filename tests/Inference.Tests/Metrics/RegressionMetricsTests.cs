using Tangent.Inference.Metrics;

namespace Tangent.Inference.Tests.Metrics;

/// <summary>RMSE of the predictive mean and the Gaussian mixture NLL, against values worked out by hand.</summary>
public sealed class RegressionMetricsTests
{
    [Fact]
    public void Rmse_is_that_of_the_sample_mean_in_the_targets_units()
    {
        // Two samples of three single-output predictions; means 1, 2, 5 against targets 0, 2, 3: errors 1, 0, 2.
        float[] samples = [0, 1, 4, 2, 3, 6];
        float[] targets = [0, 2, 3];
        Assert.Equal(Math.Sqrt(5.0 / 3), RegressionMetrics.Rmse(samples, 2, targets), 1e-12);
        Assert.Equal(10 * Math.Sqrt(5.0 / 3), RegressionMetrics.Rmse(samples, 2, targets, [10f]), 1e-10);
    }

    [Fact]
    public void Gaussian_nll_is_that_of_the_sample_mixture()
    {
        // One sample: the plain Gaussian NLL ½r²/σ² + ½log 2πσ², averaged over the examples.
        const double v = 0.25;
        float[] one = [0.5f, -1f];
        float[] targets = [0f, 0f];
        double expected = 0.5 * ((0.25 + 1) / v) / 2 + 0.5 * Math.Log(2 * Math.PI * v);
        Assert.Equal(expected, RegressionMetrics.GaussianNll(one, 1, targets, 1, v), 1e-12);
        // Two samples at ±1 around a target 0: −log ½[N(0; 1, v) + N(0; −1, v)] = −log N(1; 0, v).
        float[] two = [1f, -1f];
        Assert.Equal(0.5 / v + 0.5 * Math.Log(2 * Math.PI * v), RegressionMetrics.GaussianNll(two, 2, [0f], 1, v), 1e-12);
        // Far-apart samples must not underflow: log-mean-exp keeps the nearest one's term.
        float[] far = [0f, 1000f];
        Assert.Equal(Math.Log(2) + 0.5 * Math.Log(2 * Math.PI * v), RegressionMetrics.GaussianNll(far, 2, [0f], 1, v), 1e-9);
        // In original units (y = 3·z): the density divides by 3, so the NLL grows by log 3.
        Assert.Equal(expected + Math.Log(3), RegressionMetrics.GaussianNll(one, 1, targets, 1, v, [3f]), 1e-12);
    }
}
