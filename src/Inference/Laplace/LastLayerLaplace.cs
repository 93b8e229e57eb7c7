using System.Globalization;
using Tangent.Engine;
using Tangent.Inference.Numerics;
using Tangent.Inference.Posteriors;
using Tangent.Kernels.Backends;
using Tangent.Models.Checkpoints;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Laplace;

/// <summary>Settings of a Laplace fit.</summary>
/// <param name="Prior">Fixed α or the marginal-likelihood choice.</param>
/// <param name="BatchSize">Training examples per pass (memory only; the result does not depend on it).</param>
public sealed record LaplaceOptions(LaplacePrior Prior, int BatchSize = 500);

/// <summary>
/// Last-layer Laplace (the "Last-layer LA" of VIKING's tables; METHODS.md §6): the network up to its last dense layer
/// is fixed at θ*, the last layer's P′ = C·D̃ parameters get the full-GGN posterior N(θ′*, Σ),
/// Σ = (H + αI)⁻¹. The logits are Gaussian: mean f(x; θ*) and covariance V(x) = J(x) Σ J(x)ᵀ with
/// J(x) = I_C ⊗ φ̃(x)ᵀ, i.e. V[c, c′] = φ̃ᵀ Σ_{cc′} φ̃ — C(C+1)/2 · D̃² per input from the features alone, as one GEMM
/// per batch on the backend (float64). Posterior files hold Σ as <c>posterior/covariance</c> [P′, P′].
/// </summary>
public sealed class LastLayerLaplace : IPosterior
{
    /// <summary>The method name in posterior files.</summary>
    public const string MethodName = "last-layer";

    private const string CovarianceTensor = "covariance";
    private readonly LastLayer _layer;
    private readonly NetworkLogits<float> _trunk;
    private readonly double[] _wTilde, _covariance;
    private readonly DeviceBuffer<double> _blocks;
    private readonly Backend _backend;

    private LastLayerLaplace(ZooModel model, float[] parameters, float[] state, double[] covariance, double precision, bool optimised,
        double logMarginalLikelihood, CholeskyOutcome jitter, IReadOnlyList<EvidencePoint> curve, Backend backend)
    {
        Model = model;
        Parameters = parameters;
        State = state;
        _layer = LastLayer.Of(model);
        _backend = backend;
        _wTilde = _layer.Coordinates(parameters);
        _covariance = covariance;
        PriorPrecision = precision;
        Optimised = optimised;
        LogMarginalLikelihood = logMarginalLikelihood;
        Jitter = jitter;
        EvidenceCurve = curve;
        _trunk = new NetworkLogits<float>(_layer.Trunk, backend, _layer.TrunkParameters(parameters), _layer.TrunkState(state));
        _blocks = backend.Upload<double>(PairBlocks(covariance, _layer.Classes, _layer.AugmentedFeatures));
        Hyperparameters = new Dictionary<string, string>
        {
            ["prior_precision"] = precision.ToString("R", CultureInfo.InvariantCulture),
            ["prior"] = optimised ? "marglik" : "fixed",
            ["log_marginal_likelihood"] = logMarginalLikelihood.ToString("R", CultureInfo.InvariantCulture),
            ["jitter"] = jitter.Jitter.ToString("R", CultureInfo.InvariantCulture),
            ["layer"] = _layer.Name,
        };
    }

    /// <summary>
    /// Fits the last layer's posterior on <paramref name="train"/>: the trunk's features and the GGN in one pass,
    /// then α (fixed or α*) and Σ (see <see cref="GgnLaplace"/>).
    /// </summary>
    public static LastLayerLaplace Fit(ZooModel model, float[] parameters, float[] state, DataSet train, LaplaceOptions options, Backend backend,
        Action<LaplaceProgress>? progress = null)
    {
        var layer = LastLayer.Of(model);
        if (layer.Classes < 2) throw new ArgumentException($"model '{model.Name}' has {layer.Classes} output; last-layer Laplace of a softmax classifier needs at least 2 classes.");
        if (train.SampleShape != model.Network.InputShape || !train.IsClassification || train.ClassCount != layer.Classes)
            throw new ArgumentException($"data set '{train.Name}' ({train}) does not fit model '{model.Name}' (inputs {model.Network.InputShape}, {layer.Classes} classes).");
        var wTilde = layer.Coordinates(parameters);
        double[] ggn;
        double logLikelihood;
        using (var trunk = new NetworkLogits<float>(layer.Trunk, backend, layer.TrunkParameters(parameters), layer.TrunkState(state)))
            (ggn, logLikelihood) = LastLayerGgn.Accumulate(layer, trunk, wTilde, train, options.BatchSize, backend, progress);
        var fit = GgnLaplace.Fit(ggn, wTilde, logLikelihood, options.Prior, backend, $"last-layer Laplace of {model.Name} ({layer.Name})");
        return new LastLayerLaplace(model, parameters, state, fit.Covariance, fit.Precision, fit.Optimised, fit.LogMarginalLikelihood, fit.Jitter,
            fit.EvidenceCurve, backend);
    }

    /// <summary>Loads a <c>last-layer</c> posterior file's contents.</summary>
    public static IPosterior Load(StoredPosterior stored, Backend backend)
    {
        LastLayer layer;
        try
        {
            layer = LastLayer.Of(stored.Model);
        }
        catch (ArgumentException e)
        {
            throw new PosteriorFileException($"{stored.Source}: {e.Message}");
        }
        int p = layer.ParameterCount;
        var covariance = stored.Tensor(CovarianceTensor, new Shape(p, p));
        bool optimised = stored.Hyperparameters.GetValueOrDefault("prior") == "marglik";
        return new LastLayerLaplace(stored.Model, stored.Parameters, stored.State, covariance, stored.Number("prior_precision"), optimised,
            stored.Number("log_marginal_likelihood"), new CholeskyOutcome(stored.Number("jitter"), 0), [], backend);
    }

