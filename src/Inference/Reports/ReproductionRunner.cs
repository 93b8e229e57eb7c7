using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tangent.Inference.Evaluation;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Reports.Methods;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Training;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Reports;

/// <summary>How a table is run.</summary>
public sealed record ReproductionSettings
{
    /// <summary>Where the steps keep their outputs (one <c>seed-N/</c> folder per seed).</summary>
    public required string WorkDirectory { get; init; }

    /// <summary>Seeds 0 … N−1.</summary>
    public int Seeds { get; init; } = 1;

    /// <summary>Run every step again, ignoring finished outputs and resume files.</summary>
    public bool Fresh { get; init; }

    /// <summary>A MAP checkpoint to use for seed 0 when the work directory has none (checked against the table's model, data and recipe).</summary>
    public string? MapCheckpoint { get; init; }

    /// <summary>Data root (null: <see cref="DataRoot"/>'s default).</summary>
    public string? DataRoot { get; init; }

    /// <summary>Loads a data set by name and split; null: <see cref="DataSets.Load"/> under <see cref="DataRoot"/>.</summary>
    public Func<string, DataSplit, DataSet>? LoadData { get; init; }

    /// <summary>Draws the plots of an evaluation into a directory and returns their paths (the library draws none itself).</summary>
    public Func<EvaluationReport, string, IReadOnlyList<string>>? WritePlots { get; init; }

    /// <summary>The command line, for the report.</summary>
    public string Command { get; init; } = "";

    /// <summary>Stops the run between and inside steps.</summary>
    public CancellationToken Cancel { get; init; }
}

/// <summary>Where a run reports: steps starting and finishing, progress inside a step, log lines.</summary>
public interface IReproductionObserver
{
    /// <summary>Step <paramref name="index"/> (from 1) of <paramref name="count"/> starts (or is checked for reuse).</summary>
    void StepStarting(int index, int count, ulong seed, string step, string description);

    /// <summary>Progress inside the current step: fraction done and a status text.</summary>
    void StepProgress(double fraction, string text);

    /// <summary>The current step finished (ran, resumed, refitted or reused).</summary>
    void StepFinished(StepOutcome outcome);

    /// <summary>A line worth keeping.</summary>
    void Log(string line);
}

/// <summary>A step that failed: names the step and seed, keeps the cause, and says that the finished steps are kept.</summary>
public sealed class ReproductionStepException(string step, ulong seed, string directory, Exception inner)
    : Exception($"step '{step}' (seed {seed}) failed: {inner.Message} Finished steps are kept in {directory}; run the same command again to continue.", inner)
{
    /// <summary>The step.</summary>
    public string Step { get; } = step;
}

/// <summary>
/// Runs a <see cref="ReproductionTable"/>: for each seed, the MAP network (trained with the table's recipe unless a
/// finished, up-to-date checkpoint is there), then each row's fit and evaluation. Every step keeps a record
/// (<see cref="StepStore"/>) so that finished steps are reused, an interrupted run resumes, and stale outputs (other
/// settings, a MAP network replaced by one of another model or data set, an upstream step that ran again) are
/// detected, reported and refitted. A failed step stops the run with <see cref="ReproductionStepException"/>.
/// </summary>
public sealed class ReproductionRunner(ReproductionTable table, ReproductionSettings settings, Backend backend, IReproductionObserver observer)
{
    private const string MapFile = "map.safetensors";
    private readonly List<StepOutcome> _outcomes = [];
    private readonly List<string> _notes = [];
    private int _index, _count;

