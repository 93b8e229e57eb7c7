using System.Globalization;
using Tangent.Engine;
using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Engine.Transforms;
using Tangent.Inference.Numerics;
using Tangent.Inference.Posteriors;
using Tangent.Kernels.Backends;
using Tangent.Models.Checkpoints;
using Tangent.Models.Data;
using Tangent.Models.Layers;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Laplace;

/// <summary>
/// Exact linearised Laplace over all P parameters (METHODS.md §1), dense, for small networks: the ground truth that
/// ScaLLA's surrogate kernel approximates. Jacobians J(x) [C, P] are materialised from batched JVPs
/// (<see cref="Jacobians.Materialize{T}"/>) in float64; H = Σ_n J_nᵀ Λ_n J_n is accumulated as GᵀG with
/// G_n = M_n J_n, M_n = diag(√p_n)(I − 1 p_nᵀ) (so M_nᵀM_n = Λ_n); Σ = (H + αI)⁻¹ (<see cref="GgnLaplace"/>); the
/// logits are Gaussian with mean f(x; θ*) and covariance J(x) Σ J(x)ᵀ. Everything runs in float64, the GEMMs on the
/// backend. Cost: P/64 JVPs and C·P² per input; memory P² for Σ.
/// </summary>
public sealed class LinearizedLaplace : IPosterior
{
    /// <summary>The method name in posterior files.</summary>
    public const string MethodName = "lla";

    /// <summary>The most parameters the dense posterior accepts (Σ takes P² doubles: 288 MB at the limit).</summary>
    public const int MaxParameters = 6000;

    private const string CovarianceTensor = "covariance";

    /// <summary>Jacobian rows (inputs × C) × P held at once: 4M doubles, 32 MB.</summary>
    private const int JacobianBudget = 4 << 20;
    private readonly Backend _backend;
    private readonly Linearization _network;
    private readonly DeviceBuffer<double> _sigma;
    private readonly double[] _covariance;

    private LinearizedLaplace(ZooModel model, float[] parameters, float[] state, Linearization network, double[] covariance, double precision,
        bool optimised, double logMarginalLikelihood, CholeskyOutcome jitter, IReadOnlyList<EvidencePoint> curve, Backend backend)
    {
        Model = model;
        Parameters = parameters;
        State = state;
        _backend = backend;
        _network = network;
        _covariance = covariance;
        _sigma = backend.Upload<double>(covariance);
        PriorPrecision = precision;
        Optimised = optimised;
        LogMarginalLikelihood = logMarginalLikelihood;
        Jitter = jitter;
        EvidenceCurve = curve;
        Hyperparameters = new Dictionary<string, string>
        {
            ["prior_precision"] = precision.ToString("R", CultureInfo.InvariantCulture),
            ["prior"] = optimised ? "marglik" : "fixed",
            ["log_marginal_likelihood"] = logMarginalLikelihood.ToString("R", CultureInfo.InvariantCulture),
            ["jitter"] = jitter.Jitter.ToString("R", CultureInfo.InvariantCulture),
        };
    }

