using System.Runtime.Intrinsics;

namespace Tangent.Kernels.Ops;

/// <summary>
/// An elementwise function of one argument as a struct functor. The scalar <see cref="Apply(T)"/> is what ILGPU
/// kernels call; the vector overloads are what the CPU SIMD path calls. One struct serves both backends.
/// </summary>
public interface IUnaryOp<T> where T : unmanaged
{
    /// <summary>Scalar form (used by ILGPU kernels and CPU tails).</summary>
    T Apply(T x);
    /// <summary>256-bit SIMD form.</summary>
    Vector256<T> Apply(Vector256<T> x);
    /// <summary>512-bit SIMD form.</summary>
    Vector512<T> Apply(Vector512<T> x);
}

/// <summary>An elementwise function of two arguments as a struct functor; see <see cref="IUnaryOp{T}"/>.</summary>
public interface IBinaryOp<T> where T : unmanaged
{
    /// <summary>Scalar form.</summary>
    T Apply(T a, T b);
    /// <summary>256-bit SIMD form.</summary>
    Vector256<T> Apply(Vector256<T> a, Vector256<T> b);
    /// <summary>512-bit SIMD form.</summary>
    Vector512<T> Apply(Vector512<T> a, Vector512<T> b);
}

/// <summary>An associative, commutative reduction with an identity (sum, max), as a struct functor.</summary>
public interface IReduceOp<T> where T : unmanaged
{
    /// <summary>The identity element (0 for sum, −∞ for max).</summary>
    T Identity { get; }
    /// <summary>Combines two partial results.</summary>
    T Combine(T a, T b);
    /// <summary>Combines lane-wise (256-bit).</summary>
    Vector256<T> Combine(Vector256<T> a, Vector256<T> b);
    /// <summary>Combines lane-wise (512-bit).</summary>
    Vector512<T> Combine(Vector512<T> a, Vector512<T> b);
}
