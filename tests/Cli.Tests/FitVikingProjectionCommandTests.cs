using System.Globalization;
using System.Text.Json;
using Tangent.Inference.Viking;
using Tangent.Models.Checkpoints;

namespace Tangent.Cli.Tests;

/// <summary>
/// <c>tangent fit viking</c> and <c>fit projection</c> on the committed fixtures: each writes a posterior file that
/// <c>evaluate</c> reads; VIKING's resume file makes a rerun continue; bad settings are one line with exit code 2.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class FitVikingProjectionCommandTests
{
    /// <summary>A small MLP (12,730 parameters) on the 256-image fixture: 200 training and 56 validation images.</summary>
    private static string[] Viking(string root, string output) =>
        ["fit", "viking", "--model", "mlp", "--config", "widths=16", "--data", "mnist", "--data-root", root, "--validation", "56",
         "--schedule", "1,1,1", "--batch", "20", "--samples", "4", "--out", output];

    /// <summary><paramref name="args"/> with <paramref name="flag"/>'s value set to <paramref name="value"/> (replaced or appended).</summary>
    private static string[] With(string[] args, string flag, string value)
    {
        int i = Array.IndexOf(args, flag);
        if (i < 0) return [.. args, flag, value];
        var copy = (string[])args.Clone();
        copy[i + 1] = value;
        return copy;
    }

    [Fact]
    public void VikingFitWritesAPosteriorThatEvaluateReadsAndResumes()
    {
        string root = CliRunner.DataRoot();
        string posterior = Path.Combine(root, "viking.safetensors"), json = Path.Combine(root, "viking.json"), resume = Path.Combine(root, "resume.safetensors");
        var (code, output, err) = CliRunner.Run([.. Viking(root, posterior), "--json", json, "--checkpoint", resume]);
        Assert.True(code == 0, err);
        Assert.Contains("200 training and 56 validation examples", output);
        Assert.Contains("stop-gradient", output);
        Assert.Contains("validation (56): accuracy", output);
        Assert.Equal("viking", SafeTensorsFile.Read(posterior).Metadata["method"]);
        using (var doc = JsonDocument.Parse(File.ReadAllText(json)))
        {
            var r = doc.RootElement;
            Assert.Equal("stop", r.GetProperty("hyperparameters").GetProperty("adjoint").GetString());
            Assert.Equal("1,1,1", r.GetProperty("hyperparameters").GetProperty("schedule").GetString());
            // A classification set takes VikingOptions.Classification's β and cosine rate unless told otherwise.
            Assert.Equal(VikingOptions.ClassificationBeta, double.Parse(r.GetProperty("hyperparameters").GetProperty("beta").GetString()!, CultureInfo.InvariantCulture));
            Assert.Equal("given", r.GetProperty("hyperparameters").GetProperty("beta_rule").GetString());
            Assert.Equal("cosine over the ELBO phase", r.GetProperty("hyperparameters").GetProperty("learning_rate_schedule").GetString());
            Assert.InRange(r.GetProperty("validation").GetProperty("accuracy").GetDouble(), 0, 1);
        }
        string evalJson = Path.Combine(root, "eval.json");
        (code, _, err) = CliRunner.Run("evaluate", "--model", posterior, "--data", "mnist", "--data-root", root, "--json", evalJson);
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(File.ReadAllText(evalJson)))
        {
            Assert.Equal("viking", doc.RootElement.GetProperty("method").GetString());
            Assert.Equal(4, doc.RootElement.GetProperty("samples").GetInt32());
            Assert.Equal(JsonValueKind.Number, doc.RootElement.GetProperty("expected_nll").ValueKind);
        }

        // The finished run's resume file holds its last epoch: the same command resumes and writes the same posterior.
        string again = Path.Combine(root, "again.safetensors");
        (code, output, err) = CliRunner.Run([.. Viking(root, again), "--checkpoint", resume]);
        Assert.True(code == 0, err);
        Assert.Contains("resuming from", output);
        Assert.Equal(File.ReadAllBytes(posterior).Length, File.ReadAllBytes(again).Length);
        Assert.Equal(SafeTensorsFile.Read(posterior)["posterior/viking.kernel_samples"].ToSingleArray(),
            SafeTensorsFile.Read(again)["posterior/viking.kernel_samples"].ToSingleArray());

        // Settings given on the command line win over the classification defaults.
        string constant = Path.Combine(root, "constant.safetensors"), constantJson = Path.Combine(root, "constant.json");
        (code, _, err) = CliRunner.Run([.. Viking(root, constant), "--beta", "0.002", "--lr-schedule", "constant", "--json", constantJson]);
        Assert.True(code == 0, err);
        using (var doc = JsonDocument.Parse(File.ReadAllText(constantJson)))
        {
            Assert.Equal("0.002", doc.RootElement.GetProperty("hyperparameters").GetProperty("beta").GetString());
            Assert.Equal("constant", doc.RootElement.GetProperty("hyperparameters").GetProperty("learning_rate_schedule").GetString());
        }

        // …but not under other settings.
        var result = CliRunner.Run([.. Viking(root, again), "--checkpoint", resume, "--gamma", "0.5"]);
        string line = CliRunner.AssertUserError(result, "fit viking");
        Assert.Contains(resume, line);
        Assert.Contains("other settings", line);
    }

    [Fact]
    public void VikingSettingsAreCheckedBeforeFitting()
    {
        string root = CliRunner.DataRoot();
        string posterior = Path.Combine(root, "v.safetensors");
        Assert.Contains("--schedule needs three non-negative epoch counts",
            CliRunner.AssertUserError(CliRunner.Run(With(Viking(root, posterior), "--schedule", "5,5")), "fit viking"));
        Assert.Contains("--adjoint must be one of stop, exact, got 'reverse'",
            CliRunner.AssertUserError(CliRunner.Run([.. Viking(root, posterior), "--adjoint", "reverse"]), "fit viking"));
        Assert.Contains("--gamma must lie in [0, 1], got 2",
            CliRunner.AssertUserError(CliRunner.Run([.. Viking(root, posterior), "--gamma", "2"]), "fit viking"));
        Assert.Contains("--validation 256 leaves no training examples",
            CliRunner.AssertUserError(CliRunner.Run(With(Viking(root, posterior), "--validation", "256")), "fit viking"));
        var result = CliRunner.Run(With(With(Viking(root, posterior), "--model", "resnet20"), "--config", "input=1x28x28"));
        Assert.Contains("network without batch norm or dropout", CliRunner.AssertUserError(result, "fit viking"));
        Assert.False(File.Exists(posterior));
    }

    [Fact]
    public void ProjectionFitWritesAPosteriorThatEvaluateReads()
    {
        string root = CliRunner.DataRoot();
        string map = CliRunner.Checkpoint(root, "mlp", "input=1x28x28;widths=16");
        string posterior = Path.Combine(root, "projection.safetensors");
        string[] fit = ["fit", "projection", "--map", map, "--data", "fmnist", "--data-root", root, "--samples", "4", "--batch", "32", "--out", posterior];
        var (code, output, err) = CliRunner.Run(fit);
        Assert.True(code == 0, err);
        Assert.Contains("(auto), tr P ≈ ", output);
        var meta = SafeTensorsFile.Read(posterior).Metadata;
        Assert.Equal("projection", meta["method"]);
        (code, _, err) = CliRunner.Run("evaluate", "--model", posterior, "--data", "fmnist", "--data-root", root);
        Assert.True(code == 0, err);

        (code, output, err) = CliRunner.Run([.. fit, "--alpha", "2.5"]);
        Assert.True(code == 0, err);
        Assert.Contains("α = 2.5 (given)", output);
        Assert.Contains("--alpha needs a positive number or 'auto', got '-1'",
            CliRunner.AssertUserError(CliRunner.Run([.. fit, "--alpha", "-1"]), "fit projection"));
    }
}
