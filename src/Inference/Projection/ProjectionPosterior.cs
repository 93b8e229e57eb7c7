using System.Diagnostics;
using System.Globalization;
using Tangent.Engine;
using Tangent.Engine.Linalg;
using Tangent.Inference.Posteriors;
using Tangent.Kernels.Backends;
using Tangent.Models.Checkpoints;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Projection;

/// <summary>Settings of a projection posterior.</summary>
/// <param name="Alpha">Prior precision α; null chooses α* = ‖θ*‖²/(P − tr P) (the reference's formula, METHODS.md §4).</param>
/// <param name="Samples">Posterior samples S.</param>
/// <param name="Passes">Alternating-projection passes over the training set.</param>
/// <param name="BatchSize">Examples per projection.</param>
/// <param name="Jacobian">Whose kernel: the loss's (Miani et al.'s loss kernel) or the outputs' (the GGN's).</param>
/// <param name="ProjectionSteps">CG steps per projection.</param>
/// <param name="ResidualLimit">Relative residual above which a projection is reported as not converged.</param>
/// <param name="ProjectionChunk">Vectors per batched projection.</param>
/// <param name="Linearized">Predict through the linearised network (the default of Miani et al.).</param>
/// <param name="Seed">Seed of the samples' ε and of the batch order.</param>
/// <param name="Solver">How each projection is solved: explicit rows and a factored JJᵀ (the default, exact) or <paramref name="ProjectionSteps"/> CG steps (the reference).</param>
public sealed record ProjectionOptions(double? Alpha = null, int Samples = 100, int Passes = 1, int BatchSize = 32,
    KernelJacobian Jacobian = KernelJacobian.Loss, int ProjectionSteps = 10, double ResidualLimit = 0.1, int ProjectionChunk = 100,
    bool Linearized = true, ulong Seed = 0, ProjectionSolver Solver = ProjectionSolver.Dense)
{
    /// <summary>Throws naming the first setting that makes no sense.</summary>
    public void Validate()
    {
        if (Alpha is { } a && !(a > 0 && double.IsFinite(a))) throw new ArgumentException($"projection posterior: α = {a} must be a positive number.");
        if (Samples < 1 || Passes < 1 || BatchSize < 1 || ProjectionSteps < 1 || ProjectionChunk < 1)
            throw new ArgumentException($"projection posterior: samples {Samples}, passes {Passes}, batch {BatchSize}, CG steps {ProjectionSteps} and chunk {ProjectionChunk} must be positive.");
        if (!(ResidualLimit > 0)) throw new ArgumentException($"projection posterior: residual limit {ResidualLimit} must be positive.");
    }
}

/// <summary>
/// Miani et al.'s projection posterior around a MAP θ* (METHODS.md §4): q = N(θ*, α⁻¹ P_ker), P_ker the projection
/// onto the kernel of the whole training set's Jacobian, sampled post hoc by alternating projections over its
/// batches (<see cref="AlternatingProjection"/>): θ_s = θ* + α^(−1/2) P_ker ε_s. tr P_ker is estimated by Hutchinson
/// with the samples' own ε as probes, mean ⟨ε_s, P_ker ε_s⟩ (no extra projections), and gives α* when α is not
/// given. It shares every building block with VIKING; predictions are linearised at θ* by default.
/// </summary>
public sealed class ProjectionPosterior : IPosterior
{
    /// <summary>Name of the kernel samples [S, P] in posterior files.</summary>
    public const string KernelSamplesTensor = "projection.kernel_samples";

    /// <summary>Philox stream of the samples' ε (offset 0, [S, P] in order).</summary>
    public const ulong NoiseStream = (4UL << 32) + 1;

    private readonly float[] _kernelSamples;
    private readonly Dictionary<string, string> _hyper;
    private readonly SampledPredictor _predictor;

    /// <summary>The posterior of <paramref name="model"/> at <paramref name="map"/> with precision α and kernel samples [S, P].</summary>
    public ProjectionPosterior(ZooModel model, Backend backend, float[] map, double alpha, float[] kernelSamples, bool linearized,
        IReadOnlyDictionary<string, string>? facts = null)
    {
        int p = model.Network.ParameterCount;
        if (map.Length != p) throw new ArgumentException($"projection posterior: θ* has {map.Length} values, the model {p} parameters.");
        if (kernelSamples.Length == 0 || kernelSamples.Length % p != 0)
            throw new ArgumentException($"projection posterior: {kernelSamples.Length} kernel-sample values are not a whole number of {p}-parameter samples.");
        if (!(alpha > 0 && double.IsFinite(alpha))) throw new ArgumentException($"projection posterior: α = {alpha} must be a positive number.");
        Model = model;
        Parameters = map;
        Alpha = alpha;
        SampleCount = kernelSamples.Length / p;
        _kernelSamples = kernelSamples;
        _hyper = new Dictionary<string, string>(facts ?? new Dictionary<string, string>())
        {
            ["alpha"] = alpha.ToString("R", CultureInfo.InvariantCulture),
            ["samples"] = SampleCount.ToString(CultureInfo.InvariantCulture),
            ["linearized"] = linearized ? "true" : "false",
        };
        var deltas = (float[])kernelSamples.Clone();
        float scale = (float)(1 / Math.Sqrt(alpha));
        for (int i = 0; i < deltas.Length; i++) deltas[i] *= scale;
        _predictor = new SampledPredictor(model.Network, backend, map, deltas, linearized);
    }

