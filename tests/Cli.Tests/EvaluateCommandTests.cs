using System.Buffers.Binary;
using System.Text.Json;

namespace Tangent.Cli.Tests;

/// <summary><c>tangent evaluate</c> with an OOD set, JSON and plots on the committed fixtures, and its bad inputs.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class EvaluateCommandTests
{
    [Fact]
    public void EvaluateWritesEveryMetricTheJsonAndThePlots()
    {
        string root = CliRunner.DataRoot();
        string checkpoint = CliRunner.FmnistCnnCheckpoint(root);
        string json = Path.Combine(root, "eval.json"), plots = Path.Combine(root, "plots");
        var (code, output, err) = CliRunner.Run("evaluate", "--model", checkpoint, "--data", "fmnist", "--data-root", root, "--ood", "mnist",
            "--bins", "10", "--json", json, "--plots", plots);
        Assert.True(code == 0, err);
        foreach (string row in new[] { "accuracy", "NLL", "Brier", "ECE (10 bins)", "MCE (10 bins)", "max_probability", "predictive_entropy" })
            Assert.Contains(row, output);

        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var r = doc.RootElement;
        Assert.Equal("map", r.GetProperty("method").GetString());
        Assert.Equal("point", r.GetProperty("predictive").GetString());
        Assert.Equal(256, r.GetProperty("examples").GetInt32());
        Assert.Equal(10, r.GetProperty("bins").GetInt32());
        Assert.Equal(JsonValueKind.Null, r.GetProperty("expected_nll").ValueKind);
        double accuracy = r.GetProperty("accuracy").GetDouble(), brier = r.GetProperty("brier").GetDouble();
        Assert.InRange(accuracy, 0, 1);
        Assert.InRange(brier, 0, 2);
        Assert.True(r.GetProperty("nll").GetDouble() > 0);
        double ece = r.GetProperty("ece").GetDouble(), mce = r.GetProperty("mce").GetDouble();
        Assert.InRange(ece, 0, mce);
        var ood = r.GetProperty("ood");
        Assert.Equal("mnist/test", ood.GetProperty("set").GetString());
        Assert.Equal(256, ood.GetProperty("examples").GetInt32());
        var scores = ood.GetProperty("scores");
        // A point posterior supports exactly the two scores of the probabilities.
        Assert.Equal(["max_probability", "predictive_entropy"], scores.EnumerateObject().Select(p => p.Name).Order().ToArray());
        foreach (var score in scores.EnumerateObject())
            foreach (string metric in new[] { "auroc", "aupr", "fpr95" })
                Assert.InRange(score.Value.GetProperty(metric).GetDouble(), 0, 1);

        foreach (string file in new[] { "reliability.png", "confidence.png", "ood-max_probability.png", "ood-predictive_entropy.png" })
            Assert.Equal((800, 600), PngSize(Path.Combine(plots, file)));
        Assert.Empty(Directory.GetFiles(plots, "*.tmp"));
    }

    [Fact]
    public void OodFileOfAnotherImageSizeIsRefusedNamingBothSizes()
    {
        string root = CliRunner.DataRoot();
        string checkpoint = CliRunner.FmnistCnnCheckpoint(root);
        string idx = Path.Combine(root, "small-images-idx3-ubyte");
        var bytes = new byte[16 + 3 * 32 * 32];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 0x00000803);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 3);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), 32);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), 32);
        File.WriteAllBytes(idx, bytes);
        string json = Path.Combine(root, "eval.json");
        string line = CliRunner.AssertUserError(CliRunner.Run("evaluate", "--model", checkpoint, "--data", "fmnist", "--data-root", root,
            "--ood", idx, "--json", json), "evaluate");
        Assert.Contains($"--ood '{idx}' holds 32×32 images", line);
        Assert.Contains("[1, 28, 28]", line);
        Assert.False(File.Exists(json));

        line = CliRunner.AssertUserError(CliRunner.Run("evaluate", "--model", checkpoint, "--data", "fmnist", "--data-root", root,
            "--ood", "no-such-set"), "evaluate");
        Assert.Contains("'no-such-set' is neither a data set name", line);
    }

    [Fact]
    public void NonFiniteWeightsOrUnwritablePlotsEndInOneLine()
    {
        string root = CliRunner.DataRoot();
        string bad = CliRunner.FmnistCnnCheckpoint(root, theta => theta[^1] = float.NaN);
        string json = Path.Combine(root, "eval.json");
        CliRunner.AssertUserError(CliRunner.Run("evaluate", "--model", bad, "--data", "fmnist", "--data-root", root, "--json", json), "evaluate");
        Assert.False(File.Exists(json));

        string blocker = Path.Combine(root, "file");
        File.WriteAllText(blocker, "");
        string line = CliRunner.AssertUserError(CliRunner.Run("evaluate", "--model", CliRunner.FmnistCnnCheckpoint(root), "--data", "fmnist",
            "--data-root", root, "--plots", Path.Combine(blocker, "plots")), "evaluate");
        Assert.Contains("cannot write --plots", line);
    }

    /// <summary>Width and height of a PNG after checking its signature and that the first chunk is IHDR.</summary>
    internal static (int Width, int Height) PngSize(string path)
    {
        byte[] b = File.ReadAllBytes(path);
        Assert.True(b.Length > 33, $"{path}: {b.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, b[..8]);
        Assert.Equal(13, BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(8)));
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(b, 12, 4));
        return (BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(16)), BinaryPrimitives.ReadInt32BigEndian(b.AsSpan(20)));
    }
}
