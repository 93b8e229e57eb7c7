using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine;
using Tangent.Inference.Scalla;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Layers;
using Tangent.Models.Zoo;
using static Tangent.Inference.Tests.Scalla.ScallaTestSupport;

namespace Tangent.Inference.Tests.Scalla;

/// <summary>
/// The feature-space Laplace posterior (H, Σ_w, the evidence) and the posterior's Gaussian logits against a dense
/// float64 computation on the host. The engine runs in float32: sums of 40 products of O(1) values and one C×m·m×C
/// product per input agree with float64 to ~1e-5 relative, so 1e-4 leaves a margin.
/// </summary>
public sealed class FeatureLaplaceTests
{
    private const int Inputs = 4, Classes = 3, Features = 5, TrainCount = 40, TestCount = 8;

    private static readonly Network MapNet = Mlp(Inputs, [8], Classes);
    private static readonly Network SurrogateNet = Surrogate(Inputs, [6], Features, Classes);

    private static DataSet Blobs(int count, int seed) => ScallaTestSupport.Blobs(count, Inputs, Classes, seed);

    private static (float[] Theta, float[] Phi) Parameters() =>
        (MapNet.InitialParameters(11), Uniform(new Random(12), SurrogateNet.ParameterCount, 0.6).Select(v => (float)v).ToArray());

    /// <summary>Per input: scaled features g [m, C] and softmax p [C], in float64 from the networks' own tapes.</summary>
    private static (double[][] G, double[][] P, double[][] Logits) Dense(float[] theta, float[] phi, DataSet data, double scale)
    {
        var x = data.Inputs.Select(v => (double)v).ToArray();
        var logits = Run(MapNet.TraceLogits(data.Count), new Dictionary<string, double[]> { ["theta"] = theta.Select(v => (double)v).ToArray(), ["x"] = x })["logits"];
        var s = Run(SurrogateNet.TraceLogits(data.Count), new Dictionary<string, double[]> { ["theta"] = phi.Select(v => (double)v).ToArray(), ["x"] = x })["logits"];
        var g = new double[data.Count][];
        var p = new double[data.Count][];
        var f = new double[data.Count][];
        for (int n = 0; n < data.Count; n++)
        {
            g[n] = s.Skip(n * Features * Classes).Take(Features * Classes).Select(v => v * scale).ToArray();
            f[n] = logits.Skip(n * Classes).Take(Classes).ToArray();
            double max = f[n].Max(), sum = f[n].Sum(v => Math.Exp(v - max));
            p[n] = f[n].Select(v => Math.Exp(v - max) / sum).ToArray();
        }
        return (g, p, f);
    }

    private static Matrix<double> DenseH(double[][] g, double[][] p)
    {
        var h = Matrix<double>.Build.Dense(Features, Features);
        for (int n = 0; n < g.Length; n++)
        {
            var gm = Matrix<double>.Build.Dense(Features, Classes, (k, a) => g[n][k * Classes + a]);
            var lambda = Matrix<double>.Build.Dense(Classes, Classes, (a, b) => (a == b ? p[n][a] : 0) - p[n][a] * p[n][b]);
            h += gm * lambda * gm.Transpose();
        }
        return h;
    }

    [Fact]
    public void PrecisionAndPredictiveMatchADenseComputation()
    {
        var train = Blobs(TrainCount, 1);
        var test = Blobs(TestCount, 2);
        var (theta, phi) = Parameters();
        double scale = SurrogateFeatures.OutputScale(MapNet.ParameterCount, Features);
        // Batches of 16: two full batches and a partial one, so the per-size plans are exercised too.
        var precision = FeatureLaplace.Precision(MapNet, theta, [], SurrogateNet, phi, scale, train, CpuBackend.Instance, batch: 16);
        var (g, p, _) = Dense(theta, phi, train, scale);
        var h = DenseH(g, p);
        double hNorm = h.FrobeniusNorm();
        for (int i = 0; i < Features; i++)
            for (int j = 0; j < Features; j++)
                Assert.Equal(h[i, j], precision.Precision[i * Features + j], 1e-4 * hNorm);
        double logLikelihood = Enumerable.Range(0, TrainCount).Sum(n => Math.Log(p[n][train.Labels[n]]));
        Assert.Equal(logLikelihood, precision.LogLikelihood, 1e-4 * Math.Abs(logLikelihood));

        const double alpha = 0.7;
        var covariance = FeatureLaplace.Covariance(precision, alpha);
        Assert.Equal(0, covariance.Jitter);
        var sigma = (h + alpha * Matrix<double>.Build.DenseIdentity(Features)).Inverse();
        var map = new ZooModel("mlp", new ModelConfig(), MapNet);
        var surrogate = new ZooModel("surrogate-mlp", new ModelConfig(), SurrogateNet);
        using var posterior = new ScallaPosterior(map, theta, [], surrogate, phi, precision.Precision, covariance.Covariance,
            new Dictionary<string, string>(), CpuBackend.Instance);
        var prediction = posterior.Predict(test.Inputs, TestCount, 0);
        var (gt, _, ft) = Dense(theta, phi, test, scale);
        for (int n = 0; n < TestCount; n++)
        {
            var gm = Matrix<double>.Build.Dense(Features, Classes, (k, a) => gt[n][k * Classes + a]);
            var v = gm.Transpose() * sigma * gm;
            double vNorm = v.FrobeniusNorm();
            for (int a = 0; a < Classes; a++)
            {
                Assert.Equal(ft[n][a], prediction.Mean![n * Classes + a], 1e-5 * (1 + Math.Abs(ft[n][a])));
                for (int b = 0; b < Classes; b++)
                    Assert.Equal(v[a, b], prediction.Covariance![(n * Classes + a) * Classes + b], 1e-4 * vNorm);
            }
        }
    }

