using MathNet.Numerics.LinearAlgebra;
using Tangent.Inference.Laplace;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Tests.Support;
using Tangent.Kernels.Cpu;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Tests.Laplace;

/// <summary>
/// Exact linearised and last-layer Laplace against the float64 brute force of <see cref="ToyProblem"/> (hand-written
/// Jacobians, MathNet inverse and log-determinant). The exact LLA runs in float64 end to end, so its predictive
/// covariances must agree to 1e-8 relative; the last-layer fit takes its features from the float32 trunk, so it
/// agrees to the ~1e-7 relative rounding of φ, amplified by the conditioning of H + αI (1e-5).
/// </summary>
public sealed class LaplaceTests
{
    private static readonly ToyProblem Toy = new();
    private static readonly float[] Queries = Enumerable.Range(0, 5 * ToyProblem.Inputs).Select(i => (float)Math.Sin(1.7 * i)).ToArray();

    private static Vector<double> Theta(Func<Matrix<double>, Matrix<double>> restrict, int p) => restrict == Identity
        ? Vector<double>.Build.DenseOfEnumerable(Toy.Theta.Select(t => (double)t))
        : Vector<double>.Build.DenseOfArray(LastLayer.Of(Toy.Model).Coordinates(Toy.Theta));

    private static Matrix<double> Identity(Matrix<double> j) => j;

    /// <summary>Brute-force logit covariances J(x)(H + αI)⁻¹J(x)ᵀ at <see cref="Queries"/>.</summary>
    private static Matrix<double>[] BruteCovariances(Func<Matrix<double>, Matrix<double>> restrict, double alpha)
    {
        var (h, _) = Toy.Ggn(restrict);
        var sigma = (h + alpha * Matrix<double>.Build.DenseIdentity(h.RowCount)).Inverse();
        return Enumerable.Range(0, 5).Select(i =>
        {
            var j = restrict(Toy.Linearize(Queries.AsSpan(i * ToyProblem.Inputs, ToyProblem.Inputs)).J);
            return j * sigma * j.Transpose();
        }).ToArray();
    }

    private static void AssertCovariances(Matrix<double>[] expected, double[] actual, double tolerance)
    {
        const int c = ToyProblem.Classes;
        double scale = expected.Max(m => m.Enumerate().Max(Math.Abs)), worst = 0;
        for (int i = 0; i < expected.Length; i++)
            for (int a = 0; a < c; a++)
                for (int b = 0; b < c; b++) worst = Math.Max(worst, Math.Abs(expected[i][a, b] - actual[(i * c + a) * c + b]));
        Assert.True(worst <= tolerance * scale, $"largest covariance error {worst:E3} exceeds {tolerance:E1} × {scale:E3}");
    }

    [Fact]
    public void ExactLinearizedLaplaceMatchesTheFloat64BruteForceTo1e8()
    {
        using var lla = LinearizedLaplace.Fit(Toy.Model, Toy.Theta, [], Toy.Train, new LaplaceOptions(LaplacePrior.Fixed(0.5), BatchSize: 7), CpuBackend.Instance);
        var (mean, covariance) = lla.PredictFloat64(Queries, 5);
        AssertCovariances(BruteCovariances(Identity, 0.5), covariance, 1e-8);
        for (int i = 0; i < 5; i++)
        {
            var f = Toy.Linearize(Queries.AsSpan(i * ToyProblem.Inputs, ToyProblem.Inputs)).F;
            for (int c = 0; c < ToyProblem.Classes; c++) Assert.Equal(f[c], mean[i * ToyProblem.Classes + c], 12);
        }
        Assert.Equal(0, lla.Jitter.Jitter);
    }

    [Fact]
    public void MarginalLikelihoodPriorMatchesTheBruteForceMaximum()
    {
        using var lla = LinearizedLaplace.Fit(Toy.Model, Toy.Theta, [], Toy.Train, new LaplaceOptions(LaplacePrior.MarginalLikelihood), CpuBackend.Instance);
        var (h, ll) = Toy.Ggn(Identity);
        var theta = Theta(Identity, Toy.P);
        double best = ToyProblem.BestAlpha(h, theta, ll);
        Assert.True(Math.Abs(lla.PriorPrecision - best) <= 1e-5 * best, $"α* {lla.PriorPrecision:R} vs brute force {best:R}");
        Assert.Equal(ToyProblem.Evidence(h, theta, ll, lla.PriorPrecision), lla.LogMarginalLikelihood, 8);
        Assert.True(lla.Optimised);
        // The curve peaks at α*, and each point is the evidence at its α.
        var peak = lla.EvidenceCurve.MaxBy(e => e.LogMarginalLikelihood);
        Assert.Equal(lla.PriorPrecision, peak.Precision, 12);
        var point = lla.EvidenceCurve[3];
        Assert.Equal(ToyProblem.Evidence(h, theta, ll, point.Precision), point.LogMarginalLikelihood, 8);
        AssertCovariances(BruteCovariances(Identity, lla.PriorPrecision), lla.PredictFloat64(Queries, 5).Covariance, 1e-8);
    }

