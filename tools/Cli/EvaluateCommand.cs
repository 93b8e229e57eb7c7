using System.CommandLine;
using System.Text.Json;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Training;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent evaluate --model FILE.safetensors --data NAME</c>: rebuilds the model named in the checkpoint's
/// metadata, loads θ and the running statistics, and prints test accuracy and NLL.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = CliOptions.Text("--model", "FILE", "checkpoint (safetensors) written by 'tangent train'", required: true);
        var data = CliOptions.Data("data set to evaluate on");
        var split = CliOptions.Choice("--split", "which split", DataSplit.Test, new Dictionary<string, DataSplit> { ["test"] = DataSplit.Test, ["train"] = DataSplit.Train });
        var batch = CliOptions.Int("--batch", "evaluation batch size", 500, 1);
        var root = CliOptions.DataRoot();
        var json = CliOptions.Json();
        var command = new Command("evaluate", "Test accuracy and NLL of a checkpoint.") { model, data, split, batch, root, json };
        command.SetAction(p => Run(p.GetRequiredValue(model), p.GetRequiredValue(data), p.GetValue(split), p.GetValue(batch), p.GetValue(root), p.GetValue(json)));
        return command;
    }

    private static int Run(string path, string dataName, DataSplit split, int batch, string? root, string? jsonPath)
    {
        OutputFiles.CheckWritable(jsonPath, "--json");
        var (model, theta, state, _) = Inputs.LoadCheckpoint(path, "--model");
        var data = Inputs.LoadData(dataName, split, root, model);
        using var trainer = new Trainer(model.Network, DeviceSelection.Default(), new TrainingOptions { EvaluationBatchSize = batch });
        trainer.Load(theta, state);
        var r = trainer.Evaluate(data);
        Console.WriteLine($"{model.Name} ({model.Network.ParameterCount:N0} parameters) from {path}");
        Console.WriteLine($"{data.Name} ({r.Count:N0} examples): accuracy {r.Accuracy:F4}, NLL {r.Nll:F4}");
        if (jsonPath != null)
        {
            var doc = new Dictionary<string, object> { ["checkpoint"] = path, ["model"] = model.Name, ["data"] = data.Name, ["examples"] = r.Count, ["accuracy"] = r.Accuracy, ["nll"] = r.Nll };
            OutputFiles.WriteText(jsonPath, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        }
        return 0;
    }
}
