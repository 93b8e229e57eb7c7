using Tangent.Models.Checkpoints;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Posteriors;

/// <summary>
/// A fitted method around a MAP network, as <c>evaluate</c> and the reports use it without knowing which method it
/// is: logits for a batch of inputs (<see cref="Predict"/>) and what its posterior file holds beyond the MAP
/// network (<see cref="MethodTensors"/>, <see cref="Hyperparameters"/>).
/// </summary>
public interface IPosterior : IDisposable
{
    /// <summary>The method's name as stored in posterior files: <c>map</c>, <c>last-layer</c>, <c>lla</c>, <c>scalla</c>, <c>viking</c>, <c>projection</c>.</summary>
    string Method { get; }

    /// <summary>The network (zoo model and configuration) the posterior is built around.</summary>
    ZooModel Model { get; }

    /// <summary>θ of the network (the MAP, or VIKING's variational mean), length P.</summary>
    float[] Parameters { get; }

    /// <summary>The network's state (batch-norm statistics; empty without).</summary>
    float[] State { get; }

    /// <summary>What <see cref="Predict"/> returns.</summary>
    PredictionKind Kind { get; }

    /// <summary>
    /// Logits for <paramref name="batch"/> inputs laid out [B, …input shape] in <paramref name="inputs"/>. Sampled
    /// posteriors draw with their own seed and a counter that depends only on the inputs' position in the
    /// evaluation (<paramref name="offset"/>: index of the first input), so results do not depend on the batch size.
    /// </summary>
    LogitPrediction Predict(ReadOnlySpan<float> inputs, int batch, long offset);

    /// <summary>The method's own tensors for its posterior file (names without the MAP network's).</summary>
    IEnumerable<SafeTensor> MethodTensors();

    /// <summary>The method's hyperparameters for the file's metadata (α, σ, m, …), as invariant-culture strings.</summary>
    IReadOnlyDictionary<string, string> Hyperparameters { get; }
}
