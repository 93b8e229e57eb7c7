using System.Text.Json;

namespace Tangent.Cli.Tests;

/// <summary><c>tangent reproduce</c> end to end on the fixtures (smoke schedules), reuse on a second run, and its bad inputs.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class ReproduceCommandTests
{
    [Fact]
    public void SmokeRunWritesReportResultsAndPlotsThenReusesEveryStep()
    {
        string root = CliRunner.DataRoot();
        string work = Path.Combine(root, "work"), results = Path.Combine(root, "results");
        var (code, output, err) = CliRunner.Run("reproduce", "scalla-fmnist", "--smoke", "--work", work, "--results", results, "--data-root", root);
        Assert.True(code == 0, err + output);
        Assert.Contains("[10/10] seed 0 eval-scalla-bias-generated", output);
        Assert.Contains("| | paper (ScaLLA-bias) | 0.9099 | 0.2530 | 0.0084 | 0.1311 | 0.8214 | 0.9827 |", output);

        string report = File.ReadAllText(Path.Combine(results, "report.md"));
        Assert.Contains("**Smoke run**", report);
        Assert.Contains("`tools/tangent reproduce scalla-fmnist --smoke --work", report);
        Assert.Contains("![ScaLLA-bias: reliability](plots/scalla-bias/reliability.png)", report);
        byte[] png = File.ReadAllBytes(Path.Combine(results, "plots", "scalla-bias", "reliability.png"));
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], png[..4]);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(results, "results.json")));
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal(["map", "last-layer", "scalla", "scalla-bias", "scalla-bias-generated"], rows.Select(r => r.GetProperty("key").GetString()));
        var scalla = rows[2];
        double ours = scalla.GetProperty("metrics").GetProperty("accuracy").GetProperty("mean").GetDouble();
        Assert.Equal(ours - 0.9103, scalla.GetProperty("delta").GetProperty("accuracy").GetDouble(), 12);
        Assert.True(scalla.GetProperty("metrics").TryGetProperty("auroc_gaussian_entropy", out _));
        Assert.False(rows[0].GetProperty("metrics").TryGetProperty("auroc_gaussian_entropy", out _));

        var again = CliRunner.Run("reproduce", "scalla-fmnist", "--smoke", "--work", work, "--results", results, "--data-root", root);
        Assert.True(again.Code == 0, again.Err);
        Assert.Equal(10, again.Out.Split('\n').Count(l => l.Contains("reused (took", StringComparison.Ordinal)));
    }

    [Fact]
    public void StepThatFailsOnBadInputStopsTheRunWithOneLineAndKeepsTheFinishedSteps()
    {
        string root = CliRunner.DataRoot();
        Directory.Delete(Path.Combine(root, "digits"), recursive: true); // ScaLLA's context set digits28 is missing
        string work = Path.Combine(root, "work");
        string line = CliRunner.AssertUserError(
            CliRunner.Run("reproduce", "scalla-fmnist", "--smoke", "--work", work, "--results", Path.Combine(root, "results"), "--data-root", root), "reproduce");
        Assert.Contains("step 'fit-scalla' (seed 0) failed:", line);
        Assert.Contains("digits.csv", line);
        Assert.Contains("run the same command again to continue", line);
        Assert.Contains("\"State\": \"Done\"", File.ReadAllText(Path.Combine(work, "seed-0", "eval-last-layer.step.json")));
        Assert.Contains("\"State\": \"Running\"", File.ReadAllText(Path.Combine(work, "seed-0", "fit-scalla.step.json")));
        Assert.False(File.Exists(Path.Combine(root, "results", "report.md")));
    }

    [Fact]
    public void UnknownTableIsAUserError()
    {
        string line = CliRunner.AssertUserError(CliRunner.Run("reproduce", "cifar-table"), "reproduce");
        Assert.Contains("unknown table 'cifar-table'", line);
        Assert.Contains("scalla-fmnist, viking-mnist, viking-fmnist, demo", line);
    }

    [Fact]
    public void ResultsPathThatIsAFileIsRefusedBeforeAnyWork()
    {
        string root = CliRunner.DataRoot();
        string file = Path.Combine(root, "a-file");
        File.WriteAllText(file, "x");
        string work = Path.Combine(root, "work");
        string line = CliRunner.AssertUserError(CliRunner.Run("reproduce", "demo", "--smoke", "--results", file, "--work", work, "--data-root", root), "reproduce");
        Assert.Contains("--results", line);
        Assert.False(Directory.Exists(work));
    }

    [Fact]
    public void MissingMapCheckpointIsAUserError()
    {
        string root = CliRunner.DataRoot();
        string line = CliRunner.AssertUserError(CliRunner.Run("reproduce", "demo", "--smoke", "--map", Path.Combine(root, "none.safetensors"),
            "--work", Path.Combine(root, "w"), "--results", Path.Combine(root, "r"), "--data-root", root), "reproduce");
        Assert.Contains("--map", line);
    }
}
