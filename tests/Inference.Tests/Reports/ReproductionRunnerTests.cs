using Tangent.Inference.Posteriors;
using Tangent.Inference.Laplace;
using Tangent.Inference.Reports;
using Tangent.Inference.Reports.Methods;
using Tangent.Inference.Tests.Support;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Training;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Tests.Reports;

/// <summary>
/// The pipeline end to end on the committed fixtures (a 16-unit MLP, 256 images): finished steps are reused, stale
/// inputs are detected, reported and refitted, a failed step stops the run and leaves the finished ones usable.
/// </summary>
public sealed class ReproductionRunnerTests
{
    /// <summary>A method that fails while <see cref="Fail"/> is set, else fits last-layer Laplace.</summary>
    private sealed class FlakyMethod : ReproductionMethod
    {
        public FlakyMethod() : base("flaky", "Flaky Laplace", null) => Evaluation = new() { Samples = 64, Bins = [15] };

        private readonly LastLayerMethod _inner = new(LaplacePrior.Fixed(1), "Last-layer LA", null);

        public bool Fail { get; set; }

        public int Fits { get; private set; }

        public override string Settings(ulong seed) => _inner.Settings(seed);

        public override string Description => "fails on demand";

        public override IPosterior Fit(FitContext context)
        {
            Fits++;
            if (Fail) throw new InvalidOperationException("the method broke.");
            return _inner.Fit(context);
        }
    }

    private sealed class Recorder : IReproductionObserver
    {
        public List<string> Lines { get; } = [];

        public void StepStarting(int index, int count, ulong seed, string step, string description) { }

        public void StepProgress(double fraction, string text) { }

        public void StepFinished(StepOutcome outcome) { }

        public void Log(string line) => Lines.Add(line);
    }

    private static ReproductionTable Table(ReproductionMethod extra, int epochs = 1) => new()
    {
        Name = "fixture",
        Title = "fixture table",
        Summary = "tiny",
        Model = "mlp",
        ModelConfig = "widths=16;activation=tanh",
        MapTraining = new TrainingOptions { Epochs = epochs, BatchSize = 64, Schedule = ScheduleKind.None, EvaluationBatchSize = 256 },
        Data = new TableData("fmnist", 56, "fmnist", "mnist"),
        Methods = [new MapMethod(null), extra],
        Columns = [new("accuracy", "acc")],
    };

    private static DataSet Load(string name, DataSplit split) => name == "fmnist" ? TestData.Fmnist : TestData.Mnist;

    private static ReproductionSettings Settings(string work, int seeds = 1, string? map = null) =>
        new() { WorkDirectory = work, Seeds = seeds, LoadData = Load, MapCheckpoint = map, Command = "test" };

    private static ReproductionResult Run(ReproductionTable table, ReproductionSettings settings, Recorder? recorder = null) =>
        new ReproductionRunner(table, settings, CpuBackend.Instance, recorder ?? new Recorder()).Run();

    [Fact]
    public void SecondRunReusesEveryStepAndReportsTheSameNumbers()
    {
        string work = TestData.NewTempDirectory();
        var method = new FlakyMethod();
        var first = Run(Table(method), Settings(work));
        Assert.All(first.Steps, s => Assert.Equal(StepAction.Ran, s.Action));
        Assert.Equal(["map", "eval-map", "fit-flaky", "eval-flaky"], first.Steps.Select(s => s.Step));
        Assert.Equal("trained", first.Methods[0].Facts["source"]);

        var second = Run(Table(method), Settings(work));
        Assert.All(second.Steps, s => Assert.Equal(StepAction.Reused, s.Action));
        Assert.Equal(1, method.Fits);
        Assert.Equal(first.Methods.Select(m => m.PerSeed[0]["accuracy"]), second.Methods.Select(m => m.PerSeed[0]["accuracy"]));
        Assert.Equal(first.Steps.Select(s => s.Seconds), second.Steps.Select(s => s.Seconds));
    }