    /// <inheritdoc />
    public string Method => MethodName;

    /// <inheritdoc />
    public ZooModel Model { get; }

    /// <inheritdoc />
    public float[] Parameters { get; }

    /// <inheritdoc />
    public float[] State { get; }

    /// <inheritdoc />
    public PredictionKind Kind => PredictionKind.Gaussian;

    /// <summary>The prior precision α used.</summary>
    public double PriorPrecision { get; }

    /// <summary>Whether α maximised the marginal likelihood.</summary>
    public bool Optimised { get; }

    /// <summary>log p(D | α) at α.</summary>
    public double LogMarginalLikelihood { get; }

    /// <summary>The jitter the Cholesky factorisation of H + αI needed.</summary>
    public CholeskyOutcome Jitter { get; }

    /// <summary>The evidence around α* (empty for a fixed α or a loaded file).</summary>
    public IReadOnlyList<EvidencePoint> EvidenceCurve { get; }

    /// <summary>The last layer that carries the posterior.</summary>
    public LastLayer Layer => _layer;

    /// <summary>Σ [P′, P′] in <see cref="LastLayer"/>'s coordinate order.</summary>
    public ReadOnlySpan<double> Covariance => _covariance;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Hyperparameters { get; }

    /// <inheritdoc />
    public LogitPrediction Predict(ReadOnlySpan<float> inputs, int batch, long offset)
    {
        var (mean, covariance) = PredictFloat64(inputs, batch);
        return LogitPrediction.Gaussian(Array.ConvertAll(mean, x => (float)x), Array.ConvertAll(covariance, x => (float)x), batch, _layer.Classes);
    }

    /// <summary>Mean [B, C] and covariance [B, C, C] of the logits in float64 (before the rounding of <see cref="Predict"/>).</summary>
    public (double[] Mean, double[] Covariance) PredictFloat64(ReadOnlySpan<float> inputs, int batch)
    {
        int c = _layer.Classes, dt = _layer.AugmentedFeatures, pairs = c * (c + 1) / 2;
        var raw = _trunk.RunToHost(inputs, batch);
        var phi = new double[batch * dt];
        var mean = new double[batch * c];
        for (int i = 0; i < batch; i++)
        {
            var row = phi.AsSpan(i * dt, dt);
            for (int k = 0; k < _layer.Features; k++) row[k] = raw[i * _layer.Features + k];
            if (_layer.HasBias) row[dt - 1] = 1;
            for (int a = 0; a < c; a++) mean[i * c + a] = Cholesky.Dot(_wTilde.AsSpan(a * dt, dt), row);
        }
        using var features = _backend.Upload<double>(phi);
        using var z = _backend.Allocate<double>(batch * pairs * dt);
        using var v = _backend.Allocate<double>(batch * pairs);
        // Z[i, (c,c′), b] = Σ_a φ̃_i[a] Σ[c·D̃ + a, c′·D̃ + b]; then V_i[c, c′] = Σ_b Z[i, (c,c′), b] φ̃_i[b].
        _backend.Gemm(Transpose.No, Transpose.No, batch, pairs * dt, dt, 1.0, features.View, dt, _blocks.View, pairs * dt, 0.0, z.View, pairs * dt);
        _backend.GemmStridedBatched(Transpose.No, Transpose.No, pairs, 1, dt, 1.0, z.View, dt, (long)pairs * dt, features.View, 1, dt,
            0.0, v.View, 1, pairs, batch);
        var packed = v.ToArray();
        var covariance = new double[batch * c * c];
        for (int i = 0; i < batch; i++)
        {
            int q = 0;
            for (int a = 0; a < c; a++)
                for (int b = a; b < c; b++, q++)
                    covariance[(i * c + a) * c + b] = covariance[(i * c + b) * c + a] = packed[i * pairs + q];
        }
        return (mean, covariance);
    }

    /// <inheritdoc />
    public IEnumerable<SafeTensor> MethodTensors()
    {
        int p = _layer.ParameterCount;
        yield return SafeTensor.FromDoubles(CovarianceTensor, new Shape(p, p), _covariance);
    }

    /// <summary>softmax(W̃ φ̃) in float64.</summary>
    internal static double[] Probabilities(ReadOnlySpan<double> wTilde, ReadOnlySpan<double> phiTilde, int classes)
    {
        int dt = phiTilde.Length;
        var p = new double[classes];
        double max = double.NegativeInfinity;
        for (int a = 0; a < classes; a++) max = Math.Max(max, p[a] = Cholesky.Dot(wTilde.Slice(a * dt, dt), phiTilde));
        double sum = 0;
        for (int a = 0; a < classes; a++) sum += p[a] = Math.Exp(p[a] - max);
        for (int a = 0; a < classes; a++) p[a] /= sum;
        return p;
    }

    /// <summary>R[a, ((c, c′), b)] = Σ[c·D̃ + a, c′·D̃ + b] for the pairs c ≤ c′: the right operand of the batch GEMM.</summary>
    private static double[] PairBlocks(double[] sigma, int c, int dt)
    {
        int p = c * dt, pairs = c * (c + 1) / 2;
        var r = new double[dt * pairs * dt];
        int q = 0;
        for (int a = 0; a < c; a++)
            for (int b = a; b < c; b++, q++)
                for (int i = 0; i < dt; i++)
                    Array.Copy(sigma, (long)(a * dt + i) * p + b * dt, r, (long)i * pairs * dt + q * dt, dt);
        return r;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _trunk.Dispose();
        _blocks.Dispose();
    }
}
