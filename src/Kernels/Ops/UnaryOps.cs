using System.Runtime.Intrinsics;

namespace Tangent.Kernels.Ops;

// Unary elementwise functors. Each struct implements IUnaryOp for float and double; the scalar forms use only
// arithmetic and MathF/Math calls that ILGPU maps to device intrinsics, the vector forms are what the CPU path runs.

/// <summary>y = x.</summary>
public struct Identity : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => x;
    /// <inheritdoc />
    public readonly double Apply(double x) => x;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => x;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => x;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => x;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => x;
}

/// <summary>y = −x.</summary>
public struct Neg : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => -x;
    /// <inheritdoc />
    public readonly double Apply(double x) => -x;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => -x;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => -x;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => -x;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => -x;
}

/// <summary>y = |x|.</summary>
public struct Abs : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => MathF.Abs(x);
    /// <inheritdoc />
    public readonly double Apply(double x) => Math.Abs(x);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => Vector256.Abs(x);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => Vector256.Abs(x);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => Vector512.Abs(x);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => Vector512.Abs(x);
}

/// <summary>y = x².</summary>
public struct Square : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => x * x;
    /// <inheritdoc />
    public readonly double Apply(double x) => x * x;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => x * x;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => x * x;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => x * x;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => x * x;
}

/// <summary>y = √x (NaN for x &lt; 0).</summary>
public struct Sqrt : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => MathF.Sqrt(x);
    /// <inheritdoc />
    public readonly double Apply(double x) => Math.Sqrt(x);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => Vector256.Sqrt(x);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => Vector256.Sqrt(x);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => Vector512.Sqrt(x);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => Vector512.Sqrt(x);
}

/// <summary>y = eˣ.</summary>
public struct Exp : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => MathF.Exp(x);
    /// <inheritdoc />
    public readonly double Apply(double x) => Math.Exp(x);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => Vector256.Exp(x);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => Vector256.Exp(x);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => Vector512.Exp(x);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => Vector512.Exp(x);
}

/// <summary>y = ln x (−∞ at 0, NaN for x &lt; 0).</summary>
public struct Log : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => MathF.Log(x);
    /// <inheritdoc />
    public readonly double Apply(double x) => Math.Log(x);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => Vector256.Log(x);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => Vector256.Log(x);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => Vector512.Log(x);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => Vector512.Log(x);
}

/// <summary>y = max(x, 0) (written as a comparison so that relu(−0) = 0 and NaN maps to 0 on every path).</summary>
public struct Relu : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => x > 0f ? x : 0f;
    /// <inheritdoc />
    public readonly double Apply(double x) => x > 0.0 ? x : 0.0;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => Vector256.GreaterThan(x, Vector256<float>.Zero) & x;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => Vector256.GreaterThan(x, Vector256<double>.Zero) & x;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => Vector512.GreaterThan(x, Vector512<float>.Zero) & x;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => Vector512.GreaterThan(x, Vector512<double>.Zero) & x;
}

/// <summary>y = tanh x (vector forms: see <see cref="VectorMath"/>).</summary>
public struct Tanh : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => MathF.Tanh(x);
    /// <inheritdoc />
    public readonly double Apply(double x) => Math.Tanh(x);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => VectorMath.Tanh(x);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => VectorMath.Tanh(x);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => VectorMath.Tanh(x);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => VectorMath.Tanh(x);
}

/// <summary>y = σ(x) = 1/(1 + e^{−x}) (e^{−x} = ∞ gives exactly 0, so no overflow guard is needed).</summary>
public struct Sigmoid : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => 1f / (1f + MathF.Exp(-x));
    /// <inheritdoc />
    public readonly double Apply(double x) => 1.0 / (1.0 + Math.Exp(-x));
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x));
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => Vector256<double>.One / (Vector256<double>.One + Vector256.Exp(-x));
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x));
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => Vector512<double>.One / (Vector512<double>.One + Vector512.Exp(-x));
}

/// <summary>y = x·σ(x) (SiLU / swish).</summary>
public struct Silu : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => x / (1f + MathF.Exp(-x));
    /// <inheritdoc />
    public readonly double Apply(double x) => x / (1.0 + Math.Exp(-x));
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => x / (Vector256<float>.One + Vector256.Exp(-x));
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => x / (Vector256<double>.One + Vector256.Exp(-x));
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => x / (Vector512<float>.One + Vector512.Exp(-x));
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => x / (Vector512<double>.One + Vector512.Exp(-x));
}

/// <summary>
/// GELU, tanh approximation (Hendrycks &amp; Gimpel 2016, as in GPT-2/BERT):
/// y = ½·x·(1 + tanh u), u = √(2/π)·(x + 0.044715·x³), evaluated as y = x·σ(2u) (the same function, since
/// ½(1 + tanh u) = σ(2u)) so that the negative tail has no 1 + tanh cancellation. See <see cref="GeluErf"/> for the exact form.
/// </summary>
public struct Gelu : IUnaryOp<float>, IUnaryOp<double>
{
    /// <summary>√(2/π).</summary>
    public const double K0 = 0.7978845608028654;
    /// <summary>The cubic coefficient 0.044715.</summary>
    public const double K1 = 0.044715;

