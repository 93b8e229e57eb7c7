using Tangent.Inference.Laplace;
using Tangent.Kernels.Backends;
using Tangent.Models.Zoo;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent fit lla --map F --data D [--prior-precision X | --marglik] --out F</c>: exact linearised Laplace over all
/// parameters (METHODS.md §1), dense, for networks of at most <see cref="LinearizedLaplace.MaxParameters"/> parameters.
/// </summary>
internal sealed class FitLlaCommand : LaplaceFitCommand
{
    protected override string Name => LinearizedLaplace.MethodName;

    protected override string Description =>
        $"Exact linearised Laplace over all parameters (dense GGN; networks of at most {LinearizedLaplace.MaxParameters:N0} parameters); Gaussian logits.";

    protected override (int Parameters, string Which) Scope(ZooModel model)
    {
        int p = model.Network.ParameterCount;
        if (p > LinearizedLaplace.MaxParameters)
            throw new ArgumentException($"--map: model {model.Name} has {p:N0} parameters; exact LLA is dense and takes at most " +
                                        $"{LinearizedLaplace.MaxParameters:N0}. Use 'tangent fit last-layer' for larger networks.");
        return (p, "all parameters");
    }

    protected override LaplaceFitResult Fit(FitInputs.Loaded loaded, LaplaceOptions options, Backend backend, Action<LaplaceProgress> progress)
    {
        var fit = LinearizedLaplace.Fit(loaded.Model, loaded.Parameters, loaded.State, loaded.Train, options, backend, progress);
        return new LaplaceFitResult(fit, fit.PriorPrecision, fit.Optimised, fit.LogMarginalLikelihood, fit.Jitter, fit.EvidenceCurve);
    }
}
