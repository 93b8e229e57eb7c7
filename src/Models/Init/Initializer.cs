using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;
using Tangent.Models.Optim;

namespace Tangent.Models.Init;

/// <summary>Which fan the Kaiming initialisers scale by.</summary>
public enum FanMode
{
    /// <summary>fan_in: preserves the variance of activations in the forward pass.</summary>
    FanIn,
    /// <summary>fan_out: preserves the variance of gradients in the backward pass.</summary>
    FanOut,
}

/// <summary>
/// fan_in and fan_out of a weight tensor with PyTorch's convention (<c>_calculate_fan_in_and_fan_out</c>): shape
/// [out, in, k₁, …] (Linear [out, in], Conv2d [K, C, R, S]) gives fan_in = in·∏k and fan_out = out·∏k.
/// </summary>
/// <param name="FanIn">Inputs feeding one output.</param>
/// <param name="FanOut">Outputs fed by one input.</param>
public readonly record struct Fans(int FanIn, int FanOut)
{
    /// <summary>The fans of a weight of shape [out, in, k…]; a rank-1 shape [n] (a bias) is treated as fan_in = fan_out = n.</summary>
    public static Fans Of(Shape shape)
    {
        if (shape.Rank == 0) throw new ArgumentException("a scalar parameter has no fan-in or fan-out.");
        if (shape.Rank == 1) return new Fans(shape[0], shape[0]);
        int receptive = shape.Product(2, shape.Rank - 2);
        return new Fans(checked(shape[1] * receptive), checked(shape[0] * receptive));
    }
}

/// <summary>
/// How to fill one parameter tensor: a slice of the flat θ filled on the backend from Philox stream
/// <c>stream</c> (the parameter's index in the layout) under key <c>seed</c>, via <see cref="Backend.RandomUniform{T}"/>
/// or <see cref="Backend.RandomNormal{T}"/> and one affine map, so the values are the same on every backend.
/// </summary>
public abstract class Initializer
{
    /// <summary>Fills <paramref name="values"/> (a tensor of <paramref name="shape"/>) from (seed, stream).</summary>
    public abstract void Fill<T>(Backend backend, BufferView<T> values, Shape shape, ulong seed, ulong stream) where T : unmanaged;

    /// <summary>All zeros.</summary>
    public static Initializer Zeros { get; } = new ConstantInit(0);

    /// <summary>All ones (e.g. normalisation scales).</summary>
    public static Initializer Ones { get; } = new ConstantInit(1);

    /// <summary>Every value equal to <paramref name="value"/>.</summary>
    public static Initializer Constant(double value) => new ConstantInit(value);

    /// <summary>U(low, high).</summary>
    public static Initializer Uniform(double low, double high) => new UniformInit(_ => (low, high), $"U({low}, {high})");

    /// <summary>N(mean, std²).</summary>
    public static Initializer Normal(double mean, double std) => new NormalInit(_ => std, mean, $"N({mean}, {std}²)");

    /// <summary>
    /// The recommended gain for a non-linearity (PyTorch's <c>calculate_gain</c>): linear, conv, sigmoid 1;
    /// tanh 5/3; relu √2; leaky_relu √(2/(1 + a²)) with negative slope a; selu 3/4.
    /// </summary>
    public static double Gain(string nonlinearity, double negativeSlope = 0.01) => nonlinearity switch
    {
        "linear" or "identity" or "conv" or "sigmoid" => 1.0,
        "tanh" => 5.0 / 3.0,
        "relu" => Math.Sqrt(2.0),
        "leaky_relu" => Math.Sqrt(2.0 / (1 + negativeSlope * negativeSlope)),
        "selu" => 0.75,
        _ => throw new ArgumentException($"unknown non-linearity '{nonlinearity}'; valid: linear, identity, conv, sigmoid, tanh, relu, leaky_relu, selu."),
    };

    /// <summary>Kaiming (He) uniform: U(−b, b) with b = gain·√(3/fan), gain √2 for ReLU by default.</summary>
    public static Initializer KaimingUniform(double gain = 1.4142135623730951, FanMode mode = FanMode.FanIn) =>
        new UniformInit(s => { double b = gain * Math.Sqrt(3.0 / Fan(s, mode)); return (-b, b); }, $"kaiming_uniform(gain {gain}, {mode})");

    /// <summary>Kaiming (He) normal: N(0, σ²) with σ = gain/√fan, gain √2 for ReLU by default.</summary>
    public static Initializer KaimingNormal(double gain = 1.4142135623730951, FanMode mode = FanMode.FanIn) =>
        new NormalInit(s => gain / Math.Sqrt(Fan(s, mode)), 0, $"kaiming_normal(gain {gain}, {mode})");

    /// <summary>Xavier (Glorot) uniform: U(−b, b) with b = gain·√(6/(fan_in + fan_out)).</summary>
    public static Initializer XavierUniform(double gain = 1) =>
        new UniformInit(s => { var f = Fans.Of(s); double b = gain * Math.Sqrt(6.0 / (f.FanIn + f.FanOut)); return (-b, b); }, $"xavier_uniform(gain {gain})");

