using Tangent.Engine;
using Tangent.Models.Layers;
using Tangent.Models.Zoo;

namespace Tangent.Models.Tests.Zoo;

/// <summary>Parameter counts of the zoo models (worked out by hand from the layer shapes), names, shapes and the registry.</summary>
public sealed class ModelZooTests
{
    [Theory]
    // 784·256 + 256 + 256·256 + 256 + 256·10 + 10
    [InlineData("mlp", 269_322)]
    // conv 6·1·25 + 6, conv 16·6·25 + 16, fc 256·120 + 120, 120·84 + 84, 84·10 + 10 (METHODS.md: 44,426)
    [InlineData("lenet", 44_426)]
    // 16·9 + 32·16·9 + 64·32·9 (no biases) + 576·200 + 200 + 200·10 + 10 (ScaLLA: 140,594)
    [InlineData("fmnist-cnn", 140_594)]
    // the same trunk (138,584) + 200·1000 + 1000 (ScaLLA: 339,584)
    [InlineData("scalla-surrogate", 339_584)]
    // ResNet-20 with 1×1-conv+BN projection shortcuts: 269,722 + (16·32 + 64) + (32·64 + 128)
    [InlineData("resnet20", 272_474)]
    public void ParameterCounts(string name, int expected)
    {
        var m = ModelZoo.Create(name);
        Assert.Equal(expected, m.Network.ParameterCount);
        Assert.Equal(expected, m.Network.ParameterSpecs.Sum(p => p.Shape.Length));
    }

    [Fact]
    public void OutputShapes()
    {
        Assert.Equal(new Shape(10), ModelZoo.Create("fmnist-cnn").Network.OutputShape);
        Assert.Equal(new Shape(100, 10), ModelZoo.Create("scalla-surrogate").Network.OutputShape);
        Assert.Equal(new Shape(10), ModelZoo.Create("resnet20").Network.OutputShape);
        var surrogate = ModelZoo.Create("scalla-surrogate", ModelConfig.Parse("m=20;classes=4"));
        Assert.Equal(new Shape(20, 4), surrogate.Network.OutputShape);
        Assert.Equal(138_584 + 200 * 80 + 80, surrogate.Network.ParameterCount);
    }

    [Fact]
    public void MlpIsConfigurable()
    {
        var m = ModelZoo.Create("mlp", ModelConfig.Parse("widths=32,16;activation=tanh;classes=3;input=20"));
        Assert.Equal(20 * 32 + 32 + 32 * 16 + 16 + 16 * 3 + 3, m.Network.ParameterCount);
        Assert.Contains("tanh", m.Network.Body.Describe());
    }

    [Fact]
    public void ParameterNamesFollowTheLayers()
    {
        var names = ModelZoo.Create("fmnist-cnn").Network.Parameters.Entries.Select(e => e.Name).ToArray();
        Assert.Equal(["conv1.weight", "conv2.weight", "conv3.weight", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"], names);
        var resnet = ModelZoo.Create("resnet20").Network;
        Assert.Contains("layer2_0.shortcut.conv.weight", resnet.Parameters.Entries.Select(e => e.Name));
        Assert.Equal(2 * (1 + 9 * 2 + 2), resnet.State.Entries.Count);
    }

    [Fact]
    public void UnknownNameListsTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelZoo.Create("vgg16"));
        Assert.Contains("vgg16", e.Message);
        foreach (var n in new[] { "mlp", "lenet", "fmnist-cnn", "scalla-surrogate", "resnet20" }) Assert.Contains(n, e.Message);
    }

    [Fact]
    public void ConfigRoundTripsThroughText()
    {
        var c = ModelConfig.Parse("widths=8,4;classes=3;input=1x8x8");
        var d = ModelConfig.Parse(c.ToString());
        Assert.Equal(c.ToString(), d.ToString());
        Assert.Equal(new Shape(1, 8, 8), d.Input);
        Assert.Equal([8, 4], d.Widths);
    }

    [Fact]
    public void InitialisationFollowsTheSchemes()
    {
        var net = ModelZoo.Create("fmnist-cnn").Network;
        var theta = net.InitialParameters(7);
        Assert.Equal(theta, net.InitialParameters(7));
        Assert.NotEqual(theta, net.InitialParameters(8));
        // PyTorch default: U(±1/√fan-in); fc1 has fan-in 576, so |w| ≤ 1/24 and the variance is b²/3.
        var (off, shape) = net.Parameters["fc1.weight"];
        var w = theta.AsSpan(off, shape.Length).ToArray();
        double bound = 1 / Math.Sqrt(576);
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        double variance = w.Select(v => (double)v * v).Average();
        // 115,200 draws: the relative standard error of a uniform's second moment is √(4/5/n) ≈ 0.3 %.
        Assert.InRange(variance / (bound * bound / 3), 0.98, 1.02);

        var kaiming = new Network(new Dense(400, 300, init: WeightInit.Kaiming), new Shape(400));
        var kw = kaiming.InitialParameters(3);
        double kv = kw.Take(120_000).Select(v => (double)v * v).Average();
        Assert.InRange(kv / (2.0 / 400), 0.98, 1.02);
        Assert.All(kw.Skip(120_000), v => Assert.Equal(0f, v));
    }
}
