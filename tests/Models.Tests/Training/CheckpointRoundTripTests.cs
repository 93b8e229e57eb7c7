using Tangent.Engine;
using Tangent.Kernels.Cpu;
using Tangent.Models.Checkpoints;
using Tangent.Models.Data;
using Tangent.Models.Tests.Support;
using Tangent.Models.Training;
using Tangent.Models.Zoo;

namespace Tangent.Models.Tests.Training;

/// <summary>A trained model written as safetensors and read back gives the same parameters, state and predictions.</summary>
public sealed class CheckpointRoundTripTests
{
    [Fact]
    public void TrainedResNetWithRunningStatisticsRoundTrips()
    {
        var config = ModelConfig.Parse("input=3x8x8;classes=4");
        var model = ModelZoo.Create("resnet20", config);
        var rng = new Random(2);
        var pixels = Enumerable.Range(0, 24 * 192).Select(_ => (float)rng.NextDouble()).ToArray();
        var data = new DataSet("synthetic", pixels, new Shape(3, 8, 8), Enumerable.Range(0, 24).Select(i => i % 4).ToArray(), 4);
        using var t = new Trainer(model.Network, CpuBackend.Instance, new TrainingOptions { Epochs = 1, BatchSize = 8, EvaluationBatchSize = 24 });
        t.Fit(data);
        var before = t.Evaluate(data);
        Assert.NotEqual(model.Network.InitialState(), t.ReadState());

        string path = Path.Combine(TestPaths.NewTempDirectory(), "resnet.safetensors");
        ZooCheckpoint.Save(path, model, t.ReadParameters(), t.ReadState(), [new("data", "synthetic")]);
        var (loaded, theta, state, metadata) = ZooCheckpoint.Load(path);
        Assert.Equal("resnet20", loaded.Name);
        Assert.Equal(config.ToString(), loaded.Config.ToString());
        Assert.Equal("synthetic", metadata["data"]);
        Assert.Equal(t.ReadParameters(), theta);
        Assert.Equal(t.ReadState(), state);
        var names = SafeTensorsFile.Read(path).Tensors.Select(x => x.Name).ToHashSet();
        Assert.Contains("layer3_0.shortcut.bn.running_var", names);
        Assert.Contains("fc.bias", names);

        using var u = new Trainer(loaded.Network, CpuBackend.Instance, new TrainingOptions { EvaluationBatchSize = 24 });
        u.Load(theta, state);
        var after = u.Evaluate(data);
        Assert.Equal(before, after);
    }

    [Fact]
    public void MismatchedShapesNameTheTensorAndBothShapes()
    {
        var lenet = ModelZoo.Create("lenet");
        string path = Path.Combine(TestPaths.NewTempDirectory(), "lenet.safetensors");
        ZooCheckpoint.Save(path, lenet, lenet.Network.InitialParameters(1), []);
        var wrong = ZooCheckpoint.LoadInto(SafeTensorsFile.Read(path), lenet);
        Assert.Equal(lenet.Network.InitialParameters(1), wrong.Parameters);
        var other = ModelZoo.Create("lenet", ModelConfig.Parse("classes=5"));
        var e = Assert.Throws<CheckpointMismatchException>(() => ZooCheckpoint.LoadInto(SafeTensorsFile.Read(path), other));
        Assert.Contains("fc3.weight", e.Message);
        Assert.Contains("[10, 84]", e.Message);
        Assert.Contains("[5, 84]", e.Message);
    }
}
