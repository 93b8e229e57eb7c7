using System.Runtime.Intrinsics;

namespace Tangent.Kernels.Ops;

// Binary elementwise functors, including the derivative helpers autodiff uses (a = primal input or output, b = dy).

/// <summary>c = a + b.</summary>
public struct Add : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => a + b;
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => a + b;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a + b;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => a + b;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a + b;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => a + b;
}

/// <summary>c = a − b.</summary>
public struct Sub : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => a - b;
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => a - b;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a - b;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => a - b;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a - b;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => a - b;
}

/// <summary>c = a·b.</summary>
public struct Mul : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => a * b;
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => a * b;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a * b;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => a * b;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a * b;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => a * b;
}

/// <summary>c = a / b.</summary>
public struct Div : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => a / b;
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => a / b;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => a / b;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => a / b;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => a / b;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => a / b;
}

/// <summary>c = max(a, b) (NaN propagates).</summary>
public struct Max : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => MathF.Max(a, b);
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => Math.Max(a, b);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => Vector256.Max(a, b);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => Vector512.Max(a, b);
}

/// <summary>c = min(a, b) (NaN propagates).</summary>
public struct Min : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => MathF.Min(a, b);
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => Math.Min(a, b);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => Vector256.Min(a, b);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => Vector512.Min(a, b);
}

/// <summary>Backward of ReLU: c = dy·[x &gt; 0] with a = x (the input), b = dy.</summary>
public struct ReluGrad : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => a > 0f ? b : 0f;
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => a > 0.0 ? b : 0.0;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => Vector256.GreaterThan(a, Vector256<float>.Zero) & b;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => Vector256.GreaterThan(a, Vector256<double>.Zero) & b;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => Vector512.GreaterThan(a, Vector512<float>.Zero) & b;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => Vector512.GreaterThan(a, Vector512<double>.Zero) & b;
}

/// <summary>Backward of tanh from its output: c = dy·(1 − y²) with a = y = tanh x, b = dy.</summary>
public struct TanhGradFromOutput : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => b * (1f - a * a);
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => b * (1.0 - a * a);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => b * (Vector256<float>.One - a * a);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => b * (Vector256<double>.One - a * a);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => b * (Vector512<float>.One - a * a);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => b * (Vector512<double>.One - a * a);
}

/// <summary>Backward of σ from its output: c = dy·y·(1 − y) with a = y = σ(x), b = dy.</summary>
public struct SigmoidGradFromOutput : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => b * a * (1f - a);
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => b * a * (1.0 - a);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => b * a * (Vector256<float>.One - a);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => b * a * (Vector256<double>.One - a);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => b * a * (Vector512<float>.One - a);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => b * a * (Vector512<double>.One - a);
}

/// <summary>Backward of √ from its output: c = dy/(2y) with a = y = √x, b = dy.</summary>
public struct SqrtGradFromOutput : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => 0.5f * b / a;
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => 0.5 * b / a;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => Vector256.Create(0.5f) * b / a;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => Vector256.Create(0.5) * b / a;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => Vector512.Create(0.5f) * b / a;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => Vector512.Create(0.5) * b / a;
}

/// <summary>Backward of 1/x from its output: c = −dy·y² with a = y = 1/x, b = dy.</summary>
public struct ReciprocalGradFromOutput : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => -b * a * a;
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => -b * a * a;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => -b * a * a;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => -b * a * a;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => -b * a * a;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => -b * a * a;
}

/// <summary>Backward of |x|: c = dy·sign(x) (0 at x = 0) with a = x, b = dy.</summary>
public struct AbsGrad : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => a > 0f ? b : a < 0f ? -b : 0f;
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => a > 0.0 ? b : a < 0.0 ? -b : 0.0;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => (Vector256.GreaterThan(a, Vector256<float>.Zero) & b) - (Vector256.LessThan(a, Vector256<float>.Zero) & b);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => (Vector256.GreaterThan(a, Vector256<double>.Zero) & b) - (Vector256.LessThan(a, Vector256<double>.Zero) & b);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => (Vector512.GreaterThan(a, Vector512<float>.Zero) & b) - (Vector512.LessThan(a, Vector512<float>.Zero) & b);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => (Vector512.GreaterThan(a, Vector512<double>.Zero) & b) - (Vector512.LessThan(a, Vector512<double>.Zero) & b);
}

/// <summary>Backward of SiLU: c = dy·σ(x)·(1 + x·(1 − σ(x))) with a = x, b = dy.</summary>
public struct SiluGrad : IBinaryOp<float>, IBinaryOp<double>
{
    private static float SiluGradF(float x, float dy) { float s = 1f / (1f + MathF.Exp(-x)); return dy * s * (1f + x * (1f - s)); }
    private static double SiluGradD(double x, double dy) { double s = 1.0 / (1.0 + Math.Exp(-x)); return dy * s * (1.0 + x * (1.0 - s)); }
    private static Vector256<float> SiluGradV(Vector256<float> x, Vector256<float> dy) { var s = Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(-x)); return dy * s * (Vector256<float>.One + x * (Vector256<float>.One - s)); }
    private static Vector256<double> SiluGradV(Vector256<double> x, Vector256<double> dy) { var s = Vector256<double>.One / (Vector256<double>.One + Vector256.Exp(-x)); return dy * s * (Vector256<double>.One + x * (Vector256<double>.One - s)); }
    private static Vector512<float> SiluGradV(Vector512<float> x, Vector512<float> dy) { var s = Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(-x)); return dy * s * (Vector512<float>.One + x * (Vector512<float>.One - s)); }
    private static Vector512<double> SiluGradV(Vector512<double> x, Vector512<double> dy) { var s = Vector512<double>.One / (Vector512<double>.One + Vector512.Exp(-x)); return dy * s * (Vector512<double>.One + x * (Vector512<double>.One - s)); }
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => SiluGradF(a, b);
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => SiluGradD(a, b);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => SiluGradV(a, b);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => SiluGradV(a, b);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => SiluGradV(a, b);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => SiluGradV(a, b);
}

