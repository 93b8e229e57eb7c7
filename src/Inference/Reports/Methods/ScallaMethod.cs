using System.Globalization;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Scalla;

namespace Tangent.Inference.Reports.Methods;

/// <summary>
/// ScaLLA (METHODS.md §2) through <see cref="ScallaFit.Run"/>: the surrogate trained on the MAP network's NTK with
/// context points from <paramref name="context"/> (a named set, an IDX file or a generator, <see cref="ContextSources"/>),
/// then the feature-space Laplace posterior with prior precision <paramref name="alpha"/> (null: the evidence maximum).
/// The surrogate's training checkpoints to the step's resume file.
/// </summary>
public sealed class ScallaMethod(string key, string label, ScallaOptions options, string context, double? alpha, string? paperRow)
    : ReproductionMethod(key, label, paperRow)
{
    /// <summary>The surrogate's schedule (its seed is the run's).</summary>
    public ScallaOptions Options { get; } = options;

    /// <summary>The context points' source.</summary>
    public string Context { get; } = context;

    /// <summary>Prior precision α, or null for the evidence maximum.</summary>
    public double? Alpha { get; } = alpha;

    /// <inheritdoc />
    public override string Settings(ulong seed) => Fingerprint(("features", Options.Features), ("probes", Options.Probes), ("train_points", Options.TrainPoints),
        ("context_points", Options.ContextPoints), ("steps", Options.Steps), ("lr", Options.LearningRate), ("final_lr", Options.FinalLearningRate),
        ("warmup", Options.WarmupSteps), ("biased", Options.Biased), ("augment", Options.AugmentContext), ("match_scale", Options.MatchInitialScale), ("context", Context), ("alpha", Alpha?.ToString("R", CultureInfo.InvariantCulture) ?? "marglik"),
        ("seed", seed));

    /// <inheritdoc />
    public override string Description => string.Create(CultureInfo.InvariantCulture,
        $"{(Options.Biased ? "biased" : "unbiased")} target, context {Context}{(Options.AugmentContext ? " (augmented)" : "")}, m = {Options.Features}, {Options.Steps:N0} steps of " +
        $"{Options.TrainPoints} + {Options.ContextPoints} points with K = {Options.Probes} probes ({Options.PointProbeJvps:N0} point-probe JVPs), " +
        $"Adam {Options.LearningRate:G3} → {Options.FinalLearningRate:G3} (warm-up {Options.WarmupSteps}{(Options.MatchInitialScale ? ", output scale matched on the first batch" : "")}), " +
        $"α {(Alpha is { } a ? a.ToString("G4", CultureInfo.InvariantCulture) : "by marginal likelihood")}");

    /// <inheritdoc />
    public override IPosterior Fit(FitContext context)
    {
        var o = Options with { Seed = context.Seed };
        var source = ContextSources.Resolve(Context, context.Train, context.Model.Network.InputShape, o.Seed, context.DataRoot);
        var fit = ScallaFit.Run(context.Model, context.Parameters, context.State, context.Train, source, o, Alpha, context.Backend,
            p => context.Progress((double)p.Step / p.TotalSteps, string.Create(CultureInfo.InvariantCulture,
                $"surrogate step {p.Step:N0}/{p.TotalSteps:N0}  loss {p.Loss:G4}  lr {p.LearningRate:G3}")),
            context.ResumePath, checkpointInterval: Math.Max(o.Steps / 20, 50), resume: true, context.Cancel);
        string jitter = fit.Covariance.Jitter > 0 ? string.Create(CultureInfo.InvariantCulture, $", jitter {fit.Covariance.Jitter:G3}") : "";
        context.Log(string.Create(CultureInfo.InvariantCulture,
            $"ScaLLA: surrogate {fit.TrainingSeconds:F1} s, posterior over {fit.Precision.Count:N0} inputs {fit.PosteriorSeconds:F1} s, α = {fit.Covariance.Alpha:G4}{jitter}"));
        return fit.Posterior;
    }
}