    /// <inheritdoc />
    public readonly float Apply(float x) => x / (1f + MathF.Exp(-2f * (float)K0 * (x + (float)K1 * x * x * x)));
    /// <inheritdoc />
    public readonly double Apply(double x) => x / (1.0 + Math.Exp(-2.0 * K0 * (x + K1 * x * x * x)));
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x)
        => x / (Vector256<float>.One + Vector256.Exp(Vector256.Create(-2f * (float)K0) * (x + Vector256.Create((float)K1) * x * x * x)));
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x)
        => x / (Vector256<double>.One + Vector256.Exp(Vector256.Create(-2.0 * K0) * (x + Vector256.Create(K1) * x * x * x)));
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x)
        => x / (Vector512<float>.One + Vector512.Exp(Vector512.Create(-2f * (float)K0) * (x + Vector512.Create((float)K1) * x * x * x)));
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x)
        => x / (Vector512<double>.One + Vector512.Exp(Vector512.Create(-2.0 * K0) * (x + Vector512.Create(K1) * x * x * x)));
}

/// <summary>
/// GELU, exact form: y = x·Φ(x) with Φ the standard normal CDF, Φ(x) = ½·erfc(−x/√2). Φ is computed in double by
/// <see cref="SpecialFunctions.NormalCdf"/> (series / continued fraction, ≲ 1e-15 relative) for both precisions; the
/// vector forms run it lane by lane, so this functor is several times slower than <see cref="Gelu"/>.
/// </summary>
public struct GeluErf : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => (float)(x * SpecialFunctions.NormalCdf(x));
    /// <inheritdoc />
    public readonly double Apply(double x) => x * SpecialFunctions.NormalCdf(x);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => VectorMath.PerLane<float, GeluErf>(this, x);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => VectorMath.PerLane<double, GeluErf>(this, x);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => VectorMath.PerLane<float, GeluErf>(this, x);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => VectorMath.PerLane<double, GeluErf>(this, x);
}

/// <summary>y = 1/x.</summary>
public struct Reciprocal : IUnaryOp<float>, IUnaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float x) => 1f / x;
    /// <inheritdoc />
    public readonly double Apply(double x) => 1.0 / x;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => Vector256<float>.One / x;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => Vector256<double>.One / x;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => Vector512<float>.One / x;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => Vector512<double>.One / x;
}

/// <summary>y = α·x. <see cref="Alpha"/> is held in double and rounded to float for float data.</summary>
public struct Scale(double alpha) : IUnaryOp<float>, IUnaryOp<double>
{
    /// <summary>The factor α.</summary>
    public double Alpha = alpha;

    /// <inheritdoc />
    public readonly float Apply(float x) => (float)Alpha * x;
    /// <inheritdoc />
    public readonly double Apply(double x) => Alpha * x;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => Vector256.Create((float)Alpha) * x;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => Vector256.Create(Alpha) * x;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => Vector512.Create((float)Alpha) * x;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => Vector512.Create(Alpha) * x;
}

/// <summary>y = x + c.</summary>
public struct AddScalar(double value) : IUnaryOp<float>, IUnaryOp<double>
{
    /// <summary>The constant c.</summary>
    public double Value = value;

    /// <inheritdoc />
    public readonly float Apply(float x) => x + (float)Value;
    /// <inheritdoc />
    public readonly double Apply(double x) => x + Value;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => x + Vector256.Create((float)Value);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => x + Vector256.Create(Value);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => x + Vector512.Create((float)Value);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => x + Vector512.Create(Value);
}

/// <summary>y = α·x + β (an affine map; with α = −1, β = 1 it gives 1 − x).</summary>
public struct Affine(double alpha, double beta) : IUnaryOp<float>, IUnaryOp<double>
{
    /// <summary>The slope α.</summary>
    public double Alpha = alpha;
    /// <summary>The offset β.</summary>
    public double Beta = beta;

    /// <inheritdoc />
    public readonly float Apply(float x) => (float)Alpha * x + (float)Beta;
    /// <inheritdoc />
    public readonly double Apply(double x) => Alpha * x + Beta;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) => Vector256.Create((float)Alpha) * x + Vector256.Create((float)Beta);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) => Vector256.Create(Alpha) * x + Vector256.Create(Beta);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) => Vector512.Create((float)Alpha) * x + Vector512.Create((float)Beta);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) => Vector512.Create(Alpha) * x + Vector512.Create(Beta);
}

/// <summary>y = (s·x)²: the terms of a scaled sum of squares (‖x‖₂ = √Σ(s·x)² / s without overflow).</summary>
public struct ScaledSquare(double scale) : IUnaryOp<float>, IUnaryOp<double>
{
    /// <summary>The factor s.</summary>
    public double Scale = scale;

    /// <inheritdoc />
    public readonly float Apply(float x) { float v = (float)Scale * x; return v * v; }
    /// <inheritdoc />
    public readonly double Apply(double x) { double v = Scale * x; return v * v; }
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> x) { var v = Vector256.Create((float)Scale) * x; return v * v; }
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> x) { var v = Vector256.Create(Scale) * x; return v * v; }
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> x) { var v = Vector512.Create((float)Scale) * x; return v * v; }
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> x) { var v = Vector512.Create(Scale) * x; return v * v; }
}
