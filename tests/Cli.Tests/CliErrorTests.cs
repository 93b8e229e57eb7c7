using Tangent.Cli;
using Tangent.Engine.Tracing;
using Tangent.Models.Checkpoints;

namespace Tangent.Cli.Tests;

/// <summary>
/// Every failure a user can cause is one line "tangent CMD: …" naming the flag, value or file, exit code 2, no stack
/// trace, and no output file; output paths are refused before any work starts.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class CliErrorTests
{
    private static string Error(string command, params string[] args) => CliRunner.AssertUserError(CliRunner.Run(args), command);

    [Fact]
    public void UnknownCommandListsTheCommands()
    {
        string line = Error("", "frobnicate");
        Assert.Contains("unknown command 'frobnicate'", line);
        Assert.Contains("devices, bench, train, evaluate, fit", line);
    }

    [Fact]
    public void UnknownOptionNamesItAndListsTheValidOnes()
    {
        string line = Error("train", "train", "--model", "lenet", "--data", "mnist", "--epoch", "3");
        Assert.Contains("unknown option '--epoch'", line);
        Assert.Contains("--epochs", line);
        Assert.Contains("unexpected argument 'extra'", Error("devices", "devices", "extra"));
        Assert.Contains("unknown suite 'nope'", Error("bench", "bench", "nope"));
    }

    [Theory]
    [InlineData("--epochs", "three", "--epochs needs an integer ≥ 1, got 'three'")]
    [InlineData("--epochs", "0", "--epochs needs an integer ≥ 1, got '0'")]
    [InlineData("--seed", "-1", "--seed needs an integer ≥ 0, got '-1'")]
    [InlineData("--lr", "fast", "--lr needs a non-negative number, got 'fast'")]
    [InlineData("--lr", "NaN", "--lr needs a non-negative number, got 'NaN'")]
    [InlineData("--optimizer", "rmsprop", "--optimizer must be one of adam, adamw, sgd, got 'rmsprop'")]
    public void MalformedValueNamesTheFlagAndTheValue(string flag, string value, string expected) =>
        Assert.Contains(expected, Error("train", "train", "--model", "lenet", "--data", "mnist", flag, value));

    [Fact]
    public void MissingValueAndMissingRequiredOptionNameTheFlag()
    {
        Assert.Contains("--epochs needs a value", Error("train", "train", "--model", "lenet", "--data", "mnist", "--epochs"));
        Assert.Contains("--model FILE is required", Error("evaluate", "evaluate", "--data", "fmnist"));
    }

    [Fact]
    public void MissingCheckpointAndMissingDataRootNameThePath()
    {
        string root = CliRunner.DataRoot();
        string missing = Path.Combine(root, "nope.safetensors");
        Assert.Contains($"--model '{missing}' does not exist", Error("evaluate", "evaluate", "--model", missing, "--data", "fmnist", "--data-root", root));

        string noRoot = Path.Combine(root, "no-such-root");
        string line = Error("train", "train", "--model", "lenet", "--data", "fmnist", "--data-root", noRoot, "--epochs", "1");
        Assert.Contains(Path.Combine(noRoot, "fmnist", "train-images-idx3-ubyte"), line);
        Assert.Contains("tools/get-data.sh", line);
    }

    [Fact]
    public void TruncatedOrCorruptDataFileNamesTheFile()
    {
        string root = CliRunner.DataRoot();
        string images = Path.Combine(root, "fmnist", "train-images-idx3-ubyte");
        var bytes = File.ReadAllBytes(images);
        File.WriteAllBytes(images, bytes[..(bytes.Length / 2)]);
        string line = Error("train", "train", "--model", "lenet", "--data", "fmnist", "--data-root", root, "--epochs", "1");
        Assert.Contains(images, line);
        Assert.Contains("truncated", line);

        // A gzip member cut short: the reader's DataFormatException, not a crash.
        string gz = Path.Combine(root, "fmnist", "t10k-images-idx3-ubyte");
        File.Delete(gz);
        File.WriteAllBytes(gz + ".gz", [0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01]);
        string checkpoint = ZeroCheckpoint(root);
        line = Error("evaluate", "evaluate", "--model", checkpoint, "--data", "fmnist", "--data-root", root);
        Assert.Contains(gz + ".gz", line);
    }

    [Fact]
    public void TruncatedOrForeignCheckpointNamesTheFile()
    {
        string root = CliRunner.DataRoot();
        string checkpoint = ZeroCheckpoint(root);
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes[..(bytes.Length - 100)]);
        string line = Error("evaluate", "evaluate", "--model", checkpoint, "--data", "fmnist", "--data-root", root);
        Assert.Contains(checkpoint, line);

        string text = Path.Combine(root, "notes.safetensors");
        File.WriteAllText(text, "these are not tensors, just some words of text");
        Assert.Contains(text, Error("evaluate", "evaluate", "--model", text, "--data", "fmnist", "--data-root", root));
    }

    [Fact]
    public void UnwritableOutputIsRefusedBeforeTrainingStarts()
    {
        string root = CliRunner.DataRoot();
        string blocker = Path.Combine(root, "a-file");
        File.WriteAllText(blocker, "");
        string underFile = Path.Combine(blocker, "map.safetensors");
        var result = CliRunner.Run("train", "--model", "lenet", "--data", "fmnist", "--data-root", root, "--epochs", "1", "--out", underFile);
        string line = CliRunner.AssertUserError(result, "train");
        Assert.Contains($"cannot write --out '{underFile}'", line);
        Assert.Contains("is a file, not a directory", line);
        Assert.DoesNotContain("epoch", result.Out);

        string good = Path.Combine(root, "map.safetensors");
        result = CliRunner.Run("train", "--model", "lenet", "--data", "fmnist", "--data-root", root, "--epochs", "1", "--out", good,
            "--json", Path.Combine(blocker, "run.json"));
        Assert.Contains("cannot write --json", CliRunner.AssertUserError(result, "train"));
        Assert.DoesNotContain("epoch", result.Out);
        Assert.False(File.Exists(good), "no checkpoint is written when the run is refused");

        Assert.Contains("is a directory", Error("train", "train", "--model", "lenet", "--data", "fmnist", "--data-root", root, "--out", root));
    }

    [Fact]
    public void MessagesAreOneLineWithoutTheParameterSuffix()
    {
        Assert.Equal("bad value 'x'", CommandLine.OneLine(new ArgumentException("bad value 'x'", "value")));
        Assert.Equal("first second", CommandLine.OneLine(new InvalidDataException("first\n  second")));
    }

    /// <summary>An fmnist-cnn checkpoint of zeros (the tests need only a well-formed file).</summary>
    private static string ZeroCheckpoint(string root)
    {
        string path = Path.Combine(root, $"zeros-{Guid.NewGuid():N}.safetensors");
        var layout = new ParameterLayout()
            .Add("conv1.weight", new(16, 1, 3, 3)).Add("conv2.weight", new(32, 16, 3, 3)).Add("conv3.weight", new(64, 32, 3, 3))
            .Add("fc1.weight", new(200, 576)).Add("fc1.bias", new(200)).Add("fc2.weight", new(10, 200)).Add("fc2.bias", new(10));
        Checkpoint.Save(path, layout, (ReadOnlyMemory<float>)new float[layout.Count], Checkpoint.Metadata("fmnist-cnn", "{}"));
        return path;
    }
}
