using System.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>
/// Stopping parameters of LSQR and LSMR, with the meanings of Paige &amp; Saunders (1982) and Fong &amp; Saunders
/// (2011). The iteration stops when (1) ‖r‖ ≤ btol·‖b‖ + atol·‖A‖·‖x‖ (Ax = b is consistent and solved), or
/// (2) ‖Aᵀr‖ ≤ atol·‖A‖·‖r‖ (a least-squares solution), or (3) the estimate of cond(A) exceeds
/// <see cref="ConditionLimit"/>, or the iteration limit is reached. With damping λ the problem is
/// min ‖[A; λI] x − [b; 0]‖ and r is the damped residual.
/// </summary>
/// <remarks>
/// Accuracy: atol and btol are roughly the relative accuracy wanted in A and b; when A and b are exact to
/// machine precision, atol = btol = 1e-8 (VIKING's choice for its LSMR projection) gives about 8 correct digits
/// in x for well-conditioned A. In general the relative error in x is about cond(A)·max(atol, btol) for
/// consistent systems, plus cond(A)²·atol·‖r‖/(‖A‖‖x‖) when b is not in the range of A (the least-squares
/// perturbation bound: stopping at ‖Aᵀr‖ ≤ atol‖A‖‖r‖ leaves x − x* = (AᵀA)⁻¹Aᵀr). Tolerances below
/// machine precision stop with <see cref="StopReason.MachinePrecision"/> (tests 4–6 of the papers).
/// </remarks>
/// <param name="Atol">Relative accuracy of A (and the least-squares test).</param>
/// <param name="Btol">Relative accuracy of b.</param>
/// <param name="ConditionLimit">Stop once the cond(A) estimate passes this (0: no limit).</param>
/// <param name="MaxIterations">Iteration limit.</param>
/// <param name="Damping">λ ≥ 0 for the damped (Tikhonov) problem.</param>
public sealed record LeastSquaresOptions(double Atol = 1e-8, double Btol = 1e-8, double ConditionLimit = 1e8, int MaxIterations = 1000,
    double Damping = 0);

/// <summary>Estimates kept by LSQR/LSMR from their last solve (all computed from host scalars during the iteration).</summary>
/// <param name="NormA">Estimate of ‖Ā‖_F (Ā = [A; λI]) over the Krylov space seen.</param>
/// <param name="ConditionA">Estimate of cond(Ā).</param>
/// <param name="NormResidual">‖r‖ (the damped residual when λ &gt; 0).</param>
/// <param name="NormNormalResidual">‖Āᵀ r̄‖, zero at a least-squares solution.</param>
/// <param name="NormX">‖x‖.</param>
public readonly record struct LeastSquaresEstimates(double NormA, double ConditionA, double NormResidual, double NormNormalResidual, double NormX);

