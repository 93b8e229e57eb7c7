using MathNet.Numerics.LinearAlgebra;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Predictive;
using Tangent.Inference.Tests.Support;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Inference.Tests.Predictive;

/// <summary>
/// The predictive on each backend against float64 host references (MathNet Cholesky, the same Philox draws taken
/// on the cpu backend). The device works in float32, so agreement is to ~1e-5 relative.
/// </summary>
public abstract class PredictorTests(Backend backend)
{
    private const int B = 3, C = 4, S = 64;
    private const double Tol = 2e-5;
    private static readonly Random Rng = new(7);

    private static float[] RandomLogits(int n, Random rng) => Enumerable.Range(0, n).Select(_ => (float)(3 * rng.NextDouble() - 1.5)).ToArray();

    /// <summary>B covariances A·Aᵀ/C + 0.05 I (symmetric positive definite), [B, C, C].</summary>
    private static float[] RandomCovariances(Random rng)
    {
        var v = new float[B * C * C];
        for (int b = 0; b < B; b++)
        {
            var a = Matrix<double>.Build.Dense(C, C, (_, _) => rng.NextDouble() - 0.5);
            var m = a * a.Transpose() / C + 0.05 * Matrix<double>.Build.DenseIdentity(C);
            for (int i = 0; i < C; i++)
                for (int j = 0; j < C; j++) v[b * C * C + i * C + j] = (float)m[i, j];
        }
        return v;
    }

    private static double[] Softmax(ReadOnlySpan<double> f)
    {
        double max = double.NegativeInfinity;
        foreach (double x in f) max = Math.Max(max, x);
        var e = new double[f.Length];
        double s = 0;
        for (int i = 0; i < f.Length; i++) s += e[i] = Math.Exp(f[i] - max);
        for (int i = 0; i < f.Length; i++) e[i] /= s;
        return e;
    }

    private static void Close(double expected, double actual, double tol, string what) =>
        Assert.True(Math.Abs(expected - actual) <= tol * Math.Max(1, Math.Abs(expected)), $"{what}: expected {expected:R}, got {actual:R}");

    [Fact]
    public void PointProbabilitiesAreTheSoftmaxOfTheLogits()
    {
        var f = RandomLogits(B * C, new Random(1));
        using var predictor = new Predictor(backend, new PredictiveOptions());
        var p = predictor.Compute(LogitPrediction.Point(f, B, C));
        for (int b = 0; b < B; b++)
        {
            var reference = Softmax(f.Skip(b * C).Take(C).Select(x => (double)x).ToArray());
            for (int c = 0; c < C; c++)
            {
                Close(reference[c], p.Probabilities[b * C + c], Tol, $"p[{b},{c}]");
                Close(Math.Log(reference[c]), p.LogProbabilities[b * C + c], Tol, $"log p[{b},{c}]");
            }
        }
        Assert.Null(p.ExpectedLogProbabilities);
        Assert.Null(p.LogitVariance);
    }

    [Fact]
    public void ProbitIsTheSoftmaxOfTheScaledMeans()
    {
        var rng = new Random(2);
        var mu = RandomLogits(B * C, rng);
        var v = RandomCovariances(rng);
        using var predictor = new Predictor(backend, new PredictiveOptions(GaussianPredictive.Probit));
        var p = predictor.Compute(LogitPrediction.Gaussian(mu, v, B, C));
        for (int b = 0; b < B; b++)
        {
            var scaled = Enumerable.Range(0, C).Select(c => mu[b * C + c] / Math.Sqrt(1 + Math.PI / 8 * v[b * C * C + c * C + c])).ToArray();
            var reference = Softmax(scaled);
            for (int c = 0; c < C; c++) Close(reference[c], p.Probabilities[b * C + c], Tol, $"p[{b},{c}]");
            var m = Matrix<double>.Build.Dense(C, C, (i, j) => v[b * C * C + i * C + j]);
            Close(Math.Log(m.Determinant()), p.LogDeterminant![b], 1e-9, $"log det V[{b}]");
        }
        Assert.Equal(0, p.JitteredInputs);
    }

    [Fact]
    public void MonteCarloAveragesSoftmaxOverTheSamePhiloxDrawsAsTheHost()
    {
        var rng = new Random(3);
        var mu = RandomLogits(B * C, rng);
        var v = RandomCovariances(rng);
        const long first = 5;
        const ulong seed = 11, stream = 1;
        using var predictor = new Predictor(backend, new PredictiveOptions(GaussianPredictive.MonteCarlo, S, seed));
        var p = predictor.Compute(LogitPrediction.Gaussian(mu, v, B, C), first, stream);

        using var z = CpuBackend.Instance.Allocate<float>(B * S * C);
        CpuBackend.Instance.RandomNormal(z.View, seed, stream, (ulong)(first * S * C));
        var draws = z.ToArray();
        for (int b = 0; b < B; b++)
        {
            var l = Matrix<double>.Build.Dense(C, C, (i, j) => v[b * C * C + i * C + j]).Cholesky().Factor;
            var mean = new double[C];
            var elp = new double[C];
            var probs = new double[S][];
            for (int s = 0; s < S; s++)
            {
                var f = new double[C];
                for (int i = 0; i < C; i++)
                {
                    f[i] = mu[b * C + i];
                    for (int j = 0; j <= i; j++) f[i] += l[i, j] * draws[(b * S + s) * C + j];
                }
                probs[s] = Softmax(f);
                for (int c = 0; c < C; c++)
                {
                    mean[c] += probs[s][c] / S;
                    elp[c] += Math.Log(probs[s][c]) / S;
                }
            }
            for (int c = 0; c < C; c++)
            {
                double variance = probs.Sum(q => (q[c] - mean[c]) * (q[c] - mean[c])) / S;
                Close(mean[c], p.Probabilities[b * C + c], Tol, $"p̄[{b},{c}]");
                Close(elp[c], p.ExpectedLogProbabilities![b * C + c], Tol, $"E log p[{b},{c}]");
                Close(variance, p.ProbabilityVariance![b * C + c], 1e-4, $"Var p[{b},{c}]");
                Close(v[b * C * C + c * C + c], p.LogitVariance![b * C + c], 1e-7, $"diag V[{b},{c}]");
            }
        }
    }

