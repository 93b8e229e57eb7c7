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

    /// <summary>The method name in posterior files.</summary>
    public const string MethodName = "viking";

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
    /// The loader of <see cref="PosteriorLoaders"/>: rebuilds the posterior from a posterior file (θ̂ is the file's
    /// network, <see cref="KernelSamplesTensor"/> and the hyperparameters as <see cref="Hyperparameters"/> wrote them).
    /// </summary>
    public static IPosterior Load(StoredPosterior stored, Backend backend)
    {
        var kernel = KernelSamples(stored, KernelSamplesTensor);
        string seed = stored.Hyperparameters.GetValueOrDefault("noise_seed", "");
        if (!ulong.TryParse(seed, NumberStyles.Integer, CultureInfo.InvariantCulture, out ulong noiseSeed))
            throw new PosteriorFileException($"{stored.Source}: hyperparameter 'noise_seed' = '{seed}' of method 'viking' is not an unsigned integer.");
        return new VikingPosterior(stored.Model, backend, stored.Parameters, stored.Number("log_precision"), stored.Number("log_image_scale"), kernel,
            noiseSeed, stored.Hyperparameters, stored.Hyperparameters.GetValueOrDefault("linearized") == "true");
    }

    /// <summary>A stored [S, P] tensor of kernel samples as floats (S read from its shape), with errors naming the file.</summary>
    internal static float[] KernelSamples(StoredPosterior stored, string name)
    {
        int p = stored.Model.Network.ParameterCount;
        if (!stored.Tensors.TryGetValue(name, out var t))
            throw new PosteriorFileException($"{stored.Source}: tensor '{PosteriorFile.MethodTensorPrefix}{name}' of method '{stored.Method}' is missing.");
        if (t.Shape.Rank != 2 || t.Shape[0] < 1 || t.Shape[1] != p)
            throw new PosteriorFileException($"{stored.Source}: tensor '{PosteriorFile.MethodTensorPrefix}{name}' has shape {t.Shape}; model '{stored.Model.Name}' needs [S, {p}].");
        return t.ToSingleArray();
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
