using System.Globalization;
using Tangent.Engine;
using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Inference.Posteriors;
using Tangent.Kernels.Backends;
using Tangent.Models.Checkpoints;
using Tangent.Models.Layers;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Scalla;

/// <summary>
/// The ScaLLA posterior: Gaussian logits with mean f(x; θ*) and covariance V(x) = g(x)ᵀ Σ_w g(x) (C × C), g the
/// trained surrogate's scaled features and Σ_w = (H + αI)⁻¹ the feature-space posterior covariance
/// (<see cref="FeatureLaplace"/>). One traced tape per batch size computes the MAP logits, the features and V.
/// </summary>
public sealed class ScallaPosterior : IPosterior
{
    /// <summary>Name of Σ_w [m, m] (float64) in posterior files.</summary>
    public const string CovarianceTensor = "scalla.covariance";

    /// <summary>Name of H [m, m] (float64) in posterior files (kept so that α can be changed without the training data).</summary>
    public const string PrecisionTensor = "scalla.precision";

    /// <summary>The method's name in posterior files.</summary>
    public const string MethodName = "scalla";

    /// <summary>Hyperparameter holding the surrogate's zoo name.</summary>
    public const string SurrogateModelKey = "surrogate_model";

    /// <summary>Hyperparameter holding the surrogate's configuration (JSON).</summary>
    public const string SurrogateConfigKey = "surrogate_config";

    private readonly Backend _backend;
    private readonly Dictionary<int, Plan<float>> _plans = [];
    private readonly DeviceBuffer<float> _theta, _state, _phi, _sigma;
    private readonly Dictionary<int, DeviceBuffer<float>> _inputs = [];
    private readonly double[] _covariance, _precision;
    private readonly double _scale;

    /// <summary>
    /// Creates the posterior of <paramref name="map"/> at θ* = <paramref name="parameters"/> with the surrogate
    /// <paramref name="surrogate"/> at φ = <paramref name="surrogateParameters"/>, H = <paramref name="precision"/> and
    /// Σ_w = <paramref name="covariance"/> (both m×m row-major). <paramref name="hyperparameters"/> are recorded as given
    /// (α, jitter, the training settings).
    /// </summary>
    public ScallaPosterior(ZooModel map, float[] parameters, float[] state, ZooModel surrogate, float[] surrogateParameters,
        double[] precision, double[] covariance, IReadOnlyDictionary<string, string> hyperparameters, Backend backend)
    {
        var net = map.Network;
        if (net.OutputShape.Rank != 1) throw new ArgumentException($"ScaLLA's MAP network outputs [C]; '{map.Name}' outputs {net.OutputShape}.");
        int c = net.OutputShape[0];
        var s = surrogate.Network;
        if (s.OutputShape.Rank != 2 || s.OutputShape[1] != c || s.InputShape != net.InputShape)
            throw new ArgumentException($"surrogate '{surrogate.Name}' maps {s.InputShape} to {s.OutputShape}; the MAP network maps {net.InputShape} to [{c}], so it needs [m, {c}].");
        int m = s.OutputShape[0];
        if (parameters.Length != net.ParameterCount || state.Length != net.State.Count || surrogateParameters.Length != s.ParameterCount)
            throw new ArgumentException($"ScaLLA posterior: {parameters.Length} MAP parameters, {state.Length} state values and {surrogateParameters.Length} surrogate parameters " +
                                        $"given; the networks have {net.ParameterCount}, {net.State.Count} and {s.ParameterCount}.");
        if (precision.Length != m * m || covariance.Length != m * m)
            throw new ArgumentException($"ScaLLA posterior: H has {precision.Length} and Σ_w {covariance.Length} entries; m = {m} needs {m * m}.");
        Model = map;
        Surrogate = surrogate;
        Parameters = parameters;
        State = state;
        SurrogateParameters = surrogateParameters;
        Hyperparameters = hyperparameters;
        _precision = precision;
        _covariance = covariance;
        _backend = backend;
        _scale = SurrogateFeatures.OutputScale(net.ParameterCount, m);
        _theta = backend.Upload<float>(parameters);
        _state = backend.Upload<float>(state.Length > 0 ? state : [0f]);
        _phi = backend.Upload<float>(surrogateParameters);
        _sigma = backend.Upload<float>(covariance.Select(v => (float)v).ToArray());
    }

    /// <inheritdoc />
    public string Method => MethodName;

    /// <inheritdoc />
    public ZooModel Model { get; }

    /// <summary>The surrogate network (zoo model and configuration).</summary>
    public ZooModel Surrogate { get; }

    /// <inheritdoc />
    public float[] Parameters { get; }

    /// <inheritdoc />
    public float[] State { get; }

    /// <summary>φ, the surrogate's parameters.</summary>
    public float[] SurrogateParameters { get; }

    /// <summary>Σ_w, m×m row-major.</summary>
    public ReadOnlySpan<double> Covariance => _covariance;

    /// <summary>H, m×m row-major.</summary>
    public ReadOnlySpan<double> Precision => _precision;

    /// <inheritdoc />
    public PredictionKind Kind => PredictionKind.Gaussian;

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Hyperparameters { get; }