    [Fact]
    public void MonteCarloDoesNotDependOnHowInputsAreBatched()
    {
        var rng = new Random(4);
        var mu = RandomLogits(B * C, rng);
        var v = RandomCovariances(rng);
        using var predictor = new Predictor(backend, new PredictiveOptions(GaussianPredictive.MonteCarlo, S, 3));
        var whole = predictor.Compute(LogitPrediction.Gaussian(mu, v, B, C), 10);
        for (int b = 0; b < B; b++)
        {
            var one = predictor.Compute(LogitPrediction.Gaussian(mu[(b * C)..((b + 1) * C)], v[(b * C * C)..((b + 1) * C * C)], 1, C), 10 + b);
            for (int c = 0; c < C; c++) Close(whole.Probabilities[b * C + c], one.Probabilities[c], 1e-6, $"p̄[{b},{c}] alone vs in the batch");
        }
    }

    [Fact]
    public void SampleAverageMatchesTheHostMoments()
    {
        const int samples = 5;
        var f = RandomLogits(samples * B * C, new Random(5));
        using var predictor = new Predictor(backend, new PredictiveOptions());
        var p = predictor.Compute(LogitPrediction.Sampled(f, samples, B, C));
        for (int b = 0; b < B; b++)
        {
            var probs = Enumerable.Range(0, samples).Select(s => Softmax(f.Skip((s * B + b) * C).Take(C).Select(x => (double)x).ToArray())).ToArray();
            for (int c = 0; c < C; c++)
            {
                double mean = probs.Average(q => q[c]);
                double logitMean = Enumerable.Range(0, samples).Average(s => f[(s * B + b) * C + c]);
                double logitVar = Enumerable.Range(0, samples).Average(s => Math.Pow(f[(s * B + b) * C + c] - logitMean, 2));
                Close(mean, p.Probabilities[b * C + c], Tol, $"p̄[{b},{c}]");
                Close(probs.Average(q => Math.Log(q[c])), p.ExpectedLogProbabilities![b * C + c], Tol, $"E log p[{b},{c}]");
                Close(probs.Average(q => (q[c] - mean) * (q[c] - mean)), p.ProbabilityVariance![b * C + c], 1e-4, $"Var p[{b},{c}]");
                Close(logitVar, p.LogitVariance![b * C + c], 1e-4, $"Var f[{b},{c}]");
            }
        }
        Assert.Null(p.LogDeterminant);
    }

    [Fact]
    public void SingularCovarianceIsJitteredAndReported()
    {
        // Rank one: V = u uᵀ.
        double[] u = [1, -2, 0.5, 1];
        var v = new float[C * C];
        for (int i = 0; i < C; i++)
            for (int j = 0; j < C; j++) v[i * C + j] = (float)(u[i] * u[j]);
        using var predictor = new Predictor(backend, new PredictiveOptions(GaussianPredictive.MonteCarlo, S));
        var p = predictor.Compute(LogitPrediction.Gaussian([0, 0, 0, 0], v, 1, C));
        Assert.Equal(1, p.JitteredInputs);
        Assert.InRange(p.MaxRelativeJitter, 1e-10, 1e-1);
        Assert.All(p.Probabilities, x => Assert.True(double.IsFinite(x)));
        Close(1, p.Probabilities.Sum(), 1e-5, "Σ p̄");
    }

    [Fact]
    public void NaNLogitsAreAnErrorNamingTheInput()
    {
        var f = RandomLogits(B * C, Rng);
        f[2 * C + 1] = float.NaN;
        using var predictor = new Predictor(backend, new PredictiveOptions());
        var e = Assert.Throws<NonFiniteLogitsException>(() => predictor.Compute(LogitPrediction.Point(f, B, C), 100));
        Assert.Contains("input 102", e.Message);
    }
}

public sealed class PredictorTestsCpu() : PredictorTests(TestBackends.Cpu);

[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class PredictorTestsIlgpuCpu() : PredictorTests(TestBackends.IlgpuCpu);

[Collection(TestBackends.OpenCLCollection)]
public sealed class PredictorTestsOpenCL() : PredictorTests(TestBackends.OpenCL);
