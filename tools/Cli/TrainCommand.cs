using System.Globalization;
using System.Text.Json;
using Tangent.Kernels.Backends;
using Tangent.Models.Checkpoints;
using Tangent.Models.Data;
using Tangent.Models.Training;
using Tangent.Models.Zoo;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent train --model NAME --data NAME [--epochs N] [--out FILE] …</c>: trains a zoo model on a named data
/// set, shows progress, evaluates on the test split and writes a safetensors checkpoint. Defaults follow the
/// reference recipes: ScaLLA's MAP recipe for <c>fmnist-cnn</c> (Adam 1e-3, StepLR γ = 0.7 per epoch, batch 64,
/// 40 epochs), VIKING's for <c>lenet</c> (Adam 1e-3, batch 32, 10 epochs, constant rate).
/// </summary>
internal static class TrainCommand
{
    public const string Usage =
        "usage: tangent train --model NAME --data NAME [--epochs N] [--out FILE.safetensors] [--optimizer adam|adamw|sgd]\n" +
        "                     [--lr X] [--momentum X] [--weight-decay X] [--schedule step|cosine|none] [--gamma X] [--step-size N]\n" +
        "                     [--batch N] [--seed N] [--val N] [--limit N] [--json PATH] [--data-root DIR] [--config k=v;...]";