    /// <summary>The method name in posterior files.</summary>
    public const string MethodName = "projection";

    /// <inheritdoc />
    public string Method => MethodName;

    /// <inheritdoc />
    public ZooModel Model { get; }

    /// <inheritdoc />
    public float[] Parameters { get; }

    /// <inheritdoc />
    public float[] State => [];

    /// <inheritdoc />
    public PredictionKind Kind => PredictionKind.Samples;

    /// <summary>The prior precision α used.</summary>
    public double Alpha { get; }

    /// <summary>S.</summary>
    public int SampleCount { get; }

    /// <summary>Whether predictions use the linearised network.</summary>
    public bool Linearized => _predictor.Linearized;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Hyperparameters => _hyper;

    /// <summary>The projected samples P_ker ε_s, [S, P] (a copy).</summary>
    public float[] KernelSamples() => (float[])_kernelSamples.Clone();

    /// <inheritdoc />
    public LogitPrediction Predict(ReadOnlySpan<float> inputs, int batch, long offset) =>
        LogitPrediction.Sampled(_predictor.Predict(inputs, batch), SampleCount, batch, _predictor.Classes);

    /// <inheritdoc />
    public IEnumerable<SafeTensor> MethodTensors() =>
        [SafeTensor.FromSingles(KernelSamplesTensor, new Shape(SampleCount, Model.Network.ParameterCount), _kernelSamples)];

    /// <summary>
    /// Fits the posterior around <paramref name="map"/> on <paramref name="train"/>: S = <see cref="ProjectionOptions.Samples"/>
    /// ε from Philox, <see cref="ProjectionOptions.Passes"/> alternating passes over the whole training set, then α.
    /// Projections that do not converge are logged and counted in the hyperparameters; <paramref name="progress"/> hears
    /// (batches done, batches in all passes).
    /// </summary>
    public static ProjectionPosterior Fit(ZooModel model, float[] map, DataSet train, ProjectionOptions options, Backend backend,
        Action<string>? log = null, CancellationToken cancel = default, Action<int, int>? progress = null)
    {
        options.Validate();
        var network = model.Network;
        int p = network.ParameterCount, s = options.Samples;
        if (map.Length != p) throw new ArgumentException($"projection posterior: θ* has {map.Length} values, the model {p} parameters.");
        if (train.Count < options.BatchSize) throw new ArgumentException($"projection posterior: the training set has {train.Count} examples, fewer than one batch of {options.BatchSize}.");
        var clock = Stopwatch.StartNew();
        var likelihood = Likelihood.For(train);
        var solver = new KernelProjectionOptions(options.Solver, options.ProjectionSteps);
        using var projector = new BatchProjector(network, likelihood, options.Jacobian, train, backend, options.BatchSize, options.ProjectionChunk, solver);
        using var theta = backend.Upload<float>(map);
        var tally = new ProjectionTally(options.ResidualLimit, log);
        var loader = new BatchLoader(train, options.BatchSize, options.Seed, shuffle: true, dropLast: true);
        var (kernel, trace) = AlternatingProjection.ProjectNoise(projector, loader, theta.View, s, options.Passes, 0, options.Seed, NoiseStream, tally,
            "projection posterior", cancel, progress);
        trace = Math.Min(trace, p - 1);
        double norm2 = backend.Dot(theta.View, theta.View);
        double alpha = options.Alpha ?? norm2 / (p - trace);
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var facts = new Dictionary<string, string>
        {
            ["alpha_source"] = options.Alpha is null ? "auto" : "given",
            ["trace_estimate"] = F(trace),
            ["jacobian"] = options.Jacobian == KernelJacobian.Loss ? "loss" : "output",
            ["passes"] = options.Passes.ToString(CultureInfo.InvariantCulture),
            ["batch_size"] = options.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["cg_steps"] = options.ProjectionSteps.ToString(CultureInfo.InvariantCulture),
            ["seed"] = options.Seed.ToString(CultureInfo.InvariantCulture),
            ["projections"] = tally.Projections.ToString(CultureInfo.InvariantCulture),
            ["projections_not_converged"] = tally.NotConverged.ToString(CultureInfo.InvariantCulture),
            ["residual_limit"] = F(options.ResidualLimit),
            ["mean_residual"] = F(tally.MeanResidual),
            ["max_residual"] = F(tally.MaxResidual),
            ["fit_seconds"] = clock.Elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
        };
        log?.Invoke(string.Create(CultureInfo.InvariantCulture,
            $"projection posterior: tr P ≈ {trace:F1} of {p}, α = {alpha:G4} ({facts["alpha_source"]}); {tally.Projections} projections, {tally.NotConverged} not converged; {clock.Elapsed.TotalSeconds:F1} s"));
        return new ProjectionPosterior(model, backend, map, alpha, kernel, options.Linearized, facts);
    }

    /// <summary>The loader of <see cref="PosteriorLoaders"/>: rebuilds the posterior from a posterior file (θ* is the file's network).</summary>
    public static IPosterior Load(StoredPosterior stored, Backend backend)
    {
        var kernel = Viking.VikingPosterior.KernelSamples(stored, KernelSamplesTensor);
        bool linearized = stored.Hyperparameters.GetValueOrDefault("linearized") != "false";
        return new ProjectionPosterior(stored.Model, backend, stored.Parameters, stored.Number("alpha"), kernel, linearized, stored.Hyperparameters);
    }

    /// <inheritdoc />
    public void Dispose() => _predictor.Dispose();
}
