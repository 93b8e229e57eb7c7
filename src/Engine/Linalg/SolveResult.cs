using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>Why an iteration could not go on; several may be set at once.</summary>
[Flags]
public enum SolverBreakdown
{
    /// <summary>No breakdown.</summary>
    None = 0,
    /// <summary>pᵀAp ≤ 0 in CG: the operator is not positive definite on the Krylov space (or not symmetric).</summary>
    NonPositiveCurvature = 1,
    /// <summary>A NaN or infinity appeared in a scalar of the iteration (in the input, the operator or the recurrences).</summary>
    NotANumber = 2,
    /// <summary>The residual stopped decreasing (see <see cref="StopCriterion.Stagnation"/>).</summary>
    Stagnation = 4,
    /// <summary>rᵀM r ≤ 0 in preconditioned CG: the preconditioner M is not positive definite.</summary>
    IndefinitePreconditioner = 8,
}

/// <summary>What ended an iteration.</summary>
public enum StopReason
{
    /// <summary>The iteration goes on (only seen inside <see cref="StopCriterion.Check"/>).</summary>
    Continue,
    /// <summary>The tolerance was met (for LSQR/LSMR: Ax = b is solved to atol/btol).</summary>
    Converged,
    /// <summary>LSQR/LSMR: a least-squares solution was found to atol (‖Aᵀr‖ ≤ atol·‖A‖·‖r‖).</summary>
    LeastSquaresConverged,
    /// <summary>A fixed number of steps was requested and all of them ran.</summary>
    StepsCompleted,
    /// <summary>The iteration limit was reached before the tolerance.</summary>
    IterationLimit,
    /// <summary>LSQR/LSMR: the estimate of cond(A) passed conlim.</summary>
    ConditionLimit,
    /// <summary>The tolerances asked for are below what machine precision can deliver; the result is as good as it gets.</summary>
    MachinePrecision,
    /// <summary>The residual grew past the divergence limit.</summary>
    Diverged,
    /// <summary>The residual stopped decreasing.</summary>
    Stagnated,
    /// <summary>A breakdown ended the iteration (see <see cref="SolverBreakdown"/>).</summary>
    Breakdown,
    /// <summary>The right-hand side is zero, so x = 0 solves the problem exactly.</summary>
    ZeroRightHandSide,
}

/// <summary>
/// The solution of one solve and its statistics. <see cref="X"/> is the caller's output view;
/// <see cref="ResidualNorms"/> points into the solver's own history buffer and is valid until the solver's next
/// solve (copy it with <c>ToArray()</c> to keep it): this keeps a steady-state solve free of allocations.
/// </summary>
/// <param name="X">The solution (the output view given to the solver).</param>
/// <param name="Iterations">Iterations run (operator applications inside the loop).</param>
/// <param name="ResidualNorms">‖r_i‖ for i = 0..Iterations (the solver's residual: for CG the recurrence
/// residual ‖b − Ax‖, for LSQR/LSMR the estimate of ‖b − Ax‖ (with damping: of the damped residual)).</param>
/// <param name="RightHandSideNorm">‖b‖, so that relative residuals are ResidualNorms / RightHandSideNorm.</param>
/// <param name="Converged">Whether the stopping rule was met without breakdown.</param>
/// <param name="Breakdown">Breakdowns seen; anything but <see cref="SolverBreakdown.None"/> means X is not to be trusted.</param>
/// <param name="Reason">What ended the iteration.</param>
/// <param name="Elapsed">Wall-clock time of the solve.</param>
public readonly record struct SolveResult<T>(BufferView<T> X, int Iterations, ReadOnlyMemory<double> ResidualNorms,
    double RightHandSideNorm, bool Converged, SolverBreakdown Breakdown, StopReason Reason, TimeSpan Elapsed) where T : unmanaged
{
    /// <summary>The last residual norm over ‖b‖ (0 when b = 0).</summary>
    public double RelativeResidual => RightHandSideNorm > 0 ? ResidualNorms.Span[^1] / RightHandSideNorm : 0;
}

/// <summary>
/// The result of solving for <see cref="Count"/> right-hand sides at once (one vector per row of X). The per-column
/// memories point into the solver's buffers and are valid until its next solve.
/// </summary>
/// <param name="X">Solutions, [Count, n].</param>
/// <param name="Count">Number of right-hand sides.</param>
/// <param name="Iterations">Batched iterations run (each one batched operator application).</param>
/// <param name="ColumnIterations">Iterations each column needed (a column stops updating once it has converged).</param>
/// <param name="ResidualNorms">Residual norms, [Iterations + 1, Count] row-major: entry (i, j) is ‖r_j‖ after i iterations.</param>
/// <param name="RightHandSideNorms">‖b_j‖ per column.</param>
/// <param name="ColumnConverged">Per column: stopping rule met without breakdown.</param>
/// <param name="ColumnBreakdown">Per column breakdowns.</param>
/// <param name="Converged">All columns converged.</param>
/// <param name="Breakdown">Union of the column breakdowns.</param>
/// <param name="Elapsed">Wall-clock time of the solve.</param>
public readonly record struct BlockSolveResult<T>(BufferView<T> X, int Count, int Iterations, ReadOnlyMemory<int> ColumnIterations,
    ReadOnlyMemory<double> ResidualNorms, ReadOnlyMemory<double> RightHandSideNorms, ReadOnlyMemory<bool> ColumnConverged,
    ReadOnlyMemory<SolverBreakdown> ColumnBreakdown, bool Converged, SolverBreakdown Breakdown, TimeSpan Elapsed) where T : unmanaged
{
    /// <summary>Final relative residual of column <paramref name="j"/>.</summary>
    public double RelativeResidual(int j)
    {
        double b = RightHandSideNorms.Span[j];
        return b > 0 ? ResidualNorms.Span[Iterations * Count + j] / b : 0;
    }
}
