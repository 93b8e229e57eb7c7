using Tangent.Inference.Laplace;
using Tangent.Kernels.Backends;
using Tangent.Models.Zoo;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent fit last-layer --map F --data D [--prior-precision X | --marglik] --out F</c>: last-layer Laplace (full
/// GGN of the last dense layer, METHODS.md §6) around a MAP checkpoint.
/// </summary>
internal sealed class FitLastLayerCommand : LaplaceFitCommand
{
    protected override string Name => LastLayerLaplace.MethodName;

    protected override string Description =>
        "Last-layer Laplace: a Gaussian posterior over the last dense layer's weights (full GGN) around a MAP checkpoint; Gaussian logits.";

    protected override (int Parameters, string Which) Scope(ZooModel model)
    {
        var layer = LastLayer.Of(model);
        return (layer.ParameterCount, $"last layer '{layer.Name}'");
    }

    protected override LaplaceFitResult Fit(FitInputs.Loaded loaded, LaplaceOptions options, Backend backend, Action<LaplaceProgress> progress)
    {
        var fit = LastLayerLaplace.Fit(loaded.Model, loaded.Parameters, loaded.State, loaded.Train, options, backend, progress);
        return new LaplaceFitResult(fit, fit.PriorPrecision, fit.Optimised, fit.LogMarginalLikelihood, fit.Jitter, fit.EvidenceCurve);
    }
}
