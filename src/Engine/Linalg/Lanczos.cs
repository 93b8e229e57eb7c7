using System.Diagnostics;
using System.Numerics;
using MathNet.Numerics.LinearAlgebra;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>Which end of the spectrum <see cref="Lanczos{T}"/> returns.</summary>
public enum SpectrumEnd
{
    /// <summary>The algebraically largest eigenvalues (the top of a PSD operator such as a GGN).</summary>
    Largest,
    /// <summary>The algebraically smallest eigenvalues.</summary>
    Smallest,
}

/// <summary>
/// Eigenpairs from <see cref="Lanczos{T}"/>. Values and residual estimates point into the solver's buffers and
/// are valid until its next run.
/// </summary>
/// <param name="Eigenvalues">Ritz values, largest first for <see cref="SpectrumEnd.Largest"/> (smallest first otherwise).</param>
/// <param name="Eigenvectors">Ritz vectors, [k, n] row-major on the device (the caller's output view), unit norm.</param>
/// <param name="ResidualNorms">‖A y_i − θ_i y_i‖ = |β_m s_{m,i}| per pair (exact for the Ritz pairs of the Krylov space built).</param>
/// <param name="Iterations">Lanczos steps run (the Krylov dimension m).</param>
/// <param name="Converged">Every returned pair has residual ≤ tolerance·max(|θ_i|, ‖T_m‖).</param>
/// <param name="Breakdown">NaN/∞ in the recurrence.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public readonly record struct EigenResult<T>(ReadOnlyMemory<double> Eigenvalues, BufferView<T> Eigenvectors, ReadOnlyMemory<double> ResidualNorms,
    int Iterations, bool Converged, SolverBreakdown Breakdown, TimeSpan Elapsed) where T : unmanaged;