    [Fact]
    public void ChangedRecipeMakesTheMapAndEverythingAroundItStale()
    {
        string work = TestData.NewTempDirectory();
        var method = new FlakyMethod();
        Run(Table(method, epochs: 1), Settings(work));
        var again = Run(Table(method, epochs: 2), Settings(work));
        Assert.All(again.Steps, s => Assert.Equal(StepAction.Refitted, s.Action));
        Assert.Contains("epochs: 1 → 2", again.Steps[0].Reason);
        Assert.Contains("map:", again.Steps.Single(s => s.Step == "fit-flaky").Reason);
        Assert.Equal(2, method.Fits);
    }

    [Fact]
    public void MapCheckpointOfAnotherModelIsReportedAndRetrained()
    {
        string work = TestData.NewTempDirectory();
        var method = new FlakyMethod();
        Run(Table(method), Settings(work));
        string map = Path.Combine(work, "seed-0", "map.safetensors");
        var lenet = ModelZoo.Create("lenet");
        ZooCheckpoint.Save(map, lenet, lenet.Network.InitialParameters(0), [], new Dictionary<string, string> { ["data"] = "mnist" });

        var recorder = new Recorder();
        var again = Run(Table(method), Settings(work), recorder);
        var step = again.Steps[0];
        Assert.Equal(StepAction.Refitted, step.Action);
        Assert.Contains("replaced", step.Reason);
        Assert.Contains("model 'lenet' fitted on 'mnist'", step.Reason);
        Assert.Contains(again.Notes, n => n.Contains("model 'lenet'", StringComparison.Ordinal));
        Assert.Equal("mlp", ZooCheckpoint.Load(map).Model.Name);
    }

    [Fact]
    public void GivenMapCheckpointOfAnotherDataSetIsNotUsed()
    {
        string work = TestData.NewTempDirectory();
        string given = Path.Combine(TestData.NewTempDirectory(), "given.safetensors");
        var mlp = ModelZoo.Create("mlp", ModelConfig.Parse("widths=16;activation=tanh"));
        ZooCheckpoint.Save(given, mlp, mlp.Network.InitialParameters(0), [],
            new Dictionary<string, string> { ["data"] = "mnist", ["epochs"] = "1", ["seed"] = "0" });
        var result = Run(Table(new FlakyMethod()), Settings(work, map: given));
        Assert.Contains(result.Notes, n => n.Contains("stale", StringComparison.Ordinal) && n.Contains("data 'mnist' instead of 'fmnist'", StringComparison.Ordinal));
        Assert.Equal("trained", result.Methods[0].Facts["source"]);
    }

    [Fact]
    public void FailedStepStopsTheRunKeepsFinishedStepsAndResumesThere()
    {
        string work = TestData.NewTempDirectory();
        var method = new FlakyMethod { Fail = true };
        var e = Assert.Throws<ReproductionStepException>(() => Run(Table(method), Settings(work)));
        Assert.Equal("fit-flaky", e.Step);
        Assert.Contains("the method broke.", e.Message);
        Assert.False(File.Exists(Path.Combine(work, "seed-0", "flaky.safetensors")));

        method.Fail = false;
        var again = Run(Table(method), Settings(work));
        Assert.Equal([StepAction.Reused, StepAction.Reused, StepAction.Resumed, StepAction.Ran], again.Steps.Select(s => s.Action));
    }

    [Fact]
    public void SeveralSeedsKeepOneFolderEachAndSpreadTheNumbers()
    {
        string work = TestData.NewTempDirectory();
        var result = Run(Table(new FlakyMethod()), Settings(work, seeds: 2));
        Assert.True(File.Exists(Path.Combine(work, "seed-1", "map.safetensors")));
        var map = result.Methods[0];
        Assert.Equal(2, map.PerSeed.Count);
        Assert.NotEqual(map.PerSeed[0]["nll"], map.PerSeed[1]["nll"]);
        Assert.True(map.Summary("nll")!.Value.Std > 0);
    }
}
