using Tangent.Engine;
using Tangent.Inference.Scalla;
using Tangent.Inference.Tests.Support;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Layers;
using Tangent.Models.Zoo;
using static Tangent.Inference.Tests.Scalla.ScallaTestSupport;

namespace Tangent.Inference.Tests.Scalla;

/// <summary>
/// A small ScaLLA fit (biased, 2 probes, 6 steps) and its posterior on a backend against the same on the cpu backend.
/// The backends sum in different orders (float32 GEMMs and reductions), so φ after six Adam steps of size ≤ lr agree to
/// ~1e-6 of its entries' scale, and H and the predictive covariances to ~1e-5 relative; the bounds leave a factor ~10.
/// </summary>
public abstract class ScallaBackendTests(Backend backend)
{
    private const int Inputs = 4, Classes = 3, Features = 5;

    private static readonly Network MapNet = Mlp(Inputs, [8], Classes);
    private static readonly Network SurrogateNet = Surrogate(Inputs, [6], Features, Classes);
    private static readonly DataSet Train = Blobs(24, Inputs, Classes, 1);

    private static readonly ScallaOptions Options = new()
    {
        Features = Features, Probes = 2, TrainPoints = 3, ContextPoints = 3, Steps = 6, LearningRate = 1e-2, FinalLearningRate = 1e-3,
        WarmupSteps = 1, Biased = true, Seed = 4, LogInterval = 3,
    };

    private static (float[] Phi, double[] Precision, float[] Covariance, double[] Losses) Fit(Backend on)
    {
        var theta = MapNet.InitialParameters(3);
        var context = new ContextSet("uniform", Uniform(new Random(2), 20 * Inputs, 2).Select(v => (float)v).ToArray(), new Shape(Inputs), Options.Seed);
        using var trainer = new SurrogateKernelTrainer(MapNet, theta, SurrogateNet, Train, context, Options, on);
        var losses = Enumerable.Range(0, Options.Steps).Select(_ => trainer.Step()).ToArray();
        var phi = trainer.ReadSurrogateParameters();
        double scale = SurrogateFeatures.OutputScale(MapNet.ParameterCount, Features);
        var precision = FeatureLaplace.Precision(MapNet, theta, [], SurrogateNet, phi, scale, Train, on, batch: 10);
        var covariance = FeatureLaplace.Covariance(precision, 1);
        using var posterior = new ScallaPosterior(new ZooModel("mlp", new ModelConfig(), MapNet), theta, [], new ZooModel("surrogate-mlp", new ModelConfig(), SurrogateNet),
            phi, precision.Precision, covariance.Covariance, new Dictionary<string, string>(), on);
        var prediction = posterior.Predict(Train.Inputs.AsSpan(0, 8 * Inputs), 8, 0);
        return (phi, precision.Precision, prediction.Covariance!, losses);
    }

    [Fact]
    public void SmallFitAgreesWithTheCpuBackend()
    {
        var expected = Fit(CpuBackend.Instance);
        var actual = Fit(backend);
        for (int i = 0; i < expected.Losses.Length; i++) Assert.Equal(expected.Losses[i], actual.Losses[i], 1e-4 * expected.Losses[i]);
        double phiScale = expected.Phi.Max(v => Math.Abs(v));
        for (int i = 0; i < expected.Phi.Length; i++) Assert.Equal(expected.Phi[i], actual.Phi[i], 1e-5 * phiScale);
        double hScale = expected.Precision.Max(Math.Abs);
        for (int i = 0; i < expected.Precision.Length; i++) Assert.Equal(expected.Precision[i], actual.Precision[i], 1e-4 * hScale);
        double vScale = expected.Covariance.Max(v => Math.Abs(v));
        for (int i = 0; i < expected.Covariance.Length; i++) Assert.Equal(expected.Covariance[i], actual.Covariance[i], 1e-4 * vScale);
    }
}

[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class ScallaBackendTestsIlgpuCpu() : ScallaBackendTests(TestBackends.IlgpuCpu);

[Collection(TestBackends.OpenCLCollection)]
public sealed class ScallaBackendTestsOpenCL() : ScallaBackendTests(TestBackends.OpenCL);