/// <summary>
/// The Lanczos iteration for a few extreme eigenpairs of a symmetric operator, with full reorthogonalisation:
/// the Lanczos vectors are kept in an [m + 1, n] block on the device and each new vector is orthogonalised
/// against all of them by two GEMMs per pass, twice. The m×m tridiagonal eigenproblem is solved on the host
/// (MathNet); the Ritz vectors are one GEMM Y = Sᵀ V on the device.
/// </summary>
/// <remarks>
/// Accuracy: with full reorthogonalisation the Ritz values are those of an orthonormal Krylov basis, so each
/// returned θ_i lies within ‖r_i‖ of an eigenvalue of A (and within ‖r_i‖²/gap for well-separated ones). The
/// Krylov dimension m must exceed k; extreme eigenvalues with a relative gap γ converge roughly like
/// exp(−2m√γ). When the Krylov space becomes invariant (β_j = 0) the iteration stops early with exact pairs.
/// Allocation per run: only the host tridiagonal eigenproblem (m×m).
/// </remarks>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class Lanczos<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Backend _backend;
    private readonly DeviceBuffer<T> _basis, _w, _coefficients, _ritzCoefficients;
    private readonly T[] _hostCoefficient = new T[1], _hostRitz;
    private readonly double[] _alpha, _beta, _values, _residuals;

    /// <summary>Creates a solver for operators of size up to <paramref name="capacity"/> with Krylov dimension <paramref name="steps"/>.</summary>
    public Lanczos(Backend backend, int capacity, int steps)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (capacity <= 0 || steps <= 0)
            throw new ArgumentOutOfRangeException(nameof(steps), $"Lanczos: capacity {capacity} and steps {steps} must be positive.");
        _backend = backend;
        Capacity = capacity;
        Steps = steps;
        _basis = backend.Allocate<T>(checked((steps + 1) * capacity));
        _w = backend.Allocate<T>(capacity);
        _coefficients = backend.Allocate<T>(steps + 1);
        _ritzCoefficients = backend.Allocate<T>(checked(steps * steps));
        _hostRitz = new T[steps * steps];
        _alpha = new double[steps];
        _beta = new double[steps];
        _values = new double[steps];
        _residuals = new double[steps];
    }

    /// <summary>Largest n.</summary>
    public int Capacity { get; }

    /// <summary>Krylov dimension m (Lanczos steps).</summary>
    public int Steps { get; }

    /// <summary>
    /// Computes <paramref name="k"/> eigenpairs at one end of the spectrum of the symmetric operator
    /// <paramref name="a"/>. The start vector is <paramref name="start"/> (any non-zero vector) or, when null, a
    /// Rademacher vector from the backend's Philox generator with <paramref name="seed"/>.
    /// </summary>
    /// <param name="a">Symmetric operator, n ≤ <see cref="Capacity"/>.</param>
    /// <param name="k">Number of pairs, 1 ≤ k ≤ min(<see cref="Steps"/>, n).</param>
    /// <param name="vectors">Receives the Ritz vectors, [k, n].</param>
    /// <param name="end">Which end of the spectrum.</param>
    /// <param name="tolerance">Relative residual for <see cref="EigenResult{T}.Converged"/>.</param>
    /// <param name="start">Start vector (length n), or null for a random one.</param>
    /// <param name="seed">Philox key for the random start vector.</param>
    public EigenResult<T> Compute(ILinearOperator<T> a, int k, BufferView<T> vectors, SpectrumEnd end = SpectrumEnd.Largest,
        double tolerance = 1e-8, BufferView<T> start = default, ulong seed = 0)
    {
        long t0 = Stopwatch.GetTimestamp();
        SolverChecks.Operator("Lanczos", "A", _backend, a);
        SolverChecks.Square("Lanczos", "A", a, Capacity);
        int n = a.Rows;
        int mMax = Math.Min(Steps, n);
        if (k < 1 || k > mMax) throw new ArgumentOutOfRangeException(nameof(k), $"Lanczos: k = {k} must be in 1..{mMax} (steps {Steps}, n {n}).");
        SolverChecks.Vector("Lanczos", "vectors", _backend, vectors, (long)k * n);
        vectors = vectors.Slice(0, k * n);
        var basis = _basis.Slice(0, (mMax + 1) * n);
        var w = _w.Slice(0, n);

        var v0 = basis.Slice(0, n);
        if (start.IsNull) _backend.RandomRademacher(v0, seed, 0, 0);
        else
        {
            SolverChecks.Vector("Lanczos", "start", _backend, start, n);
            _backend.Copy(start.Slice(0, n), v0);
        }
        double norm0 = Scalar<T>.Norm(_backend, v0);
        if (norm0 == 0) throw new ArgumentException("Lanczos: the start vector is zero.");
        if (!double.IsFinite(norm0)) return Empty(vectors, SolverBreakdown.NotANumber, t0, 0);
        _backend.Scal(Scalar<T>.Of(1 / norm0), v0);

        int m = 0;
        double normT = 0;
        var breakdown = SolverBreakdown.None;
        while (m < mMax)
        {
            var vj = basis.Slice(m * n, n);
            a.Apply(vj, w);
            // Full Gram–Schmidt against v_0..v_j, twice; α_j is the total coefficient on v_j.
            double alpha = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                GramSchmidt.Project(_backend, basis, default, m + 1, n, w, default, _coefficients.View);
                _coefficients.CopyTo(_hostCoefficient, m);
                alpha += Scalar<T>.D(_hostCoefficient[0]);
            }
            double beta = Scalar<T>.Norm(_backend, w);
            _alpha[m] = alpha;
            _beta[m] = beta;
            m++;
            if (!double.IsFinite(alpha) || !double.IsFinite(beta)) { breakdown = SolverBreakdown.NotANumber; break; }
            normT = Math.Max(normT, Math.Abs(alpha) + beta + (m > 1 ? _beta[m - 2] : 0));
            // An invariant subspace (β at the rounding level n·ε·‖T‖): the Ritz pairs are exact.
            if (beta <= n * Scalar<T>.Epsilon * Math.Max(normT, double.Epsilon) || m == mMax) break;
            var next = basis.Slice(m * n, n);
            _backend.Copy(w, next);
            _backend.Scal(Scalar<T>.Of(1 / beta), next);
        }
        if (breakdown != SolverBreakdown.None) return Empty(vectors, breakdown, t0, m);

        int kk = Math.Min(k, m);
        var tri = Matrix<double>.Build.Dense(m, m);
        for (int i = 0; i < m; i++)
        {
            tri[i, i] = _alpha[i];
            if (i + 1 < m) { tri[i, i + 1] = _beta[i]; tri[i + 1, i] = _beta[i]; }
        }
        var evd = tri.Evd(Symmetricity.Symmetric);
        var theta = evd.EigenValues;
        var s = evd.EigenVectors;
        double betaLast = _beta[m - 1];
        bool converged = true;
        for (int i = 0; i < kk; i++)
        {
            // MathNet returns the eigenvalues of a symmetric matrix in ascending order.
            int col = end == SpectrumEnd.Largest ? m - 1 - i : i;
            _values[i] = theta[col].Real;
            _residuals[i] = Math.Abs(betaLast * s[m - 1, col]);
            converged &= _residuals[i] <= tolerance * Math.Max(Math.Abs(_values[i]), normT);
            for (int j = 0; j < m; j++) _hostRitz[i * m + j] = Scalar<T>.Of(s[j, col]);
        }
        // Y (kk×n) = Sᵀ (kk×m) · V (m×n).
        _ritzCoefficients.CopyFrom(_hostRitz.AsSpan(0, kk * m));
        _backend.Gemm(Transpose.No, Transpose.No, kk, n, m, T.One, _ritzCoefficients.View, m, basis, n, T.Zero, vectors, n);
        if (kk < k) _backend.Fill(vectors.Slice(kk * n, (k - kk) * n), T.Zero);
        return new EigenResult<T>(_values.AsMemory(0, kk), vectors, _residuals.AsMemory(0, kk), m, converged && kk == k,
            SolverBreakdown.None, SolverChecks.Since(t0));
    }

    private EigenResult<T> Empty(BufferView<T> vectors, SolverBreakdown breakdown, long t0, int iterations) =>
        new(ReadOnlyMemory<double>.Empty, vectors, ReadOnlyMemory<double>.Empty, iterations, false, breakdown, SolverChecks.Since(t0));

    /// <inheritdoc />
    public void Dispose()
    {
        _basis.Dispose(); _w.Dispose(); _coefficients.Dispose(); _ritzCoefficients.Dispose();
    }
}
