using Tangent.Engine;
using Tangent.Engine.Tracing;

namespace Tangent.Models.Layers;

/// <summary>Layer normalisation over the last dimension D with scale γ[D] (ones) and shift β[D] (zeros).</summary>
public sealed class LayerNorm(double eps = 1e-5) : Layer
{
    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input)
    {
        int d = input[-1];
        c.Parameter("weight", new Shape(d), InitScheme.Ones, d, d);
        c.Parameter("bias", new Shape(d), InitScheme.Zeros, d, d);
        return input;
    }

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x) => Fn.LayerNorm(x, c.Parameter("weight"), c.Parameter("bias"), eps);

    /// <inheritdoc />
    public override string Describe() => "layernorm";
}

/// <summary>
/// Batch normalisation over the channels of [B, C, H, W] (or [B, C]). Training: normalise by the batch mean and
/// biased variance (differentiated through) and emit the batch mean and the unbiased variance
/// (×n/(n − 1), as PyTorch) so the trainer can update the running statistics
/// r ← (1 − momentum)·r + momentum·batch. Evaluation: normalise by the running statistics.
/// State tensors: <c>running_mean</c> (zeros), <c>running_var</c> (ones).
/// </summary>
public sealed class BatchNorm2d(int channels, double eps = 1e-5) : Layer
{
    /// <summary>Channels C.</summary>
    public int Channels { get; } = channels;

    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input)
    {
        if (input.Rank < 1 || input[0] != Channels)
            throw new ArgumentException($"batch norm '{c.Path}' expects {Channels} channels first, got {input}.");
        c.Parameter("weight", new Shape(Channels), InitScheme.Ones, Channels, Channels);
        c.Parameter("bias", new Shape(Channels), InitScheme.Zeros, Channels, Channels);
        c.StateTensor("running_mean", new Shape(Channels), 0);
        c.StateTensor("running_var", new Shape(Channels), 1);
        return input;
    }

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x)
    {
        Var gamma = c.Parameter("weight"), beta = c.Parameter("bias");
        var stat = new int[x.Shape.Rank - 1];
        Array.Fill(stat, 1);
        stat[0] = Channels;
        var statShape = new Shape(stat);
        if (!c.Training)
            return Fn.BatchNormEvaluation(x, gamma, beta, c.State("running_mean"), c.State("running_var"), eps);
        double count = (double)x.Shape.Length / Channels;
        var mean = Fn.Scale(Fn.SumTo(x, statShape), 1 / count);
        var centred = Fn.Sub(x, mean);
        var variance = Fn.Scale(Fn.SumTo(Fn.Square(centred), statShape), 1 / count);
        var inv = Fn.Reciprocal(Fn.Sqrt(Fn.AddScalar(variance, eps)));
        var channel = new Shape(Channels);
        c.EmitStatistic("running_mean", Fn.Reshape(mean, channel));
        c.EmitStatistic("running_var", Fn.Reshape(Fn.Scale(variance, count / Math.Max(count - 1, 1)), channel));
        return Fn.Add(Fn.Mul(Fn.Mul(centred, inv), Fn.Reshape(gamma, statShape)), Fn.Reshape(beta, statShape));
    }

    /// <inheritdoc />
    public override string Describe() => $"batchnorm({Channels})";
}
