using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Linalg;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Tests.Linalg;

/// <summary>
/// CG against MathNet dense solves on random SPD matrices Q diag(λ) Qᵀ with condition numbers up to 1e8, its
/// iteration count against the Chebyshev bound, fixed-step CG against the exact Krylov-space minimiser, block CG
/// against single solves, and breakdown reporting. Float64 throughout except the float32 smoke test.
/// </summary>
public abstract class ConjugateGradientTests(Backend backend)
{
    public sealed record SpdCase(int N, double Kappa, int Seed);

    private (Matrix<double> A, Vector<double> B, DeviceBuffer<double> DA, DeviceBuffer<double> DB) Problem(int n, double kappa, int seed)
    {
        var rng = new Random(seed);
        var a = Dense.Symmetric(Dense.LogSpectrum(n, kappa), rng);
        var b = Dense.Gaussian(n, rng);
        return (a, b, Dense.Upload<double>(backend, a), Dense.Upload<double>(backend, b));
    }

    /// <summary>
    /// The documented accuracy: true relative residual ≤ tol (checked here in float64 on the host) and forward
    /// error ≤ κ·tol. tol = 1e-10 up to κ = 1e4; 1e-7 at κ = 1e8, where ε·κ·‖A‖‖x‖/‖b‖ ≈ 1e-9 is the attainable level.
    /// At κ = 1e8 plain CG loses orthogonality and needs far more than n iterations (seen: no convergence in 20n at
    /// n = 120), so those cases use full reorthogonalisation, which converges within n + a few iterations.
    /// </summary>
    [Theory]
    [InlineData(60, 10.0, 1e-10, false)]
    [InlineData(60, 1e4, 1e-10, false)]
    [InlineData(60, 1e4, 1e-10, true)]
    [InlineData(60, 1e8, 1e-7, true)]
    [InlineData(120, 1e8, 1e-7, true)]
    public void Tolerance_mode_meets_the_documented_accuracy_against_a_dense_solve(int n, double kappa, double tol, bool reorthogonalize)
    {
        var (a, b, da, db) = Problem(n, kappa, 17 + n);
        using var _a = da;
        using var _b = db;
        using var x = backend.Allocate<double>(n);
        using var cg = ConjugateGradient<double>.WithTolerance(backend, n, tol, 20 * n, reorthogonalize);
        var result = cg.Solve(LinearOperator.Dense(backend, da.View, n, n), db.View, x.View);

        if (reorthogonalize) Assert.InRange(result.Iterations, 1, n + 5);
        Assert.True(result.Converged, $"not converged: {result.Reason}, {result.Iterations} iterations, residual {result.RelativeResidual:E2}");
        Assert.Equal(SolverBreakdown.None, result.Breakdown);
        var xs = Dense.Download(x.View);
        double trueResidual = (b - a * xs).L2Norm() / b.L2Norm();
        Assert.InRange(trueResidual, 0, tol);
        var exact = a.Cholesky().Solve(b);
        Assert.InRange(Dense.RelativeError(xs, exact), 0, kappa * tol);
        Assert.Equal(result.Iterations + 1, result.ResidualNorms.Length);
    }