/// <summary>
/// Backward of the tanh-approximation GELU (<see cref="Gelu"/>), y = x·σ(2u), u = √(2/π)(x + 0.044715x³):
/// c = dy·(s + 2x·s(1 − s)·√(2/π)(1 + 3·0.044715x²)) with s = σ(2u), a = x, b = dy
/// (equal to ½(1 + t) + ½x(1 − t²)u′ with t = tanh u, without its cancellation for x ≪ 0).
/// </summary>
public struct GeluGrad : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b)
    {
        float s = 1f / (1f + MathF.Exp(-2f * (float)Gelu.K0 * (a + (float)Gelu.K1 * a * a * a)));
        return b * (s + 2f * a * s * (1f - s) * (float)Gelu.K0 * (1f + 3f * (float)Gelu.K1 * a * a));
    }
    /// <inheritdoc />
    public readonly double Apply(double a, double b)
    {
        double s = 1.0 / (1.0 + Math.Exp(-2.0 * Gelu.K0 * (a + Gelu.K1 * a * a * a)));
        return b * (s + 2.0 * a * s * (1.0 - s) * Gelu.K0 * (1.0 + 3.0 * Gelu.K1 * a * a));
    }
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b)
    {
        var a2 = a * a;
        var s = Vector256<float>.One / (Vector256<float>.One + Vector256.Exp(Vector256.Create(-2f * (float)Gelu.K0) * (a + Vector256.Create((float)Gelu.K1) * a2 * a)));
        var du = Vector256.Create(2f * (float)Gelu.K0) * (Vector256<float>.One + Vector256.Create(3f * (float)Gelu.K1) * a2);
        return b * (s + a * s * (Vector256<float>.One - s) * du);
    }
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b)
    {
        var a2 = a * a;
        var s = Vector256<double>.One / (Vector256<double>.One + Vector256.Exp(Vector256.Create(-2.0 * Gelu.K0) * (a + Vector256.Create(Gelu.K1) * a2 * a)));
        var du = Vector256.Create(2.0 * Gelu.K0) * (Vector256<double>.One + Vector256.Create(3.0 * Gelu.K1) * a2);
        return b * (s + a * s * (Vector256<double>.One - s) * du);
    }
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b)
    {
        var a2 = a * a;
        var s = Vector512<float>.One / (Vector512<float>.One + Vector512.Exp(Vector512.Create(-2f * (float)Gelu.K0) * (a + Vector512.Create((float)Gelu.K1) * a2 * a)));
        var du = Vector512.Create(2f * (float)Gelu.K0) * (Vector512<float>.One + Vector512.Create(3f * (float)Gelu.K1) * a2);
        return b * (s + a * s * (Vector512<float>.One - s) * du);
    }
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b)
    {
        var a2 = a * a;
        var s = Vector512<double>.One / (Vector512<double>.One + Vector512.Exp(Vector512.Create(-2.0 * Gelu.K0) * (a + Vector512.Create(Gelu.K1) * a2 * a)));
        var du = Vector512.Create(2.0 * Gelu.K0) * (Vector512<double>.One + Vector512.Create(3.0 * Gelu.K1) * a2);
        return b * (s + a * s * (Vector512<double>.One - s) * du);
    }
}

/// <summary>Backward of the exact GELU (<see cref="GeluErf"/>): c = dy·(Φ(x) + x·φ(x)) with a = x, b = dy; lane by lane in double.</summary>
public struct GeluErfGrad : IBinaryOp<float>, IBinaryOp<double>
{
    /// <inheritdoc />
    public readonly float Apply(float a, float b) => (float)(b * (SpecialFunctions.NormalCdf(a) + a * SpecialFunctions.NormalPdf(a)));
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => b * (SpecialFunctions.NormalCdf(a) + a * SpecialFunctions.NormalPdf(a));
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => VectorMath.PerLane2<float, GeluErfGrad>(this, a, b);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => VectorMath.PerLane2<double, GeluErfGrad>(this, a, b);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => VectorMath.PerLane2<float, GeluErfGrad>(this, a, b);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => VectorMath.PerLane2<double, GeluErfGrad>(this, a, b);
}

/// <summary>c = α·a + β·b (scaled sum; <see cref="Alpha"/> and <see cref="Beta"/> are rounded to float for float data).</summary>
public struct Axpby(double alpha, double beta) : IBinaryOp<float>, IBinaryOp<double>
{
    /// <summary>The factor on a.</summary>
    public double Alpha = alpha;
    /// <summary>The factor on b.</summary>
    public double Beta = beta;

    /// <inheritdoc />
    public readonly float Apply(float a, float b) => (float)Alpha * a + (float)Beta * b;
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => Alpha * a + Beta * b;
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) => Vector256.Create((float)Alpha) * a + Vector256.Create((float)Beta) * b;
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) => Vector256.Create(Alpha) * a + Vector256.Create(Beta) * b;
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) => Vector512.Create((float)Alpha) * a + Vector512.Create((float)Beta) * b;
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) => Vector512.Create(Alpha) * a + Vector512.Create(Beta) * b;
}
