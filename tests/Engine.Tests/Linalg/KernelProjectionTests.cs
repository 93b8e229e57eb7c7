using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Linalg;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Tests.Linalg;

/// <summary>
/// The kernel projection Pε = ε − Jᵀ(JJᵀ)⁻¹Jε with a dense random J (float64) standing in for the loss Jacobian:
/// ‖JPε‖/‖ε‖ ≤ 1e-6, P(Pε) = Pε, ⟨Pa, b⟩ = ⟨a, Pb⟩, agreement with the dense projector (MathNet SVD null space),
/// Hutchinson tr P within three standard errors of P − rank J, batched = single, and alternating projections
/// converging to the projector onto the intersection of the kernels.
/// </summary>
public abstract class KernelProjectionTests(Backend backend)
{
    public static TheoryData<ProjectionSolver> Solvers =>
        [ProjectionSolver.FixedStepConjugateGradient, ProjectionSolver.ConjugateGradient, ProjectionSolver.Lsmr, ProjectionSolver.Dense];

    private static KernelProjectionOptions Options(ProjectionSolver solver) =>
        new(solver, Steps: 10, Tolerance: 1e-12, MaxIterations: 200, Atol: 1e-12, Btol: 1e-12);

    /// <summary>J with the given rank (rows × cols); full row rank when rank = rows.</summary>
    private static Matrix<double> Jacobian(int rows, int cols, int rank, Random rng) =>
        rank == rows ? Dense.Gaussian(rows, cols, rng) : Dense.Gaussian(rows, rank, rng) * Dense.Gaussian(rank, cols, rng);

    [Theory]
    [MemberData(nameof(Solvers))]
    public void Projection_is_onto_the_kernel_idempotent_symmetric_and_matches_the_dense_projector(ProjectionSolver solver)
    {
        const int b = 10, p = 60;
        var rng = new Random(1);
        var j = Jacobian(b, p, b, rng);
        var dense = Dense.NullSpaceProjector(j);
        using var dj = Dense.Upload<double>(backend, j);
        var op = LinearOperator.Dense(backend, dj.View, b, p);
        using var projector = new KernelProjection<double>(backend, b, p, 1, Options(solver));
        var eps = Dense.Gaussian(p, rng);
        var other = Dense.Gaussian(p, rng);
        using var de = Dense.Upload<double>(backend, eps);
        using var dOther = Dense.Upload<double>(backend, other);
        using var pe = backend.Allocate<double>(p);
        using var ppe = backend.Allocate<double>(p);
        using var pOther = backend.Allocate<double>(p);

        var stats = projector.Project(op, de.View, pe.View);
        Assert.True(stats.Converged, $"{stats.Reason}");
        Assert.Equal(SolverBreakdown.None, stats.Breakdown);
        var pev = Dense.Download(pe.View);
        Assert.InRange((j * pev).L2Norm() / eps.L2Norm(), 0, 1e-6);
        Assert.InRange(Dense.RelativeError(pev, dense * eps), 0, 1e-8);
        // The multipliers of that call: ε − Jᵀλ is the projection.
        var lambda = Dense.Download(projector.Multipliers);
        Assert.Equal(b, lambda.Count);
        Assert.InRange(Dense.RelativeError(eps - j.TransposeThisAndMultiply(lambda), pev), 0, 1e-10);

        projector.Project(op, pe.View, ppe.View);
        Assert.InRange(Dense.RelativeError(Dense.Download(ppe.View), pev), 0, 1e-8);

        projector.Project(op, dOther.View, pOther.View);
        double lhs = pev.DotProduct(other), rhs = eps.DotProduct(Dense.Download(pOther.View));
        Assert.InRange(Math.Abs(lhs - rhs), 0, 1e-10 * eps.L2Norm() * other.L2Norm());

        // In place gives the same vector.
        projector.Project(op, de.View, de.View);
        Assert.InRange(Dense.RelativeError(Dense.Download(de.View), pev), 0, 1e-14);
    }