    /// <summary>Runs every step and returns the results (the report is written by <see cref="ReportFiles"/>).</summary>
    public ReproductionResult Run()
    {
        if (settings.Seeds < 1) throw new ArgumentException($"--seeds {settings.Seeds}: at least one seed is needed.");
        var started = DateTimeOffset.UtcNow;
        double? loadAtStart = MachineInfo.LoadAverage();
        var data = TableInputs.Load(table.Data, settings.LoadData ?? ((name, split) => DataSets.Load(name, split, settings.DataRoot)));
        var seeds = Enumerable.Range(0, settings.Seeds).Select(s => (ulong)s).ToList();
        _count = seeds.Count * (1 + table.Methods.Count + table.Methods.Count(m => m.NeedsFit));
        var perSeed = new List<Dictionary<string, (Dictionary<string, double> Metrics, Dictionary<string, string> Facts)>>();
        foreach (ulong seed in seeds)
        {
            var store = new StepStore(Path.Combine(settings.WorkDirectory, $"seed-{seed}"));
            System.IO.Directory.CreateDirectory(store.Directory);
            var rows = new Dictionary<string, (Dictionary<string, double>, Dictionary<string, string>)>();
            var map = Map(store, seed, data);
            foreach (var method in table.Methods)
            {
                var fit = method.NeedsFit ? Fit(store, seed, method, data) : map;
                var facts = new Dictionary<string, string>(fit.Facts, StringComparer.Ordinal);
                var (metrics, evalFacts) = Evaluate(store, seed, method, data);
                metrics["fit_s"] = fit.Seconds;
                foreach (var (k, v) in evalFacts) facts[k] = v;
                rows[method.Key] = (metrics, facts);
            }
            perSeed.Add(rows);
        }
        var methods = table.Methods.Select(m => new MethodResult(m.Key, m.Label, m.PaperRow, m.Description,
            perSeed.Select(s => (IReadOnlyDictionary<string, double>)s[m.Key].Metrics).ToList(), perSeed[0][m.Key].Facts)).ToList();
        var run = new RunInfo(settings.Command, MachineInfo.Detect(backend), started, DateTimeOffset.UtcNow, loadAtStart, MachineInfo.LoadAverage());
        return new ReproductionResult(table, seeds, methods, _outcomes, run, _notes);
    }

    /// <summary>The MAP step: reuse, adopt the given checkpoint (seed 0), or train.</summary>
    private StepRecord Map(StepStore store, ulong seed, TableInputs data)
    {
        var recipe = table.MapTraining with { Seed = seed };
        string inputs = string.Create(CultureInfo.InvariantCulture,
            $"model={table.Model};config={table.ModelConfig.Replace(';', ',')};data={data.Train.Name};train={data.Train.Count};validation={data.Validation?.Count ?? 0};epochs={recipe.Epochs};" +
            $"batch={recipe.BatchSize};optimizer={recipe.Optimizer};lr={recipe.LearningRate:R};schedule={recipe.Schedule};gamma={recipe.Gamma:R};" +
            $"step={recipe.StepSize};seed={seed}");
        return Step(store, seed, "map", $"MAP network: {table.Model} on {data.Train.Name} ({data.Train.Count:N0} examples), {recipe.Epochs} epoch{(recipe.Epochs == 1 ? "" : "s")}", inputs,
            MapFile, resumePath: null, () =>
            {
                var facts = new Dictionary<string, string>(StringComparer.Ordinal);
                if (seed == 0 && settings.MapCheckpoint is { } given)
                {
                    string? mismatch = MapMismatch(given, data.Train, recipe);
                    if (mismatch is null)
                    {
                        AtomicFile.Copy(given, store.PathOf(MapFile));
                        facts["source"] = given;
                        Note($"seed 0: MAP network taken from {given} (model, data, epochs and seed match the recipe).");
                        return ([MapFile], facts);
                    }
                    Note($"seed 0: the given MAP checkpoint is stale: {mismatch}; training a new one.");
                }
                TrainMap(store.PathOf(MapFile), recipe, data);
                facts["source"] = "trained";
                return ([MapFile], facts);
            });
    }

    private void TrainMap(string path, TrainingOptions recipe, TableInputs data)
    {
        var config = ModelConfig.Parse(table.ModelConfig);
        config.Input = data.Train.SampleShape;
        config.Classes = data.Train.ClassCount;
        var model = ModelZoo.Create(table.Model, config);
        using var trainer = new Trainer(model.Network, backend, recipe);
        trainer.Fit(data.Train, data.Validation, p =>
        {
            double done = (p.Epoch - 1 + (double)p.Step / p.StepsPerEpoch) / p.Epochs;
            string validation = p.Validation is { } v ? string.Create(CultureInfo.InvariantCulture, $", validation accuracy {v.Accuracy:F4}") : "";
            observer.StepProgress(done, string.Create(CultureInfo.InvariantCulture, $"epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}  acc {p.Accuracy:F4}{validation}"));
            if (p.EndOfEpoch)
                observer.Log(string.Create(CultureInfo.InvariantCulture, $"  MAP epoch {p.Epoch}/{p.Epochs}: loss {p.Loss:F4}, accuracy {p.Accuracy:F4}{validation}"));
        }, settings.Cancel);
        ZooCheckpoint.Save(path, model, trainer.ReadParameters(), trainer.ReadState(), new Dictionary<string, string>
        {
            ["data"] = table.Data.Train,
            ["epochs"] = recipe.Epochs.ToString(CultureInfo.InvariantCulture),
            ["seed"] = recipe.Seed.ToString(CultureInfo.InvariantCulture),
            ["train_examples"] = data.Train.Count.ToString(CultureInfo.InvariantCulture),
        });
    }

