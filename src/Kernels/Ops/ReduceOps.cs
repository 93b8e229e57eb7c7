using System.Runtime.Intrinsics;

namespace Tangent.Kernels.Ops;

/// <summary>Sum reduction (identity 0).</summary>
public struct SumOp : IReduceOp<float>, IReduceOp<double>
{
    readonly float IReduceOp<float>.Identity => 0f;
    readonly double IReduceOp<double>.Identity => 0.0;
    /// <inheritdoc />
    public readonly float Combine(float a, float b) => a + b;
    /// <inheritdoc />
    public readonly double Combine(double a, double b) => a + b;
    /// <inheritdoc />
    public readonly Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => a + b;
    /// <inheritdoc />
    public readonly Vector256<double> Combine(Vector256<double> a, Vector256<double> b) => a + b;
    /// <inheritdoc />
    public readonly Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => a + b;
    /// <inheritdoc />
    public readonly Vector512<double> Combine(Vector512<double> a, Vector512<double> b) => a + b;
}

/// <summary>Max reduction (identity −∞; NaN propagates).</summary>
public struct MaxOp : IReduceOp<float>, IReduceOp<double>
{
    readonly float IReduceOp<float>.Identity => float.NegativeInfinity;
    readonly double IReduceOp<double>.Identity => double.NegativeInfinity;
    /// <inheritdoc />
    public readonly float Combine(float a, float b) => MathF.Max(a, b);
    /// <inheritdoc />
    public readonly double Combine(double a, double b) => Math.Max(a, b);
    /// <inheritdoc />
    public readonly Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    /// <inheritdoc />
    public readonly Vector256<double> Combine(Vector256<double> a, Vector256<double> b) => Vector256.Max(a, b);
    /// <inheritdoc />
    public readonly Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    /// <inheritdoc />
    public readonly Vector512<double> Combine(Vector512<double> a, Vector512<double> b) => Vector512.Max(a, b);
}

/// <summary>Min reduction (identity +∞; NaN propagates).</summary>
public struct MinOp : IReduceOp<float>, IReduceOp<double>
{
    readonly float IReduceOp<float>.Identity => float.PositiveInfinity;
    readonly double IReduceOp<double>.Identity => double.PositiveInfinity;
    /// <inheritdoc />
    public readonly float Combine(float a, float b) => MathF.Min(a, b);
    /// <inheritdoc />
    public readonly double Combine(double a, double b) => Math.Min(a, b);
    /// <inheritdoc />
    public readonly Vector256<float> Combine(Vector256<float> a, Vector256<float> b) => Vector256.Min(a, b);
    /// <inheritdoc />
    public readonly Vector256<double> Combine(Vector256<double> a, Vector256<double> b) => Vector256.Min(a, b);
    /// <inheritdoc />
    public readonly Vector512<float> Combine(Vector512<float> a, Vector512<float> b) => Vector512.Min(a, b);
    /// <inheritdoc />
    public readonly Vector512<double> Combine(Vector512<double> a, Vector512<double> b) => Vector512.Min(a, b);
}
