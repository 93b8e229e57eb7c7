using Tangent.Kernels.Backends;
using Tangent.Models.Checkpoints;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Posteriors;

/// <summary>
/// The trivial posterior: a point mass at the MAP θ*. Its logits are the network's (evaluation mode, running
/// statistics for batch norm), one vector per input. A plain checkpoint of <c>tangent train</c> loads as this.
/// </summary>
public sealed class MapPosterior : IPosterior
{
    /// <summary>The method name in posterior files.</summary>
    public const string MethodName = "map";

    private readonly NetworkLogits<float> _logits;

    /// <summary>The MAP network <paramref name="model"/> with θ* = <paramref name="parameters"/> and its state, evaluated on <paramref name="backend"/>.</summary>
    public MapPosterior(ZooModel model, float[] parameters, float[] state, Backend backend)
    {
        Model = model;
        Parameters = parameters;
        State = state;
        _logits = new NetworkLogits<float>(model.Network, backend, parameters, state);
    }

    /// <summary>Loads <see cref="MapPosterior"/> from a posterior file's contents.</summary>
    public static IPosterior Load(StoredPosterior stored, Backend backend) => new MapPosterior(stored.Model, stored.Parameters, stored.State, backend);

    /// <inheritdoc />
    public string Method => MethodName;

    /// <inheritdoc />
    public ZooModel Model { get; }

    /// <inheritdoc />
    public float[] Parameters { get; }

    /// <inheritdoc />
    public float[] State { get; }

    /// <inheritdoc />
    public PredictionKind Kind => PredictionKind.Point;

    /// <inheritdoc />
    public LogitPrediction Predict(ReadOnlySpan<float> inputs, int batch, long offset) =>
        LogitPrediction.Point(_logits.RunToHost(inputs, batch), batch, _logits.OutputLength);

    /// <inheritdoc />
    public IEnumerable<SafeTensor> MethodTensors() => [];

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> Hyperparameters { get; } = new Dictionary<string, string>();

    /// <inheritdoc />
    public void Dispose() => _logits.Dispose();
}
