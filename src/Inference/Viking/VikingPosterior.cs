using System.Globalization;
using Tangent.Engine;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Projection;
using Tangent.Kernels.Backends;
using Tangent.Models.Checkpoints;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Viking;

/// <summary>
/// A fitted VIKING posterior q(θ) = N(θ̂, α⁻¹UUᵀ + σ_im²(I − UUᵀ)) as S fixed samples
/// θ_s = θ̂ + α^(−1/2) k_s + σ_im (ε_s − k_s), where ε_s ~ N(0, I) comes from Philox (the noise seed and
/// <see cref="NoiseStream"/>, so it is not stored) and k_s is ε_s after the alternating projections over the
/// training set at the final θ̂ (stored: <see cref="KernelSamplesTensor"/>, [S, P]). Predictions are the S samples'
/// logits, through the network or (optionally) its linearisation at θ̂.
/// </summary>
public sealed class VikingPosterior : IPosterior
{
    /// <summary>Name of the kernel samples in posterior files.</summary>
    public const string KernelSamplesTensor = "viking.kernel_samples";

    /// <summary>Philox stream of the posterior samples' ε (offset 0, [S, P] in order).</summary>
    public const ulong NoiseStream = (3UL << 32) + 3;

    private readonly float[] _kernelSamples;
    private readonly Dictionary<string, string> _hyper;
    private readonly SampledPredictor _predictor;

    /// <summary>
    /// The posterior of <paramref name="model"/> with mean <paramref name="mean"/>, scales, kernel samples [S, P] and
    /// the seed of their ε; <paramref name="facts"/> are extra hyperparameters to keep (how it was fitted).
    /// </summary>
    public VikingPosterior(ZooModel model, Backend backend, float[] mean, double logPrecision, double logImageScale, float[] kernelSamples,
        ulong noiseSeed, IReadOnlyDictionary<string, string>? facts = null, bool linearized = false)
    {
        int p = model.Network.ParameterCount;
        if (mean.Length != p) throw new ArgumentException($"VIKING posterior: θ̂ has {mean.Length} values, the model {p} parameters.");
        if (kernelSamples.Length == 0 || kernelSamples.Length % p != 0)
            throw new ArgumentException($"VIKING posterior: {kernelSamples.Length} kernel-sample values are not a whole number of {p}-parameter samples.");
        if (!double.IsFinite(logPrecision) || !double.IsFinite(logImageScale))
            throw new ArgumentException($"VIKING posterior: log α = {logPrecision} and log σ_im = {logImageScale} must be finite.");
        Model = model;
        Parameters = mean;
        LogPrecision = logPrecision;
        LogImageScale = logImageScale;
        NoiseSeed = noiseSeed;
        SampleCount = kernelSamples.Length / p;
        _kernelSamples = kernelSamples;
        _hyper = new Dictionary<string, string>(facts ?? new Dictionary<string, string>());
        _hyper["log_precision"] = Text(logPrecision);
        _hyper["log_image_scale"] = Text(logImageScale);
        _hyper["alpha"] = Text(Math.Exp(logPrecision));
        _hyper["sigma_kernel"] = Text(Math.Exp(-0.5 * logPrecision));
        _hyper["sigma_image"] = Text(Math.Exp(logImageScale));
        _hyper["samples"] = SampleCount.ToString(CultureInfo.InvariantCulture);
        _hyper["noise_seed"] = noiseSeed.ToString(CultureInfo.InvariantCulture);
        _hyper["linearized"] = linearized ? "true" : "false";
        _predictor = new SampledPredictor(model.Network, backend, mean, Deltas(backend), linearized);
    }

    /// <inheritdoc />
    public string Method => "viking";

    /// <inheritdoc />
    public ZooModel Model { get; }

    /// <inheritdoc />
    public float[] Parameters { get; }

    /// <inheritdoc />
    public float[] State => [];

    /// <inheritdoc />
    public PredictionKind Kind => PredictionKind.Samples;

