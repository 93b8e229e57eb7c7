using System.Globalization;
using Tangent.Engine.Linalg;
using Tangent.Inference.Projection;

namespace Tangent.Inference.Viking;

/// <summary>How the ELBO's gradient with respect to θ̂ treats the kernel sample k = P(θ̂)ε.</summary>
public enum ProjectionAdjoint
{
    /// <summary>k is a constant (<c>StopGradient</c>): the gradient is the loss gradient at the sample plus the KL's.</summary>
    Stop,
    /// <summary>
    /// The exact derivative of k through P(θ̂) (the reference's custom VJP): for the cotangent c on k, a second
    /// projection gives Pc and ν = (JJᵀ)⁻¹Jc, and the term −∇θ[⟨λ, J(θ) Pc⟩ + ⟨ν, J(θ) k⟩] comes from one
    /// reverse-over-forward sweep (<c>Compose.VjpOfJvp</c> with two tangents).
    /// </summary>
    Exact,
}

/// <summary>Adam's learning rate over the full-ELBO phase (phase 3).</summary>
public enum ElboLearningRate
{
    /// <summary>Constant (the reference's).</summary>
    Constant,
    /// <summary>Cosine annealing from the learning rate to zero over the phase, per step.</summary>
    Cosine,
}

/// <summary>
/// Settings of a VIKING fit. The defaults are the reference's experiment settings (METHODS.md §3): 5 epochs of
/// plain training, 5 of the two scales only, 50 of the full ELBO; Adam 1e-3; batch 32; one Monte Carlo sample per
/// step; γ = 0.2; log α = 4 and log σ_im = −2 initially; 10 reorthogonalised CG steps per projection; 100 posterior
/// samples from one alternating-projection pass over the training set — except β, whose default is the VIKING
/// library's scaling 1/(batches per epoch) rather than the experiment scripts' 0.01 (see <see cref="Beta"/>).
/// <see cref="Classification"/> holds the settings the image-classification tables and <c>tangent fit viking</c> use.
/// </summary>
public sealed record VikingOptions
{
    /// <summary>The KL weight of <see cref="Classification"/>.</summary>
    public const double ClassificationBeta = 3e-5;

    /// <summary>
    /// The settings for image classification (the reproduction tables, and <c>tangent fit viking</c> on a
    /// classification set): β = <see cref="ClassificationBeta"/> (the KL weighted about 1/19 of the full-data ELBO on
    /// MNIST's 1,718 batches: a tempered posterior) and Adam's rate cosine-annealed to zero over the ELBO phase, both
    /// chosen on LeNet/MNIST's 5,000 held-out validation images (tools/viking-beta-sweep.sh; docs/viking.md). With
    /// the full-data β the kernel samples settle at σ_ker ≈ 0.18, so wide that θ̂, trained under them, ends at 98.2 %
    /// test accuracy; with the scripts' 0.01, at σ_ker ≈ 0.19 and 93 % validation accuracy within 9 ELBO epochs.
    /// </summary>
    public static VikingOptions Classification { get; } = new() { Beta = ClassificationBeta, ElboSchedule = ElboLearningRate.Cosine };

    /// <summary>Epochs of plain maximum-likelihood training (phase 1; 0 starts from the given parameters).</summary>
    public int PlainEpochs { get; init; } = 5;

    /// <summary>Epochs training only log α and log σ_im (phase 2).</summary>
    public int ScaleEpochs { get; init; } = 5;

    /// <summary>Epochs of the full ELBO (phase 3).</summary>
    public int ElboEpochs { get; init; } = 50;

    /// <summary>Examples per step and per projection.</summary>
    public int BatchSize { get; init; } = 32;

    /// <summary>Adam's learning rate in every phase.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>
    /// The learning rate over phase 3: constant (the reference's) or cosine-annealed to zero, which lets θ̂ settle at
    /// the end instead of ending wherever the last constant-rate steps left it.
    /// </summary>
    public ElboLearningRate ElboSchedule { get; init; } = ElboLearningRate.Constant;

    /// <summary>Mixing γ of the stochastic alternating projections: ε̃ = √γ k + √(1−γ) η.</summary>
    public double Gamma { get; init; } = 0.2;

    /// <summary>
    /// Weight β of the KL in the per-step loss Σᵢ ℓᵢ(θ_s) + β·KL; null: 1/(batches per epoch), the full-data ELBO
    /// (each step sees one batch's likelihood but the whole KL; the VIKING library's example rescales β so). The
    /// experiment scripts' 0.01 weighs the KL ≈ 17 times more on MNIST's 1,718 batches, and on LeNet it pulled θ̂ from
    /// 98.5 % to 91 % test accuracy within 3,000 steps (see the issue report), so it is not the default.
    /// </summary>
    public double? Beta { get; init; }

    /// <summary>β for a training set of <paramref name="examples"/> examples (the given one, or 1/⌊N/B⌋).</summary>
    public double BetaFor(int examples) => Beta ?? 1.0 / Math.Max(examples / BatchSize, 1);

    /// <summary>Initial log α (α: the prior precision, σ_ker² = 1/α).</summary>
    public double InitialLogPrecision { get; init; } = 4;

    /// <summary>Initial log σ_im.</summary>
    public double InitialLogImageScale { get; init; } = -2;

    /// <summary>The gradient through the projection.</summary>
    public ProjectionAdjoint Adjoint { get; init; } = ProjectionAdjoint.Stop;

