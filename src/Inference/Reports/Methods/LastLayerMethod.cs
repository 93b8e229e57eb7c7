using System.Globalization;
using Tangent.Inference.Laplace;
using Tangent.Inference.Posteriors;

namespace Tangent.Inference.Reports.Methods;

/// <summary>Last-layer Laplace (METHODS.md §6) through <see cref="LastLayerLaplace.Fit"/>: the full GGN of the last dense layer, α fixed or by the evidence.</summary>
public sealed class LastLayerMethod(LaplacePrior prior, string label, string? paperRow) : ReproductionMethod("last-layer", label, paperRow)
{
    /// <summary>The prior precision: fixed, or chosen by the marginal likelihood.</summary>
    public LaplacePrior Prior { get; } = prior;

    /// <inheritdoc />
    public override string Settings(ulong seed) => Fingerprint(("prior", Prior.ToString()));

    /// <inheritdoc />
    public override string Description =>
        $"full GGN of the last layer, prior precision {(Prior.Precision is { } a ? a.ToString("G4", CultureInfo.InvariantCulture) : "by marginal likelihood")}, " +
        $"Monte Carlo predictive ({Evaluation.Samples} samples)";

    /// <inheritdoc />
    public override IPosterior Fit(FitContext context) =>
        LastLayerLaplace.Fit(context.Model, context.Parameters, context.State, context.Train, new LaplaceOptions(Prior), context.Backend,
            p => context.Progress((double)p.Done / p.Total, string.Create(CultureInfo.InvariantCulture, $"GGN {p.Done:N0}/{p.Total:N0} inputs")));
}
