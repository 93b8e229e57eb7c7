using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Tangent.Kernels.Backends;
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
    private static readonly Dictionary<string, OptimizerKind> Optimizers = new() { ["adam"] = OptimizerKind.Adam, ["adamw"] = OptimizerKind.AdamW, ["sgd"] = OptimizerKind.Sgd };
    private static readonly Dictionary<string, ScheduleKind> Schedules = new() { ["step"] = ScheduleKind.Step, ["cosine"] = ScheduleKind.Cosine, ["none"] = ScheduleKind.None };

    public static Command Create()
    {
        var model = CliOptions.Name("--model", "model", $"zoo model: {string.Join(", ", ModelZoo.Names)}", ModelZoo.Names);
        var data = CliOptions.Data("training data set (its test split, when there is one, is evaluated at the end)");
        var epochs = CliOptions.OptionalInt("--epochs", "epochs (default: the model's recipe)", 1);
        var output = CliOptions.Text("--out", "FILE", "write the trained checkpoint (safetensors) to FILE");
        var optimizer = CliOptions.OptionalChoice("--optimizer", "optimiser (default: the recipe's)", Optimizers);
        var lr = CliOptions.OptionalDouble("--lr", "learning rate (default: the recipe's)");
        var momentum = CliOptions.OptionalDouble("--momentum", "SGD momentum");
        var weightDecay = CliOptions.OptionalDouble("--weight-decay", "weight decay (AdamW default 0.01)");
        var schedule = CliOptions.OptionalChoice("--schedule", "learning-rate schedule (default: the recipe's)", Schedules);
        var gamma = CliOptions.OptionalDouble("--gamma", "step schedule: factor per step");
        var stepSize = CliOptions.OptionalInt("--step-size", "step schedule: epochs per step", 1);
        var batch = CliOptions.OptionalInt("--batch", "batch size (default: the recipe's)", 1);
        var seed = CliOptions.Int("--seed", "seed of the initialisation, shuffling and dropout", 0, 0);
        var val = CliOptions.Int("--val", "hold out the last N training examples for validation", 0, 0);
        var limit = CliOptions.Int("--limit", "train on the first N examples only (0: all)", 0, 0);
        var json = CliOptions.Json();
        var root = CliOptions.DataRoot();
        var config = CliOptions.Text("--config", "k=v;...", "model configuration (e.g. 'widths=256,128;activation=tanh')");
        var command = new Command("train", "Train a zoo model with its recipe, showing epoch, loss, accuracy, samples/s and ETA.")
        {
            model, data, epochs, output, optimizer, lr, momentum, weightDecay, schedule, gamma, stepSize, batch, seed, val, limit, json, root, config,
        };
        command.SetAction(p =>
        {
            string modelName = p.GetRequiredValue(model);
            var options = TrainingRecipes.For(modelName);
            options = options with
            {
                Epochs = p.GetValue(epochs) ?? options.Epochs,
                BatchSize = p.GetValue(batch) ?? options.BatchSize,
                Seed = (ulong)p.GetValue(seed),
                Optimizer = p.GetValue(optimizer) ?? options.Optimizer,
                LearningRate = p.GetValue(lr) ?? options.LearningRate,
                Momentum = p.GetValue(momentum) ?? options.Momentum,
                // AdamW's usual default decay (PyTorch: 0.01) when none is given.
                WeightDecay = p.GetValue(weightDecay) ?? (p.GetValue(optimizer) == OptimizerKind.AdamW ? 0.01 : options.WeightDecay),
                Schedule = p.GetValue(schedule) ?? options.Schedule,
                Gamma = p.GetValue(gamma) ?? options.Gamma,
                StepSize = p.GetValue(stepSize) ?? options.StepSize,
            };
            return Run(modelName, p.GetRequiredValue(data), options, p.GetValue(val), p.GetValue(limit), p.GetValue(output), p.GetValue(json),
                p.GetValue(root), ModelConfig.Parse(p.GetValue(config)));
        });
        return command;
    }

    private static int Run(string modelName, string dataName, TrainingOptions options, int val, int limit, string? outPath, string? jsonPath,
        string? root, ModelConfig config)
    {
        options.Validate();
        OutputFiles.CheckWritable(outPath, "--out");
        OutputFiles.CheckWritable(jsonPath, "--json");
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
        trainer.ProgressInterval = ConsoleProgress.Live ? 10 : 0;
        var summary = ConsoleProgress.Run(progress =>
        {
            var bar = progress.Start("training", options.Epochs);
            var result = trainer.Fit(train, validation, p => Report(p, progress, bar));
            bar.Finish();
            return result;
        });

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
                ["train_examples"] = train.Count.ToString(CultureInfo.InvariantCulture),
                ["recipe"] = $"{options.Optimizer} lr={options.LearningRate.ToString(CultureInfo.InvariantCulture)} schedule={ScheduleText(options)} batch={options.BatchSize}",
            };
            if (testResult != null) extra["test_accuracy"] = testResult.Accuracy.ToString("R", CultureInfo.InvariantCulture);
            ZooCheckpoint.Save(outPath, model, trainer.ReadParameters(), trainer.ReadState(), extra);
            Console.WriteLine($"wrote {outPath}");
        }
        if (jsonPath != null) WriteJson(jsonPath, modelName, dataName, model, options, train, summary, testResult);
        return 0;
    }

    /// <summary>The test split, or null for sets without one (and when its files are absent: training does not need them).</summary>
    private static DataSet? TryLoadTest(string name, string? root)
    {
        try
        {
            return DataSets.Load(name, DataSplit.Test, root);
        }
        catch (Exception e) when (e is ArgumentException or FileNotFoundException)
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

    private static void Report(TrainingProgress p, ConsoleProgress progress, ConsoleProgress.Bar bar)
    {
        double done = p.Epoch - 1 + (double)p.Step / p.StepsPerEpoch;
        if (!p.EndOfEpoch)
        {
            bar.Report(done, $"epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}  acc {p.Accuracy:F4}  {p.SamplesPerSecond:N0} samples/s  ETA {Clock(p.Remaining)}");
            return;
        }
        bar.Report(p.Epoch);
        progress.Line($"epoch {p.Epoch,3}/{p.Epochs}  loss {p.Loss:F4}  acc {p.Accuracy:F4}" +
                      (p.Validation is { } v ? $"  val acc {v.Accuracy:F4} nll {v.Nll:F4}" : "") +
                      $"  lr {p.LearningRate:G3}  {p.SamplesPerSecond:N0} samples/s  elapsed {Clock(p.Elapsed)}  ETA {Clock(p.Remaining)}");
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
        OutputFiles.WriteText(path, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"wrote {path}");
    }
}
