using System.Diagnostics;
using System.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>
/// Conjugate gradients for A x = b with A symmetric positive definite, given as an operator, optionally
/// preconditioned by M ≈ A⁻¹ (an operator, e.g. <see cref="LinearOperator.Diagonal{T}"/> of 1/diag A). Vectors stay
/// on the device; only the scalars ⟨p, Ap⟩, ‖r‖ and ⟨r, Mr⟩ come to the host. One instance owns its buffers and
/// can be reused: a solve in steady state allocates nothing.
/// </summary>
/// <remarks>
/// <para>Two modes:</para>
/// <para><b>Tolerance</b> (<see cref="WithTolerance"/>): iterate until ‖b − Ax‖ ≤ tol·‖b‖. When the recurrence
/// residual meets the tolerance, the true residual is computed once (one extra product); if it does not meet the
/// tolerance the iteration restarts from the current x with the true residual (residual replacement), so
/// <see cref="SolveResult{T}.Converged"/> always refers to the true residual. Accuracy: the returned x satisfies
/// ‖b − Ax‖ ≤ tol·‖b‖, hence ‖x − x*‖/‖x*‖ ≤ κ(A)·tol. Tolerances below about κ(A)·ε·‖A‖‖x‖/‖b‖ (ε = 2.2e-16 in
/// double, 1.2e-7 in float) cannot be met in floating point; the solve then ends at the iteration limit or by
/// stagnation, not converged. Plain CG loses orthogonality on ill-conditioned problems: at κ = 1e8 (n = 120) it
/// did not converge in 20n iterations, while the reorthogonalised variant converged in n; use
/// <c>reorthogonalize: true</c> beyond κ ≈ 1e5 when n is small enough to keep an [iterations, n] block.</para>
/// <para><b>Fixed steps</b> (<see cref="FixedSteps"/>, VIKING's default: 10 steps, full reorthogonalisation, no
/// tolerance): exactly the requested number of iterations (fewer only if the residual reaches machine precision
/// first). Converged then means "all steps ran without breakdown", not a residual level; read the residual from
/// <see cref="SolveResult{T}.ResidualNorms"/>.</para>
/// <para><b>Reorthogonalisation</b> keeps the normalised residuals r_i/√(r_iᵀz_i) in an [iterations + 1, n] block
/// and removes their components from each new residual with two GEMMs per pass (classical Gram–Schmidt, by
/// default twice: "twice is enough"). In exact arithmetic CG residuals are mutually orthogonal (M⁻¹-orthogonal
/// with a preconditioner); restoring that orthogonality prevents the loss of conjugacy that delays convergence
/// on ill-conditioned problems.</para>
/// <para><b>Breakdown</b> is reported, never hidden: ⟨p, Ap⟩ ≤ 0 (<see cref="SolverBreakdown.NonPositiveCurvature"/>:
/// A is not SPD), ⟨r, Mr⟩ ≤ 0 (<see cref="SolverBreakdown.IndefinitePreconditioner"/>), a NaN/∞ anywhere in the
/// scalars (<see cref="SolverBreakdown.NotANumber"/>), and <see cref="StopReason.Stagnated"/> from a stagnation
/// criterion (<see cref="SolverBreakdown.Stagnation"/>). The iteration stops at the breakdown with Converged false.</para>
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class ConjugateGradient<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Backend _backend;
    private readonly StopCriterion _stop;
    private readonly bool _fixedSteps;
    private readonly int _maxIterations;
    private readonly DeviceBuffer<T> _r, _z, _p, _q, _coefficients;
    private readonly DeviceBuffer<T>? _basis;
    private DeviceBuffer<T>? _preconditionedBasis;
    private readonly double[] _history;

    /// <summary>
    /// Creates a solver for systems of size up to <paramref name="capacity"/>. The stop criterion must bound the
    /// iteration count (include <see cref="StopCriterion.IterationLimit"/>); it sizes the history and the
    /// reorthogonalisation block.
    /// </summary>
    /// <param name="backend">Device of the vectors.</param>
    /// <param name="capacity">Largest n that will be solved.</param>
    /// <param name="stop">Stopping rule.</param>
    /// <param name="reorthogonalize">Keep the residuals and reorthogonalise against all of them.</param>
    /// <param name="fixedSteps">Reaching the iteration limit counts as completion (fixed-step mode), and the true
    /// residual is not verified.</param>
    /// <param name="reorthogonalizationPasses">Gram–Schmidt passes per iteration (1 is VIKING's choice, 2 is safer).</param>
    public ConjugateGradient(Backend backend, int capacity, StopCriterion stop, bool reorthogonalize = false,
        bool fixedSteps = false, int reorthogonalizationPasses = 2)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(stop);
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), $"CG: capacity {capacity} must be positive.");
        if (stop.IterationBound == int.MaxValue)
            throw new ArgumentException("CG: the stop criterion has no iteration limit; combine it with StopCriterion.IterationLimit(n).");
        if (reorthogonalizationPasses is < 1 or > 3)
            throw new ArgumentOutOfRangeException(nameof(reorthogonalizationPasses), $"CG: {reorthogonalizationPasses} Gram–Schmidt passes; use 1 to 3.");
        _backend = backend;
        _stop = stop;
        _fixedSteps = fixedSteps;
        _maxIterations = stop.IterationBound;
        Capacity = capacity;
        Reorthogonalize = reorthogonalize;
        ReorthogonalizationPasses = reorthogonalizationPasses;
        _r = backend.Allocate<T>(capacity);
        _z = backend.Allocate<T>(capacity);
        _p = backend.Allocate<T>(capacity);
        _q = backend.Allocate<T>(capacity);
        _coefficients = backend.Allocate<T>(_maxIterations + 1);
        if (reorthogonalize) _basis = backend.Allocate<T>(checked((_maxIterations + 1) * capacity));
        _history = new double[_maxIterations + 1];
    }

    /// <summary>CG to relative residual <paramref name="tolerance"/> (true residual verified) within <paramref name="maxIterations"/>.</summary>
    public static ConjugateGradient<T> WithTolerance(Backend backend, int capacity, double tolerance, int maxIterations,
        bool reorthogonalize = false) =>
        new(backend, capacity, StopCriterion.RelativeResidual(tolerance) | StopCriterion.IterationLimit(maxIterations), reorthogonalize);

    /// <summary>Exactly <paramref name="steps"/> CG iterations with full reorthogonalisation (VIKING's default is 10 steps).</summary>
    public static ConjugateGradient<T> FixedSteps(Backend backend, int capacity, int steps = 10, bool reorthogonalize = true,
        int reorthogonalizationPasses = 2) =>
        new(backend, capacity, StopCriterion.IterationLimit(steps), reorthogonalize, fixedSteps: true, reorthogonalizationPasses);

    /// <summary>Largest system size.</summary>
    public int Capacity { get; }

    /// <summary>Whether residuals are reorthogonalised.</summary>
    public bool Reorthogonalize { get; }

    /// <summary>Gram–Schmidt passes per iteration.</summary>
    public int ReorthogonalizationPasses { get; }

    /// <summary>
    /// Solves A x = b. <paramref name="x"/> receives the solution; with <paramref name="useInitialGuess"/> its
    /// content is the starting point, else the iteration starts from 0. b and x must not alias.
    /// </summary>
    public SolveResult<T> Solve(ILinearOperator<T> a, BufferView<T> b, BufferView<T> x, ILinearOperator<T>? preconditioner = null,
        bool useInitialGuess = false)
    {
        long start = Stopwatch.GetTimestamp();
        SolverChecks.Operator("CG", "A", _backend, a);
        SolverChecks.Square("CG", "A", a, Capacity);
        int n = a.Rows;
        if (preconditioner is not null)
        {
            SolverChecks.Operator("CG", "preconditioner", _backend, preconditioner);
            SolverChecks.Square("CG", "preconditioner", preconditioner, n);
            if (preconditioner.Rows != n) throw new ArgumentException($"CG: preconditioner is {preconditioner.Rows}×{preconditioner.Rows}, A is {n}×{n}.");
        }
        SolverChecks.Vector("CG", "b", _backend, b, n);
        SolverChecks.Vector("CG", "x", _backend, x, n);
        b = b.Slice(0, n);
        x = x.Slice(0, n);
        var r = _r.Slice(0, n);
        var p = _p.Slice(0, n);
        var q = _q.Slice(0, n);
        var z = preconditioner is null ? r : _z.Slice(0, n);
        BufferView<T> basis = default, zBasis = default;
        if (Reorthogonalize)
        {
            basis = _basis!.Slice(0, (_maxIterations + 1) * n);
            if (preconditioner is not null)
            {
                _preconditionedBasis ??= _backend.Allocate<T>(_basis!.Length);
                zBasis = _preconditionedBasis.Slice(0, (_maxIterations + 1) * n);
            }
        }
        _stop.Reset();

        double bNorm = Scalar<T>.Norm(_backend, b);
        _history[0] = bNorm;
        if (!double.IsFinite(bNorm))
            return Result(x, 0, bNorm, false, SolverBreakdown.NotANumber, StopReason.Breakdown, start);
        if (bNorm == 0)
        {
            _backend.Fill(x, T.Zero);
            return Result(x, 0, bNorm, true, SolverBreakdown.None, StopReason.ZeroRightHandSide, start);
        }

        double rNorm = Residual(a, b, x, r, q, useInitialGuess);
        _history[0] = rNorm;
        if (!double.IsFinite(rNorm))
            return Result(x, 0, bNorm, false, SolverBreakdown.NotANumber, StopReason.Breakdown, start);
        double r0 = rNorm;
        var initial = _stop.Check(new IterationStatus(0, rNorm, r0, bNorm));
        if (initial == StopReason.Converged)
            return Result(x, 0, bNorm, true, SolverBreakdown.None, StopReason.Converged, start);

        int stored = 0;
        if (!Restart(preconditioner, r, z, p, basis, zBasis, n, ref stored, rNorm, out double rz, out var breakdown))
            return Result(x, 0, bNorm, false, breakdown, StopReason.Breakdown, start);

        int it = 0;
        var reason = StopReason.Continue;
        breakdown = SolverBreakdown.None;
        while (reason == StopReason.Continue)
        {
            a.Apply(p, q);
            double pq = Scalar<T>.Dot(_backend, p, q);
            it++;
            if (!double.IsFinite(pq)) { breakdown = SolverBreakdown.NotANumber; _history[it] = rNorm; break; }
            if (pq <= 0) { breakdown = SolverBreakdown.NonPositiveCurvature; _history[it] = rNorm; break; }
            double alpha = rz / pq;
            _backend.Axpy(Scalar<T>.Of(alpha), p, x);
            _backend.Axpy(Scalar<T>.Of(-alpha), q, r);
            if (preconditioner is not null) preconditioner.Apply(r, z);
            if (Reorthogonalize)
                for (int pass = 0; pass < ReorthogonalizationPasses; pass++)
                    GramSchmidt.Project(_backend, basis, zBasis, stored, n, r, preconditioner is null ? default : z, _coefficients.View);
            rNorm = Scalar<T>.Norm(_backend, r);
            _history[it] = rNorm;
            if (!double.IsFinite(rNorm)) { breakdown = SolverBreakdown.NotANumber; break; }

            reason = _stop.Check(new IterationStatus(it, rNorm, r0, bNorm));
            if (reason == StopReason.Converged && !_fixedSteps)
            {
                // Verify on the true residual; if the recurrence drifted, restart from x with the true residual.
                double trueNorm = Residual(a, b, x, r, q, useInitialGuess: true);
                _history[it] = trueNorm;
                rNorm = trueNorm;
                reason = _stop.Check(new IterationStatus(it, trueNorm, r0, bNorm));
                if (reason == StopReason.Continue)
                {
                    stored = 0;
                    if (!Restart(preconditioner, r, z, p, basis, zBasis, n, ref stored, rNorm, out rz, out breakdown)) break;
                    continue;
                }
            }
            if (reason != StopReason.Continue) break;
            if (_fixedSteps && rNorm <= Scalar<T>.Epsilon * bNorm) { reason = StopReason.Converged; break; }

            double rzNew = preconditioner is null ? rNorm * rNorm : Scalar<T>.Dot(_backend, r, z);
            if (!double.IsFinite(rzNew)) { breakdown = SolverBreakdown.NotANumber; break; }
            if (rzNew <= 0) { breakdown = SolverBreakdown.IndefinitePreconditioner; break; }
            double beta = rzNew / rz;
            rz = rzNew;
            // p ← z + βp
            _backend.Scal(Scalar<T>.Of(beta), p);
            _backend.Axpy(T.One, z, p);
            if (Reorthogonalize) Store(r, z, basis, zBasis, n, ref stored, rz, preconditioner is not null);
        }

        if (breakdown != SolverBreakdown.None) reason = StopReason.Breakdown;
        if (reason == StopReason.Stagnated) breakdown |= SolverBreakdown.Stagnation;
        if (_fixedSteps && reason == StopReason.IterationLimit) reason = StopReason.StepsCompleted;
        bool converged = breakdown == SolverBreakdown.None && reason is StopReason.Converged or StopReason.StepsCompleted;
        return Result(x, it, bNorm, converged, breakdown, reason, start);
    }

    /// <summary>r ← b − A x (or r ← b with x ← 0); returns ‖r‖.</summary>
    private double Residual(ILinearOperator<T> a, BufferView<T> b, BufferView<T> x, BufferView<T> r, BufferView<T> q, bool useInitialGuess)
    {
        if (useInitialGuess)
        {
            a.Apply(x, q);
            _backend.Copy(b, r);
            _backend.Axpy(-T.One, q, r);
        }
        else
        {
            _backend.Fill(x, T.Zero);
            _backend.Copy(b, r);
        }
        return Scalar<T>.Norm(_backend, r);
    }

    /// <summary>z ← M r, p ← z, rz ← ⟨r, z⟩, and the first basis vector; false on breakdown.</summary>
    private bool Restart(ILinearOperator<T>? m, BufferView<T> r, BufferView<T> z, BufferView<T> p, BufferView<T> basis,
        BufferView<T> zBasis, int n, ref int stored, double rNorm, out double rz, out SolverBreakdown breakdown)
    {
        breakdown = SolverBreakdown.None;
        if (m is not null) m.Apply(r, z);
        rz = m is null ? rNorm * rNorm : Scalar<T>.Dot(_backend, r, z);
        if (!double.IsFinite(rz)) { breakdown = SolverBreakdown.NotANumber; return false; }
        if (rz <= 0) { breakdown = SolverBreakdown.IndefinitePreconditioner; return false; }
        _backend.Copy(z, p);
        if (Reorthogonalize) Store(r, z, basis, zBasis, n, ref stored, rz, m is not null);
        return true;
    }

    /// <summary>Appends r/√rz (and z/√rz) to the basis blocks.</summary>
    private void Store(BufferView<T> r, BufferView<T> z, BufferView<T> basis, BufferView<T> zBasis, int n, ref int stored, double rz,
        bool preconditioned)
    {
        if (stored > _maxIterations) return;
        var scale = Scalar<T>.Of(1 / Math.Sqrt(rz));
        var row = basis.Slice(stored * n, n);
        _backend.Copy(r, row);
        _backend.Scal(scale, row);
        if (preconditioned)
        {
            var zRow = zBasis.Slice(stored * n, n);
            _backend.Copy(z, zRow);
            _backend.Scal(scale, zRow);
        }
        stored++;
    }

    private SolveResult<T> Result(BufferView<T> x, int iterations, double bNorm, bool converged, SolverBreakdown breakdown,
        StopReason reason, long start) =>
        new(x, iterations, _history.AsMemory(0, iterations + 1), bNorm, converged, breakdown, reason, SolverChecks.Since(start));

    /// <inheritdoc />
    public void Dispose()
    {
        _r.Dispose(); _z.Dispose(); _p.Dispose(); _q.Dispose(); _coefficients.Dispose();
        _basis?.Dispose(); _preconditionedBasis?.Dispose();
    }
}