    /// <summary>log α (α the prior precision; σ_ker = α^(−1/2)).</summary>
    public double LogPrecision { get; }

    /// <summary>log σ_im.</summary>
    public double LogImageScale { get; }

    /// <summary>Philox key of the samples' ε.</summary>
    public ulong NoiseSeed { get; }

    /// <summary>S.</summary>
    public int SampleCount { get; }

    /// <summary>Whether predictions use the linearised network.</summary>
    public bool Linearized => _predictor.Linearized;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Hyperparameters => _hyper;

    /// <summary>The parameter samples θ_s, [S, P].</summary>
    public float[] ParameterSamples()
    {
        var d = _predictor.Deltas();
        int p = Parameters.Length;
        for (int i = 0; i < d.Length; i++) d[i] += Parameters[i % p];
        return d;
    }

    /// <inheritdoc />
    public LogitPrediction Predict(ReadOnlySpan<float> inputs, int batch, long offset) =>
        LogitPrediction.Sampled(_predictor.Predict(inputs, batch), SampleCount, batch, _predictor.Classes);

    /// <inheritdoc />
    public IEnumerable<SafeTensor> MethodTensors() =>
        [SafeTensor.FromSingles(KernelSamplesTensor, new Shape(SampleCount, Model.Network.ParameterCount), _kernelSamples)];

    /// <summary>
    /// Rebuilds a posterior from a posterior file's parts: the model and θ̂ (the file's network tensors), its
    /// <see cref="KernelSamplesTensor"/> and hyperparameters (as <see cref="Hyperparameters"/> wrote them).
    /// </summary>
    public static VikingPosterior FromFile(ZooModel model, float[] mean, SafeTensorsFile file, IReadOnlyDictionary<string, string> hyperparameters,
        Backend backend, bool? linearized = null)
    {
        if (!file.TryGet(KernelSamplesTensor, out var kernel))
            throw new InvalidDataException($"{file.Source}: the VIKING posterior's tensor '{KernelSamplesTensor}' is missing.");
        int p = model.Network.ParameterCount;
        if (kernel.Shape.Rank != 2 || kernel.Shape[1] != p)
            throw new InvalidDataException($"{file.Source}: '{KernelSamplesTensor}' has shape {kernel.Shape}, expected [S, {p}].");
        string Get(string key) => hyperparameters.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{file.Source}: the VIKING posterior's hyperparameter '{key}' is missing.");
        double Number(string key) => double.TryParse(Get(key), NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v : throw new InvalidDataException($"{file.Source}: hyperparameter '{key}' = '{Get(key)}' is not a finite number.");
        ulong seed = ulong.TryParse(Get("noise_seed"), NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong s)
            ? s : throw new InvalidDataException($"{file.Source}: hyperparameter 'noise_seed' = '{Get("noise_seed")}' is not an unsigned integer.");
        bool linear = linearized ?? Get("linearized") == "true";
        return new VikingPosterior(model, backend, mean, Number("log_precision"), Number("log_image_scale"), kernel.ToSingleArray(), seed,
            hyperparameters, linear);
    }

    /// <summary>δ_s = α^(−1/2) k_s + σ_im (ε_s − k_s) = (α^(−1/2) − σ_im) k_s + σ_im ε_s, [S, P].</summary>
    private float[] Deltas(Backend backend)
    {
        using var deltas = backend.Allocate<float>(_kernelSamples.Length);
        using var kernel = backend.Upload<float>(_kernelSamples);
        backend.RandomNormal(deltas.View, NoiseSeed, NoiseStream, 0);
        double a = Math.Exp(-0.5 * LogPrecision), s = Math.Exp(LogImageScale);
        backend.Scal((float)s, deltas.View);
        backend.Axpy((float)(a - s), kernel.View, deltas.View);
        return deltas.ToArray();
    }

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <inheritdoc />
    public void Dispose() => _predictor.Dispose();
}
