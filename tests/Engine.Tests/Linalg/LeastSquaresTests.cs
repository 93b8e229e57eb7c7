using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Linalg;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Tests.Linalg;

/// <summary>
/// LSQR and LSMR against MathNet dense least-squares solves (QR) on A = U diag(σ) Vᵀ with cond(A) up to 1e8:
/// consistent systems to the btol/atol test, inconsistent ones to the ‖Aᵀr‖ test, the damped problem against the
/// regularised normal equations, the documented forward error ≈ cond(A)·max(atol, btol), and NaN reporting.
/// </summary>
public abstract class LeastSquaresTests(Backend backend)
{
    public enum Method { Lsqr, Lsmr }

    private LeastSquaresSolver<double> Create(Method method, int rows, int cols, LeastSquaresOptions options) =>
        method == Method.Lsqr ? new Lsqr<double>(backend, rows, cols, options) : new Lsmr<double>(backend, rows, cols, options);

    public sealed record Case(Method Method, int Rows, int Cols, double Kappa, bool Consistent, int Seed);

    /// <summary>
    /// The documented tests hold on the true quantities (computed densely in float64): consistent systems stop on
    /// ‖r‖ ≤ btol‖b‖ + atol‖A‖‖x‖ (checked with ‖A‖_F, which bounds the solver's estimate), inconsistent ones on
    /// ‖Aᵀr‖ ≤ atol‖A‖‖r‖ (a factor 10 of slack for the difference between recurrence and true residual), and
    /// ‖x − x*‖/‖x*‖ ≤ 10·tol·(κ + κ²‖r*‖/(‖A‖‖x*‖)) against MathNet's QR solution (tol = atol = btol = 1e-10).
    /// </summary>
    [Fact]
    public void Meet_their_stopping_tests_and_the_dense_solution_up_to_condition_1e8() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(24), Prop.ForAll(
            (from method in Gen.Elements(Method.Lsqr, Method.Lsmr)
             from cols in Gen.Choose(5, 30)
             from extra in Gen.Choose(0, 30)
             from kappa in Gen.Elements(1.0, 10.0, 1e4, 1e8)
             from consistent in Gen.Elements(true, false)
             from seed in Gen.Choose(0, int.MaxValue)
             select new Case(method, cols + extra, cols, kappa, consistent || extra == 0, seed)).ToArbitrary(),
            c =>
            {
                const double tol = 1e-10;
                var rng = new Random(c.Seed);
                var a = Dense.WithSingularValues(c.Rows, Dense.LogSpectrum(c.Cols, c.Kappa), rng);
                var b = c.Consistent ? a * Dense.Gaussian(c.Cols, rng) : Dense.Gaussian(c.Rows, rng);
                using var da = Dense.Upload<double>(backend, a);
                using var db = Dense.Upload<double>(backend, b);
                using var x = backend.Allocate<double>(c.Cols);
                using var solver = Create(c.Method, c.Rows, c.Cols, new LeastSquaresOptions(tol, tol, ConditionLimit: 1e12, MaxIterations: 40 * c.Cols));
                var result = solver.Solve(LinearOperator.Dense(backend, da.View, c.Rows, c.Cols), db.View, x.View);

                Assert.True(result.Converged, $"{c}: {result.Reason} after {result.Iterations}");
                Assert.Equal(SolverBreakdown.None, result.Breakdown);
                var xs = Dense.Download(x.View);
                var r = b - a * xs;
                double normA = a.FrobeniusNorm();
                if (result.Reason == StopReason.Converged)
                    Assert.InRange(r.L2Norm(), 0, 10 * (tol * b.L2Norm() + tol * normA * xs.L2Norm()));
                else if (result.Reason == StopReason.LeastSquaresConverged)
                    // Plus the rounding floor of evaluating Aᵀ(b − Ax) itself in float64: ε‖A‖(‖A‖‖x‖ + ‖b‖).
                    Assert.InRange(a.TransposeThisAndMultiply(r).L2Norm(), 0,
                        10 * tol * normA * r.L2Norm() + 10 * 2.2e-16 * normA * (normA * xs.L2Norm() + b.L2Norm()));
                var exact = a.QR().Solve(b);
                // Perturbation theory of least squares (σ_max = 1 here): κ·tol, plus κ²·tol·‖r*‖/‖x*‖ when b ∉ range(A)
                // — a priori, with the true ‖A‖. The stopping tests use the solver's running ‖A‖ estimate, which
                // after hundreds of iterations (lost orthogonality) can exceed ‖A‖_F several times, so also allow what
                // the computed residual itself implies: x − x* = −A⁺r exactly (full column rank), hence
                // ‖x − x*‖ ≤ min(κ‖r‖, κ²‖Aᵀr‖) — 5 % slack for rounding.
                double apriori = 10 * tol * (c.Kappa + c.Kappa * c.Kappa * (b - a * exact).L2Norm() / exact.L2Norm());
                double aposteriori = 1.05 * Math.Min(c.Kappa * r.L2Norm(), c.Kappa * c.Kappa * a.TransposeThisAndMultiply(r).L2Norm()) / exact.L2Norm();
                double err = Dense.RelativeError(xs, exact);
                Assert.True(err <= Math.Max(Math.Max(apriori, aposteriori), 1e-12),
                    $"{c}: {result.Reason} after {result.Iterations}: ‖x − x*‖/‖x*‖ = {err:E3}, a priori {apriori:E3}, a posteriori {aposteriori:E3}");
                Assert.Equal(result.Iterations + 1, result.ResidualNorms.Length);
                // The solver's ‖r‖ estimate tracks the true residual.
                Assert.InRange(Math.Abs(solver.Estimates.NormResidual - r.L2Norm()), 0, 1e-6 * b.L2Norm());
            }));

    /// <summary>Damped problems min ‖Ax − b‖² + λ²‖x‖² against the dense regularised normal equations (AᵀA + λ²I)x = Aᵀb.</summary>
    [Theory]
    [InlineData(Method.Lsqr, 0.1)]
    [InlineData(Method.Lsmr, 0.1)]
    [InlineData(Method.Lsqr, 1e-3)]
    [InlineData(Method.Lsmr, 1e-3)]
    public void Damped_problem_matches_the_regularised_normal_equations(Method method, double damping)
    {
        const int rows = 40, cols = 25;
        var rng = new Random(4);
        var a = Dense.WithSingularValues(rows, Dense.LogSpectrum(cols, 1e6), rng);
        var b = Dense.Gaussian(rows, rng);
        using var da = Dense.Upload<double>(backend, a);
        using var db = Dense.Upload<double>(backend, b);
        using var x = backend.Allocate<double>(cols);
        using var solver = Create(method, rows, cols, new LeastSquaresOptions(1e-12, 1e-12, 0, 2000, damping));
        var result = solver.Solve(LinearOperator.Dense(backend, da.View, rows, cols), db.View, x.View);
        Assert.True(result.Converged, $"{result.Reason}");
        var normal = a.TransposeThisAndMultiply(a) + damping * damping * Matrix<double>.Build.DenseIdentity(cols);
        var exact = normal.Cholesky().Solve(a.TransposeThisAndMultiply(b));
        // cond of the damped problem ≤ ‖A‖/λ = 1e3 at λ = 1e-3: error ≲ 1e3 · 1e-12 with slack.
        Assert.InRange(Dense.RelativeError(Dense.Download(x.View), exact), 0, 1e-8);
    }

    /// <summary>LSMR's ‖Aᵀr‖ history decreases monotonically (Fong–Saunders' defining property); LSQR's ‖r‖ history does.</summary>
    [Fact]
    public void Lsmr_normal_residual_and_lsqr_residual_decrease_monotonically()
    {
        const int rows = 60, cols = 30;
        var rng = new Random(6);
        var a = Dense.WithSingularValues(rows, Dense.LogSpectrum(cols, 1e3), rng);
        var b = Dense.Gaussian(rows, rng);
        using var da = Dense.Upload<double>(backend, a);
        using var db = Dense.Upload<double>(backend, b);
        using var x = backend.Allocate<double>(cols);
        var op = LinearOperator.Dense(backend, da.View, rows, cols);
        using var lsmr = new Lsmr<double>(backend, rows, cols, new LeastSquaresOptions(1e-12, 1e-12, 0, 300));
        lsmr.Solve(op, db.View, x.View);
        var ar = lsmr.NormalResidualNorms.ToArray();
        for (int i = 1; i < ar.Length; i++) Assert.True(ar[i] <= ar[i - 1] * (1 + 1e-10), $"LSMR ‖Aᵀr‖ rose at {i}: {ar[i - 1]} → {ar[i]}");
        using var lsqr = new Lsqr<double>(backend, rows, cols, new LeastSquaresOptions(1e-12, 1e-12, 0, 300));
        var h = lsqr.Solve(op, db.View, x.View).ResidualNorms.ToArray();
        for (int i = 1; i < h.Length; i++) Assert.True(h[i] <= h[i - 1] * (1 + 1e-10), $"LSQR ‖r‖ rose at {i}");
    }

    [Theory]
    [InlineData(Method.Lsqr)]
    [InlineData(Method.Lsmr)]
    public void Condition_limit_iteration_limit_zero_rhs_and_NaN_are_reported(Method method)
    {
        const int rows = 30, cols = 20;
        var rng = new Random(7);
        var a = Dense.WithSingularValues(rows, Dense.LogSpectrum(cols, 1e10), rng);
        var b = Dense.Gaussian(rows, rng);
        using var da = Dense.Upload<double>(backend, a);
        using var db = Dense.Upload<double>(backend, b);
        using var x = backend.Allocate<double>(cols);
        var op = LinearOperator.Dense(backend, da.View, rows, cols);

        using (var limited = Create(method, rows, cols, new LeastSquaresOptions(1e-14, 1e-14, ConditionLimit: 1e3, MaxIterations: 500)))
        {
            var r = limited.Solve(op, db.View, x.View);
            Assert.Equal(StopReason.ConditionLimit, r.Reason);
            Assert.False(r.Converged);
            Assert.True(limited.Estimates.ConditionA >= 1e3);
        }
        using var solver = Create(method, rows, cols, new LeastSquaresOptions(1e-14, 1e-14, 0, MaxIterations: 3));
        var capped = solver.Solve(op, db.View, x.View);
        Assert.Equal(StopReason.IterationLimit, capped.Reason);
        Assert.Equal(3, capped.Iterations);
        Assert.False(capped.Converged);

        using var zero = backend.Allocate<double>(rows);
        var z = solver.Solve(op, zero.View, x.View);
        Assert.True(z.Converged);
        Assert.Equal(StopReason.ZeroRightHandSide, z.Reason);
        Assert.All(x.ToArray(), v => Assert.Equal(0.0, v));

        da.CopyFrom([double.NaN], 3 * cols + 4);
        var nan = solver.Solve(op, db.View, x.View);
        Assert.False(nan.Converged);
        Assert.Equal(SolverBreakdown.NotANumber, nan.Breakdown);
    }

    [Fact]
    public void Float32_smoke_test()
    {
        const int rows = 50, cols = 20;
        var rng = new Random(8);
        var a = Dense.WithSingularValues(rows, Dense.LogSpectrum(cols, 10), rng);
        var b = Dense.Gaussian(rows, rng);
        using var da = Dense.Upload<float>(backend, a);
        using var db = Dense.Upload<float>(backend, b);
        using var x = backend.Allocate<float>(cols);
        var op = LinearOperator.Dense(backend, da.View, rows, cols);
        var exact = a.QR().Solve(b);
        foreach (LeastSquaresSolver<float> solver in new LeastSquaresSolver<float>[]
                 { new Lsqr<float>(backend, rows, cols, new(1e-6, 1e-6)), new Lsmr<float>(backend, rows, cols, new(1e-6, 1e-6)) })
            using (solver)
            {
                var r = solver.Solve(op, db.View, x.View);
                Assert.True(r.Converged, $"{r.Reason}");
                // cond 10 times float32 tolerances 1e-6, with slack for the float32 rounding of A and b.
                Assert.InRange(Dense.RelativeError(Dense.Download(x.View), exact), 0, 1e-4);
            }
    }
}

public sealed class LeastSquaresTestsCpu() : LeastSquaresTests(LinalgTestBackends.Cpu);