    /// <summary>Xavier (Glorot) normal: N(0, σ²) with σ = gain·√(2/(fan_in + fan_out)).</summary>
    public static Initializer XavierNormal(double gain = 1) =>
        new NormalInit(s => { var f = Fans.Of(s); return gain * Math.Sqrt(2.0 / (f.FanIn + f.FanOut)); }, 0, $"xavier_normal(gain {gain})");

    /// <summary>LeCun normal: N(0, 1/fan_in) (untruncated; JAX's <c>lecun_normal</c> truncates at ±2σ and rescales).</summary>
    public static Initializer LeCunNormal { get; } = new NormalInit(s => 1 / Math.Sqrt(Fans.Of(s).FanIn), 0, "lecun_normal");

    /// <summary>
    /// PyTorch's default Linear/Conv weight: <c>kaiming_uniform_(a=√5)</c>, whose gain √(2/(1+5)) makes the bound
    /// √(1/3)·√(3/fan_in) = 1/√fan_in, i.e. U(−1/√fan_in, 1/√fan_in).
    /// </summary>
    public static Initializer TorchDefaultWeight { get; } =
        new UniformInit(s => { double b = 1 / Math.Sqrt(Fans.Of(s).FanIn); return (-b, b); }, "torch_default_weight");

    /// <summary>PyTorch's default Linear/Conv bias: U(−1/√fan_in, 1/√fan_in) with the fan_in of the layer's weight.</summary>
    public static Initializer TorchDefaultBias(int weightFanIn)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(weightFanIn);
        double b = 1 / Math.Sqrt(weightFanIn);
        return new UniformInit(_ => (-b, b), $"torch_default_bias(fan_in {weightFanIn})");
    }

    private static int Fan(Shape shape, FanMode mode) => mode == FanMode.FanIn ? Fans.Of(shape).FanIn : Fans.Of(shape).FanOut;

    private static void Affine<T>(Backend backend, BufferView<T> y, double scale, double shift) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) backend.Map<float, Affine>(new Affine(scale, shift), KernelCalls.As<T, float>(y), KernelCalls.As<T, float>(y));
        else if (typeof(T) == typeof(double)) backend.Map<double, Affine>(new Affine(scale, shift), KernelCalls.As<T, double>(y), KernelCalls.As<T, double>(y));
        else throw new NotSupportedException($"initialisers fill float or double parameters, not {typeof(T).Name}.");
    }

    private sealed class ConstantInit(double value) : Initializer
    {
        public override void Fill<T>(Backend backend, BufferView<T> values, Shape shape, ulong seed, ulong stream)
        {
            if (typeof(T) == typeof(float)) backend.Fill(KernelCalls.As<T, float>(values), (float)value);
            else if (typeof(T) == typeof(double)) backend.Fill(KernelCalls.As<T, double>(values), value);
            else throw new NotSupportedException($"initialisers fill float or double parameters, not {typeof(T).Name}.");
        }

        public override string ToString() => $"constant({value})";
    }

    private sealed class UniformInit(Func<Shape, (double Low, double High)> bounds, string name) : Initializer
    {
        public override void Fill<T>(Backend backend, BufferView<T> values, Shape shape, ulong seed, ulong stream)
        {
            CheckLength(values, shape);
            var (lo, hi) = bounds(shape);
            backend.RandomUniform(values, seed, stream, 0);
            Affine(backend, values, hi - lo, lo);
        }

        public override string ToString() => name;
    }

    private sealed class NormalInit(Func<Shape, double> std, double mean, string name) : Initializer
    {
        public override void Fill<T>(Backend backend, BufferView<T> values, Shape shape, ulong seed, ulong stream)
        {
            CheckLength(values, shape);
            backend.RandomNormal(values, seed, stream, 0);
            Affine(backend, values, std(shape), mean);
        }

        public override string ToString() => name;
    }

    private static void CheckLength<T>(BufferView<T> values, Shape shape) where T : unmanaged
    {
        if (values.Length != shape.Length)
            throw new ArgumentException($"a parameter of shape {shape} has {shape.Length} values, the slice has {values.Length}.");
    }
}

/// <summary>Initialises every parameter of a flat θ laid out by a <see cref="ParameterLayout"/>.</summary>
public static class ParameterInit
{
    /// <summary>
    /// Fills each parameter's slice of <paramref name="theta"/> with the initialiser <paramref name="choose"/> returns
    /// for its (name, shape), from Philox stream = the parameter's index in the layout under key <paramref name="seed"/>;
    /// so a parameter's values depend only on (seed, its index, its shape), not on the other parameters' sizes.
    /// </summary>
    public static void Apply<T>(Backend backend, BufferView<T> theta, ParameterLayout layout, ulong seed, Func<string, Shape, Initializer> choose)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(choose);
        if (theta.Length != layout.Count)
            throw new ArgumentException($"θ has {theta.Length} values, the layout {layout.Count}.");
        for (int i = 0; i < layout.Entries.Count; i++)
        {
            var (name, shape, offset) = layout.Entries[i];
            choose(name, shape).Fill(backend, theta.Slice(offset, shape.Length), shape, seed, (ulong)i);
        }
    }
}
