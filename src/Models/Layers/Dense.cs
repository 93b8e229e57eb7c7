using Tangent.Engine;
using Tangent.Engine.Tracing;

namespace Tangent.Models.Layers;

/// <summary>Fully connected layer y = x·Wᵀ + b on [B, in] with W[out, in] (PyTorch layout) and optional b[out].</summary>
public sealed class Dense(int inFeatures, int outFeatures, bool bias = true, WeightInit init = WeightInit.Default) : Layer
{
    /// <summary>Input features.</summary>
    public int InFeatures { get; } = inFeatures;

    /// <summary>Output features.</summary>
    public int OutFeatures { get; } = outFeatures;

    /// <summary>Whether the layer has a bias.</summary>
    public bool HasBias { get; } = bias;

    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input)
    {
        if (input.Rank != 1 || input[0] != InFeatures)
            throw new ArgumentException($"dense layer '{c.Path}' expects {InFeatures} features per example, got shape {input}.");
        c.Parameter("weight", new Shape(OutFeatures, InFeatures), Initialization.Weight(init), InFeatures, OutFeatures);
        if (HasBias) c.Parameter("bias", new Shape(OutFeatures), Initialization.Bias(init), InFeatures, OutFeatures);
        return new Shape(OutFeatures);
    }

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x) =>
        Fn.Linear(x, c.Parameter("weight"), HasBias ? c.Parameter("bias") : null);

    /// <inheritdoc />
    public override string Describe() => $"dense({InFeatures}→{OutFeatures}{(HasBias ? "" : ", no bias")})";
}

/// <summary>
/// 2-D convolution of [B, C, H, W] with K filters of R×S (square kernel), stride and zero padding, optional bias.
/// Output side ⌊(H + 2·padding − kernel)/stride⌋ + 1.
/// </summary>
public sealed class Conv2d(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true,
    WeightInit init = WeightInit.Default) : Layer
{
    /// <summary>Input channels C.</summary>
    public int InChannels { get; } = inChannels;

    /// <summary>Output channels K.</summary>
    public int OutChannels { get; } = outChannels;

    /// <summary>Kernel side.</summary>
    public int Kernel { get; } = kernel;

    /// <summary>Stride.</summary>
    public int Stride { get; } = stride;

    /// <summary>Zero padding on each side.</summary>
    public int Padding { get; } = padding;

    /// <summary>Whether the layer has a bias.</summary>
    public bool HasBias { get; } = bias;

    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input)
    {
        if (input.Rank != 3 || input[0] != InChannels)
            throw new ArgumentException($"conv2d layer '{c.Path}' expects [{InChannels}, H, W] per example, got {input}.");
        int h = (input[1] + 2 * Padding - Kernel) / Stride + 1, w = (input[2] + 2 * Padding - Kernel) / Stride + 1;
        if (h < 1 || w < 1)
            throw new ArgumentException($"conv2d layer '{c.Path}': a {Kernel}×{Kernel} kernel does not fit input {input} with padding {Padding}.");
        int fanIn = InChannels * Kernel * Kernel, fanOut = OutChannels * Kernel * Kernel;
        c.Parameter("weight", new Shape(OutChannels, InChannels, Kernel, Kernel), Initialization.Weight(init), fanIn, fanOut);
        if (HasBias) c.Parameter("bias", new Shape(OutChannels), Initialization.Bias(init), fanIn, fanOut);
        return new Shape(OutChannels, h, w);
    }

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x) =>
        Fn.Conv2d(x, c.Parameter("weight"), HasBias ? c.Parameter("bias") : null, Stride, Padding);

    /// <inheritdoc />
    public override string Describe() =>
        $"conv2d({InChannels}→{OutChannels}, {Kernel}×{Kernel}{(Stride != 1 ? $", stride {Stride}" : "")}{(Padding != 0 ? $", pad {Padding}" : "")}{(HasBias ? "" : ", no bias")})";
}