    public static int Run(string[] args)
    {
        var a = new Arguments(args, "train", Usage);
        if (a.Help) return 0;
        string modelName = a.Required("--model");
        string dataName = a.Required("--data");
        if (!ModelZoo.Names.Contains(modelName))
            throw new ArgumentException($"unknown model '{modelName}'. Valid models: {string.Join(", ", ModelZoo.Names)}.");
        if (!DataSets.Names.Contains(dataName, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"unknown data set '{dataName}'. Valid data sets: {string.Join(", ", DataSets.Names)}.");
        var options = Defaults(modelName);
        options = options with
        {
            Epochs = a.Int("--epochs", options.Epochs, 1),
            BatchSize = a.Int("--batch", options.BatchSize, 1),
            Seed = (ulong)a.Int("--seed", 0, 0),
            Optimizer = a.Choice("--optimizer", options.Optimizer, new() { ["adam"] = OptimizerKind.Adam, ["adamw"] = OptimizerKind.AdamW, ["sgd"] = OptimizerKind.Sgd }),
            LearningRate = a.Double("--lr", options.LearningRate),
            Momentum = a.Double("--momentum", options.Momentum),
            WeightDecay = a.Double("--weight-decay", options.WeightDecay),
            Schedule = a.Choice("--schedule", options.Schedule, new() { ["step"] = ScheduleKind.Step, ["cosine"] = ScheduleKind.Cosine, ["none"] = ScheduleKind.None }),
            Gamma = a.Double("--gamma", options.Gamma),
            StepSize = a.Int("--step-size", options.StepSize, 1),
        };
        // AdamW's usual default decay (PyTorch: 0.01) when none is given.
        if (options.Optimizer == OptimizerKind.AdamW && !a.Has("--weight-decay")) options = options with { WeightDecay = 0.01 };
        int val = a.Int("--val", 0, 0);
        int limit = a.Int("--limit", 0, 0);
        string? outPath = a.Optional("--out");
        string? jsonPath = a.Optional("--json");
        string? root = a.Optional("--data-root");
        var config = ModelConfig.Parse(a.Optional("--config"));
        a.RejectUnknown();
        options.Validate();

        var train = DataSets.Load(dataName, DataSplit.Train, root);
        if (limit > 0 && limit < train.Count) train = train.Range(0, limit, $"{train.Name}[:{limit}]");
        DataSet? validation = null;
        if (val > 0)
        {
            if (val >= train.Count) throw new ArgumentException($"--val {val} leaves no training examples out of {train.Count}.");
            (train, validation) = train.Split(train.Count - val);
        }
        DataSet? test = TryLoadTest(dataName, root);
        config.Input ??= train.SampleShape;
        if (train.IsClassification) config.Classes = train.ClassCount;
        var model = ModelZoo.Create(modelName, config);
        var backend = DeviceSelection.Default();

        Console.WriteLine($"train {modelName} ({model.Network.ParameterCount:N0} parameters) on {train.Name}: {train.Count:N0} examples" +
                          (validation != null ? $", validation {validation.Count:N0}" : "") + $"; device {backend.Info.Name}");
        Console.WriteLine($"  {options.Optimizer.ToString().ToLowerInvariant()} lr {options.LearningRate:G3}" +
                          (options.Optimizer == OptimizerKind.Sgd ? $" momentum {options.Momentum:G3}" : "") +
                          (options.WeightDecay > 0 ? $" weight decay {options.WeightDecay:G3}" : "") +
                          $", schedule {ScheduleText(options)}, batch {options.BatchSize}, {options.Epochs} epochs, seed {options.Seed}");

        using var trainer = new Trainer(model.Network, backend, options);
        bool live = !Console.IsOutputRedirected;
        trainer.ProgressInterval = live ? 10 : 0;
        var summary = trainer.Fit(train, validation, p => Report(p, live));
        if (live) Console.Write("\r" + new string(' ', 100) + "\r");

        EvaluationResult? testResult = test != null ? trainer.Evaluate(test) : null;
        var last = summary.Epochs[^1];
        Console.WriteLine($"done: {summary.Steps:N0} steps in {Clock(summary.Elapsed)}, {summary.SamplesPerSecond:N0} samples/s; " +
                          $"final training loss {last.Loss:F4}, accuracy {last.Accuracy:F4}" +
                          (last.Validation is { } v ? $"; validation accuracy {v.Accuracy:F4}, NLL {v.Nll:F4}" : ""));
        if (testResult != null)
            Console.WriteLine($"test ({test!.Name}, {testResult.Count:N0} examples): accuracy {testResult.Accuracy:F4}, NLL {testResult.Nll:F4}");

        if (outPath != null)
        {
            var extra = new Dictionary<string, string>
            {
                ["data"] = dataName,
                ["epochs"] = options.Epochs.ToString(CultureInfo.InvariantCulture),
                ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
                ["recipe"] = $"{options.Optimizer} lr={options.LearningRate.ToString(CultureInfo.InvariantCulture)} schedule={ScheduleText(options)} batch={options.BatchSize}",
            };
            if (testResult != null) extra["test_accuracy"] = testResult.Accuracy.ToString("R", CultureInfo.InvariantCulture);
            ZooCheckpoint.Save(outPath, model, trainer.ReadParameters(), trainer.ReadState(), extra);
            Console.WriteLine($"wrote {outPath}");
        }
        if (jsonPath != null) WriteJson(jsonPath, modelName, dataName, model, options, train, summary, testResult);
        return 0;
    }

    /// <summary>The reference recipe of each model.</summary>
    public static TrainingOptions Defaults(string model) => model switch
    {
        "fmnist-cnn" => new TrainingOptions { Epochs = 40, BatchSize = 64, LearningRate = 1e-3, Optimizer = OptimizerKind.Adam, Schedule = ScheduleKind.Step, Gamma = 0.7 },
        "lenet" => new TrainingOptions { Epochs = 10, BatchSize = 32, LearningRate = 1e-3, Optimizer = OptimizerKind.Adam, Schedule = ScheduleKind.None },
        _ => new TrainingOptions { Epochs = 10, BatchSize = 64, LearningRate = 1e-3, Optimizer = OptimizerKind.Adam, Schedule = ScheduleKind.None },
    };

    private static DataSet? TryLoadTest(string name, string? root)
    {
        try
        {
            return DataSets.Load(name, DataSplit.Test, root);
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    private static string ScheduleText(TrainingOptions o) => o.Schedule switch
    {
        ScheduleKind.Step => $"step γ={o.Gamma:G3}/{o.StepSize} epoch{(o.StepSize > 1 ? "s" : "")}",
        ScheduleKind.Cosine => "cosine",
        _ => "constant",
    };

    private static void Report(TrainingProgress p, bool live)
    {
        string line = $"epoch {p.Epoch,3}/{p.Epochs}  step {p.Step,5}/{p.StepsPerEpoch}  loss {p.Loss:F4}  acc {p.Accuracy:F4}" +
                      $"  {p.SamplesPerSecond,7:N0} samples/s  ETA {Clock(p.Remaining)}";
        if (!p.EndOfEpoch)
        {
            if (live) Console.Write("\r" + line);
            return;
        }
        string end = $"epoch {p.Epoch,3}/{p.Epochs}  loss {p.Loss:F4}  acc {p.Accuracy:F4}" +
                     (p.Validation is { } v ? $"  val acc {v.Accuracy:F4} nll {v.Nll:F4}" : "") +
                     $"  lr {p.LearningRate:G3}  {p.SamplesPerSecond:N0} samples/s  elapsed {Clock(p.Elapsed)}  ETA {Clock(p.Remaining)}";
        Console.WriteLine(live ? "\r" + end.PadRight(line.Length) : end);
    }

    internal static string Clock(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:00}:{t.Seconds:00}" : $"{t.Minutes}:{t.Seconds:00}";

    private static void WriteJson(string path, string modelName, string dataName, ZooModel model, TrainingOptions o, DataSet train,
        TrainingSummary s, EvaluationResult? test)
    {
        var doc = new Dictionary<string, object?>
        {
            ["model"] = modelName,
            ["config"] = model.Config.ToString(),
            ["parameters"] = model.Network.ParameterCount,
            ["data"] = dataName,
            ["train_examples"] = train.Count,
            ["optimizer"] = o.Optimizer.ToString().ToLowerInvariant(),
            ["lr"] = o.LearningRate,
            ["schedule"] = o.Schedule.ToString().ToLowerInvariant(),
            ["gamma"] = o.Gamma,
            ["batch"] = o.BatchSize,
            ["epochs"] = o.Epochs,
            ["seed"] = o.Seed,
            ["steps"] = s.Steps,
            ["seconds"] = s.Elapsed.TotalSeconds,
            ["samples_per_s"] = s.SamplesPerSecond,
            ["history"] = s.Epochs.Select(e => new Dictionary<string, object?>
            {
                ["epoch"] = e.Epoch, ["loss"] = e.Loss, ["accuracy"] = e.Accuracy, ["lr"] = e.LearningRate,
                ["samples_per_s"] = e.SamplesPerSecond, ["elapsed_s"] = e.Elapsed.TotalSeconds,
                ["val_accuracy"] = e.Validation?.Accuracy, ["val_nll"] = e.Validation?.Nll,
            }).ToList(),
            ["test_accuracy"] = test?.Accuracy,
            ["test_nll"] = test?.Nll,
            ["test_examples"] = test?.Count,
        };
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        File.WriteAllText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"wrote {path}");
    }
}

/// <summary>A small <c>--name value</c> parser shared by the train and evaluate commands; errors name the option.</summary>
internal sealed class Arguments
{
    private readonly Dictionary<string, string> _values = [];
    private readonly HashSet<string> _used = [];
    private readonly string _command;

    public Arguments(string[] args, string command, string usage)
    {
        _command = command;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] is "-h" or "--help")
            {
                Console.WriteLine(usage);
                Help = true;
                return;
            }
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"unexpected argument '{args[i]}'.\n{usage}");
            if (i + 1 >= args.Length) throw new ArgumentException($"{args[i]} needs a value.");
            _values[args[i]] = args[++i];
        }
    }

    public bool Help { get; }

    public bool Has(string name) => _values.ContainsKey(name);

    public string Required(string name)
    {
        _used.Add(name);
        return _values.TryGetValue(name, out var v) ? v : throw new ArgumentException($"{_command} needs {name}.");
    }

    public string? Optional(string name)
    {
        _used.Add(name);
        return _values.GetValueOrDefault(name);
    }

    public int Int(string name, int fallback, int min)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out var s)) return fallback;
        return int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min ? v
            : throw new ArgumentException($"{name} needs an integer ≥ {min}, got '{s}'.");
    }

    public double Double(string name, double fallback)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out var s)) return fallback;
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && v >= 0 ? v
            : throw new ArgumentException($"{name} needs a non-negative number, got '{s}'.");
    }

    public T Choice<T>(string name, T fallback, Dictionary<string, T> choices)
    {
        _used.Add(name);
        if (!_values.TryGetValue(name, out var s)) return fallback;
        return choices.TryGetValue(s.ToLowerInvariant(), out var v) ? v
            : throw new ArgumentException($"{name} must be one of {string.Join(", ", choices.Keys)}, got '{s}'.");
    }

    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_used.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"unknown option{(unknown.Count > 1 ? "s" : "")} {string.Join(", ", unknown)}. Options: {string.Join(", ", _used.Order())}.");
    }
}
