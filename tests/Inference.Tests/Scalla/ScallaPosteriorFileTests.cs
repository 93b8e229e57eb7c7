using Tangent.Engine;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Scalla;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Zoo;
using static Tangent.Inference.Tests.Scalla.ScallaTestSupport;

namespace Tangent.Inference.Tests.Scalla;

/// <summary>A ScaLLA posterior written with <see cref="PosteriorFile"/> loads back through the loader registry and predicts the same.</summary>
public sealed class ScallaPosteriorFileTests
{
    [Fact]
    public void PosteriorFileRoundTripPredictsIdentically()
    {
        var config = new ModelConfig { Classes = 3, Input = new Shape(1, 8, 8), Widths = [6], Activation = "tanh" };
        var map = ModelZoo.Create("mlp", config);
        var surrogate = ScallaFit.CreateSurrogate(map, 4);
        var theta = map.Network.InitialParameters(1);
        var phi = surrogate.Network.InitialParameters(2);
        var rng = new Random(3);
        var images = Uniform(rng, 20 * 64).Select(v => (float)Math.Abs(v)).ToArray();
        var train = new DataSet("noise", images, new Shape(1, 8, 8), Enumerable.Range(0, 20).Select(i => i % 3).ToArray(), 3);
        double scale = SurrogateFeatures.OutputScale(map.Network.ParameterCount, 4);
        var precision = FeatureLaplace.Precision(map.Network, theta, [], surrogate.Network, phi, scale, train, CpuBackend.Instance);
        var covariance = FeatureLaplace.Covariance(precision, 1);
        var options = new ScallaOptions { Features = 4 };
        using var fitted = new ScallaPosterior(map, theta, [], surrogate, phi, precision.Precision, covariance.Covariance,
            ScallaPosterior.DescribeHyperparameters(surrogate, covariance, scale, options, "noise"), CpuBackend.Instance);
        string path = Path.Combine(Path.GetTempPath(), $"scalla-posterior-{Guid.NewGuid():N}.safetensors");
        try
        {
            PosteriorFile.Save(path, fitted, new PosteriorProvenance("noise", 0, 1.0));
            using var loaded = PosteriorFile.Load(path, CpuBackend.Instance);
            Assert.Equal(ScallaPosterior.MethodName, loaded.Method);
            Assert.Equal(PredictionKind.Gaussian, loaded.Kind);
            var x = images.AsSpan(0, 5 * 64).ToArray();
            var a = fitted.Predict(x, 5, 0);
            var b = loaded.Predict(x, 5, 0);
            Assert.Equal(a.Mean, b.Mean);
            Assert.Equal(a.Covariance, b.Covariance);
            Assert.Equal("1", loaded.Hyperparameters["alpha"]);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