    /// <summary>Fits the posterior on <paramref name="train"/> (one pass of Jacobians), then α and Σ.</summary>
    public static LinearizedLaplace Fit(ZooModel model, float[] parameters, float[] state, DataSet train, LaplaceOptions options, Backend backend,
        Action<LaplaceProgress>? progress = null)
    {
        var net = model.Network;
        int p = net.ParameterCount, c = net.OutputShape.Length;
        CheckSize(model, p);
        if (train.SampleShape != net.InputShape || !train.IsClassification || net.OutputShape.Rank != 1 || train.ClassCount != c)
            throw new ArgumentException($"data set '{train.Name}' ({train}) does not fit model '{model.Name}' (inputs {net.InputShape}, outputs {net.OutputShape}).");
        var theta = Array.ConvertAll(parameters, x => (double)x);
        var network = new Linearization(net, parameters, state, backend);
        try
        {
            int chunk = Math.Max(1, Math.Min(Math.Min(options.BatchSize, train.Count), JacobianBudget / (c * p)));
            using var ggn = backend.Allocate<double>(p * p);
            using var jac = backend.Allocate<double>(chunk * c * p);
            using var g = backend.Allocate<double>(chunk * c * p);
            using var m = backend.Allocate<double>(chunk * c * c);
            double logLikelihood = 0;
            for (int start = 0; start < train.Count; start += chunk)
            {
                int n = Math.Min(chunk, train.Count - start);
                var inputs = train.Inputs.AsSpan(start * train.SampleSize, n * train.SampleSize);
                var f = network.Logits.RunToHost(inputs, n);
                var factors = new double[n * c * c];
                for (int i = 0; i < n; i++)
                {
                    var prob = Softmax(f.AsSpan(i * c, c));
                    logLikelihood += Math.Log(prob[train.Labels[start + i]]);
                    // M = diag(√p)(I − 1pᵀ): M[k, j] = √p_k (δ_kj − p_j).
                    for (int k = 0; k < c; k++)
                        for (int j = 0; j < c; j++) factors[(i * c + k) * c + j] = Math.Sqrt(prob[k]) * ((k == j ? 1 : 0) - prob[j]);
                }
                jac.CopyFrom(network.Jacobian(inputs, n));
                m.CopyFrom(factors);
                backend.GemmStridedBatched(Transpose.No, Transpose.No, c, p, c, 1.0, m.View, c, (long)c * c, jac.View, p, (long)c * p, 0.0, g.View, p, (long)c * p, n);
                backend.Gemm(Transpose.Yes, Transpose.No, p, p, n * c, 1.0, g.View, p, g.View, p, start == 0 ? 0.0 : 1.0, ggn.View, p);
                progress?.Invoke(new LaplaceProgress(start + n, train.Count));
            }
            var fit = GgnLaplace.Fit(ggn.ToArray(), theta, logLikelihood, options.Prior, backend, $"linearised Laplace of {model.Name}");
            return new LinearizedLaplace(model, parameters, state, network, fit.Covariance, fit.Precision, fit.Optimised, fit.LogMarginalLikelihood, fit.Jitter,
                fit.EvidenceCurve, backend);
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>Loads an <c>lla</c> posterior file's contents.</summary>
    public static IPosterior Load(StoredPosterior stored, Backend backend)
    {
        int p = stored.Model.Network.ParameterCount;
        if (p > MaxParameters)
            throw new PosteriorFileException($"{stored.Source}: model '{stored.Model.Name}' has {p:N0} parameters; the dense linearised Laplace holds at most {MaxParameters:N0}.");
        var covariance = stored.Tensor(CovarianceTensor, new Shape(p, p));
        bool optimised = stored.Hyperparameters.GetValueOrDefault("prior") == "marglik";
        var network = new Linearization(stored.Model.Network, stored.Parameters, stored.State, backend);
        return new LinearizedLaplace(stored.Model, stored.Parameters, stored.State, network, covariance, stored.Number("prior_precision"), optimised,
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

    /// <summary>Σ [P, P] in θ's layout order.</summary>
    public ReadOnlySpan<double> Covariance => _covariance;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Hyperparameters { get; }

    /// <inheritdoc />
    public LogitPrediction Predict(ReadOnlySpan<float> inputs, int batch, long offset)
    {
        var (mean, covariance) = PredictFloat64(inputs, batch);
        return LogitPrediction.Gaussian(Array.ConvertAll(mean, x => (float)x), Array.ConvertAll(covariance, x => (float)x), batch, mean.Length / batch);
    }

    /// <summary>Mean [B, C] and covariance J Σ Jᵀ [B, C, C] of the logits in float64 (in sub-batches that keep J within 32 MB).</summary>
    public (double[] Mean, double[] Covariance) PredictFloat64(ReadOnlySpan<float> inputs, int batch)
    {
        int p = Model.Network.ParameterCount, c = Model.Network.OutputShape.Length, sample = Model.Network.InputShape.Length;
        var mean = _network.Logits.RunToHost(inputs, batch);
        var covariance = new double[batch * c * c];
        int chunk = Math.Max(1, Math.Min(batch, JacobianBudget / (c * p)));
        for (int start = 0; start < batch; start += chunk)
        {
            int n = Math.Min(chunk, batch - start);
            using var jac = _backend.Upload<double>(_network.Jacobian(inputs.Slice(start * sample, n * sample), n));
            using var jSigma = _backend.Allocate<double>(n * c * p);
            using var v = _backend.Allocate<double>(n * c * c);
            _backend.Gemm(Transpose.No, Transpose.No, n * c, p, p, 1.0, jac.View, p, _sigma.View, p, 0.0, jSigma.View, p);
            _backend.GemmStridedBatched(Transpose.No, Transpose.Yes, c, c, p, 1.0, jSigma.View, p, (long)c * p, jac.View, p, (long)c * p,
                0.0, v.View, c, (long)c * c, n);
            v.CopyTo(covariance.AsSpan(start * c * c, n * c * c));
        }
        return (mean, covariance);
    }

    /// <inheritdoc />
    public IEnumerable<SafeTensor> MethodTensors()
    {
        int p = Model.Network.ParameterCount;
        yield return SafeTensor.FromDoubles(CovarianceTensor, new Shape(p, p), _covariance);
    }

    private static double[] Softmax(ReadOnlySpan<double> f)
    {
        var p = new double[f.Length];
        double max = double.NegativeInfinity, sum = 0;
        foreach (double v in f) max = Math.Max(max, v);
        for (int i = 0; i < f.Length; i++) sum += p[i] = Math.Exp(f[i] - max);
        for (int i = 0; i < f.Length; i++) p[i] /= sum;
        return p;
    }

    private static void CheckSize(ZooModel model, int p)
    {
        if (p > MaxParameters)
            throw new ArgumentException($"model '{model.Name}' has {p:N0} parameters; the dense linearised Laplace holds at most {MaxParameters:N0} (use last-layer Laplace or ScaLLA).");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _network.Dispose();
        _sigma.Dispose();
    }

    /// <summary>The network at θ* in float64: its logits and its Jacobian J(x) [B·C, P] with respect to θ.</summary>
    private sealed class Linearization(Network network, float[] parameters, float[] state, Backend backend) : IDisposable
    {
        private readonly Dictionary<int, Tape> _tapes = [];
        private readonly DeviceBuffer<double>? _state = network.State.Count > 0 ? backend.Upload<double>(Array.ConvertAll(state, x => (double)x)) : null;

        public NetworkLogits<double> Logits { get; } =
            new(network, backend, Array.ConvertAll(parameters, x => (double)x), Array.ConvertAll(state, x => (double)x));

        public double[] Jacobian(ReadOnlySpan<float> inputs, int batch)
        {
            if (!_tapes.TryGetValue(batch, out var tape)) _tapes[batch] = tape = network.TraceLogits(batch);
            using var x = backend.Upload<double>(Array.ConvertAll(inputs.ToArray(), v => (double)v));
            return Jacobians.Materialize<double>(tape, Network.ThetaGroup, "logits", backend, plan =>
            {
                plan.Bind(Network.ThetaGroup, Logits.Parameters.View);
                plan.Bind("x", x.View);
                if (_state != null) plan.Bind(Network.StateGroup, _state.View);
            });
        }

        public void Dispose()
        {
            Logits.Dispose();
            _state?.Dispose();
        }
    }
}
