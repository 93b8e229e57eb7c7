using System.Diagnostics;
using System.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>How <see cref="KernelProjection{T}"/> computes λ.</summary>
public enum ProjectionSolver
{
    /// <summary>CG on JJᵀλ = Jε for a fixed number of steps with full reorthogonalisation (VIKING's default, 10 steps).</summary>
    FixedStepConjugateGradient,
    /// <summary>CG on JJᵀλ = Jε to a relative residual tolerance.</summary>
    ConjugateGradient,
    /// <summary>LSMR on min ‖Jᵀλ − ε‖ (VIKING's library alternative, atol = btol = 1e-8); one vector at a time.</summary>
    Lsmr,
    /// <summary>
    /// The rows of J made explicit by one batched product with Jᵀ (B one-hot cotangent sets), then JJᵀ by one GEMM and
    /// a Cholesky factorisation of its row-normalised form (+ δI, δ = 1e-7 in float32, 1e-12 in float64) in float64 on
    /// the host: exact to rounding (relative residual ~1e-6 in float32), and every vector of the call costs two GEMMs more. For operators with few rows
    /// (a loss Jacobian of a batch); memory rows × columns.
    /// </summary>
    Dense,
}

/// <summary>
/// An operator that writes its own matrix more cheaply than B one-hot transpose products would (for a loss Jacobian:
/// the per-example gradients, one small reverse sweep each); <see cref="ProjectionSolver.Dense"/> uses it when offered.
/// </summary>
public interface IExplicitRows<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Writes the operator's matrix, [Rows, Columns] row-major, into <paramref name="rows"/>.</summary>
    void WriteRows(BufferView<T> rows);
}

/// <summary>Settings of a <see cref="KernelProjection{T}"/>.</summary>
/// <param name="Solver">The solver for λ.</param>
/// <param name="Steps">CG steps in <see cref="ProjectionSolver.FixedStepConjugateGradient"/>.</param>
/// <param name="Tolerance">Relative residual of JJᵀλ = Jε in <see cref="ProjectionSolver.ConjugateGradient"/>.</param>
/// <param name="MaxIterations">Iteration limit of the tolerance-based CG and of LSMR.</param>
/// <param name="Atol">LSMR atol.</param>
/// <param name="Btol">LSMR btol.</param>
public sealed record KernelProjectionOptions(ProjectionSolver Solver = ProjectionSolver.FixedStepConjugateGradient, int Steps = 10,
    double Tolerance = 1e-10, int MaxIterations = 200, double Atol = 1e-8, double Btol = 1e-8);

/// <summary>Statistics of <see cref="KernelProjection{T}.Alternate"/>.</summary>
/// <param name="Passes">Passes over the operator list.</param>
/// <param name="Projections">Single projections applied (passes × operators).</param>
/// <param name="InnerIterations">Solver iterations summed over all projections (batched iterations for many vectors).</param>
/// <param name="Converged">Every projection's solver met its stopping rule.</param>
/// <param name="Breakdown">Union of the breakdowns seen.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public readonly record struct AlternatingProjectionResult(int Passes, int Projections, int InnerIterations, bool Converged,
    SolverBreakdown Breakdown, TimeSpan Elapsed);