    /// <summary>Why <paramref name="path"/> is not this table's MAP network, or null when its recorded model, data, epochs and seed match.</summary>
    private string? MapMismatch(string path, DataSet train, TrainingOptions recipe)
    {
        if (!File.Exists(path)) return $"{path} does not exist";
        IReadOnlyDictionary<string, string> meta;
        try
        {
            meta = ZooCheckpoint.Load(path).Metadata;
        }
        catch (Exception e) when (e is Models.Checkpoints.CheckpointFormatException or Models.Checkpoints.CheckpointMismatchException or IOException or ArgumentException)
        {
            return $"{path} cannot be read ({e.Message})";
        }
        var want = new (string Key, string Value)[]
        {
            ("model", table.Model), ("data", table.Data.Train), ("epochs", recipe.Epochs.ToString(CultureInfo.InvariantCulture)),
            ("seed", recipe.Seed.ToString(CultureInfo.InvariantCulture)),
        };
        var wrong = want.Where(w => meta.GetValueOrDefault(w.Key) != w.Value)
            .Select(w => $"{w.Key} '{meta.GetValueOrDefault(w.Key) ?? "(not recorded)"}' instead of '{w.Value}'").ToList();
        if (meta.TryGetValue("train_examples", out var n) && n != train.Count.ToString(CultureInfo.InvariantCulture))
            wrong.Add($"train_examples '{n}' instead of '{train.Count}'");
        return wrong.Count == 0 ? null : $"{path} has {string.Join(", ", wrong)}";
    }

    private StepRecord Fit(StepStore store, ulong seed, ReproductionMethod method, TableInputs data)
    {
        string output = $"{method.Key}.safetensors", resume = store.PathOf($"{method.Key}.resume.safetensors");
        string inputs = method.Settings(seed) + $";model={table.Model};train={data.Train.Name}:{data.Train.Count}" +
                        (method.UsesMap ? $";map={StepStore.Hash(store.PathOf(MapFile))}" : "");
        return Step(store, seed, $"fit-{method.Key}", $"fit {method.Label}: {method.Description}", inputs, output, resume, () =>
        {
            var (model, theta, state, _) = ZooCheckpoint.Load(store.PathOf(MapFile));
            var clock = Stopwatch.StartNew();
            var context = new FitContext
            {
                Model = model, Parameters = theta, State = state, Train = data.Train, Seed = seed, Backend = backend, DataRoot = settings.DataRoot,
                ResumePath = resume, Progress = observer.StepProgress, Log = line => observer.Log("  " + line), Cancel = settings.Cancel,
            };
            using var posterior = method.Fit(context);
            PosteriorFile.Save(store.PathOf(output), posterior, new PosteriorProvenance(table.Data.Train, seed, clock.Elapsed.TotalSeconds));
            if (File.Exists(resume)) File.Delete(resume);
            return ([output], new Dictionary<string, string>(posterior.Hyperparameters, StringComparer.Ordinal));
        });
    }

    private (Dictionary<string, double> Metrics, Dictionary<string, string> Facts) Evaluate(StepStore store, ulong seed, ReproductionMethod method, TableInputs data)
    {
        string posteriorFile = method.NeedsFit ? $"{method.Key}.safetensors" : MapFile, output = $"eval-{method.Key}.json";
        var o = method.Evaluation with { Seed = seed };
        string inputs = string.Create(CultureInfo.InvariantCulture,
            $"posterior={StepStore.Hash(store.PathOf(posteriorFile))};test={data.Test.Name}:{data.Test.Count};ood={data.Ood.Name}:{data.Ood.Count};" +
            $"predictive={o.Predictive};samples={o.Samples};bins={string.Join(',', o.Bins)};seed={seed}");
        Step(store, seed, $"eval-{method.Key}", $"evaluate {method.Label} on {data.Test.Name} (OOD {data.Ood.Name})", inputs, output, null, () =>
        {
            using var posterior = PosteriorFile.Load(store.PathOf(posteriorFile), backend);
            var report = Evaluator.Run(posterior, data.Test, data.Ood, o, backend, p =>
                observer.StepProgress((p.Set == data.Test.Name ? 0 : 0.5) + 0.5 * p.Done / p.Total, $"{p.Set} {p.Done:N0}/{p.Total:N0}"));
            var facts = new Dictionary<string, string>(posterior.Hyperparameters, StringComparer.Ordinal)
            {
                ["predictive"] = report.Predictive,
                ["predictive_samples"] = report.Samples.ToString(CultureInfo.InvariantCulture),
            };
            if (report.Jitter.Inputs > 0)
                facts["jitter"] = string.Create(CultureInfo.InvariantCulture, $"{report.Jitter.Inputs} inputs, largest {report.Jitter.MaxRelative:G3} of the mean diagonal");
            var outputs = new List<string> { output };
            AtomicFile.WriteText(store.PathOf(output), JsonSerializer.Serialize(new EvaluationRecord(ReportMetrics.From(report), facts), RecordJson));
            if (settings.WritePlots is { } plots)
            {
                string dir = store.PathOf(Path.Combine("plots", method.Key));
                outputs.AddRange(plots(report, dir).Select(p => Path.GetRelativePath(store.Directory, p)));
            }
            return (outputs, facts);
        });
        var record = JsonSerializer.Deserialize<EvaluationRecord>(File.ReadAllText(store.PathOf(output)), RecordJson)
            ?? throw new InvalidDataException($"{store.PathOf(output)} is empty.");
        return (new Dictionary<string, double>(record.Metrics, StringComparer.Ordinal), new Dictionary<string, string>(record.Facts, StringComparer.Ordinal));
    }