    [Fact]
    public void LastLayerLaplaceMatchesTheBruteForceOnTheLastLayersParameters()
    {
        using var la = LastLayerLaplace.Fit(Toy.Model, Toy.Theta, [], Toy.Train, new LaplaceOptions(LaplacePrior.Fixed(2), BatchSize: 5), CpuBackend.Instance);
        Assert.Equal(ToyProblem.Classes * (ToyProblem.Hidden + 1), la.Layer.ParameterCount);
        AssertCovariances(BruteCovariances(Toy.LastLayerJacobian, 2), la.PredictFloat64(Queries, 5).Covariance, 1e-5);
    }

    [Fact]
    public void LastLayerMarginalLikelihoodMatchesTheBruteForce()
    {
        using var la = LastLayerLaplace.Fit(Toy.Model, Toy.Theta, [], Toy.Train, new LaplaceOptions(LaplacePrior.MarginalLikelihood), CpuBackend.Instance);
        var (h, ll) = Toy.Ggn(Toy.LastLayerJacobian);
        double best = ToyProblem.BestAlpha(h, Theta(Toy.LastLayerJacobian, 15), ll);
        Assert.True(Math.Abs(la.PriorPrecision - best) <= 1e-5 * best, $"α* {la.PriorPrecision:R} vs brute force {best:R}");
    }

    [Fact]
    public void NearlySingularPrecisionIsJitteredAndTheJitterIsRecorded()
    {
        // H is singular (softmax logits are shift-invariant); α = 1e-30 leaves H + αI singular in float64.
        using var la = LastLayerLaplace.Fit(Toy.Model, Toy.Theta, [], Toy.Train, new LaplaceOptions(LaplacePrior.Fixed(1e-30)), CpuBackend.Instance);
        Assert.True(la.Jitter.Jitter > 0);
        Assert.InRange(la.Jitter.RelativeJitter, 1e-10, 1e-1);
        Assert.Equal(la.Jitter.Jitter, double.Parse(la.Hyperparameters["jitter"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void PosteriorFilesRoundTripBothLaplaceMethods()
    {
        string dir = TestData.NewTempDirectory();
        try
        {
            var options = new LaplaceOptions(LaplacePrior.MarginalLikelihood);
            using IPosterior last = LastLayerLaplace.Fit(Toy.Model, Toy.Theta, [], Toy.Train, options, CpuBackend.Instance);
            using IPosterior lla = LinearizedLaplace.Fit(Toy.Model, Toy.Theta, [], Toy.Train, options, CpuBackend.Instance);
            foreach (var posterior in new[] { last, lla })
            {
                string path = Path.Combine(dir, posterior.Method + ".safetensors");
                PosteriorFile.Save(path, posterior, new PosteriorProvenance("toy", 0, 0.25));
                using var loaded = PosteriorFile.Load(path, CpuBackend.Instance);
                Assert.Equal(posterior.GetType(), loaded.GetType());
                Assert.Equal(posterior.Hyperparameters, loaded.Hyperparameters);
                var a = posterior.Predict(Queries, 5, 0);
                var b = loaded.Predict(Queries, 5, 0);
                Assert.Equal(a.Mean, b.Mean);
                Assert.Equal(a.Covariance, b.Covariance);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ModelWithoutAFinalDenseLayerIsRejectedByName()
    {
        var e = Assert.Throws<ArgumentException>(() => LastLayer.Of(ModelZoo.Create("scalla-surrogate")));
        Assert.Contains("model 'scalla-surrogate' does not end in a dense layer", e.Message);
    }

    [Fact]
    public void NetworkTooLargeForTheDenseLinearizedLaplaceIsRejected()
    {
        var big = TestData.SmallMlp(hidden: 16);
        var e = Assert.Throws<ArgumentException>(() =>
            LinearizedLaplace.Fit(big, big.Network.InitialParameters(0), [], TestData.Mnist, new LaplaceOptions(LaplacePrior.Fixed(1)), CpuBackend.Instance));
        Assert.Contains("12,730 parameters", e.Message);
    }
}