    /// <summary>Whose kernel: the loss Jacobian (classification) or the output Jacobian (GGN; regression).</summary>
    public KernelJacobian Jacobian { get; init; } = KernelJacobian.Loss;

    /// <summary>Gaussian noise variance σ² of a regression likelihood; null: the mean squared residual after phase 1.</summary>
    public double? NoiseVariance { get; init; }

    /// <summary>CG steps per projection (the fixed-step CG solver; the reference's 10).</summary>
    public int ProjectionSteps { get; init; } = 10;

    /// <summary>
    /// How the one-vector projections of the ELBO steps and of the pass before each epoch are solved:
    /// <see cref="ProjectionSolver.Dense"/> (the default: the batch's rows as per-example gradients, JJᵀ factored —
    /// exact, and 5.1 against 10.4 ms for LeNet at batch 32; docs/viking.md) or the reference's
    /// <see cref="ProjectionSteps"/> reorthogonalised CG steps (inexact: relative residuals around 0.1 on trained LeNets).
    /// </summary>
    public ProjectionSolver Solver { get; init; } = ProjectionSolver.Dense;

    /// <summary>
    /// How the final posterior pass projects its <see cref="PosteriorSamples"/> vectors, <see cref="ProjectionChunk"/>
    /// at a time: <see cref="ProjectionSolver.Dense"/> (the default: the batch's rows once, then GEMMs — 20 vectors
    /// in 9.8 ms against 689 ms by block CG for LeNet) or the CG of <see cref="ProjectionSteps"/> steps.
    /// </summary>
    public ProjectionSolver PosteriorSolver { get; init; } = ProjectionSolver.Dense;

    /// <summary>Relative residual ‖J Pε‖/‖J ε‖ above which a projection is reported as not converged.</summary>
    public double ResidualLimit { get; init; } = 0.1;

    /// <summary>Posterior samples S kept for prediction.</summary>
    public int PosteriorSamples { get; init; } = 100;

    /// <summary>Alternating-projection passes over the training set for the posterior samples.</summary>
    public int PosteriorPasses { get; init; } = 1;

    /// <summary>Vectors per batched projection in the posterior passes (memory grows with it; with the dense solver, the batch's rows are made once per chunk).</summary>
    public int ProjectionChunk { get; init; } = 100;

    /// <summary>Predict through the network linearised at θ̂ instead of the network itself (the reference predicts through the network).</summary>
    public bool Linearized { get; init; }

    /// <summary>Seed of the initialisation, the data order and every random draw.</summary>
    public ulong Seed { get; init; }

    /// <summary>The schedule as "plain,scales,elbo" epochs.</summary>
    public string Schedule => string.Create(CultureInfo.InvariantCulture, $"{PlainEpochs},{ScaleEpochs},{ElboEpochs}");

    /// <summary>Throws naming the first setting that makes no sense.</summary>
    public void Validate()
    {
        if (PlainEpochs < 0 || ScaleEpochs < 0 || ElboEpochs < 0) throw new ArgumentException($"VIKING: epochs {Schedule} must not be negative.");
        if (BatchSize < 1) throw new ArgumentException($"VIKING: batch size {BatchSize} must be positive.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"VIKING: learning rate {LearningRate} must be a positive number.");
        if (!(Gamma >= 0 && Gamma <= 1)) throw new ArgumentException($"VIKING: γ = {Gamma} must lie in [0, 1].");
        if (Beta is { } b && (!(b >= 0) || !double.IsFinite(b))) throw new ArgumentException($"VIKING: β = {b} must be a non-negative number.");
        if (!double.IsFinite(InitialLogPrecision) || !double.IsFinite(InitialLogImageScale))
            throw new ArgumentException($"VIKING: initial log α = {InitialLogPrecision} and log σ_im = {InitialLogImageScale} must be finite.");
        if (NoiseVariance is { } v && !(v > 0 && double.IsFinite(v))) throw new ArgumentException($"VIKING: noise variance {v} must be a positive number.");
        if (ProjectionSteps < 1) throw new ArgumentException($"VIKING: {ProjectionSteps} CG steps per projection; at least 1 is needed.");
        if (!(ResidualLimit > 0)) throw new ArgumentException($"VIKING: residual limit {ResidualLimit} must be positive.");
        if (PosteriorSamples < 1 || PosteriorPasses < 1 || ProjectionChunk < 1)
            throw new ArgumentException($"VIKING: posterior samples {PosteriorSamples}, passes {PosteriorPasses} and chunk {ProjectionChunk} must be positive.");
    }

    /// <summary>The settings that determine a run's numbers, as text (checkpoints refuse to resume under others).</summary>
    public string Fingerprint() => string.Create(CultureInfo.InvariantCulture,
        $"schedule={Schedule};batch={BatchSize};lr={LearningRate:R};gamma={Gamma:R};beta={Beta?.ToString("R", CultureInfo.InvariantCulture) ?? "auto"};logalpha0={InitialLogPrecision:R};" +
        $"logsigma0={InitialLogImageScale:R};adjoint={Adjoint};jacobian={Jacobian};noise={NoiseVariance?.ToString("R", CultureInfo.InvariantCulture) ?? "auto"};" +
        $"cg={ProjectionSteps};{(ElboSchedule == ElboLearningRate.Constant ? "" : $"lr-schedule={ElboSchedule};")}{(Solver == ProjectionSolver.Dense ? "" : "solver=cg;")}{(PosteriorSolver == ProjectionSolver.Dense ? "" : "posterior-solver=cg;")}seed={Seed}");
}
