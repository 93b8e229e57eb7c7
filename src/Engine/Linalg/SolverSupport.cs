using System.Diagnostics;
using System.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>Host-scalar helpers shared by the solvers: all recurrences run in double on the host.</summary>
internal static class Scalar<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Machine epsilon of T (2⁻²³ for float, 2⁻⁵² for double).</summary>
    public static readonly double Epsilon = typeof(T) == typeof(float) ? 1.1920928955078125e-7 : 2.220446049250313e-16;

    public static double D(T value) => double.CreateTruncating(value);

    public static T Of(double value) => T.CreateTruncating(value);

    public static double Dot(Backend backend, BufferView<T> x, BufferView<T> y) => D(backend.Dot(x, y));

    public static double Norm(Backend backend, BufferView<T> x) => D(backend.Nrm2(x));
}

/// <summary>Checks shared by the solvers.</summary>
internal static class SolverChecks
{
    public static void Vector<T>(string solver, string name, Backend backend, BufferView<T> view, long needed) where T : unmanaged
    {
        if (view.IsNull) throw new ArgumentException($"{solver}: {name} is not set.");
        if (view.Length < needed) throw new ArgumentException($"{solver}: {name} has {view.Length} elements, {needed} needed.");
        if (!ReferenceEquals(view.Buffer.Backend, backend))
            throw new ArgumentException($"{solver}: {name} lives on {view.Buffer.Backend.Info.Name}, not on {backend.Info.Name}.");
    }

    public static void Operator<T>(string solver, string name, Backend backend, ILinearOperator<T> op)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(op, name);
        if (!ReferenceEquals(op.Backend, backend))
            throw new ArgumentException($"{solver}: {name} lives on {op.Backend.Info.Name}, not on {backend.Info.Name}.");
    }

    public static void Square<T>(string solver, string name, ILinearOperator<T> op, int capacity)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (op.Rows != op.Columns)
            throw new ArgumentException($"{solver}: {name} must be square, not {op.Rows}×{op.Columns}.");
        if (op.Rows > capacity)
            throw new ArgumentException($"{solver}: {name} is {op.Rows}×{op.Columns} but the solver was made for n ≤ {capacity}.");
    }

    public static TimeSpan Since(long start) => Stopwatch.GetElapsedTime(start);
}

/// <summary>
/// Full reorthogonalisation against a block of stored vectors Q [k, n] (one per row) by classical Gram–Schmidt
/// written as two GEMMs per pass: c = Q r, r ← r − Qᵀc. With a second block W (used by preconditioned CG, where
/// residuals are orthogonal in the M⁻¹ inner product), the coefficients are c = W r and the same combination is
/// subtracted from a companion vector: z ← z − Wᵀc.
/// </summary>
internal static class GramSchmidt
{
    /// <summary>r ← r − Qᵀ(W r) (and z ← z − Wᵀ(W r) when z is set); W = Q when <paramref name="w"/> is null.</summary>
    public static void Project<T>(Backend backend, BufferView<T> q, BufferView<T> w, int k, int n, BufferView<T> r,
        BufferView<T> z, BufferView<T> coefficients) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (k == 0) return;
        var wb = w.IsNull ? q : w;
        var c = coefficients.Slice(0, k);
        // c (1×k) = r (1×n) · Wᵀ (n×k)
        backend.Gemm(Transpose.No, Transpose.Yes, 1, k, n, T.One, r, n, wb, n, T.Zero, c, k);
        // r (1×n) −= c (1×k) · Q (k×n)
        backend.Gemm(Transpose.No, Transpose.No, 1, n, k, -T.One, c, k, q, n, T.One, r, n);
        if (!z.IsNull)
            backend.Gemm(Transpose.No, Transpose.No, 1, n, k, -T.One, c, k, wb, n, T.One, z, n);
    }
}
