using System.Diagnostics;
using System.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>
/// Conjugate gradients on many right-hand sides at once: <c>count</c> independent CG iterations run in lockstep,
/// each with its own scalars, and every iteration makes one batched product
/// <see cref="ILinearOperator{T}.ApplyMany"/> over the block [count, n] (for operators from the tape: one K-tangent
/// JVP/VJP sweep instead of K). Right-hand sides, solutions and residuals are rows of row-major blocks.
/// </summary>
/// <remarks>
/// The modes, accuracy and breakdown reporting are those of <see cref="ConjugateGradient{T}"/>, per column:
/// with a tolerance, a column stops updating once its recurrence residual meets it; when no column is active the
/// true residuals of all columns are computed by one batched product and columns that fail the tolerance restart
/// from their current x (residual replacement), so a converged column satisfies ‖b_j − A x_j‖ ≤ tol·‖b_j‖. In
/// fixed-step mode (tolerance 0) every column runs the given number of steps unless its residual reaches machine
/// precision or it breaks down. A breakdown in one column stops that column only.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class BlockConjugateGradient<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Backend _backend;
    private readonly DeviceBuffer<T> _r, _z, _p, _q, _coefficients;
    private readonly DeviceBuffer<T>? _basis;
    private DeviceBuffer<T>? _preconditionedBasis;
    private readonly double[] _history, _bNorms, _rz;
    private readonly int[] _columnIterations, _stored;
    private readonly bool[] _converged, _active;
    private readonly SolverBreakdown[] _breakdown;

    /// <summary>
    /// Creates a solver for up to <paramref name="maxCount"/> systems of size up to <paramref name="capacity"/>.
    /// </summary>
    /// <param name="backend">Device of the vectors.</param>
    /// <param name="capacity">Largest n.</param>
    /// <param name="maxCount">Largest number of right-hand sides per solve.</param>
    /// <param name="tolerance">Relative residual per column; 0 selects fixed-step mode.</param>
    /// <param name="maxIterations">Iteration limit (the step count in fixed-step mode).</param>
    /// <param name="reorthogonalize">Full reorthogonalisation of each column's residuals (two Gram–Schmidt passes).</param>
    public BlockConjugateGradient(Backend backend, int capacity, int maxCount, double tolerance, int maxIterations, bool reorthogonalize)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (capacity <= 0 || maxCount <= 0 || maxIterations <= 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"block CG: capacity {capacity}, count {maxCount} and iterations {maxIterations} must be positive.");
        if (!(tolerance >= 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), $"block CG: tolerance {tolerance} is negative.");
        _backend = backend;
        Capacity = capacity;
        MaxCount = maxCount;
        Tolerance = tolerance;
        MaxIterations = maxIterations;
        Reorthogonalize = reorthogonalize;
        int block = checked(capacity * maxCount);
        _r = backend.Allocate<T>(block);
        _z = backend.Allocate<T>(block);
        _p = backend.Allocate<T>(block);
        _q = backend.Allocate<T>(block);
        _coefficients = backend.Allocate<T>(maxIterations + 1);
        if (reorthogonalize) _basis = backend.Allocate<T>(checked((maxIterations + 1) * block));
        _history = new double[checked((maxIterations + 1) * maxCount)];
        _bNorms = new double[maxCount];
        _rz = new double[maxCount];
        _columnIterations = new int[maxCount];
        _stored = new int[maxCount];
        _converged = new bool[maxCount];
        _active = new bool[maxCount];
        _breakdown = new SolverBreakdown[maxCount];
    }

    /// <summary>Largest n.</summary>
    public int Capacity { get; }

    /// <summary>Largest number of right-hand sides.</summary>
    public int MaxCount { get; }

    /// <summary>Relative residual tolerance (0: fixed steps).</summary>
    public double Tolerance { get; }

    /// <summary>Iteration limit, or the step count in fixed-step mode.</summary>
    public int MaxIterations { get; }

    /// <summary>Whether residuals are reorthogonalised.</summary>
    public bool Reorthogonalize { get; }

    private bool FixedSteps => Tolerance == 0;

    /// <summary>
    /// Solves A X[j,:] = B[j,:] for j &lt; <paramref name="count"/>; X [count, n] receives the solutions (the
    /// iteration starts from 0). B and X must not alias.
    /// </summary>
    public BlockSolveResult<T> Solve(ILinearOperator<T> a, BufferView<T> b, BufferView<T> x, int count, ILinearOperator<T>? preconditioner = null)
    {
        long start = Stopwatch.GetTimestamp();
        SolverChecks.Operator("block CG", "A", _backend, a);
        SolverChecks.Square("block CG", "A", a, Capacity);
        int n = a.Rows;
        if (count <= 0 || count > MaxCount)
            throw new ArgumentOutOfRangeException(nameof(count), $"block CG: count {count} is outside 1..{MaxCount}.");
        if (preconditioner is not null)
        {
            SolverChecks.Operator("block CG", "preconditioner", _backend, preconditioner);
            if (preconditioner.Rows != n || preconditioner.Columns != n)
                throw new ArgumentException($"block CG: preconditioner is {preconditioner.Rows}×{preconditioner.Columns}, A is {n}×{n}.");
        }
        SolverChecks.Vector("block CG", "B", _backend, b, (long)count * n);
        SolverChecks.Vector("block CG", "X", _backend, x, (long)count * n);
        int size = count * n;
        b = b.Slice(0, size);
        x = x.Slice(0, size);
        var r = _r.Slice(0, size);
        var p = _p.Slice(0, size);
        var q = _q.Slice(0, size);
        var z = preconditioner is null ? r : _z.Slice(0, size);
        int rowsPerColumn = MaxIterations + 1;
        BufferView<T> basis = default, zBasis = default;
        if (Reorthogonalize)
        {
            basis = _basis!.Slice(0, rowsPerColumn * size);
            if (preconditioner is not null)
            {
                _preconditionedBasis ??= _backend.Allocate<T>(_basis!.Length);
                zBasis = _preconditionedBasis.Slice(0, rowsPerColumn * size);
            }
        }

        _backend.Fill(x, T.Zero);
        _backend.Copy(b, r);
        for (int j = 0; j < count; j++)
        {
            double bNorm = Scalar<T>.Norm(_backend, Row(b, j, n));
            _bNorms[j] = bNorm;
            _history[j] = bNorm;
            _columnIterations[j] = 0;
            _stored[j] = 0;
            _breakdown[j] = double.IsFinite(bNorm) ? SolverBreakdown.None : SolverBreakdown.NotANumber;
            _converged[j] = bNorm == 0;
            _active[j] = bNorm > 0 && double.IsFinite(bNorm);
        }
        if (preconditioner is not null) preconditioner.ApplyMany(r, z, count);
        for (int j = 0; j < count; j++)
            if (_active[j]) StartColumn(j, n, r, z, p, basis, zBasis, _bNorms[j], preconditioner is not null);

        int it = 0;
        bool restarted;
        do
        {
            while (it < MaxIterations && AnyActive(count))
            {
                a.ApplyMany(p, q, count);
                it++;
                for (int j = 0; j < count; j++)
                {
                    _history[it * count + j] = _history[(it - 1) * count + j];
                    if (!_active[j]) continue;
                    var pj = Row(p, j, n);
                    var qj = Row(q, j, n);
                    double pq = Scalar<T>.Dot(_backend, pj, qj);
                    _columnIterations[j]++;
                    if (!double.IsFinite(pq)) { Break(j, SolverBreakdown.NotANumber); continue; }
                    if (pq <= 0) { Break(j, SolverBreakdown.NonPositiveCurvature); continue; }
                    double alpha = _rz[j] / pq;
                    _backend.Axpy(Scalar<T>.Of(alpha), pj, Row(x, j, n));
                    _backend.Axpy(Scalar<T>.Of(-alpha), qj, Row(r, j, n));
                }
                if (preconditioner is not null) preconditioner.ApplyMany(r, z, count);
                for (int j = 0; j < count; j++)
                {
                    if (!_active[j]) continue;
                    var rj = Row(r, j, n);
                    var zj = Row(z, j, n);
                    if (Reorthogonalize)
                    {
                        var qb = basis.Slice(j * rowsPerColumn * n, rowsPerColumn * n);
                        var wb = zBasis.IsNull ? default : zBasis.Slice(j * rowsPerColumn * n, rowsPerColumn * n);
                        for (int pass = 0; pass < 2; pass++)
                            GramSchmidt.Project(_backend, qb, wb, _stored[j], n, rj, preconditioner is null ? default : zj, _coefficients.View);
                    }
                    double rNorm = Scalar<T>.Norm(_backend, rj);
                    _history[it * count + j] = rNorm;
                    if (!double.IsFinite(rNorm)) { Break(j, SolverBreakdown.NotANumber); continue; }
                    if (FixedSteps ? rNorm <= Scalar<T>.Epsilon * _bNorms[j] : rNorm <= Tolerance * _bNorms[j])
                    {
                        _active[j] = false;
                        _converged[j] = true;
                        continue;
                    }
                    double rzNew = preconditioner is null ? rNorm * rNorm : Scalar<T>.Dot(_backend, rj, zj);
                    if (!double.IsFinite(rzNew)) { Break(j, SolverBreakdown.NotANumber); continue; }
                    if (rzNew <= 0) { Break(j, SolverBreakdown.IndefinitePreconditioner); continue; }
                    double beta = rzNew / _rz[j];
                    _rz[j] = rzNew;
                    var pj = Row(p, j, n);
                    _backend.Scal(Scalar<T>.Of(beta), pj);
                    _backend.Axpy(T.One, zj, pj);
                    if (Reorthogonalize) StoreRow(j, n, rj, zj, basis, zBasis, rzNew, preconditioner is not null);
                }
            }
            // Tolerance mode: verify converged columns on the true residual and restart those that drifted.
            restarted = !FixedSteps && VerifyAndRestart(a, preconditioner, b, x, r, z, p, q, basis, zBasis, count, n, it);
        } while (restarted);

        bool all = true;
        var union = SolverBreakdown.None;
        for (int j = 0; j < count; j++)
        {
            // In fixed-step mode a column that ran all steps without breakdown is complete.
            if (FixedSteps && _active[j]) _converged[j] = true;
            if (_breakdown[j] != SolverBreakdown.None) _converged[j] = false;
            all &= _converged[j];
            union |= _breakdown[j];
        }
        return new BlockSolveResult<T>(x, count, it, _columnIterations.AsMemory(0, count), _history.AsMemory(0, (it + 1) * count),
            _bNorms.AsMemory(0, count), _converged.AsMemory(0, count), _breakdown.AsMemory(0, count), all, union, SolverChecks.Since(start));
    }

    private static BufferView<T> Row(BufferView<T> block, int j, int n) => block.Slice(j * n, n);

    private bool AnyActive(int count)
    {
        for (int j = 0; j < count; j++) if (_active[j]) return true;
        return false;
    }

    private void Break(int j, SolverBreakdown why)
    {
        _breakdown[j] |= why;
        _active[j] = false;
        _converged[j] = false;
    }

    /// <summary>Column j (re)starts from its residual: p = z, rz = ⟨r, z⟩, basis reset.</summary>
    private void StartColumn(int j, int n, BufferView<T> r, BufferView<T> z, BufferView<T> p, BufferView<T> basis, BufferView<T> zBasis,
        double rNorm, bool preconditioned)
    {
        var rj = Row(r, j, n);
        var zj = Row(z, j, n);
        double rz = preconditioned ? Scalar<T>.Dot(_backend, rj, zj) : rNorm * rNorm;
        if (!double.IsFinite(rz)) { Break(j, SolverBreakdown.NotANumber); return; }
        if (rz <= 0) { Break(j, SolverBreakdown.IndefinitePreconditioner); return; }
        _rz[j] = rz;
        _backend.Copy(zj, Row(p, j, n));
        _stored[j] = 0;
        if (Reorthogonalize) StoreRow(j, n, rj, zj, basis, zBasis, rz, preconditioned);
    }

    private void StoreRow(int j, int n, BufferView<T> rj, BufferView<T> zj, BufferView<T> basis, BufferView<T> zBasis, double rz, bool preconditioned)
    {
        if (_stored[j] > MaxIterations) return;
        int offset = (j * (MaxIterations + 1) + _stored[j]) * n;
        var scale = Scalar<T>.Of(1 / Math.Sqrt(rz));
        var row = basis.Slice(offset, n);
        _backend.Copy(rj, row);
        _backend.Scal(scale, row);
        if (preconditioned)
        {
            var zRow = zBasis.Slice(offset, n);
            _backend.Copy(zj, zRow);
            _backend.Scal(scale, zRow);
        }
        _stored[j]++;
    }

    /// <summary>
    /// Computes the true residuals of the converged columns in one batched product; a column whose true residual
    /// misses the tolerance (the recurrence residual drifted) restarts from its current x if iterations remain, else
    /// it is marked not converged. Returns whether any column restarted.
    /// </summary>
    private bool VerifyAndRestart(ILinearOperator<T> a, ILinearOperator<T>? m, BufferView<T> b, BufferView<T> x, BufferView<T> r,
        BufferView<T> z, BufferView<T> p, BufferView<T> q, BufferView<T> basis, BufferView<T> zBasis, int count, int n, int it)
    {
        a.ApplyMany(x, q, count);
        bool any = false;
        for (int j = 0; j < count; j++)
        {
            if (!_converged[j] || _bNorms[j] == 0) continue;
            var rj = Row(r, j, n);
            _backend.Copy(Row(b, j, n), rj);
            _backend.Axpy(-T.One, Row(q, j, n), rj);
            double trueNorm = Scalar<T>.Norm(_backend, rj);
            _history[it * count + j] = trueNorm;
            if (trueNorm <= Tolerance * _bNorms[j]) continue;
            _converged[j] = false;
            if (!double.IsFinite(trueNorm)) { _breakdown[j] |= SolverBreakdown.NotANumber; continue; }
            _active[j] = it < MaxIterations;
            any |= _active[j];
        }
        if (!any) return false;
        if (m is not null) m.ApplyMany(r, z, count);
        for (int j = 0; j < count; j++)
            if (_active[j]) StartColumn(j, n, r, z, p, basis, zBasis, _history[it * count + j], m is not null);
        return true;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _r.Dispose(); _z.Dispose(); _p.Dispose(); _q.Dispose(); _coefficients.Dispose();
        _basis?.Dispose(); _preconditionedBasis?.Dispose();
    }
}
