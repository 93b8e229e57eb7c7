using System.Text.Json;
using Tangent.Engine.Tracing;
using Tangent.Models.Checkpoints;

namespace Tangent.Cli.Tests;

/// <summary>
/// <c>tangent train</c> and <c>tangent evaluate</c> in-process on the committed fixtures (a data root whose training
/// split is the 256-image test fixture), and their error messages.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TrainEvaluateCommandTests
{
    private static (int Code, string Out, string Err) Run(params string[] args) => CliRunner.Run(args);

    private static string DataRoot() => CliRunner.DataRoot();

    [Fact]
    public void TrainWithLimitThenEvaluateTheCheckpoint()
    {
        string root = DataRoot();
        string ckpt = Path.Combine(root, "map.safetensors"), json = Path.Combine(root, "run.json");
        var (code, output, err) = Run("train", "--model", "fmnist-cnn", "--data", "fmnist", "--data-root", root, "--limit", "96",
            "--epochs", "2", "--batch", "32", "--seed", "3", "--out", ckpt, "--json", json);
        Assert.True(code == 0, err);
        Assert.Contains("140,594 parameters", output);
        Assert.Contains("96 examples", output);
        Assert.Contains("epoch   1/2", output);
        Assert.Contains("epoch   2/2", output);
        Assert.Contains("samples/s", output);
        Assert.Contains("ETA", output);
        Assert.Contains("test (fmnist/test, 256 examples): accuracy", output);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        Assert.Equal("fmnist-cnn", r.GetProperty("model").GetString());
        Assert.Equal(6, r.GetProperty("steps").GetInt32());
        Assert.Equal(2, r.GetProperty("history").GetArrayLength());
        double acc = r.GetProperty("test_accuracy").GetDouble(), nll = r.GetProperty("test_nll").GetDouble();

        var file = SafeTensorsFile.Read(ckpt);
        Assert.Equal("fmnist-cnn", file.Metadata[Checkpoint.ModelKey]);
        Assert.Equal("fmnist", file.Metadata["data"]);

        // evaluate (the inference library's evaluator) agrees with the trainer's own test evaluation.
        string evalJson = Path.Combine(root, "eval.json");
        var (code2, _, err2) = Run("evaluate", "--model", ckpt, "--data", "fmnist", "--data-root", root, "--json", evalJson);
        Assert.True(code2 == 0, err2);
        using var evaluation = JsonDocument.Parse(File.ReadAllText(evalJson));
        Assert.Equal(acc, evaluation.RootElement.GetProperty("accuracy").GetDouble());
        // float32 log-softmax in the trainer against float64 in the predictive: agree to float32 rounding of ~1 nats.
        Assert.Equal(nll, evaluation.RootElement.GetProperty("nll").GetDouble(), 1e-5);

        // The same seed trains the same network.
        string ckpt2 = Path.Combine(root, "again.safetensors");
        Assert.Equal(0, Run("train", "--model", "fmnist-cnn", "--data", "fmnist", "--data-root", root, "--limit", "96",
            "--epochs", "2", "--batch", "32", "--seed", "3", "--out", ckpt2).Code);
        Assert.Equal(file["fc2.weight"].ToSingleArray(), SafeTensorsFile.Read(ckpt2)["fc2.weight"].ToSingleArray());
    }

    [Fact]
    public void UnknownModelAndDataListTheValidNames()
    {
        var (code, _, err) = Run("train", "--model", "alexnet", "--data", "fmnist");
        Assert.Equal(2, code);
        Assert.Contains("unknown model 'alexnet'", err);
        Assert.Contains("fmnist-cnn", err);
        Assert.Contains("resnet20", err);

        (code, _, err) = Run("train", "--model", "lenet", "--data", "imagenet");
        Assert.Equal(2, code);
        Assert.Contains("unknown data set 'imagenet'", err);
        Assert.Contains("mnist", err);

        (code, _, err) = Run("train", "--model", "lenet", "--data", "mnist", "--optimizer", "rmsprop");
        Assert.Equal(2, code);
        Assert.Contains("adam, adamw, sgd", err);
    }

    [Fact]
    public void CheckpointShapeMismatchNamesTheTensorAndBothShapes()
    {
        string root = DataRoot();
        string path = Path.Combine(root, "bad.safetensors");
        // An fmnist-cnn checkpoint whose last layer has 5 outputs.
        var layout = new ParameterLayout()
            .Add("conv1.weight", new(16, 1, 3, 3)).Add("conv2.weight", new(32, 16, 3, 3)).Add("conv3.weight", new(64, 32, 3, 3))
            .Add("fc1.weight", new(200, 576)).Add("fc1.bias", new(200)).Add("fc2.weight", new(5, 200)).Add("fc2.bias", new(5));
        Checkpoint.Save(path, layout, (ReadOnlyMemory<float>)new float[layout.Count], Checkpoint.Metadata("fmnist-cnn", "{}"));
        var (code, _, err) = Run("evaluate", "--model", path, "--data", "fmnist", "--data-root", root);
        Assert.Equal(2, code);
        Assert.Contains("'fc2.weight' has shape [5, 200] in the file but [10, 200] in", err);
        Assert.Contains("'fc2.bias'", err);
    }
}
