using System.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>
/// A linear map A: R^Columns → R^Rows on device vectors, known only through its products (matfree / laplax style):
/// solvers take operators, never matrices. Vectors are contiguous views on <see cref="Backend"/>; a block of
/// <c>count</c> vectors is stored row-major as <c>[count, length]</c> (one vector per row), which is the K-tangent
/// layout of the tape's batched JVP/VJP. Implementations are not thread-safe (they keep scratch buffers).
/// </summary>
/// <remarks>
/// Operators built from a traced function (J by forward mode, Jᵀ by reverse mode, JJᵀ, the GGN JᵀΛJ + αI,
/// NTK-vector products) implement this interface directly and override the batched forms with one K-tangent
/// sweep; everything in this namespace (solvers, <see cref="KernelProjection{T}"/>) then works on them unchanged.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public interface ILinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Dimension of the output space (length of y in y = A x).</summary>
    int Rows { get; }

    /// <summary>Dimension of the input space (length of x in y = A x).</summary>
    int Columns { get; }

    /// <summary>The device the operator's vectors live on.</summary>
    Backend Backend { get; }

    /// <summary>y ← A x, with x of length <see cref="Columns"/> and y of length <see cref="Rows"/>; y must not alias x.</summary>
    void Apply(BufferView<T> x, BufferView<T> y);

    /// <summary>x ← Aᵀ y, with y of length <see cref="Rows"/> and x of length <see cref="Columns"/>; x must not alias y.</summary>
    void ApplyTranspose(BufferView<T> y, BufferView<T> x);

    /// <summary>Y[i,:] ← A X[i,:] for i &lt; <paramref name="count"/>: X is [count, Columns], Y is [count, Rows].</summary>
    void ApplyMany(BufferView<T> x, BufferView<T> y, int count);

    /// <summary>X[i,:] ← Aᵀ Y[i,:] for i &lt; <paramref name="count"/>: Y is [count, Rows], X is [count, Columns].</summary>
    void ApplyTransposeMany(BufferView<T> y, BufferView<T> x, int count);
}