    /// <summary>Rank-deficient J (12 rows of rank 7): CG from λ = 0 and LSMR still give the orthogonal projector.</summary>
    [Theory]
    [InlineData(ProjectionSolver.ConjugateGradient)]
    [InlineData(ProjectionSolver.Lsmr)]
    [InlineData(ProjectionSolver.Dense)]
    public void Rank_deficient_J_still_gives_the_orthogonal_projector(ProjectionSolver solver)
    {
        const int b = 12, p = 40, rank = 7;
        var rng = new Random(2);
        var j = Jacobian(b, p, rank, rng);
        var dense = Dense.NullSpaceProjector(j);
        using var dj = Dense.Upload<double>(backend, j);
        using var projector = new KernelProjection<double>(backend, b, p, 1, Options(solver) with { Tolerance = 1e-11 });
        var eps = Dense.Gaussian(p, rng);
        using var de = Dense.Upload<double>(backend, eps);
        using var pe = backend.Allocate<double>(p);
        var stats = projector.Project(LinearOperator.Dense(backend, dj.View, b, p), de.View, pe.View);
        Assert.Equal(SolverBreakdown.None, stats.Breakdown);
        var pev = Dense.Download(pe.View);
        Assert.InRange((j * pev).L2Norm() / eps.L2Norm(), 0, 1e-6);
        Assert.InRange(Dense.RelativeError(pev, dense * eps), 0, 1e-6);
    }

    /// <summary>tr P = P − rank J, estimated by Hutchinson through the batched projection (300 Philox probes).</summary>
    [Theory]
    [InlineData(10)]
    [InlineData(6)]
    public void Hutchinson_trace_of_P_is_within_three_standard_errors_of_P_minus_rank_J(int rank)
    {
        const int b = 10, p = 50, probes = 300, batch = 25;
        var rng = new Random(3 + rank);
        var j = Jacobian(b, p, rank, rng);
        using var dj = Dense.Upload<double>(backend, j);
        var op = LinearOperator.Dense(backend, dj.View, b, p);
        using var projector = new KernelProjection<double>(backend, b, p, batch, Options(ProjectionSolver.ConjugateGradient));
        var projection = LinearOperator.FromClosures<double>(backend, p, p,
            (x, y) => projector.Project(op, x, y),
            applyMany: (x, y, count) => projector.ProjectMany(op, x, y, count));
        using var hutchinson = new HutchinsonTrace<double>(backend, p, batch);
        var est = hutchinson.Estimate(projection, probes, seed: 42);
        Assert.Equal(probes, est.Probes);
        Assert.InRange(Math.Abs(est.Estimate - (p - rank)), 0, 3 * est.StandardError);
        // The Rademacher variance of a projector is 2(‖P‖_F² − Σ P_ii²) ≤ 2(P − rank): the SE is not degenerate.
        Assert.InRange(est.StandardError, 0.01, Math.Sqrt(2.0 * (p - rank) / probes) * 1.5);
    }

    /// <summary>Many vectors at once equal one at a time; CG modes make only batched products with J (one JVP-like and one VJP-like sweep per iteration).</summary>
    [Theory]
    [MemberData(nameof(Solvers))]
    public void Projecting_many_vectors_equals_projecting_each_with_batched_products_only(ProjectionSolver solver)
    {
        const int b = 10, p = 50, k = 6;
        var rng = new Random(4);
        var j = Jacobian(b, p, b, rng);
        using var dj = Dense.Upload<double>(backend, j);
        var op = new CountingOperator<double>(LinearOperator.Dense(backend, dj.View, b, p));
        var eps = Dense.Gaussian(k, p, rng);
        using var de = Dense.Upload<double>(backend, eps);
        using var result = backend.Allocate<double>(k * p);
        using var single = backend.Allocate<double>(p);
        using var projector = new KernelProjection<double>(backend, b, p, k, Options(solver));

        var stats = projector.ProjectMany(op, de.View, result.View, k);
        Assert.True(stats.Converged);
        Assert.Equal(k, stats.Count);
        if (solver == ProjectionSolver.Dense)
        {
            // J's rows from one batched transpose product; everything else is GEMMs on them.
            Assert.Equal(0, op.Applies + op.TransposeApplies + op.ManyApplies);
            Assert.Equal(1, op.TransposeManyApplies);
        }
        else if (solver != ProjectionSolver.Lsmr)
        {
            Assert.Equal(0, op.Applies + op.TransposeApplies);
            int verification = solver == ProjectionSolver.ConjugateGradient ? 1 : 0;
            Assert.Equal(stats.Iterations + 1 + verification, op.ManyApplies);
            Assert.Equal(stats.Iterations + 1 + verification, op.TransposeManyApplies);
        }
        var block = Dense.DownloadBlock(result.View, k, p);
        for (int i = 0; i < k; i++)
        {
            using var ei = Dense.Upload<double>(backend, eps.Row(i));
            projector.Project(op, ei.View, single.View);
            Assert.InRange(Dense.RelativeError(block.Row(i), Dense.Download(single.View)), 0, 1e-10);
            Assert.InRange((j * block.Row(i)).L2Norm() / eps.Row(i).L2Norm(), 0, 1e-6);
        }
    }