    private static readonly JsonSerializerOptions RecordJson = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>What an evaluation step keeps: the row's metrics and facts.</summary>
    private sealed record EvaluationRecord(Dictionary<string, double> Metrics, Dictionary<string, string> Facts);

    /// <summary>
    /// Runs or reuses one step. <paramref name="work"/> returns its outputs (relative paths) and facts; the record is
    /// written before it starts and after it finishes, so only finished steps are ever reused.
    /// </summary>
    private StepRecord Step(StepStore store, ulong seed, string step, string description, string inputs, string mainOutput, string? resumePath,
        Func<(IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, string> Facts)> work)
    {
        settings.Cancel.ThrowIfCancellationRequested();
        observer.StepStarting(++_index, _count, seed, step, description);
        var status = store.Check(step, inputs);
        if (status.Kind == StepStatusKind.Done && !settings.Fresh)
        {
            var reused = new StepOutcome(seed, step, StepAction.Reused, null, status.Record!.Seconds, status.Record.CpuSeconds);
            _outcomes.Add(reused);
            observer.StepFinished(reused);
            return status.Record;
        }
        StepAction action;
        string? reason;
        if (settings.Fresh && status.Kind != StepStatusKind.Missing) (action, reason) = (StepAction.Refitted, "--fresh");
        else
        {
            (action, reason) = status.Kind switch
            {
                StepStatusKind.Interrupted => (StepAction.Resumed, status.Reason),
                StepStatusKind.Stale => (StepAction.Refitted, $"stale: {status.Reason}{Describe(store.PathOf(mainOutput))}"),
                _ => File.Exists(store.PathOf(mainOutput))
                    ? (StepAction.Refitted, $"stale: {mainOutput} was not written by a finished step{Describe(store.PathOf(mainOutput))}")
                    : (StepAction.Ran, (string?)null),
            };
        }
        if (action == StepAction.Refitted && resumePath != null && File.Exists(resumePath)) File.Delete(resumePath);
        if (reason != null) Note($"seed {seed}, {step}: {(action == StepAction.Resumed ? "resumed" : "ran again")} ({reason}).");
        store.Begin(step, inputs);
        var clock = Stopwatch.StartNew();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        (IReadOnlyList<string> Outputs, IReadOnlyDictionary<string, string> Facts) result;
        try
        {
            result = work();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ReproductionStepException(step, seed, store.Directory, e);
        }
        var record = store.Finish(step, inputs, result.Outputs, clock.Elapsed.TotalSeconds, result.Facts,
            (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
        var outcome = new StepOutcome(seed, step, action, reason, record.Seconds, record.CpuSeconds);
        _outcomes.Add(outcome);
        observer.StepFinished(outcome);
        return record;
    }

    /// <summary>", it holds model X trained on Y" for a checkpoint whose metadata says so, else "".</summary>
    private static string Describe(string path)
    {
        if (!path.EndsWith(".safetensors", StringComparison.Ordinal) || !File.Exists(path)) return "";
        try
        {
            var meta = Models.Checkpoints.SafeTensorsFile.Read(path).Metadata;
            return $"; it holds model '{meta.GetValueOrDefault("model", "?")}' fitted on '{meta.GetValueOrDefault("data", "?")}'";
        }
        catch (Exception e) when (e is Models.Checkpoints.CheckpointFormatException or IOException)
        {
            return "; it is not a readable checkpoint";
        }
    }

    private void Note(string line)
    {
        _notes.Add(line);
        observer.Log(line);
    }
}
