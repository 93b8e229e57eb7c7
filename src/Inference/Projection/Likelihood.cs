using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Models.Data;
using Tangent.Models.Layers;

namespace Tangent.Inference.Projection;

/// <summary>The observation model p(y | f(x; θ)).</summary>
public enum LikelihoodKind
{
    /// <summary>Categorical over softmax(f): integer labels, ℓ = −log softmax(f)_y.</summary>
    Categorical,
    /// <summary>Gaussian around f with a fixed noise variance σ²: float targets, ℓ = ‖y − f‖²/(2σ²) + (C/2)·log 2πσ².</summary>
    Gaussian,
}

/// <summary>
/// The likelihood whose per-example negative log-likelihood ℓᵢ VIKING's ELBO sums, whose gradients are the rows of
/// the loss Jacobian, and that the projection posterior's kernel keeps unchanged.
/// </summary>
/// <param name="Kind">Categorical or Gaussian.</param>
/// <param name="NoiseVariance">σ² of the Gaussian (ignored for the categorical).</param>
public sealed record Likelihood(LikelihoodKind Kind, double NoiseVariance = 1)
{
    /// <summary>Softmax cross-entropy with integer labels.</summary>
    public static Likelihood Categorical { get; } = new(LikelihoodKind.Categorical);

    /// <summary>A Gaussian with noise variance <paramref name="noiseVariance"/> (positive).</summary>
    public static Likelihood Gaussian(double noiseVariance) => noiseVariance > 0 && double.IsFinite(noiseVariance)
        ? new(LikelihoodKind.Gaussian, noiseVariance)
        : throw new ArgumentOutOfRangeException(nameof(noiseVariance), $"the Gaussian noise variance must be a positive number, got {noiseVariance}.");

    /// <summary>The categorical likelihood for a classification set, a Gaussian with <paramref name="noiseVariance"/> for regression.</summary>
    public static Likelihood For(DataSet data, double noiseVariance = 1) => data.IsClassification ? Categorical : Gaussian(noiseVariance);

    /// <summary>
    /// Traces <paramref name="network"/> and ℓ for <paramref name="batch"/> examples. Inputs: <c>theta</c>, <c>x</c>,
    /// <c>y</c> (labels [B] or targets [B, C]); outputs: <c>logits</c> [B, C] (outputs flattened per example) and
    /// <c>loss</c> [B]. The network must have no batch norm and no dropout: its samples are plain functions of θ.
    /// </summary>
    public Tape Trace(Network network, int batch)
    {
        RequireStateless(network);
        int outputs = network.OutputShape.Length;
        return Tape.Trace(t =>
        {
            var f = Fn.Reshape(network.TraceBody(t, batch, NetworkMode.Evaluation, out _), new Shape(batch, outputs));
            var loss = Kind == LikelihoodKind.Categorical
                ? Fn.SoftmaxCrossEntropy(f, t.Input("y", new Shape(batch), DType.Int32))
                : Fn.GaussianNll(f, t.Input("y", new Shape(batch, outputs)), NoiseVariance);
            t.Output("logits", f);
            t.Output("loss", loss);
        });
    }

    /// <summary>Throws unless the data set's kind matches and the network's outputs fit its classes or targets.</summary>
    public void Check(Network network, DataSet data)
    {
        if (data.SampleShape != network.InputShape)
            throw new ArgumentException($"data set '{data.Name}' has samples of shape {data.SampleShape}, the network expects {network.InputShape}.");
        if (data.IsClassification != (Kind == LikelihoodKind.Categorical))
            throw new ArgumentException($"data set '{data.Name}' is a {(data.IsClassification ? "classification" : "regression")} set; the likelihood is {Kind}.");
        int expected = data.IsClassification ? data.ClassCount : data.TargetSize;
        if (network.OutputShape.Length != expected)
            throw new ArgumentException($"data set '{data.Name}' needs {expected} outputs per example, the network gives {network.OutputShape}.");
    }

    /// <summary>Throws unless the network has neither batch norm nor dropout.</summary>
    public static void RequireStateless(Network network)
    {
        if (network.State.Count > 0 || network.DropoutLength > 0)
            throw new ArgumentException("VIKING and the projection posterior need a network without batch norm or dropout " +
                                        $"(this one has {network.State.Count} state values and {network.Dropouts.Count} dropout layers).");
    }
}
