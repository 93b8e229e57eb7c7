using System.Text.Json;
using Tangent.Models.Checkpoints;

namespace Tangent.Cli.Tests;

/// <summary><c>tangent fit last-layer</c> and <c>fit lla</c> on the committed fixtures, evaluating what they write, and their bad inputs.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class FitCommandTests
{
    /// <summary>A small MLP (last layer 16 → 10: 170 parameters) keeps the fit and its eigendecomposition quick.</summary>
    private const string SmallMlp = "input=1x28x28;widths=16";

    [Fact]
    public void LastLayerFitWritesAPosteriorThatEvaluateReads()
    {
        string root = CliRunner.DataRoot();
        string map = CliRunner.Checkpoint(root, "mlp", SmallMlp);
        string posterior = Path.Combine(root, "ll.safetensors"), fitJson = Path.Combine(root, "fit.json");
        var (code, output, err) = CliRunner.Run("fit", "last-layer", "--map", map, "--data", "fmnist", "--data-root", root, "--marglik",
            "--out", posterior, "--json", fitJson);
        Assert.True(code == 0, err);
        Assert.Contains("170 parameters", output);
        Assert.Contains("prior precision α* = ", output);

        using (var doc = JsonDocument.Parse(File.ReadAllText(fitJson)))
        {
            var r = doc.RootElement;
            Assert.Equal("last-layer", r.GetProperty("method").GetString());
            Assert.Equal("marglik", r.GetProperty("prior").GetString());
            Assert.Equal(170, r.GetProperty("posterior_parameters").GetInt32());
            double alpha = r.GetProperty("prior_precision").GetDouble();
            Assert.True(alpha > 0);
            // α* maximises the evidence: no point of the curve around it is higher.
            double best = r.GetProperty("log_marginal_likelihood").GetDouble();
            var curve = r.GetProperty("evidence_curve").EnumerateArray().Select(e => e.GetProperty("log_marginal_likelihood").GetDouble()).ToList();
            Assert.NotEmpty(curve);
            Assert.All(curve, v => Assert.True(v <= best + 1e-9 * Math.Abs(best), $"evidence {v} above the maximum {best}"));
        }
        Assert.Equal("last-layer", SafeTensorsFile.Read(posterior).Metadata["method"]);

        string evalJson = Path.Combine(root, "eval.json");
        (code, _, err) = CliRunner.Run("evaluate", "--model", posterior, "--data", "fmnist", "--data-root", root, "--ood", "mnist",
            "--samples", "64", "--json", evalJson);
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(File.ReadAllText(evalJson)))
        {
            var r = doc.RootElement;
            Assert.Equal("mc", r.GetProperty("predictive").GetString());
            Assert.Equal(64, r.GetProperty("samples").GetInt32());
            Assert.Equal(JsonValueKind.Number, r.GetProperty("expected_nll").ValueKind);
            var scores = r.GetProperty("ood").GetProperty("scores").EnumerateObject().Select(p => p.Name).Order().ToArray();
            Assert.Equal(["gaussian_entropy", "logit_variance", "max_probability", "predictive_entropy", "probability_variance"], scores);
        }

        (code, _, err) = CliRunner.Run("evaluate", "--model", posterior, "--data", "fmnist", "--data-root", root, "--ood", "mnist",
            "--predictive", "probit", "--json", evalJson);
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(File.ReadAllText(evalJson)))
        {
            var r = doc.RootElement;
            Assert.Equal("probit", r.GetProperty("predictive").GetString());
            Assert.Equal(JsonValueKind.Null, r.GetProperty("expected_nll").ValueKind);
            Assert.False(r.GetProperty("ood").GetProperty("scores").TryGetProperty("probability_variance", out _));
        }
    }

    [Fact]
    public void ExactLlaOnASmallNetworkThenEvaluate()
    {
        // 8×8 digits through an MLP of 610 parameters: the dense P×P posterior is small.
        string root = CliRunner.DataRoot();
        string map = CliRunner.Checkpoint(root, "mlp", "input=1x8x8;widths=8");
        string posterior = Path.Combine(root, "lla.safetensors"), fitJson = Path.Combine(root, "fit.json");
        var (code, output, err) = CliRunner.Run("fit", "lla", "--map", map, "--data", "digits", "--data-root", root, "--prior-precision", "3",
            "--out", posterior, "--json", fitJson);
        Assert.True(code == 0, err);
        Assert.Contains("all parameters: 610 parameters", output);
        Assert.Contains("prior precision α = 3 (fixed", output);
        using (var doc = JsonDocument.Parse(File.ReadAllText(fitJson)))
        {
            Assert.Equal("lla", doc.RootElement.GetProperty("method").GetString());
            Assert.Equal(3, doc.RootElement.GetProperty("prior_precision").GetDouble());
            Assert.Equal(0, doc.RootElement.GetProperty("evidence_curve").GetArrayLength());
        }
        string evalJson = Path.Combine(root, "eval.json");
        (code, _, err) = CliRunner.Run("evaluate", "--model", posterior, "--data", "digits", "--split", "train", "--data-root", root,
            "--predictive", "probit", "--json", evalJson);
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(File.ReadAllText(evalJson)))
        {
            Assert.Equal("lla", doc.RootElement.GetProperty("method").GetString());
            Assert.Equal(100, doc.RootElement.GetProperty("examples").GetInt32());
        }

        // A network too large for the dense posterior is refused before any pass over the data.
        var result = CliRunner.Run("fit", "lla", "--map", CliRunner.FmnistCnnCheckpoint(root), "--data", "fmnist", "--data-root", root,
            "--out", Path.Combine(root, "big.safetensors"));
        string line = CliRunner.AssertUserError(result, "fit lla");
        Assert.Contains("140,594 parameters", line);
        Assert.Contains("fit last-layer", line);
        Assert.DoesNotContain("prior precision", result.Out);
    }

    [Fact]
    public void PriorOptionsAndOutputAreCheckedBeforeFitting()
    {
        string root = CliRunner.DataRoot();
        string map = CliRunner.Checkpoint(root, "mlp", SmallMlp);
        string posterior = Path.Combine(root, "ll.safetensors");
        string[] fit = ["fit", "last-layer", "--map", map, "--data", "fmnist", "--data-root", root, "--out", posterior];
        Assert.Contains("--prior-precision needs a positive number, got '0'",
            CliRunner.AssertUserError(CliRunner.Run([.. fit, "--prior-precision", "0"]), "fit last-layer"));
        Assert.Contains("exclude each other",
            CliRunner.AssertUserError(CliRunner.Run([.. fit, "--prior-precision", "2", "--marglik"]), "fit last-layer"));

        string blocker = Path.Combine(root, "file");
        File.WriteAllText(blocker, "");
        var result = CliRunner.Run([.. fit, "--json", Path.Combine(blocker, "fit.json")]);
        Assert.Contains("cannot write --json", CliRunner.AssertUserError(result, "fit last-layer"));
        Assert.DoesNotContain("parameters", result.Out);
        Assert.False(File.Exists(posterior));

        Assert.Contains("--map FILE is required", CliRunner.AssertUserError(CliRunner.Run("fit", "last-layer", "--data", "fmnist", "--out", posterior), "fit last-layer"));
        Assert.Contains("unknown command 'kfac'", CliRunner.AssertUserError(CliRunner.Run("fit", "kfac"), "fit"));
    }

    [Fact]
    public void PosteriorFileMissingItsTensorNamesTheFileAndTheTensor()
    {
        string root = CliRunner.DataRoot();
        string map = CliRunner.Checkpoint(root, "mlp", SmallMlp);
        string posterior = Path.Combine(root, "ll.safetensors");
        Assert.Equal(0, CliRunner.Run("fit", "last-layer", "--map", map, "--data", "fmnist", "--data-root", root, "--prior-precision", "1",
            "--out", posterior).Code);
        var file = SafeTensorsFile.Read(posterior);
        string broken = Path.Combine(root, "broken.safetensors");
        SafeTensorsFile.Write(broken, file.Tensors.Where(t => !t.Name.StartsWith("posterior/", StringComparison.Ordinal)), file.Metadata);
        string line = CliRunner.AssertUserError(CliRunner.Run("evaluate", "--model", broken, "--data", "fmnist", "--data-root", root), "evaluate");
        Assert.Contains(broken, line);
        Assert.Contains("covariance", line);

        // The same posterior on data of another input size.
        line = CliRunner.AssertUserError(CliRunner.Run("evaluate", "--model", posterior, "--data", "digits", "--split", "train", "--data-root", root), "evaluate");
        Assert.Contains("[1, 8, 8]", line);
        Assert.Contains("[1, 28, 28]", line);
    }
}
