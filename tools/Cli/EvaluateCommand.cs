using System.Text.Json;
using Tangent.Kernels.Backends;
using Tangent.Models.Checkpoints;
using Tangent.Models.Data;
using Tangent.Models.Training;
using Tangent.Models.Zoo;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent evaluate --model FILE.safetensors --data NAME</c>: rebuilds the model named in the checkpoint's
/// metadata, loads θ and the running statistics, and prints test accuracy and NLL.
/// </summary>
internal static class EvaluateCommand
{
    public const string Usage = "usage: tangent evaluate --model FILE.safetensors --data NAME [--split test|train] [--batch N] [--data-root DIR] [--json PATH]";

    public static int Run(string[] args)
    {
        var a = new Arguments(args, "evaluate", Usage);
        if (a.Help) return 0;
        string path = a.Required("--model");
        string dataName = a.Required("--data");
        var split = a.Choice("--split", DataSplit.Test, new() { ["test"] = DataSplit.Test, ["train"] = DataSplit.Train });
        int batch = a.Int("--batch", 500, 1);
        string? root = a.Optional("--data-root");
        string? jsonPath = a.Optional("--json");
        a.RejectUnknown();
        if (!DataSets.Names.Contains(dataName, StringComparer.OrdinalIgnoreCase))
            throw new ArgumentException($"unknown data set '{dataName}'. Valid data sets: {string.Join(", ", DataSets.Names)}.");
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint '{path}' does not exist.");

        ZooModel model;
        float[] theta, state;
        try
        {
            (model, theta, state, _) = ZooCheckpoint.Load(path);
        }
        catch (Exception e) when (e is CheckpointMismatchException or CheckpointFormatException)
        {
            throw new InvalidDataException(e.Message);
        }
        var data = DataSets.Load(dataName, split, root);
        using var trainer = new Trainer(model.Network, DeviceSelection.Default(), new TrainingOptions { EvaluationBatchSize = batch });
        trainer.Load(theta, state);
        var r = trainer.Evaluate(data);
        Console.WriteLine($"{model.Name} ({model.Network.ParameterCount:N0} parameters) from {path}");
        Console.WriteLine($"{data.Name} ({r.Count:N0} examples): accuracy {r.Accuracy:F4}, NLL {r.Nll:F4}");
        if (jsonPath != null)
        {
            var doc = new Dictionary<string, object> { ["checkpoint"] = path, ["model"] = model.Name, ["data"] = data.Name, ["examples"] = r.Count, ["accuracy"] = r.Accuracy, ["nll"] = r.Nll };
            File.WriteAllText(jsonPath, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }
}
