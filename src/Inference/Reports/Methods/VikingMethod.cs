using System.Globalization;
using Tangent.Engine.Linalg;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Viking;

namespace Tangent.Inference.Reports.Methods;

/// <summary>
/// VIKING (METHODS.md §3) through <see cref="VikingTrainer"/>. As in the reference it trains its own network (phase 1
/// from the network's initialisation under the seed) unless <paramref name="startFromMap"/> is set (phase 1 then
/// continues from θ*; with no plain epochs it starts the scales phase there). The trainer's checkpoint is the step's
/// resume file, so an interrupted fit continues where it stopped.
/// </summary>
public sealed class VikingMethod(VikingOptions options, bool startFromMap, string? paperRow) : ReproductionMethod("viking", "VIKING", paperRow)
{
    /// <summary>The fit's settings (its seed is the run's).</summary>
    public VikingOptions Options { get; } = options;

    /// <summary>Whether the fit starts from θ* instead of the network's initialisation.</summary>
    public bool StartFromMap { get; } = startFromMap;

    /// <inheritdoc />
    public override bool UsesMap => StartFromMap;

    /// <inheritdoc />
    public override string Settings(ulong seed) => (Options with { Seed = seed }).Fingerprint() + ";" + Fingerprint(("start", StartFromMap ? "map" : "init"),
        ("samples", Options.PosteriorSamples), ("passes", Options.PosteriorPasses), ("linearized", Options.Linearized));

    /// <inheritdoc />
    public override string Description => string.Create(CultureInfo.InvariantCulture,
        $"schedule {Options.Schedule} epochs (plain, scales, ELBO){(StartFromMap ? " from the MAP network" : "")}, batch {Options.BatchSize}, " +
        $"γ {Options.Gamma:G3}, β {(Options.Beta is { } b ? b.ToString("G3", CultureInfo.InvariantCulture) : "1/(batches per epoch)")}, " +
        $"{(Options.ElboSchedule == ElboLearningRate.Cosine ? "Adam's rate cosine-annealed over the ELBO phase" : "constant Adam rate")}, {(Options.Adjoint == ProjectionAdjoint.Exact ? "exact adjoint" : "stop-gradient")} through the projection, " +
        $"{(Options.Solver == ProjectionSolver.Dense ? "dense (exact) projections" : $"{Options.ProjectionSteps}-step CG projections")} ({(Options.PosteriorSolver == ProjectionSolver.Dense ? "dense" : "CG")} for the posterior pass), {Options.PosteriorSamples} samples through the {(Options.Linearized ? "linearised network" : "network")}");

    /// <inheritdoc />
    public override IPosterior Fit(FitContext context)
    {
        var o = Options with { Seed = context.Seed };
        // Progress counts the posterior samples' passes as one more epoch.
        int total = o.PlainEpochs + o.ScaleEpochs + o.ElboEpochs + 1;
        var trainer = new VikingTrainer(context.Backend, o)
        {
            CheckpointPath = context.ResumePath,
            Log = context.Log,
            Progress = p =>
            {
                int before = p.Phase switch
                {
                    VikingPhase.Plain => 0,
                    VikingPhase.Scales => o.PlainEpochs,
                    VikingPhase.Elbo => o.PlainEpochs + o.ScaleEpochs,
                    _ => total - 1,
                };
                double done = before + p.Epoch - 1 + (p.Steps > 0 ? (double)p.Step / p.Steps : 1);
                context.Progress(Math.Min(done / total, 1), p.Phase == VikingPhase.Posterior
                    ? string.Create(CultureInfo.InvariantCulture, $"posterior samples: batch {p.Step:N0}/{p.Steps:N0} of the alternating projections")
                    : string.Create(CultureInfo.InvariantCulture,
                        $"{p.Phase} epoch {p.Epoch}/{p.Epochs}  nll {p.ExpectedNll:F4}  σ_ker {p.SigmaKernel:G3}  σ_im {p.SigmaImage:G3}"));
            },
        };
        return trainer.Fit(context.Model, context.Train, StartFromMap ? context.Parameters : null, context.Cancel);
    }
}