    /// <inheritdoc />
    public LogitPrediction Predict(ReadOnlySpan<float> inputs, int batch, long offset)
    {
        var net = Model.Network;
        int size = net.InputShape.Length, c = net.OutputShape[0];
        if (batch <= 0 || inputs.Length != batch * size)
            throw new ArgumentException($"ScaLLA posterior: {inputs.Length} input values for a batch of {batch} inputs of shape {net.InputShape}.");
        var plan = PlanFor(batch);
        _inputs[batch].CopyFrom(inputs);
        plan.Run();
        return LogitPrediction.Gaussian(plan.ReadOutput("mean"), plan.ReadOutput("covariance"), batch, c);
    }

    private Plan<float> PlanFor(int batch)
    {
        if (_plans.TryGetValue(batch, out var plan)) return plan;
        var map = Model.Network;
        int m = Surrogate.Network.OutputShape[0];
        var tape = Tape.Trace(t =>
        {
            var x = t.Input("x", map.InputShape.Prepend(new Shape(batch)));
            var g = SurrogateFeatures.Trace(t, Surrogate.Network, x, _scale);
            var sigma = t.Input("sigma", new Shape(m, m));
            t.Output("mean", SurrogateFeatures.MapLogits(t, map, x));
            // V = gᵀ Σ_w g per input: [m, m] · [B, m, C] → [B, m, C], then [B, C, m] · [B, m, C].
            t.Output("covariance", Fn.MatMul(g, Fn.MatMul(sigma, g), transA: true));
        });
        plan = tape.Plan<float>(_backend);
        var x = _backend.Allocate<float>(batch * map.InputShape.Length);
        _inputs[batch] = x;
        plan.Bind("x", x.View);
        plan.Bind(Network.ThetaGroup, _theta.View);
        if (map.State.Count > 0) plan.Bind(Network.StateGroup, _state.View);
        plan.Bind(SurrogateFeatures.PhiGroup, _phi.View);
        plan.Bind("sigma", _sigma.View);
        _plans[batch] = plan;
        return plan;
    }

    /// <inheritdoc />
    public IEnumerable<SafeTensor> MethodTensors()
    {
        int m = Surrogate.Network.OutputShape[0];
        foreach (var t in SurrogateCheckpoint.SurrogateTensors(Surrogate.Network, SurrogateParameters)) yield return t;
        yield return SafeTensor.FromDoubles(CovarianceTensor, new Shape(m, m), _covariance);
        yield return SafeTensor.FromDoubles(PrecisionTensor, new Shape(m, m), _precision);
    }

    /// <summary>
    /// Rebuilds the posterior from a posterior file's contents (the loader of <see cref="PosteriorLoaders"/>): the
    /// surrogate from its zoo name and configuration in the hyperparameters, φ from the <c>surrogate.NAME</c> tensors,
    /// H and Σ_w; every tensor is checked before use.
    /// </summary>
    public static IPosterior Load(StoredPosterior stored, Backend backend)
    {
        string Hyper(string key) => stored.Hyperparameters.TryGetValue(key, out var v) ? v
            : throw new PosteriorFileException($"{stored.Source}: hyperparameter '{key}' of method '{MethodName}' is missing.");
        ZooModel surrogate;
        float[] phi;
        try
        {
            surrogate = ModelZoo.Create(Hyper(SurrogateModelKey), ModelConfig.FromJson(Hyper(SurrogateConfigKey)));
            phi = SurrogateCheckpoint.ReadSurrogate(stored.Tensors, surrogate.Network, stored.Source);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            throw new PosteriorFileException(e.Message.StartsWith(stored.Source, StringComparison.Ordinal) ? e.Message : $"{stored.Source}: {e.Message}");
        }
        int m = surrogate.Network.OutputShape.Rank == 2 ? surrogate.Network.OutputShape[0] : 0;
        var shape = new Shape(m, m);
        try
        {
            return new ScallaPosterior(stored.Model, stored.Parameters, stored.State, surrogate, phi, stored.Tensor(PrecisionTensor, shape),
                stored.Tensor(CovarianceTensor, shape), stored.Hyperparameters, backend);
        }
        catch (ArgumentException e)
        {
            throw new PosteriorFileException($"{stored.Source}: {e.Message}");
        }
    }

    /// <summary>The hyperparameters ScaLLA records: α, the jitter, m, the output scale and the surrogate's identity.</summary>
    public static Dictionary<string, string> DescribeHyperparameters(ZooModel surrogate, FeatureCovariance covariance, double scale, ScallaOptions options, string? context) =>
        new()
        {
            ["alpha"] = covariance.Alpha.ToString("R", CultureInfo.InvariantCulture),
            ["jitter"] = covariance.Jitter.ToString("R", CultureInfo.InvariantCulture),
            ["features"] = options.Features.ToString(CultureInfo.InvariantCulture),
            ["output_scale"] = scale.ToString("R", CultureInfo.InvariantCulture),
            ["biased"] = options.Biased ? "true" : "false",
            ["context"] = context ?? "",
            ["options"] = options.ToJson(),
            [SurrogateModelKey] = surrogate.Name,
            [SurrogateConfigKey] = surrogate.Config.ToJson(),
        };

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var p in _plans.Values) p.Dispose();
        foreach (var b in _inputs.Values) b.Dispose();
        _theta.Dispose();
        _state.Dispose();
        _phi.Dispose();
        _sigma.Dispose();
    }
}
