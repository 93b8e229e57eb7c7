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
}
