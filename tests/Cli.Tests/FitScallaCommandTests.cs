using System.Text.Json;
using Tangent.Models.Checkpoints;

namespace Tangent.Cli.Tests;

/// <summary><c>tangent fit scalla</c> in-process on the committed fixtures (256 training images), then <c>evaluate</c> on its file; and its refusals.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class FitScallaCommandTests
{
    private static readonly string[] Small = ["--features", "4", "--probes", "2", "--steps", "6", "--batch", "2", "--warmup", "1"];

    [Fact]
    public void FitsWritesAPosteriorFileThatEvaluateReads()
    {
        string root = CliRunner.DataRoot();
        string map = CliRunner.FmnistCnnCheckpoint(root);
        string output = Path.Combine(root, "scalla.safetensors"), json = Path.Combine(root, "fit.json"), checkpoint = Path.Combine(root, "train.safetensors");
        var (code, text, err) = CliRunner.Run(["fit", "scalla", "--map", map, "--data", "fmnist", "--data-root", root, "--context", "mnist", "--bias",
            "--out", output, "--json", json, "--checkpoint", checkpoint, .. Small]);
        Assert.True(code == 0, err);
        Assert.Contains("48 point-probe JVPs", text);
        Assert.Contains($"wrote {output}", text);
        var file = SafeTensorsFile.Read(output);
        Assert.Equal("scalla", file.Metadata["method"]);
        using (var hyper = JsonDocument.Parse(file.Metadata["hyperparameters"]))
            Assert.Equal("mnist+augmented", hyper.RootElement.GetProperty("context").GetString()); // --bias augments its context by default
        Assert.True(File.Exists(checkpoint));
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var r = doc.RootElement;
            Assert.Equal(48, r.GetProperty("point_probe_jvps").GetInt64());
            Assert.Equal("mnist", r.GetProperty("context").GetString());
            Assert.True(r.GetProperty("options").GetProperty("Biased").GetBoolean());
            Assert.Equal(6, r.GetProperty("loss_curve").EnumerateArray().Last().GetProperty("step").GetInt32());
        }
        var (code2, text2, err2) = CliRunner.Run("evaluate", "--model", output, "--data", "fmnist", "--data-root", root, "--ood", "mnist", "--samples", "16");
        Assert.True(code2 == 0, err2);
        Assert.Contains("gaussian_entropy", text2);
    }

    [Fact]
    public void ContextOfAnotherSizeOrUnknownNameIsOneLine()
    {
        string root = CliRunner.DataRoot();
        string map = CliRunner.FmnistCnnCheckpoint(root);
        string idx = Path.Combine(root, "small.idx");
        using (var w = new BinaryWriter(File.Create(idx)))
        {
            foreach (int v in new[] { 0x00000803, 2, 8, 8 }) w.Write(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v));
            w.Write(new byte[2 * 64]);
        }
        string output = Path.Combine(root, "never.safetensors");
        string line = CliRunner.AssertUserError(CliRunner.Run(["fit", "scalla", "--map", map, "--data", "fmnist", "--data-root", root, "--context", idx,
            "--out", output, .. Small]), "fit scalla");
        Assert.Contains("[1, 8, 8]", line);
        Assert.Contains("[1, 28, 28]", line);
        line = CliRunner.AssertUserError(CliRunner.Run(["fit", "scalla", "--map", map, "--data", "fmnist", "--data-root", root, "--context", "clouds",
            "--out", output, .. Small]), "fit scalla");
        Assert.Contains("'clouds'", line);
        Assert.Contains("digits28", line);
        Assert.Contains("patch-shuffle", line);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void NonFiniteTrainingStopsNamingTheStepAndWritesNothing()
    {
        string root = CliRunner.DataRoot();
        // float32's largest value in the last weight matrix (fc2.weight, before the 10 biases) overflows every logit tangent (a NaN
        // weight would be refused when the checkpoint is read); one in conv1 would not survive ReLU and max pooling.
        string map = CliRunner.FmnistCnnCheckpoint(root, theta => theta[^11] = float.MaxValue);
        string output = Path.Combine(root, "never.safetensors");
        string line = CliRunner.AssertUserError(CliRunner.Run(["fit", "scalla", "--map", map, "--data", "fmnist", "--data-root", root,
            "--context", "edges", "--out", output, .. Small]), "fit scalla");
        Assert.Contains("step 0", line);
        Assert.Contains("JVP targets", line);
        Assert.False(File.Exists(output));
    }
}
