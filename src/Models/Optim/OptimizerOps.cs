using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Models.Optim;

/// <summary>Adam's second-moment update: c = β·a + (1 − β)·b², with a = v and b = g.</summary>
/// <param name="beta">The decay β₂.</param>
public struct SquareLerp(double beta) : IBinaryOp<float>, IBinaryOp<double>
{
    /// <summary>The decay β.</summary>
    public double Beta = beta;

    /// <inheritdoc />
    public readonly float Apply(float a, float b) => (float)Beta * a + (float)(1 - Beta) * (b * b);
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => Beta * a + (1 - Beta) * (b * b);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) =>
        Vector256.Create((float)Beta) * a + Vector256.Create((float)(1 - Beta)) * (b * b);
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) =>
        Vector256.Create(Beta) * a + Vector256.Create(1 - Beta) * (b * b);
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) =>
        Vector512.Create((float)Beta) * a + Vector512.Create((float)(1 - Beta)) * (b * b);
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) =>
        Vector512.Create(Beta) * a + Vector512.Create(1 - Beta) * (b * b);
}

/// <summary>
/// Adam's bias-corrected step: c = s·a / (√b·r + ε) with a = m, b = v, s = lr/(1 − β₁ᵗ), r = 1/√(1 − β₂ᵗ)
/// (PyTorch's <c>denom = v.sqrt()/√(1−β₂ᵗ) + ε; θ −= lr/(1−β₁ᵗ)·m/denom</c>).
/// </summary>
/// <param name="stepSize">s = lr / (1 − β₁ᵗ).</param>
/// <param name="inverseSqrtCorrection">r = 1 / √(1 − β₂ᵗ).</param>
/// <param name="epsilon">ε.</param>
public struct AdamDirection(double stepSize, double inverseSqrtCorrection, double epsilon) : IBinaryOp<float>, IBinaryOp<double>
{
    /// <summary>s = lr / (1 − β₁ᵗ).</summary>
    public double StepSize = stepSize;
    /// <summary>r = 1 / √(1 − β₂ᵗ).</summary>
    public double InverseSqrtCorrection = inverseSqrtCorrection;
    /// <summary>ε.</summary>
    public double Epsilon = epsilon;

    /// <inheritdoc />
    public readonly float Apply(float a, float b) => (float)StepSize * a / (MathF.Sqrt(b) * (float)InverseSqrtCorrection + (float)Epsilon);
    /// <inheritdoc />
    public readonly double Apply(double a, double b) => StepSize * a / (Math.Sqrt(b) * InverseSqrtCorrection + Epsilon);
    /// <inheritdoc />
    public readonly Vector256<float> Apply(Vector256<float> a, Vector256<float> b) =>
        Vector256.Create((float)StepSize) * a / (Vector256.Sqrt(b) * Vector256.Create((float)InverseSqrtCorrection) + Vector256.Create((float)Epsilon));
    /// <inheritdoc />
    public readonly Vector256<double> Apply(Vector256<double> a, Vector256<double> b) =>
        Vector256.Create(StepSize) * a / (Vector256.Sqrt(b) * Vector256.Create(InverseSqrtCorrection) + Vector256.Create(Epsilon));
    /// <inheritdoc />
    public readonly Vector512<float> Apply(Vector512<float> a, Vector512<float> b) =>
        Vector512.Create((float)StepSize) * a / (Vector512.Sqrt(b) * Vector512.Create((float)InverseSqrtCorrection) + Vector512.Create((float)Epsilon));
    /// <inheritdoc />
    public readonly Vector512<double> Apply(Vector512<double> a, Vector512<double> b) =>
        Vector512.Create(StepSize) * a / (Vector512.Sqrt(b) * Vector512.Create(InverseSqrtCorrection) + Vector512.Create(Epsilon));
}

/// <summary>Calls the float or double instantiation of a kernel from code generic in T (the type test folds away when jitted).</summary>
internal static class KernelCalls
{
    public static BufferView<TTo> As<T, TTo>(BufferView<T> v) where T : unmanaged where TTo : unmanaged =>
        Unsafe.As<BufferView<T>, BufferView<TTo>>(ref v);

    public static void Map2<T, TOp>(Backend be, TOp op, BufferView<T> a, BufferView<T> b, BufferView<T> c)
        where T : unmanaged where TOp : struct, IBinaryOp<float>, IBinaryOp<double>
    {
        if (typeof(T) == typeof(float)) be.Map2<float, TOp>(op, As<T, float>(a), As<T, float>(b), As<T, float>(c));
        else be.Map2<double, TOp>(op, As<T, double>(a), As<T, double>(b), As<T, double>(c));
    }

    /// <summary>y ← α·x + y with α given in double.</summary>
    public static void Axpy<T>(Backend be, double alpha, BufferView<T> x, BufferView<T> y) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) be.Axpy((float)alpha, As<T, float>(x), As<T, float>(y));
        else be.Axpy(alpha, As<T, double>(x), As<T, double>(y));
    }

    /// <summary>x ← α·x with α given in double.</summary>
    public static void Scal<T>(Backend be, double alpha, BufferView<T> x) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) be.Scal((float)alpha, As<T, float>(x));
        else be.Scal(alpha, As<T, double>(x));
    }

    public static void RequireFloat<T>(string who)
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"{who}: element type {typeof(T).Name} is not supported (float or double).");
    }
}
