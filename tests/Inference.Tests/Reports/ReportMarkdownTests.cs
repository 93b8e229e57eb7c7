using Tangent.Inference.Reports;
using Tangent.Inference.Reports.Methods;
using Tangent.Models.Training;

namespace Tangent.Inference.Tests.Reports;

/// <summary>The report puts our numbers next to the paper's, row by row, with the difference; paper rows we lack are shown as such.</summary>
public sealed class ReportMarkdownTests
{
    private static readonly PaperTable Paper = new("A. Author, \"A paper\", arXiv 0000.00000", "test set X",
    [
        new PaperRow("MAP", new Dictionary<string, double> { ["accuracy"] = 0.9101, ["nll"] = 0.2539 }),
        new PaperRow("Their method", new Dictionary<string, double> { ["accuracy"] = 0.9200, ["nll"] = 0.2400 }),
    ]);

    private static ReproductionResult Result(int seeds, bool smoke = false)
    {
        var table = new ReproductionTable
        {
            Name = "test-table",
            Title = "A test table",
            Summary = "What it measures.",
            Model = "mlp",
            MapTraining = new TrainingOptions(),
            Data = new TableData("fmnist", 0, "fmnist", "mnist"),
            Methods = [new MapMethod("MAP")],
            Paper = Paper,
            Columns = [new("accuracy", "acc"), new("nll", "NLL"), new("brier", "Brier")],
            ExtraColumns = [new("fit_s", "fit (s)", 1)],
            Protocol = ["OOD set: MNIST instead of KMNIST."],
            Smoke = smoke,
        };
        // Seed 0: acc 0.9150, NLL 0.2500; seed 1 (when two): acc 0.9250, NLL 0.2600.
        var perSeed = new List<IReadOnlyDictionary<string, double>>
        {
            new Dictionary<string, double> { ["accuracy"] = 0.9150, ["nll"] = 0.2500, ["fit_s"] = 61.24 },
            new Dictionary<string, double> { ["accuracy"] = 0.9250, ["nll"] = 0.2600, ["fit_s"] = 60.75 },
        }.Take(seeds).ToList();
        var method = new MethodResult("map", "MAP", "MAP", "the trained network", perSeed, new Dictionary<string, string> { ["alpha"] = "12.5" });
        var machine = new MachineInfo("Test CPU", 2, 24, "Linux", ".NET 10", "cpu (cpu)", 2);
        var t0 = new DateTimeOffset(2026, 12, 6, 10, 0, 0, TimeSpan.Zero);
        var run = new RunInfo("tools/tangent reproduce test-table", machine, t0, t0.AddMinutes(3), 0.5, 0.7);
        var steps = new List<StepOutcome>
        {
            new(0, "map", StepAction.Reused, null, 61.24, 120.5),
            new(0, "eval-map", StepAction.Refitted, "stale: its inputs changed (samples: 64 → 2048)", 3.5, 6.24),
        };
        return new ReproductionResult(table, Enumerable.Range(0, seeds).Select(s => (ulong)s).ToList(), [method], steps, run, ["a note"]);
    }

    private static string[] Lines(string report) => report.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public void OursPaperAndDifferenceStandRowByRow()
    {
        var lines = Lines(ReportMarkdown.Render(Result(1), new Dictionary<string, IReadOnlyList<string>>()));
        int ours = Array.IndexOf(lines, "| MAP | ours | 0.9150 | 0.2500 | – |");
        Assert.True(ours > 0, "our MAP line");
        Assert.Equal("| | paper (MAP) | 0.9101 | 0.2539 | – |", lines[ours + 1]);
        // 0.9150 − 0.9101 = +0.0049; 0.2500 − 0.2539 = −0.0039; Brier: neither has it.
        Assert.Equal("| | Δ | +0.0049 | -0.0039 | – |", lines[ours + 2]);
    }

    [Fact]
    public void PaperRowsWithoutOursAreShownAsNotImplemented()
    {
        var lines = Lines(ReportMarkdown.Render(Result(1), new Dictionary<string, IReadOnlyList<string>>()));
        int i = Array.IndexOf(lines, "| Their method | ours | not implemented here | | |");
        Assert.True(i > 0, "the paper-only row");
        Assert.Equal("| | paper (Their method) | 0.9200 | 0.2400 | – |", lines[i + 1]);
    }

    [Fact]
    public void SeveralSeedsGiveMeanAndSampleStandardDeviation()
    {
        string report = ReportMarkdown.Render(Result(2), new Dictionary<string, IReadOnlyList<string>>());
        // accuracy 0.915, 0.925: mean 0.9200, sample std √(2·0.005²/1) = 0.00707; NLL 0.25, 0.26: 0.2550 ± 0.0071.
        Assert.Contains("| MAP | ours | 0.9200 ± 0.0071 | 0.2550 ± 0.0071 | – |", report);
        Assert.Contains("| | Δ | +0.0099 | +0.0011 | – |", report);
        Assert.Contains("mean ± sample standard deviation over 2 seeds", report);
    }

    [Fact]
    public void ReportStatesCommandMachineProtocolStepsAndNotes()
    {
        string report = ReportMarkdown.Render(Result(1), new Dictionary<string, IReadOnlyList<string>>());
        Assert.Contains("`tools/tangent reproduce test-table`", report);
        Assert.Contains("Test CPU, 2 logical cores", report);
        Assert.Contains("- OOD set: MNIST instead of KMNIST.", report);
        Assert.Contains("| 0 | eval-map | ran again (stale: its inputs changed (samples: 64 → 2048)) | 3.5 | 6.2 |", report);
        Assert.Contains("| 0 | map | reused | 61.2 | 120.5 |", report);
        Assert.Contains("| | all steps | | 64.7 | 126.7 |", report);
        Assert.Contains("- a note", report);
        Assert.Contains("`alpha` = 12.5", report);
        Assert.Contains("| MAP | 61.2 |", report);
        Assert.DoesNotContain("Smoke run", report);
    }

    [Fact]
    public void ComparisonTableSitsBetweenTheMarkersOnce()
    {
        string report = ReportMarkdown.Render(Result(1), new Dictionary<string, IReadOnlyList<string>>());
        int begin = report.IndexOf(ReportMarkdown.TableBegin, StringComparison.Ordinal), end = report.IndexOf(ReportMarkdown.TableEnd, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin);
        Assert.Equal(begin, report.LastIndexOf(ReportMarkdown.TableBegin, StringComparison.Ordinal));
        Assert.Contains("| MAP | ours |", report[begin..end]);
    }

    [Fact]
    public void SmokeRunsSayTheirNumbersMeanNothingAndPlotsAreLinked()
    {
        var plots = new Dictionary<string, IReadOnlyList<string>> { ["map"] = ["plots/map/confidence.png", "plots/map/reliability.png"] };
        string report = ReportMarkdown.Render(Result(1, smoke: true), plots);
        Assert.Contains("**Smoke run**", report);
        Assert.Contains("![MAP: reliability](plots/map/reliability.png)", report);
        Assert.Contains("<!-- readme-plot: plots/map/reliability.png -->", report);
        Assert.Contains("[MAP: confidence](plots/map/confidence.png)", report);
    }
}