    /// <summary>
    /// Alternating projections over three J_b (6 rows each, P = 40) converge to the projector onto
    /// ker J₁ ∩ ker J₂ ∩ ker J₃ = ker [J₁; J₂; J₃] (dense: SVD null space of the stacked matrix); the error decays
    /// with the passes.
    /// </summary>
    [Theory]
    [InlineData(ProjectionSolver.ConjugateGradient)]
    [InlineData(ProjectionSolver.FixedStepConjugateGradient)]
    [InlineData(ProjectionSolver.Dense)]
    public void Alternating_projections_converge_to_the_projector_onto_the_intersection_of_kernels(ProjectionSolver solver)
    {
        const int b = 6, p = 40, k = 4, operators = 3;
        var rng = new Random(5);
        var js = Enumerable.Range(0, operators).Select(_ => Jacobian(b, p, b, rng)).ToArray();
        var stacked = Matrix<double>.Build.DenseOfMatrixArray(new[,] { { js[0] }, { js[1] }, { js[2] } });
        var dense = Dense.NullSpaceProjector(stacked);
        var uploads = js.Select(m => Dense.Upload<double>(backend, m)).ToArray();
        try
        {
            var ops = uploads.Select(u => (ILinearOperator<double>)LinearOperator.Dense(backend, u.View, b, p)).ToArray();
            var eps = Dense.Gaussian(k, p, rng);
            var expected = eps * dense; // rows are vectors; P is symmetric
            using var projector = new KernelProjection<double>(backend, b, p, k, Options(solver));
            double previous = double.PositiveInfinity;
            foreach (int passes in new[] { 5, 20, 80 })
            {
                using var v = Dense.Upload<double>(backend, eps);
                var stats = projector.Alternate(ops, v.View, k, passes);
                Assert.Equal(passes * operators, stats.Projections);
                Assert.True(stats.Converged);
                Assert.Equal(SolverBreakdown.None, stats.Breakdown);
                double error = Dense.RelativeError(Dense.DownloadBlock(v.View, k, p), expected);
                Assert.True(error < previous, $"error {error:E2} after {passes} passes did not fall below {previous:E2}");
                previous = error;
            }
            Assert.InRange(previous, 0, 1e-6);
        }
        finally
        {
            foreach (var u in uploads) u.Dispose();
        }
    }

    [Fact]
    public void Steady_state_projections_allocate_nothing()
    {
        const int b = 8, p = 30, k = 3;
        var rng = new Random(6);
        using var dj = Dense.Upload<double>(backend, Jacobian(b, p, b, rng));
        using var de = Dense.Upload<double>(backend, Dense.Gaussian(k, p, rng));
        using var result = backend.Allocate<double>(k * p);
        var op = LinearOperator.Dense(backend, dj.View, b, p);
        using var projector = new KernelProjection<double>(backend, b, p, k);
        for (int warm = 0; warm < 3; warm++) { projector.Project(op, de.View, result.View); projector.ProjectMany(op, de.View, result.View, k); }
        Assert.Equal(0, Allocations.SteadyStateBytes(() =>
        {
            projector.Project(op, de.View, result.View);
            projector.ProjectMany(op, de.View, result.View, k);
        }));
    }

    /// <summary>Float32: ten fixed steps on a well-conditioned 8-row J reach float32 accuracy, ‖JPε‖/‖Jε‖ ≤ 1e-4.</summary>
    [Fact]
    public void Float32_fixed_step_projection_smoke_test()
    {
        const int b = 8, p = 50;
        var rng = new Random(7);
        var j = Jacobian(b, p, b, rng);
        var eps = Dense.Gaussian(p, rng);
        using var dj = Dense.Upload<float>(backend, j);
        using var de = Dense.Upload<float>(backend, eps);
        using var pe = backend.Allocate<float>(p);
        using var projector = new KernelProjection<float>(backend, b, p);
        var stats = projector.Project(LinearOperator.Dense(backend, dj.View, b, p), de.View, pe.View);
        Assert.True(stats.Converged);
        Assert.InRange((j * Dense.Download(pe.View)).L2Norm() / (j * eps).L2Norm(), 0, 1e-4);
    }
}

public sealed class KernelProjectionTestsCpu() : KernelProjectionTests(LinalgTestBackends.Cpu);