    [Fact]
    public void CholeskyAddsJitterOnlyWhenThePrecisionIsNotPositiveDefinite()
    {
        // H = uuᵀ has rank one: with α = 0 the factorisation needs jitter, with α = 1 it does not.
        var u = new[] { 1.0, -2.0, 0.5 };
        var hValues = Enumerable.Range(0, 9).Select(i => u[i / 3] * u[i % 3]).ToArray();
        var precision = new FeaturePrecision(hValues, 3, 0, 1);
        var plain = FeatureLaplace.Covariance(precision, 1);
        Assert.Equal(0, plain.Jitter);
        var h = Matrix<double>.Build.Dense(3, 3, (i, j) => hValues[i * 3 + j]);
        var product = (h + Matrix<double>.Build.DenseIdentity(3)) * Matrix<double>.Build.Dense(3, 3, (i, j) => plain.Covariance[i * 3 + j]);
        Assert.True((product - Matrix<double>.Build.DenseIdentity(3)).FrobeniusNorm() < 1e-12);
        var jittered = FeatureLaplace.Covariance(precision, 0);
        Assert.True(jittered.Jitter > 0);
        var withJitter = (h + jittered.Jitter * Matrix<double>.Build.DenseIdentity(3)) * Matrix<double>.Build.Dense(3, 3, (i, j) => jittered.Covariance[i * 3 + j]);
        Assert.True((withJitter - Matrix<double>.Build.DenseIdentity(3)).FrobeniusNorm() < 1e-4);
    }

    [Fact]
    public void EvidenceMaximisingAlphaIsAStationaryMaximum()
    {
        var train = Blobs(TrainCount, 3);
        var (theta, phi) = Parameters();
        double scale = SurrogateFeatures.OutputScale(MapNet.ParameterCount, Features);
        var precision = FeatureLaplace.Precision(MapNet, theta, [], SurrogateNet, phi, scale, train, CpuBackend.Instance);
        double norm = theta.Sum(t => (double)t * t);
        var fit = FeatureLaplace.OptimizePriorPrecision(precision, norm);
        var h = Matrix<double>.Build.Dense(Features, Features, (i, j) => precision.Precision[i * Features + j]);
        // log p(D | α) with log det(H + αI) from a Cholesky factor, independent of the eigenvalues the fit uses.
        double Evidence(double alpha) => precision.LogLikelihood - 0.5 * alpha * norm + 0.5 * Features * Math.Log(alpha)
            - 0.5 * (h + alpha * Matrix<double>.Build.DenseIdentity(Features)).Cholesky().DeterminantLn;
        Assert.Equal(Evidence(fit.Alpha), fit.LogEvidence, 1e-9 * Math.Abs(fit.LogEvidence));
        Assert.Equal(Evidence(1), fit.LogEvidenceAtOne, 1e-9 * Math.Abs(fit.LogEvidenceAtOne));
        Assert.True(Evidence(fit.Alpha) > Evidence(fit.Alpha * 1.2) && Evidence(fit.Alpha) > Evidence(fit.Alpha / 1.2));
        double slope = (Evidence(fit.Alpha * (1 + 1e-5)) - Evidence(fit.Alpha * (1 - 1e-5))) / (2e-5 * fit.Alpha);
        Assert.True(Math.Abs(slope) * fit.Alpha < 1e-6 * Math.Abs(fit.LogEvidence), $"d log p / d log α = {slope * fit.Alpha}");
    }
}