/// <summary>
/// The projection onto the kernel of J (rows B, columns P), matrix-free:
/// Pε = ε − Jᵀ(JJᵀ)⁻¹Jε, with λ = (JJᵀ)⁻¹Jε by CG (each iteration one product with J and one with Jᵀ) or by LSMR
/// on min ‖Jᵀλ − ε‖ (whose residual is Pε). For J of full row rank P is the orthogonal projector onto ker J; for
/// rank-deficient J, CG from λ = 0 stays in range(J) and still converges to the minimum-norm λ, so Pε is again
/// the orthogonal projection. Many vectors go through the batched products (one K-tangent sweep per CG
/// iteration for operators from the tape), and <see cref="Alternate"/> applies the projections of several
/// operators (J_b for several batches) in turn, which converges to the projection onto the intersection of their
/// kernels (von Neumann's alternating projections; Miani et al. and VIKING's posterior over a data set).
/// </summary>
/// <remarks>
/// Accuracy: with a tolerance τ on ‖JJᵀλ − Jε‖/‖Jε‖, ‖J Pε‖ = ‖Jε − JJᵀλ‖ ≤ τ‖Jε‖. Ten fixed steps are not enough
/// at a random network initialisation (‖JPε‖/‖Jε‖ ≈ 4e-2 for LeNet, batch 32); read the residual from the
/// returned stats. The instance owns its work buffers (allocated once): projections allocate nothing.
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class KernelProjection<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Backend _backend;
    private readonly DeviceBuffer<T> _rhs, _lambda, _update;
    private readonly ConjugateGradient<T>? _cg;
    private readonly BlockConjugateGradient<T>? _blockCg;
    private readonly Lsmr<T>? _lsmr;
    private readonly OuterGram _gram;
    private readonly TransposeView _transpose;
    private readonly double[] _history = [], _bNorms;
    private readonly DenseState? _dense;
    private readonly int[] _columnIterations;
    private readonly bool[] _columnConverged;
    private readonly SolverBreakdown[] _columnBreakdown;
    private int _lastMultipliers;

    /// <summary>
    /// Creates a projector for operators with at most <paramref name="maxRows"/> rows and exactly
    /// <paramref name="columns"/> columns, projecting up to <paramref name="maxVectors"/> vectors at once.
    /// </summary>
    public KernelProjection(Backend backend, int maxRows, int columns, int maxVectors = 1, KernelProjectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (maxRows <= 0 || columns <= 0 || maxVectors <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxRows), $"kernel projection: rows {maxRows}, columns {columns}, vectors {maxVectors} must be positive.");
        Options = options ?? new KernelProjectionOptions();
        _backend = backend;
        MaxRows = maxRows;
        Columns = columns;
        MaxVectors = maxVectors;
        _rhs = backend.Allocate<T>(checked(maxRows * maxVectors));
        _lambda = backend.Allocate<T>(checked(maxRows * maxVectors));
        _update = backend.Allocate<T>(checked(columns * maxVectors));
        _gram = new OuterGram(backend, columns, maxVectors);
        _transpose = new TransposeView(backend);
        _bNorms = new double[maxVectors];
        _columnIterations = new int[maxVectors];
        _columnConverged = new bool[maxVectors];
        _columnBreakdown = new SolverBreakdown[maxVectors];
        switch (Options.Solver)
        {
            case ProjectionSolver.FixedStepConjugateGradient:
                _cg = ConjugateGradient<T>.FixedSteps(backend, maxRows, Options.Steps);
                _blockCg = new BlockConjugateGradient<T>(backend, maxRows, maxVectors, 0, Options.Steps, reorthogonalize: true);
                break;
            case ProjectionSolver.ConjugateGradient:
                _cg = ConjugateGradient<T>.WithTolerance(backend, maxRows, Options.Tolerance, Options.MaxIterations);
                _blockCg = new BlockConjugateGradient<T>(backend, maxRows, maxVectors, Options.Tolerance, Options.MaxIterations, reorthogonalize: false);
                break;
            case ProjectionSolver.Dense:
                _dense = new DenseState(backend, maxRows, columns, maxVectors);
                _history = new double[2 * maxVectors];
                break;
            case ProjectionSolver.Lsmr:
                _lsmr = new Lsmr<T>(backend, columns, maxRows,
                    new LeastSquaresOptions(Options.Atol, Options.Btol, ConditionLimit: 0, MaxIterations: Options.MaxIterations));
                _history = new double[checked((Options.MaxIterations + 1) * maxVectors)];
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(options), $"kernel projection: unknown solver {Options.Solver}.");
        }
    }

    /// <summary>The settings.</summary>
    public KernelProjectionOptions Options { get; }

    /// <summary>Largest row count B of the operators.</summary>
    public int MaxRows { get; }

    /// <summary>Column count P of the operators (the parameter dimension).</summary>
    public int Columns { get; }

    /// <summary>Largest number of vectors per call.</summary>
    public int MaxVectors { get; }

    /// <summary>
    /// λ of the most recent <see cref="Project"/> or <see cref="ProjectMany"/> call, [count, rows] (Pε = ε − Jᵀλ),
    /// valid until the next call. Derivatives of the projection need it: VIKING's adjoint differentiates
    /// ⟨λ, J(θ) u⟩ through θ.
    /// </summary>
    public BufferView<T> Multipliers => _lambda.Slice(0, _lastMultipliers);

    /// <summary>
    /// result ← Pε for one vector (length P). <paramref name="result"/> may be <paramref name="epsilon"/> itself
    /// (in place) or a disjoint view. The returned stats are those of the solve for λ, with X = result.
    /// </summary>
    public SolveResult<T> Project(ILinearOperator<T> j, BufferView<T> epsilon, BufferView<T> result)
    {
        int b = CheckOperator(j);
        SolverChecks.Vector("kernel projection", "epsilon", _backend, epsilon, Columns);
        SolverChecks.Vector("kernel projection", "result", _backend, result, Columns);
        epsilon = epsilon.Slice(0, Columns);
        result = result.Slice(0, Columns);
        var lambda = _lambda.Slice(0, b);
        var update = _update.Slice(0, Columns);
        _lastMultipliers = b;
        SolveResult<T> stats;
        if (_dense is not null)
        {
            long t0 = Stopwatch.GetTimestamp();
            var block = ProjectManyDense(j, epsilon, result, 1, b, t0);
            return new SolveResult<T>(result, 1, _history.AsMemory(0, 2), _bNorms[0], block.Converged, block.Breakdown,
                block.Converged ? StopReason.Converged : StopReason.IterationLimit, block.Elapsed);
        }
        if (_lsmr is not null)
        {
            _transpose.Target = j;
            stats = _lsmr.Solve(_transpose, epsilon, lambda);
        }
        else
        {
            var rhs = _rhs.Slice(0, b);
            j.Apply(epsilon, rhs);
            stats = _cg!.Solve(GramOf(j), rhs, lambda);
        }
        j.ApplyTranspose(lambda, update);
        Subtract(epsilon, update, result);
        return stats with { X = result };
    }

    /// <summary>
    /// result[i,:] ← P ε[i,:] for <paramref name="count"/> vectors ([count, P] blocks); in place or disjoint as in
    /// <see cref="Project"/>. CG modes make one batched product with J and one with Jᵀ per iteration.
    /// </summary>
    public BlockSolveResult<T> ProjectMany(ILinearOperator<T> j, BufferView<T> epsilon, BufferView<T> result, int count)
    {
        long t0 = Stopwatch.GetTimestamp();
        int b = CheckOperator(j);
        if (count <= 0 || count > MaxVectors)
            throw new ArgumentOutOfRangeException(nameof(count), $"kernel projection: count {count} is outside 1..{MaxVectors}.");
        SolverChecks.Vector("kernel projection", "epsilon", _backend, epsilon, (long)count * Columns);
        SolverChecks.Vector("kernel projection", "result", _backend, result, (long)count * Columns);
        epsilon = epsilon.Slice(0, count * Columns);
        result = result.Slice(0, count * Columns);
        var lambda = _lambda.Slice(0, count * b);
        var update = _update.Slice(0, count * Columns);
        _lastMultipliers = count * b;
        if (_lsmr is not null) return ProjectManyByLsmr(j, epsilon, result, count, b, t0);
        if (_dense is not null) return ProjectManyDense(j, epsilon, result, count, b, t0);

        var rhs = _rhs.Slice(0, count * b);
        j.ApplyMany(epsilon, rhs, count);
        var stats = _blockCg!.Solve(GramOf(j), rhs, lambda, count);
        j.ApplyTransposeMany(lambda, update, count);
        Subtract(epsilon, update, result);
        return stats with { X = result, Elapsed = SolverChecks.Since(t0) };
    }

    /// <summary>
    /// Alternating projections, in place: <paramref name="passes"/> times, v ← P_b v for each operator J_b in
    /// order, on <paramref name="count"/> vectors at once ([count, P]). Converges to the projection onto
    /// ∩_b ker J_b; the rate per pass is set by the angles between the kernels.
    /// </summary>
    public AlternatingProjectionResult Alternate(IReadOnlyList<ILinearOperator<T>> operators, BufferView<T> vectors, int count, int passes)
    {
        long t0 = Stopwatch.GetTimestamp();
        ArgumentNullException.ThrowIfNull(operators);
        if (operators.Count == 0) throw new ArgumentException("kernel projection: the operator list is empty.");
        if (passes <= 0) throw new ArgumentOutOfRangeException(nameof(passes), $"kernel projection: {passes} passes must be positive.");
        int projections = 0, inner = 0;
        bool converged = true;
        var breakdown = SolverBreakdown.None;
        for (int pass = 0; pass < passes; pass++)
            foreach (var j in operators)
            {
                var s = ProjectMany(j, vectors, vectors, count);
                projections++;
                inner += s.Iterations;
                converged &= s.Converged;
                breakdown |= s.Breakdown;
            }
        return new AlternatingProjectionResult(passes, projections, inner, converged, breakdown, SolverChecks.Since(t0));
    }

    private BlockSolveResult<T> ProjectManyByLsmr(ILinearOperator<T> j, BufferView<T> epsilon, BufferView<T> result, int count, int b, long t0)
    {
        _transpose.Target = j;
        int maxIt = 0, rowLength = Options.MaxIterations + 1;
        bool all = true;
        var union = SolverBreakdown.None;
        // Per-column histories are gathered into [maxIterations + 1, count], padded with each column's last value.
        for (int i = 0; i < count; i++)
        {
            var lambda = _lambda.Slice(i * b, b);
            var s = _lsmr!.Solve(_transpose, epsilon.Slice(i * Columns, Columns), lambda);
            var h = s.ResidualNorms.Span;
            for (int it = 0; it < rowLength; it++) _history[it * count + i] = h[Math.Min(it, h.Length - 1)];
            maxIt = Math.Max(maxIt, s.Iterations);
            _bNorms[i] = s.RightHandSideNorm;
            _columnIterations[i] = s.Iterations;
            _columnConverged[i] = s.Converged;
            _columnBreakdown[i] = s.Breakdown;
            all &= s.Converged;
            union |= s.Breakdown;
        }
        var update = _update.Slice(0, count * Columns);
        j.ApplyTransposeMany(_lambda.Slice(0, count * b), update, count);
        Subtract(epsilon, update, result);
        return new BlockSolveResult<T>(result, count, maxIt, _columnIterations.AsMemory(0, count), _history.AsMemory(0, (maxIt + 1) * count),
            _bNorms.AsMemory(0, count), _columnConverged.AsMemory(0, count), _columnBreakdown.AsMemory(0, count), all, union,
            SolverChecks.Since(t0));
    }

    /// <summary>
    /// <see cref="ProjectionSolver.Dense"/>: J's rows R = [Jᵀe₁ … Jᵀe_b]ᵀ by one batched transpose product, the Gram
    /// G = RRᵀ and the right-hand sides Jε = εRᵀ by GEMMs, then on the host D = diag(G)^½ and the Cholesky factor of
    /// D⁻¹GD⁻¹ (+ δI, δ = 1e-7 for float32 and 1e-12 for float64, growing tenfold on failure), λ = D⁻¹(D⁻¹GD⁻¹)⁻¹D⁻¹Jε, Pε = ε − λR. Rows with
    /// ‖∇ℓ_i‖² below 1e-12 of the largest carry no direction and get λ_i = 0. The residual history is [‖Jε‖, ‖Jε − Gλ‖].
    /// </summary>
    private BlockSolveResult<T> ProjectManyDense(ILinearOperator<T> j, BufferView<T> epsilon, BufferView<T> result, int count, int b, long t0)
    {
        var d = _dense!;
        int p = Columns;
        var rows = d.Rows.Slice(0, b * p);
        if (j is IExplicitRows<T> explicitRows) explicitRows.WriteRows(rows);
        else j.ApplyTransposeMany(d.Identity(b), rows, b);
        var gram = d.GramDevice.Slice(0, b * b);
        _backend.Gemm(Transpose.No, Transpose.Yes, b, b, p, T.One, rows, p, rows, p, T.Zero, gram, b);
        var rhs = _rhs.Slice(0, count * b);
        _backend.Gemm(Transpose.No, Transpose.Yes, count, b, p, T.One, epsilon, p, rows, p, T.Zero, rhs, b);
        gram.Buffer.CopyTo(d.GramHost.AsSpan(0, b * b), gram.Offset);
        rhs.Buffer.CopyTo(d.RhsHost.AsSpan(0, count * b), rhs.Offset);
        var breakdown = d.Factor(b);
        bool all = breakdown == SolverBreakdown.None;
        for (int v = 0; v < count; v++)
        {
            double bNorm = d.Solve(b, v, out double residual);
            _bNorms[v] = bNorm;
            _history[v] = bNorm;
            _history[count + v] = residual;
            bool finite = double.IsFinite(residual);
            _columnIterations[v] = 1;
            _columnConverged[v] = all && finite;
            _columnBreakdown[v] = finite ? breakdown : breakdown | SolverBreakdown.NotANumber;
            if (!finite) { all = false; breakdown |= SolverBreakdown.NotANumber; }
        }
        var lambda = _lambda.Slice(0, count * b);
        lambda.Buffer.CopyFrom(d.LambdaHost.AsSpan(0, count * b), lambda.Offset);
        if (!SameView(epsilon, result)) _backend.Copy(epsilon, result);
        _backend.Gemm(Transpose.No, Transpose.No, count, p, b, -T.One, lambda, b, rows, p, T.One, result, p);
        return new BlockSolveResult<T>(result, count, 1, _columnIterations.AsMemory(0, count), _history.AsMemory(0, 2 * count),
            _bNorms.AsMemory(0, count), _columnConverged.AsMemory(0, count), _columnBreakdown.AsMemory(0, count), all, breakdown,
            SolverChecks.Since(t0));
    }

    /// <summary>JJᵀ: the operator's own fused product when it offers one (tape Jacobians), else Jᵀ then J.</summary>
    private ILinearOperator<T> GramOf(ILinearOperator<T> j)
    {
        if (j is IOuterGramSource<T> source) return source.OuterGram;
        _gram.Target = j;
        return _gram;
    }

    /// <summary>result ← ε − update (result may be ε).</summary>
    private void Subtract(BufferView<T> epsilon, BufferView<T> update, BufferView<T> result)
    {
        if (!SameView(epsilon, result)) _backend.Copy(epsilon, result);
        _backend.Axpy(-T.One, update, result);
    }

    private static bool SameView(BufferView<T> a, BufferView<T> b) =>
        ReferenceEquals(a.Buffer, b.Buffer) && a.Offset == b.Offset && a.Length == b.Length;

    private int CheckOperator(ILinearOperator<T> j)
    {
        SolverChecks.Operator("kernel projection", "J", _backend, j);
        if (j.Columns != Columns || j.Rows > MaxRows)
            throw new ArgumentException($"kernel projection: J is {j.Rows}×{j.Columns}, the projector was made for at most {MaxRows}×{Columns}.");
        return j.Rows;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _rhs.Dispose(); _lambda.Dispose(); _update.Dispose();
        _cg?.Dispose(); _blockCg?.Dispose(); _lsmr?.Dispose();
        _gram.Dispose();
        _dense?.Dispose();
    }

    /// <summary>JJᵀ of a settable J, with scratch sized once (so that switching J per batch allocates nothing).</summary>
    private sealed class OuterGram(Backend backend, int columns, int maxVectors) : ILinearOperator<T>, IDisposable
    {
        private readonly DeviceBuffer<T> _mid = backend.Allocate<T>(checked(columns * maxVectors));

        public ILinearOperator<T> Target { get; set; } = null!;
        public int Rows => Target.Rows;
        public int Columns => Target.Rows;
        public Backend Backend => backend;

        public void Apply(BufferView<T> x, BufferView<T> y) => ApplyMany(x, y, 1);
        public void ApplyTranspose(BufferView<T> y, BufferView<T> x) => ApplyMany(y, x, 1);
        public void ApplyTransposeMany(BufferView<T> y, BufferView<T> x, int count) => ApplyMany(y, x, count);

        public void ApplyMany(BufferView<T> x, BufferView<T> y, int count)
        {
            var mid = _mid.Slice(0, count * Target.Columns);
            Target.ApplyTransposeMany(x, mid, count);
            Target.ApplyMany(mid, y, count);
        }

        public void Dispose() => _mid.Dispose();
    }

    /// <summary>Jᵀ of a settable J.</summary>
    private sealed class TransposeView(Backend backend) : ILinearOperator<T>
    {
        public ILinearOperator<T> Target { get; set; } = null!;
        public int Rows => Target.Columns;
        public int Columns => Target.Rows;
        public Backend Backend => backend;
        public void Apply(BufferView<T> x, BufferView<T> y) => Target.ApplyTranspose(x, y);
        public void ApplyTranspose(BufferView<T> y, BufferView<T> x) => Target.Apply(y, x);
        public void ApplyMany(BufferView<T> x, BufferView<T> y, int count) => Target.ApplyTransposeMany(x, y, count);
        public void ApplyTransposeMany(BufferView<T> y, BufferView<T> x, int count) => Target.ApplyMany(y, x, count);
    }

    /// <summary>The explicit rows, Gram and host factorisation of <see cref="ProjectionSolver.Dense"/>, allocated once.</summary>
    private sealed class DenseState(Backend backend, int maxRows, int columns, int maxVectors) : IDisposable
    {
        private readonly DeviceBuffer<T> _identity = backend.Allocate<T>(checked(maxRows * maxRows));
        private readonly double[] _factor = new double[maxRows * maxRows], _scale = new double[maxRows], _y = new double[maxRows],
            _jv = new double[maxRows];
        private readonly bool[] _active = new bool[maxRows];
        private int _identityRows;

        public DeviceBuffer<T> Rows { get; } = backend.Allocate<T>(checked(maxRows * columns));
        public DeviceBuffer<T> GramDevice { get; } = backend.Allocate<T>(checked(maxRows * maxRows));
        public T[] GramHost { get; } = new T[maxRows * maxRows];
        public T[] RhsHost { get; } = new T[maxRows * maxVectors];
        public T[] LambdaHost { get; } = new T[maxRows * maxVectors];

        /// <summary>The b one-hot cotangent sets [b, b] (rebuilt when b changes).</summary>
        public BufferView<T> Identity(int b)
        {
            if (_identityRows != b)
            {
                var host = new T[b * b];
                for (int i = 0; i < b; i++) host[i * b + i] = T.One;
                _identity.CopyFrom(host);
                _identityRows = b;
            }
            return _identity.Slice(0, b * b);
        }

        /// <summary>Cholesky of the row-normalised Gram (+ δI); returns the breakdown (none, or non-positive curvature when δ had to pass 1e-2).</summary>
        public SolverBreakdown Factor(int b)
        {
            double largest = 0;
            for (int i = 0; i < b; i++) largest = Math.Max(largest, double.CreateTruncating(GramHost[i * b + i]));
            for (int i = 0; i < b; i++)
            {
                double g = double.CreateTruncating(GramHost[i * b + i]);
                _active[i] = g > 1e-12 * largest && double.IsFinite(g);
                _scale[i] = _active[i] ? 1 / Math.Sqrt(g) : 0;
            }
            if (!(largest > 0) || !double.IsFinite(largest)) return double.IsFinite(largest) ? SolverBreakdown.None : SolverBreakdown.NotANumber;
            // δ above the Gram's rounding (float32 sums over P columns: ~1e-7 relative; float64: ~1e-15).
            for (double delta = typeof(T) == typeof(double) ? 1e-12 : 1e-7; delta <= 1e-2; delta *= 10)
                if (TryCholesky(b, delta)) return SolverBreakdown.None;
            return TryCholesky(b, 1e-1) ? SolverBreakdown.NonPositiveCurvature : SolverBreakdown.NotANumber;
        }

        private bool TryCholesky(int b, double delta)
        {
            // L Lᵀ = D⁻¹GD⁻¹ + δI over the active rows; inactive rows are identity rows (λ = 0 there).
            for (int i = 0; i < b; i++)
                for (int k = 0; k <= i; k++)
                {
                    double a;
                    if (!_active[i] || !_active[k]) a = i == k ? 1 : 0;
                    else a = double.CreateTruncating(GramHost[i * b + k]) * _scale[i] * _scale[k] + (i == k ? delta : 0);
                    for (int m = 0; m < k; m++) a -= _factor[i * b + m] * _factor[k * b + m];
                    if (i == k)
                    {
                        if (!(a > 0)) return false;
                        _factor[i * b + i] = Math.Sqrt(a);
                    }
                    else _factor[i * b + k] = a / _factor[k * b + k];
                }
            return true;
        }

        /// <summary>λ of vector v into LambdaHost; returns ‖Jε‖ and sets the residual ‖Jε − Gλ‖ (float64, with the float Gram).</summary>
        public double Solve(int b, int v, out double residual)
        {
            double norm = 0;
            for (int i = 0; i < b; i++)
            {
                _jv[i] = double.CreateTruncating(RhsHost[v * b + i]);
                norm += _jv[i] * _jv[i];
                _y[i] = _active[i] ? _jv[i] * _scale[i] : 0;
            }
            for (int i = 0; i < b; i++)
            {
                double a = _y[i];
                for (int m = 0; m < i; m++) a -= _factor[i * b + m] * _y[m];
                _y[i] = a / _factor[i * b + i];
            }
            for (int i = b - 1; i >= 0; i--)
            {
                double a = _y[i];
                for (int m = i + 1; m < b; m++) a -= _factor[m * b + i] * _y[m];
                _y[i] = a / _factor[i * b + i];
            }
            for (int i = 0; i < b; i++)
            {
                _y[i] = _active[i] ? _y[i] * _scale[i] : 0;
                LambdaHost[v * b + i] = T.CreateTruncating(_y[i]);
            }
            double r2 = 0;
            for (int i = 0; i < b; i++)
            {
                double a = _jv[i];
                for (int k = 0; k < b; k++) a -= double.CreateTruncating(GramHost[i * b + k]) * _y[k];
                r2 += a * a;
            }
            residual = Math.Sqrt(r2);
            return Math.Sqrt(norm);
        }

        public void Dispose()
        {
            Rows.Dispose(); GramDevice.Dispose(); _identity.Dispose();
        }
    }
}
