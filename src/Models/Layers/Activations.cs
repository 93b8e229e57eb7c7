using Tangent.Engine;
using Tangent.Engine.Tracing;

namespace Tangent.Models.Layers;

/// <summary>Elementwise nonlinearities.</summary>
public enum ActivationKind
{
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>tanh x.</summary>
    Tanh,
    /// <summary>GELU (tanh approximation).</summary>
    Gelu,
    /// <summary>x·σ(x).</summary>
    Silu,
    /// <summary>σ(x).</summary>
    Sigmoid,
}

/// <summary>An elementwise activation layer (no parameters).</summary>
public sealed class Activation(ActivationKind kind) : Layer
{
    /// <summary>The nonlinearity.</summary>
    public ActivationKind Kind { get; } = kind;

    /// <summary>The traced function of <paramref name="kind"/>.</summary>
    public static Var Apply(ActivationKind kind, Var x) => kind switch
    {
        ActivationKind.Relu => Fn.Relu(x),
        ActivationKind.Tanh => Fn.Tanh(x),
        ActivationKind.Gelu => Fn.Gelu(x),
        ActivationKind.Silu => Fn.Silu(x),
        ActivationKind.Sigmoid => Fn.Sigmoid(x),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown activation."),
    };

    /// <summary>Parses <c>relu</c>, <c>tanh</c>, <c>gelu</c>, <c>silu</c>, <c>sigmoid</c> (case-insensitive).</summary>
    public static ActivationKind Parse(string name) =>
        Enum.TryParse<ActivationKind>(name, ignoreCase: true, out var k) && Enum.IsDefined(k) ? k
        : throw new ArgumentException($"unknown activation '{name}'. Valid: {string.Join(", ", Enum.GetNames<ActivationKind>().Select(n => n.ToLowerInvariant()))}.");

    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input) => input;

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x) => Apply(Kind, x);

    /// <inheritdoc />
    public override string Describe() => Kind.ToString().ToLowerInvariant();
}