/// <summary>Shared buffers, argument checks and the stopping tests of LSQR and LSMR.</summary>
public abstract class LeastSquaresSolver<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>The device.</summary>
    private protected readonly Backend Backend;
    /// <summary>Work vectors: u and its product (rows); v, its product, and two more (columns).</summary>
    private protected readonly DeviceBuffer<T> U, Au, V, Atv, W1, W2;
    /// <summary>History of ‖r‖ and of ‖Aᵀr‖.</summary>
    private protected readonly double[] History, NormalHistory;

    /// <summary>Allocates work vectors for operators up to <paramref name="maxRows"/> × <paramref name="maxColumns"/>.</summary>
    private protected LeastSquaresSolver(Backend backend, int maxRows, int maxColumns, LeastSquaresOptions? options)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Options = options ?? new LeastSquaresOptions();
        if (maxRows <= 0 || maxColumns <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxRows), $"{Name}: sizes {maxRows}×{maxColumns} must be positive.");
        if (Options.MaxIterations <= 0 || Options.Atol < 0 || Options.Btol < 0 || Options.ConditionLimit < 0 || Options.Damping < 0)
            throw new ArgumentException($"{Name}: invalid options {Options}.");
        Backend = backend;
        MaxRows = maxRows;
        MaxColumns = maxColumns;
        U = backend.Allocate<T>(maxRows);
        Au = backend.Allocate<T>(maxRows);
        V = backend.Allocate<T>(maxColumns);
        Atv = backend.Allocate<T>(maxColumns);
        W1 = backend.Allocate<T>(maxColumns);
        W2 = backend.Allocate<T>(maxColumns);
        History = new double[Options.MaxIterations + 1];
        NormalHistory = new double[Options.MaxIterations + 1];
    }

    /// <summary>The stopping parameters.</summary>
    public LeastSquaresOptions Options { get; }

    /// <summary>Largest row count.</summary>
    public int MaxRows { get; }

    /// <summary>Largest column count.</summary>
    public int MaxColumns { get; }

    /// <summary>Estimates from the last solve.</summary>
    public LeastSquaresEstimates Estimates { get; private protected set; }

    /// <summary>‖Āᵀr̄_i‖ for i = 0..Iterations of the last solve (valid until the next solve).</summary>
    public ReadOnlyMemory<double> NormalResidualNorms { get; private protected set; }

    private protected abstract string Name { get; }

    /// <summary>
    /// Solves min ‖A x − b‖ (damped: min ‖A x − b‖² + λ²‖x‖²) starting from x = 0; <paramref name="x"/> (length
    /// A.Columns) receives the solution.
    /// </summary>
    public SolveResult<T> Solve(ILinearOperator<T> a, BufferView<T> b, BufferView<T> x)
    {
        SolverChecks.Operator(Name, "A", Backend, a);
        if (a.Rows > MaxRows || a.Columns > MaxColumns)
            throw new ArgumentException($"{Name}: A is {a.Rows}×{a.Columns} but the solver was made for at most {MaxRows}×{MaxColumns}.");
        SolverChecks.Vector(Name, "b", Backend, b, a.Rows);
        SolverChecks.Vector(Name, "x", Backend, x, a.Columns);
        return SolveCore(a, b.Slice(0, a.Rows), x.Slice(0, a.Columns));
    }

    private protected abstract SolveResult<T> SolveCore(ILinearOperator<T> a, BufferView<T> b, BufferView<T> x);

    /// <summary>The tests of Paige–Saunders / Fong–Saunders in their order of precedence.</summary>
    private protected StopReason Test(int iteration, double normR, double normAr, double normA, double condA, double normX, double normB)
    {
        double test1 = normR / normB;
        double test2 = normA * normR > 0 ? normAr / (normA * normR) : double.PositiveInfinity;
        double test3 = 1 / condA;
        double t1 = test1 / (1 + normA * normX / normB);
        double rtol = Options.Btol + Options.Atol * normA * normX / normB;
        double ctol = Options.ConditionLimit > 0 ? 1 / Options.ConditionLimit : 0;
        if (test1 <= rtol) return StopReason.Converged;
        if (test2 <= Options.Atol) return StopReason.LeastSquaresConverged;
        if (test3 <= ctol) return StopReason.ConditionLimit;
        if (1 + t1 <= 1 || 1 + test2 <= 1 || 1 + test3 <= 1) return StopReason.MachinePrecision;
        if (iteration >= Options.MaxIterations) return StopReason.IterationLimit;
        return StopReason.Continue;
    }

    /// <summary>The first Golub–Kahan step: β u = b, α v = Aᵀu. Returns false when b = 0 or Aᵀb = 0 (x = 0 is the answer).</summary>
    private protected bool Bidiagonalize0(ILinearOperator<T> a, BufferView<T> b, BufferView<T> u, BufferView<T> v,
        out double alpha, out double beta)
    {
        Backend.Copy(b, u);
        beta = Scalar<T>.Norm(Backend, u);
        alpha = 0;
        if (!(beta > 0)) return false;
        Backend.Scal(Scalar<T>.Of(1 / beta), u);
        a.ApplyTranspose(u, v);
        alpha = Scalar<T>.Norm(Backend, v);
        if (!(alpha > 0)) return false;
        Backend.Scal(Scalar<T>.Of(1 / alpha), v);
        return true;
    }

    /// <summary>One Golub–Kahan step: β u ← A v − α u, then α v ← Aᵀu − β v (scalars updated in place).</summary>
    private protected void Bidiagonalize(ILinearOperator<T> a, BufferView<T> u, BufferView<T> au, BufferView<T> v, BufferView<T> atv,
        ref double alpha, ref double beta)
    {
        a.Apply(v, au);
        Backend.Scal(Scalar<T>.Of(-alpha), u);
        Backend.Axpy(T.One, au, u);
        beta = Scalar<T>.Norm(Backend, u);
        if (beta > 0)
        {
            Backend.Scal(Scalar<T>.Of(1 / beta), u);
            a.ApplyTranspose(u, atv);
            Backend.Scal(Scalar<T>.Of(-beta), v);
            Backend.Axpy(T.One, atv, v);
            alpha = Scalar<T>.Norm(Backend, v);
            if (alpha > 0) Backend.Scal(Scalar<T>.Of(1 / alpha), v);
        }
    }

    /// <summary>The result record, with the NaN/∞ breakdown check on the final estimates.</summary>
    private protected SolveResult<T> Finish(BufferView<T> x, int iterations, double normB, StopReason reason, long start, bool finite)
    {
        var breakdown = finite ? SolverBreakdown.None : SolverBreakdown.NotANumber;
        if (!finite) reason = StopReason.Breakdown;
        bool converged = finite && reason is StopReason.Converged or StopReason.LeastSquaresConverged or StopReason.ZeroRightHandSide
            or StopReason.MachinePrecision;
        NormalResidualNorms = NormalHistory.AsMemory(0, iterations + 1);
        return new SolveResult<T>(x, iterations, History.AsMemory(0, iterations + 1), normB, converged, breakdown, reason,
            SolverChecks.Since(start));
    }

    /// <summary>A stable Givens rotation: (c, s, r) with r = √(a² + b²), c = a/r, s = b/r (Fong &amp; Saunders' SymOrtho).</summary>
    private protected static (double C, double S, double R) SymOrtho(double a, double b)
    {
        if (b == 0) return (a == 0 ? 1 : Math.Sign(a), 0, Math.Abs(a));
        if (a == 0) return (0, Math.Sign(b), Math.Abs(b));
        if (Math.Abs(b) > Math.Abs(a))
        {
            double tau = a / b;
            double s = Math.Sign(b) / Math.Sqrt(1 + tau * tau);
            return (s * tau, s, b / s);
        }
        else
        {
            double tau = b / a;
            double c = Math.Sign(a) / Math.Sqrt(1 + tau * tau);
            return (c, c * tau, a / c);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        U.Dispose(); Au.Dispose(); V.Dispose(); Atv.Dispose(); W1.Dispose(); W2.Dispose();
        GC.SuppressFinalize(this);
    }
}
