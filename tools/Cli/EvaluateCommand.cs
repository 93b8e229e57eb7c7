using System.CommandLine;
using Tangent.Inference.Evaluation;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Predictive;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent evaluate --model FILE --data NAME [--ood NAME|IDX-PATH] …</c>: loads a MAP checkpoint or any posterior
/// file, runs it on a test set (and an OOD set) through the library's <see cref="Evaluator"/>, and prints every metric
/// as a table; <c>--json</c> writes them (docs/evaluate-json.md), <c>--plots</c> draws them.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = CliOptions.Text("--model", "FILE", "MAP checkpoint ('tangent train') or posterior file ('tangent fit')", required: true);
        var data = CliOptions.Data("data set to evaluate on");
        var split = CliOptions.Choice("--split", "which split", DataSplit.Test, new Dictionary<string, DataSplit> { ["test"] = DataSplit.Test, ["train"] = DataSplit.Train });
        var ood = CliOptions.Text("--ood", "NAME|IDX-PATH",
            "out-of-distribution set: a data set name (mnist, fmnist, digits28, …; its test split) or an IDX image file of the model's image size");
        var predictive = CliOptions.Choice("--predictive", "predictive of Gaussian posteriors: Monte Carlo or probit", GaussianPredictive.MonteCarlo,
            new Dictionary<string, GaussianPredictive> { ["mc"] = GaussianPredictive.MonteCarlo, ["probit"] = GaussianPredictive.Probit });
        var samples = CliOptions.Int("--samples", "Monte Carlo samples per input (Gaussian posteriors, --predictive mc)", 2048, 1);
        var bins = CliOptions.Int("--bins", "equal-width bins of ECE/MCE and the reliability diagram", 15, 1);
        var seed = CliOptions.Int("--seed", "seed of the Monte Carlo draws", 0, 0);
        var batch = CliOptions.Int("--batch", "inputs per posterior call (results do not depend on it)", 500, 1);
        var plots = CliOptions.Text("--plots", "DIR", "write reliability.png, confidence.png and ood-SCORE.png to DIR");
        var root = CliOptions.DataRoot();
        var json = CliOptions.Json();
        var command = new Command("evaluate", "Accuracy, NLL, Brier, ECE/MCE and OOD detection of a checkpoint or posterior file.")
        {
            model, data, split, ood, predictive, samples, bins, seed, batch, plots, root, json,
        };
        command.SetAction(p =>
        {
            var options = new EvaluationOptions
            {
                Predictive = p.GetValue(predictive),
                Samples = p.GetValue(samples),
                Seed = (ulong)p.GetValue(seed),
                Bins = [p.GetValue(bins)],
                BatchSize = p.GetValue(batch),
            };
            return Run(p.GetRequiredValue(model), p.GetRequiredValue(data), p.GetValue(split), p.GetValue(ood), options, p.GetValue(root),
                p.GetValue(plots), p.GetValue(json));
        });
        return command;
    }

    private static int Run(string path, string dataName, DataSplit split, string? oodName, EvaluationOptions options, string? root,
        string? plotDirectory, string? jsonPath)
    {
        OutputFiles.CheckWritable(jsonPath, "--json");
        OutputFiles.CheckDirectoryWritable(plotDirectory, "--plots");
        Inputs.RequireFile(path, "--model");
        var backend = DeviceSelection.Default();
        using var posterior = PosteriorFile.Load(path, backend);
        var test = Inputs.LoadData(dataName, split, root, posterior.Model);
        var ood = oodName is null ? null : OodSets.Load(oodName, root, posterior.Model);

        var result = ConsoleProgress.Run(progress =>
        {
            var bars = new Dictionary<string, ConsoleProgress.Bar>();
            return Evaluator.Run(posterior, test, ood, options, backend, e =>
            {
                if (!bars.TryGetValue(e.Set, out var bar)) bars[e.Set] = bar = progress.Start(e.Set, e.Total);
                bar.Report(e.Done);
            });
        });

        EvaluationOutput.Print(result, path, posterior.Model.Network.ParameterCount, Console.Out);
        if (jsonPath != null)
        {
            OutputFiles.WriteText(jsonPath, EvaluationOutput.Json(result, path));
            Console.WriteLine($"wrote {jsonPath}");
        }
        if (plotDirectory != null)
            foreach (string file in EvaluationPlots.Write(result, plotDirectory)) Console.WriteLine($"wrote {file}");
        return 0;
    }
}
