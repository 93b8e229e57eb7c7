using System.CommandLine;
using System.Globalization;
using Tangent.Inference.Laplace;
using Tangent.Kernels.Backends;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent fit last-layer --map F --data D [--prior-precision X | --marglik] --out F</c>: last-layer Laplace (full
/// GGN of the last dense layer, METHODS.md §6) around a MAP checkpoint; α fixed or chosen by the marginal likelihood.
/// </summary>
internal sealed class FitLastLayerCommand : FitSubcommand
{
    public override Command Create()
    {
        var inputs = new FitInputs();
        var prior = new LaplacePriorOptions();
        var batch = CliOptions.Int("--batch", "training examples per pass (memory only; the result does not depend on it)", 256, 1);
        var command = new Command("last-layer", "Last-layer Laplace: Gaussian posterior over the last layer's weights (full GGN), Gaussian logits.");
        inputs.AddTo(command);
        prior.AddTo(command);
        command.Options.Add(batch);
        command.SetAction(p =>
        {
            var laplacePrior = prior.Read(p);
            var loaded = inputs.Load(p);
            var backend = DeviceSelection.Default();
            var layer = LastLayer.Of(loaded.Model);
            Console.WriteLine($"last layer '{layer.Name}': {layer.ParameterCount:N0} parameters; prior {(laplacePrior.Precision is { } a ? $"α = {a.ToString("G6", CultureInfo.InvariantCulture)}" : "by marginal likelihood")}");
            using var posterior = ConsoleProgress.Run(progress =>
            {
                var bar = progress.Start("features and GGN", loaded.Train.Count);
                var fit = LastLayerLaplace.Fit(loaded.Model, loaded.Parameters, loaded.State, loaded.Train,
                    new LaplaceOptions(laplacePrior, p.GetValue(batch)), backend, e => bar.Report(e.Done));
                bar.Finish();
                return fit;
            });
            LaplacePriorOptions.Report(posterior.PriorPrecision, posterior.Optimised, posterior.LogMarginalLikelihood, posterior.Jitter.Jitter,
                posterior.Jitter.RelativeJitter);
            FitInputs.Save(loaded, posterior, 0, LaplacePriorOptions.Details(posterior.PriorPrecision, posterior.Optimised,
                posterior.LogMarginalLikelihood, posterior.EvidenceCurve, layer.ParameterCount));
            return 0;
        });
        return command;
    }
}
