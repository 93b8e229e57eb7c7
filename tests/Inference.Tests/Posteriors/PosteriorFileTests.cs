using Tangent.Engine;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Tests.Support;
using Tangent.Kernels.Cpu;
using Tangent.Models.Checkpoints;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Tests.Posteriors;

public sealed class PosteriorFileTests : IDisposable
{
    private readonly string _dir = TestData.NewTempDirectory();
    private readonly ZooModel _model = TestData.SmallMlp();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private float[] Theta => _model.Network.InitialParameters(3);

    private static float[] FirstInputs(int n) => TestData.Mnist.Inputs[..(n * 784)];

    [Fact]
    public void MapPosteriorRoundTripsWithItsMetadataAndLogits()
    {
        string path = Path.Combine(_dir, "map.safetensors");
        using var map = new MapPosterior(_model, Theta, [], CpuBackend.Instance);
        PosteriorFile.Save(path, map, new PosteriorProvenance("mnist", 42, 1.5));
        var stored = PosteriorFile.Read(path);
        Assert.Equal("map", stored.Method);
        Assert.Equal("mnist", stored.Metadata[PosteriorFile.DataKey]);
        Assert.Equal("42", stored.Metadata[PosteriorFile.SeedKey]);
        Assert.Equal("1.5", stored.Metadata[PosteriorFile.FitTimeKey]);
        Assert.Equal("mlp", stored.Model.Name);
        using var loaded = PosteriorFile.Load(path, CpuBackend.Instance);
        Assert.IsType<MapPosterior>(loaded);
        Assert.Equal(map.Predict(FirstInputs(4), 4, 0).Mean, loaded.Predict(FirstInputs(4), 4, 0).Mean);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void PlainCheckpointWithoutMethodLoadsAsMap()
    {
        string path = Path.Combine(_dir, "train.safetensors");
        ZooCheckpoint.Save(path, _model, Theta, []);
        using var loaded = PosteriorFile.Load(path, CpuBackend.Instance);
        Assert.Equal("map", loaded.Method);
        Assert.Equal(Theta, loaded.Parameters);
    }

    [Fact]
    public void UnknownMethodIsNamedWithTheFile()
    {
        string path = Path.Combine(_dir, "bogus.safetensors");
        var meta = Checkpoint.Metadata("mlp", _model.Config.ToJson(), [new(PosteriorFile.MethodKey, "bogus")]);
        SafeTensorsFile.Write(path, Checkpoint.Tensors(_model.Network.Parameters, (ReadOnlyMemory<float>)Theta), meta);
        var e = Assert.Throws<PosteriorFileException>(() => PosteriorFile.Load(path, CpuBackend.Instance));
        Assert.Contains(path, e.Message);
        Assert.Contains("unknown method 'bogus'", e.Message);
        Assert.Contains("map", e.Message);
    }

    [Fact]
    public void NetworkThatDoesNotMatchNamesTheTensorAndBothShapes()
    {
        string path = Path.Combine(_dir, "wide.safetensors");
        var wide = TestData.SmallMlp(hidden: 20);
        // The file claims the 16-unit model but holds the 20-unit model's tensors.
        var meta = Checkpoint.Metadata("mlp", _model.Config.ToJson());
        SafeTensorsFile.Write(path, Checkpoint.Tensors(wide.Network.Parameters, (ReadOnlyMemory<float>)wide.Network.InitialParameters(1)), meta);
        var e = Assert.Throws<PosteriorFileException>(() => PosteriorFile.Load(path, CpuBackend.Instance));
        Assert.Contains("'fc1.weight' has shape [20, 784] in the file but [16, 784]", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void MissingOrMisshapenMethodTensorIsNamed()
    {
        string path = Path.Combine(_dir, "method.safetensors");
        var meta = Checkpoint.Metadata("mlp", _model.Config.ToJson(), [new(PosteriorFile.MethodKey, "last-layer"), new(PosteriorFile.HyperparametersKey, "{\"alpha\":\"x\"}")]);
        var tensors = Checkpoint.Tensors(_model.Network.Parameters, (ReadOnlyMemory<float>)Theta)
            .Append(SafeTensor.FromDoubles(PosteriorFile.MethodTensorPrefix + "covariance", new Shape(2, 2), [1, 0, 0, 1]));
        SafeTensorsFile.Write(path, tensors, meta);
        var stored = PosteriorFile.Read(path);
        var missing = Assert.Throws<PosteriorFileException>(() => stored.Tensor("precision", new Shape(3)));
        Assert.Contains("tensor 'posterior/precision' of method 'last-layer' is missing", missing.Message);
        var shape = Assert.Throws<PosteriorFileException>(() => stored.Tensor("covariance", new Shape(3, 3)));
        Assert.Contains("has shape [2, 2]", shape.Message);
        var value = Assert.Throws<PosteriorFileException>(() => stored.Number("alpha"));
        Assert.Contains("hyperparameter 'alpha' = 'x' is not a finite number", value.Message);
    }

    [Fact]
    public void NotASafetensorsFileIsAPosteriorFileError()
    {
        string path = Path.Combine(_dir, "junk.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        var e = Assert.Throws<PosteriorFileException>(() => PosteriorFile.Load(path, CpuBackend.Instance));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void MissingFileIsAPosteriorFileError()
    {
        string path = Path.Combine(_dir, "absent.safetensors");
        var e = Assert.Throws<PosteriorFileException>(() => PosteriorFile.Load(path, CpuBackend.Instance));
        Assert.Contains(path, e.Message);
    }
}
