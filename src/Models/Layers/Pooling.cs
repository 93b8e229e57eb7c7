using Tangent.Engine;
using Tangent.Engine.Tracing;

namespace Tangent.Models.Layers;

/// <summary>Max pooling over the spatial dimensions of [B, C, H, W] with a square window (stride defaults to the window).</summary>
public sealed class MaxPool2d(int window, int? stride = null, int padding = 0) : Layer
{
    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input) => Pool.OutputShape(c, input, window, stride ?? window, padding, "maxpool2d");

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x) => Fn.MaxPool2d(x, window, stride, padding);

    /// <inheritdoc />
    public override string Describe() => $"maxpool2d({window})";
}

/// <summary>Average pooling over the spatial dimensions of [B, C, H, W] (padding excluded from the divisor).</summary>
public sealed class AvgPool2d(int window, int? stride = null, int padding = 0) : Layer
{
    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input) => Pool.OutputShape(c, input, window, stride ?? window, padding, "avgpool2d");

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x) => Fn.AvgPool2d(x, window, stride, padding);

    /// <inheritdoc />
    public override string Describe() => $"avgpool2d({window})";
}

/// <summary>Global average pooling: [B, C, H, W] → [B, C], the mean over H×W.</summary>
public sealed class GlobalAvgPool : Layer
{
    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input)
    {
        if (input.Rank != 3) throw new ArgumentException($"global average pooling '{c.Path}' expects [C, H, W] per example, got {input}.");
        return new Shape(input[0]);
    }

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x)
    {
        int n = x.Shape[0], ch = x.Shape[1];
        var s = Fn.SumTo(x, new Shape(n, ch, 1, 1));
        return Fn.Reshape(Fn.Scale(s, 1.0 / (x.Shape[2] * x.Shape[3])), new Shape(n, ch));
    }

    /// <inheritdoc />
    public override string Describe() => "global-avgpool";
}

/// <summary>[B, …] → [B, product of the rest].</summary>
public sealed class Flatten : Layer
{
    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input) => new(input.Length);

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x) => Fn.Flatten(x);

    /// <inheritdoc />
    public override string Describe() => "flatten";
}

/// <summary>Reshapes each example to <see cref="Target"/> (same number of elements).</summary>
public sealed class Reshape(Shape target) : Layer
{
    /// <summary>Per-example target shape.</summary>
    public Shape Target { get; } = target;

    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input)
    {
        if (input.Length != Target.Length)
            throw new ArgumentException($"reshape '{c.Path}': cannot reshape {input} ({input.Length} elements) to {Target}.");
        return Target;
    }

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x) => Fn.Reshape(x, Target.Prepend(new Shape(x.Shape[0])));

    /// <inheritdoc />
    public override string Describe() => $"reshape{Target}";
}

internal static class Pool
{
    public static Shape OutputShape(LayerBuildContext c, Shape input, int window, int stride, int padding, string what)
    {
        if (input.Rank != 3) throw new ArgumentException($"{what} '{c.Path}' expects [C, H, W] per example, got {input}.");
        int h = (input[1] + 2 * padding - window) / stride + 1, w = (input[2] + 2 * padding - window) / stride + 1;
        if (h < 1 || w < 1) throw new ArgumentException($"{what} '{c.Path}': window {window} does not fit input {input}.");
        return new Shape(input[0], h, w);
    }
}
