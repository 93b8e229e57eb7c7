using System.Globalization;
using Tangent.Engine.Linalg;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Projection;

namespace Tangent.Inference.Reports.Methods;

/// <summary>Miani et al.'s projection posterior around the MAP (METHODS.md §4) through <see cref="ProjectionPosterior.Fit"/>.</summary>
public sealed class ProjectionMethod(ProjectionOptions options, string? paperRow) : ReproductionMethod("projection", "Projection posterior (Miani et al.)", paperRow)
{
    /// <summary>The posterior's settings (its seed is the run's).</summary>
    public ProjectionOptions Options { get; } = options;

    /// <inheritdoc />
    public override string Settings(ulong seed) => Fingerprint(("alpha", Options.Alpha?.ToString("R", CultureInfo.InvariantCulture) ?? "auto"),
        ("samples", Options.Samples), ("passes", Options.Passes), ("batch", Options.BatchSize), ("jacobian", Options.Jacobian),
        ("cg", Options.ProjectionSteps), ("solver", Options.Solver == ProjectionSolver.Dense ? "dense" : "cg"), ("linearized", Options.Linearized), ("seed", seed));

    /// <inheritdoc />
    public override string Description => string.Create(CultureInfo.InvariantCulture,
        $"α {(Options.Alpha is { } a ? a.ToString("G4", CultureInfo.InvariantCulture) : "= ‖θ*‖²/(P − tr P)")}, {Options.Samples} samples from " +
        $"{Options.Passes} alternating-projection pass{(Options.Passes > 1 ? "es" : "")} (batch {Options.BatchSize}, {(Options.Solver == ProjectionSolver.Dense ? "dense (exact) projections" : $"{Options.ProjectionSteps}-step CG projections")}), " +
        $"{(Options.Linearized ? "linearised" : "network")} predictive");

    /// <inheritdoc />
    public override IPosterior Fit(FitContext context) =>
        ProjectionPosterior.Fit(context.Model, context.Parameters, context.Train, Options with { Seed = context.Seed }, context.Backend, context.Log, context.Cancel);
}