    /// <summary>
    /// On well-conditioned systems (κ ≤ 400) CG needs at most ⌈½√κ ln(2√κ/ε)⌉ iterations for a relative residual ε
    /// (the Chebyshev bound ‖r_k‖/‖r_0‖ ≤ 2√κ((√κ−1)/(√κ+1))^k), plus a slack of 2 for rounding.
    /// </summary>
    [Fact]
    public void Iteration_count_stays_within_the_Chebyshev_bound_on_well_conditioned_systems() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(12), Prop.ForAll(
            (from n in Gen.Choose(80, 200)
             from kappa in Gen.Elements(2.0, 10.0, 50.0, 100.0, 400.0)
             from seed in Gen.Choose(0, int.MaxValue)
             select new SpdCase(n, kappa, seed)).ToArbitrary(),
            c =>
            {
                const double eps = 1e-8;
                var (a, b, da, db) = Problem(c.N, c.Kappa, c.Seed);
                using var _a = da;
                using var _b = db;
                using var x = backend.Allocate<double>(c.N);
                using var cg = ConjugateGradient<double>.WithTolerance(backend, c.N, eps, 10 * c.N);
                var result = cg.Solve(LinearOperator.Dense(backend, da.View, c.N, c.N), db.View, x.View);
                int bound = (int)Math.Ceiling(0.5 * Math.Sqrt(c.Kappa) * Math.Log(2 * Math.Sqrt(c.Kappa) / eps)) + 2;
                Assert.True(result.Converged);
                Assert.InRange(result.Iterations, 1, bound);
                Assert.InRange((b - a * Dense.Download(x.View)).L2Norm() / b.L2Norm(), 0, eps);
            }));

    /// <summary>Jacobi preconditioning of a badly row/column-scaled SPD matrix D A D converges, in fewer iterations than plain CG.</summary>
    [Fact]
    public void Diagonal_preconditioner_solves_a_badly_scaled_system_in_fewer_iterations()
    {
        const int n = 80;
        var rng = new Random(5);
        var core = Dense.Symmetric(Dense.LogSpectrum(n, 20), rng);
        var d = Vector<double>.Build.Dense(n, i => Math.Pow(10, 3.0 * i / (n - 1)));
        var a = Matrix<double>.Build.DenseOfDiagonalVector(d) * core * Matrix<double>.Build.DenseOfDiagonalVector(d);
        var b = Dense.Gaussian(n, rng);
        using var da = Dense.Upload<double>(backend, a);
        using var db = Dense.Upload<double>(backend, b);
        using var inverseDiagonal = Dense.Upload<double>(backend, a.Diagonal().Map(v => 1 / v));
        using var x = backend.Allocate<double>(n);
        using var cg = ConjugateGradient<double>.WithTolerance(backend, n, 1e-9, 40 * n);
        var op = LinearOperator.Dense(backend, da.View, n, n);
        var plain = cg.Solve(op, db.View, x.View);
        var preconditioned = cg.Solve(op, db.View, x.View, LinearOperator.Diagonal(backend, inverseDiagonal.View));
        Assert.True(preconditioned.Converged);
        Assert.InRange((b - a * Dense.Download(x.View)).L2Norm() / b.L2Norm(), 0, 1e-9);
        Assert.True(preconditioned.Iterations < plain.Iterations / 2,
            $"preconditioned {preconditioned.Iterations} vs plain {plain.Iterations} ({plain.Reason})");
    }

    /// <summary>
    /// Fixed-step CG (10 steps, reorthogonalised) returns the minimiser of the A-norm error over the Krylov space
    /// K₁₀(A, b): x = V(VᵀAV)⁻¹Vᵀb for an orthonormal basis V built densely (Arnoldi with two Gram–Schmidt passes).
    /// </summary>
    [Theory]
    [InlineData(60, 100.0, 1)]
    [InlineData(60, 1e4, 2)]
    [InlineData(200, 1e3, 3)]
    public void Fixed_steps_return_the_Krylov_space_minimiser(int n, double kappa, int passes)
    {
        const int steps = 10;
        var (a, b, da, db) = Problem(n, kappa, 40 + n + passes);
        using var _a = da;
        using var _b = db;
        using var x = backend.Allocate<double>(n);
        using var cg = ConjugateGradient<double>.FixedSteps(backend, n, steps, reorthogonalizationPasses: passes);
        var result = cg.Solve(LinearOperator.Dense(backend, da.View, n, n), db.View, x.View);
        Assert.Equal(steps, result.Iterations);
        Assert.Equal(StopReason.StepsCompleted, result.Reason);
        Assert.True(result.Converged);

        var v = Matrix<double>.Build.Dense(n, steps);
        v.SetColumn(0, b / b.L2Norm());
        for (int j = 1; j < steps; j++)
        {
            var w = a * v.Column(j - 1);
            for (int pass = 0; pass < 2; pass++)
                for (int i = 0; i < j; i++) w -= v.Column(i).DotProduct(w) * v.Column(i);
            v.SetColumn(j, w / w.L2Norm());
        }
        var reference = v * (v.TransposeThisAndMultiply(a) * v).Solve(v.TransposeThisAndMultiply(b));
        Assert.InRange(Dense.RelativeError(Dense.Download(x.View), reference), 0, 1e-9);
        double recurrence = result.ResidualNorms.Span[^1];
        Assert.InRange(Math.Abs(recurrence - (b - a * reference).L2Norm()) / b.L2Norm(), 0, 1e-9);
    }

    [Fact]
    public void Fixed_steps_stop_early_and_exactly_when_n_is_below_the_step_count()
    {
        const int n = 6;
        var (a, b, da, db) = Problem(n, 1e3, 9);
        using var _a = da;
        using var _b = db;
        using var x = backend.Allocate<double>(n);
        using var cg = ConjugateGradient<double>.FixedSteps(backend, n, 10);
        var result = cg.Solve(LinearOperator.Dense(backend, da.View, n, n), db.View, x.View);
        Assert.True(result.Converged);
        Assert.Equal(SolverBreakdown.None, result.Breakdown);
        Assert.InRange(result.Iterations, n, 10);
        Assert.InRange(Dense.RelativeError(Dense.Download(x.View), a.Cholesky().Solve(b)), 0, 1e-10);
    }

    [Fact]
    public void Indefinite_matrix_reports_non_positive_curvature()
    {
        const int n = 30;
        var rng = new Random(3);
        var lambda = Enumerable.Range(0, n).Select(i => i == 0 ? -1.0 : 1.0 + i).ToArray();
        var q = Dense.Orthogonal(n, rng);
        var a = q * Matrix<double>.Build.DenseOfDiagonalArray(lambda) * q.Transpose();
        // b = q₀ + 0.1 q₁ makes bᵀAb = −1 + 0.02 < 0 on the first step.
        var b = q.Column(0) + 0.1 * q.Column(1);
        using var da = Dense.Upload<double>(backend, a);
        using var db = Dense.Upload<double>(backend, b);
        using var x = backend.Allocate<double>(n);
        foreach (var cg in new[] { ConjugateGradient<double>.WithTolerance(backend, n, 1e-10, 100), ConjugateGradient<double>.FixedSteps(backend, n) })
            using (cg)
            {
                var result = cg.Solve(LinearOperator.Dense(backend, da.View, n, n), db.View, x.View);
                Assert.False(result.Converged);
                Assert.Equal(SolverBreakdown.NonPositiveCurvature, result.Breakdown);
                Assert.Equal(StopReason.Breakdown, result.Reason);
                Assert.Equal(1, result.Iterations);
            }
    }

    /// <summary>On random indefinite matrices CG either reports a breakdown / non-convergence or its answer is right: never a silent wrong answer.</summary>
    [Fact]
    public void Random_indefinite_matrices_never_give_a_silent_wrong_answer() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(15), Prop.ForAll(
            (from n in Gen.Choose(5, 40)
             from negatives in Gen.Choose(1, 5)
             from seed in Gen.Choose(0, int.MaxValue)
             select (n, negatives, seed)).ToArbitrary(),
            c =>
            {
                var rng = new Random(c.seed);
                var lambda = Enumerable.Range(0, c.n).Select(i => i < Math.Min(c.negatives, c.n - 1) ? -1.0 - i : 1.0 + i).ToArray();
                var a = Dense.Symmetric(lambda, rng);
                var b = Dense.Gaussian(c.n, rng);
                using var da = Dense.Upload<double>(backend, a);
                using var db = Dense.Upload<double>(backend, b);
                using var x = backend.Allocate<double>(c.n);
                using var cg = ConjugateGradient<double>.WithTolerance(backend, c.n, 1e-8, 4 * c.n);
                var result = cg.Solve(LinearOperator.Dense(backend, da.View, c.n, c.n), db.View, x.View);
                if (result.Converged)
                    Assert.InRange((b - a * Dense.Download(x.View)).L2Norm() / b.L2Norm(), 0, 1e-8);
                else
                    Assert.True(result.Breakdown != SolverBreakdown.None || result.Reason == StopReason.IterationLimit);
            }));

    [Fact]
    public void NaN_in_the_right_hand_side_or_the_operator_is_reported()
    {
        const int n = 20;
        var (a, b, da, db) = Problem(n, 10, 11);
        using var _a = da;
        using var _b = db;
        using var x = backend.Allocate<double>(n);
        using var cg = ConjugateGradient<double>.WithTolerance(backend, n, 1e-10, 100);
        var op = LinearOperator.Dense(backend, da.View, n, n);
        db.CopyFrom([double.NaN], 3);
        var r1 = cg.Solve(op, db.View, x.View);
        Assert.False(r1.Converged);
        Assert.Equal(SolverBreakdown.NotANumber, r1.Breakdown);

        db.CopyFrom([1.0], 3);
        da.CopyFrom([double.NaN], 5 * n + 7);
        var r2 = cg.Solve(op, db.View, x.View);
        Assert.False(r2.Converged);
        Assert.Equal(SolverBreakdown.NotANumber, r2.Breakdown);
    }

    [Fact]
    public void Zero_right_hand_side_gives_zero_exactly()
    {
        const int n = 10;
        var (_, _, da, _) = Problem(n, 10, 12);
        using var _a = da;
        using var b = backend.Allocate<double>(n);
        using var x = backend.Upload<double>(Enumerable.Repeat(7.0, n).ToArray());
        using var cg = ConjugateGradient<double>.WithTolerance(backend, n, 1e-10, 50);
        var result = cg.Solve(LinearOperator.Dense(backend, da.View, n, n), b.View, x.View);
        Assert.True(result.Converged);
        Assert.Equal(StopReason.ZeroRightHandSide, result.Reason);
        Assert.All(x.ToArray(), v => Assert.Equal(0.0, v));
    }

    [Fact]
    public void Initial_guess_is_used_and_a_stagnation_criterion_is_reported_as_a_breakdown()
    {
        const int n = 50;
        var (a, b, da, db) = Problem(n, 1e6, 13);
        using var _a = da;
        using var _b = db;
        var op = LinearOperator.Dense(backend, da.View, n, n);
        var exact = a.Cholesky().Solve(b);
        using var x = Dense.Upload<double>(backend, exact);
        using var cg = ConjugateGradient<double>.WithTolerance(backend, n, 1e-8, 200);
        var warm = cg.Solve(op, db.View, x.View, useInitialGuess: true);
        Assert.True(warm.Converged);
        Assert.Equal(0, warm.Iterations);

        // A criterion demanding a 1e6-fold drop every 2 iterations stagnates almost at once on κ = 1e6.
        using var strict = new ConjugateGradient<double>(backend, n,
            StopCriterion.RelativeResidual(1e-14) | StopCriterion.Stagnation(2, 1e-6) | StopCriterion.IterationLimit(500));
        var stalled = strict.Solve(op, db.View, x.View);
        Assert.False(stalled.Converged);
        Assert.Equal(StopReason.Stagnated, stalled.Reason);
        Assert.Equal(SolverBreakdown.Stagnation, stalled.Breakdown);
        Assert.InRange(stalled.Iterations, 2, 10);
    }

    [Fact]
    public void Steady_state_solves_allocate_nothing()
    {
        const int n = 40;
        var (_, _, da, db) = Problem(n, 100, 14);
        using var _a = da;
        using var _b = db;
        using var x = backend.Allocate<double>(n);
        var op = LinearOperator.Dense(backend, da.View, n, n);
        using var fixedCg = ConjugateGradient<double>.FixedSteps(backend, n);
        using var tolCg = ConjugateGradient<double>.WithTolerance(backend, n, 1e-10, 400);
        for (int warm = 0; warm < 3; warm++) { fixedCg.Solve(op, db.View, x.View); tolCg.Solve(op, db.View, x.View); }
        Assert.Equal(0, Allocations.SteadyStateBytes(() =>
        {
            fixedCg.Solve(op, db.View, x.View);
            tolCg.Solve(op, db.View, x.View);
        }));
    }

    /// <summary>Block CG: each column equals its single-vector solve (tolerance mode against the dense solve; fixed
    /// steps against single fixed-step CG to 1e-10), with one batched product per iteration.</summary>
    [Theory]
    [InlineData(0.0, 10)]
    [InlineData(1e-10, 400)]
    public void Block_CG_matches_single_solves_with_one_batched_product_per_iteration(double tol, int maxIterations)
    {
        const int n = 50, k = 5;
        var rng = new Random(21);
        var a = Dense.Symmetric(Dense.LogSpectrum(n, 1e3), rng);
        var b = Dense.Gaussian(k, n, rng);
        b.SetRow(2, Vector<double>.Build.Dense(n)); // a zero right-hand side among the others
        using var da = Dense.Upload<double>(backend, a);
        using var db = Dense.Upload<double>(backend, b);
        using var x = backend.Allocate<double>(k * n);
        using var x1 = backend.Allocate<double>(n);
        var op = new CountingOperator<double>(LinearOperator.Dense(backend, da.View, n, n));
        using var block = new BlockConjugateGradient<double>(backend, n, k, tol, maxIterations, reorthogonalize: tol == 0);
        var result = block.Solve(op, db.View, x.View, k);
        Assert.True(result.Converged);
        Assert.Equal(SolverBreakdown.None, result.Breakdown);
        Assert.Equal(0, op.Applies);
        // One product per iteration, plus one verification of the true residuals in tolerance mode.
        Assert.Equal(result.Iterations + (tol > 0 ? 1 : 0), op.ManyApplies);
        var xs = Dense.DownloadBlock(x.View, k, n);
        using var single = tol == 0 ? ConjugateGradient<double>.FixedSteps(backend, n, maxIterations)
            : ConjugateGradient<double>.WithTolerance(backend, n, tol, maxIterations);
        for (int j = 0; j < k; j++)
        {
            if (j == 2) { Assert.Equal(0, xs.Row(j).L2Norm()); continue; }
            using var bj = Dense.Upload<double>(backend, b.Row(j));
            single.Solve(op, bj.View, x1.View);
            var reference = tol == 0 ? Dense.Download(x1.View) : a.Cholesky().Solve(b.Row(j));
            Assert.InRange(Dense.RelativeError(xs.Row(j), reference), 0, tol == 0 ? 1e-10 : 1e3 * tol);
            if (tol > 0) Assert.InRange(result.RelativeResidual(j), 0, tol);
        }
    }

    [Fact]
    public void Block_CG_reports_breakdown_per_column()
    {
        const int n = 20, k = 3;
        var rng = new Random(8);
        var lambda = Enumerable.Range(0, n).Select(i => i == 0 ? -1.0 : 1.0 + i).ToArray();
        var q = Dense.Orthogonal(n, rng);
        var a = q * Matrix<double>.Build.DenseOfDiagonalArray(lambda) * q.Transpose();
        var b = Matrix<double>.Build.Dense(k, n);
        b.SetRow(0, q.Column(3));              // an eigenvector with λ = 4: one step, exact
        b.SetRow(1, q.Column(0));              // the negative eigenvector: bᵀAb < 0
        b.SetRow(2, q.Column(5) + q.Column(6)); // two positive eigenvectors: two steps
        using var da = Dense.Upload<double>(backend, a);
        using var db = Dense.Upload<double>(backend, b);
        using var x = backend.Allocate<double>(k * n);
        using var block = new BlockConjugateGradient<double>(backend, n, k, 1e-10, 50, reorthogonalize: false);
        var result = block.Solve(LinearOperator.Dense(backend, da.View, n, n), db.View, x.View, k);
        Assert.False(result.Converged);
        Assert.Equal(SolverBreakdown.NonPositiveCurvature, result.Breakdown);
        Assert.Equal([true, false, true], result.ColumnConverged.ToArray());
        Assert.Equal(SolverBreakdown.NonPositiveCurvature, result.ColumnBreakdown.Span[1]);
    }

    [Fact]
    public void Float32_smoke_test_converges_to_float32_accuracy()
    {
        const int n = 64;
        var rng = new Random(31);
        var a = Dense.Symmetric(Dense.LogSpectrum(n, 100), rng);
        var b = Dense.Gaussian(n, rng);
        using var da = Dense.Upload<float>(backend, a);
        using var db = Dense.Upload<float>(backend, b);
        using var x = backend.Allocate<float>(n);
        using var cg = ConjugateGradient<float>.WithTolerance(backend, n, 1e-5, 10 * n);
        var result = cg.Solve(LinearOperator.Dense(backend, da.View, n, n), db.View, x.View);
        Assert.True(result.Converged);
        // The matrix itself was rounded to float32 (relative 6e-8 per entry), so the float64 residual can exceed
        // the float32 one by ~κ·6e-8 ≈ 6e-6.
        Assert.InRange((b - a * Dense.Download(x.View)).L2Norm() / b.L2Norm(), 0, 2e-5);
        using var fixedCg = ConjugateGradient<float>.FixedSteps(backend, n, 10);
        var fixedResult = fixedCg.Solve(LinearOperator.Dense(backend, da.View, n, n), db.View, x.View);
        Assert.True(fixedResult.Converged);
        Assert.True(fixedResult.RelativeResidual < 1);
    }
}

public sealed class ConjugateGradientTestsCpu() : ConjugateGradientTests(LinalgTestBackends.Cpu);
