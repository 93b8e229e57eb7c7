using System.Runtime.Intrinsics;
using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Ops;

namespace Tangent.Models.Layers;

/// <summary>
/// Inverted dropout: in training y = x ⊙ m with m = 0 with probability p and 1/(1 − p) otherwise, the mask an input
/// of the training tape drawn per step from the Philox generator (see <see cref="DropoutMask"/>); identity at
/// evaluation. The mask is a constant of the tape, so derivatives are those of a fixed elementwise product.
/// </summary>
public sealed class Dropout : Layer
{
    /// <summary>Creates a dropout layer with drop probability <paramref name="probability"/> in [0, 1).</summary>
    public Dropout(double probability)
    {
        if (!(probability >= 0 && probability < 1)) throw new ArgumentOutOfRangeException(nameof(probability), probability, "dropout probability must be in [0, 1).");
        Probability = probability;
    }

    /// <summary>Drop probability p.</summary>
    public double Probability { get; }

    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input)
    {
        c.DropoutMask(input, Probability);
        return input;
    }

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x) => c.Training ? Fn.Mul(x, c.DropoutMask()) : x;

    /// <inheritdoc />
    public override string Describe() => $"dropout({Probability})";
}

/// <summary>Maps a uniform u ∈ [0, 1) to a dropout mask value: 0 if u &lt; p, else 1/(1 − p).</summary>
public struct DropoutMask(double probability) : IUnaryOp<float>, IUnaryOp<double>
{
    /// <summary>Drop probability p.</summary>
    public double P = probability;

    private readonly double Keep => 1 / (1 - P);

    /// <inheritdoc />
    public readonly float Apply(float u) => u < (float)P ? 0f : (float)Keep;
    /// <inheritdoc />
    public readonly double Apply(double u) => u < P ? 0.0 : Keep;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> u) => Vector256.GreaterThanOrEqual(u, Vector256.Create((float)P)) & Vector256.Create((float)Keep);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> u) => Vector256.GreaterThanOrEqual(u, Vector256.Create(P)) & Vector256.Create(Keep);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> u) => Vector512.GreaterThanOrEqual(u, Vector512.Create((float)P)) & Vector512.Create((float)Keep);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> u) => Vector512.GreaterThanOrEqual(u, Vector512.Create(P)) & Vector512.Create(Keep);
}
