using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Linalg;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Tests.Linalg;

/// <summary>
/// Every solver once on small problems, so that backends where each kernel launch is slow (ILGPU's CPU
/// accelerator: ~0.4 ms per launch) run the whole Linalg path: operators (including the diagonal's elementwise
/// functor), CG, block CG, LSQR, LSMR, Lanczos, Hutchinson with Philox probes, and the kernel projection.
/// Float64, tolerances as in the full tests.
/// </summary>
public abstract class LinalgSmokeTests(Backend backend)
{
    [Fact]
    public void Every_solver_runs_and_is_accurate_on_a_small_problem()
    {
        const int n = 12, rows = 16, b = 4, p = 14;
        var rng = new Random(1);
        var a = Dense.Symmetric(Dense.LogSpectrum(n, 50), rng);
        var rhs = Dense.Gaussian(n, rng);
        var d = Vector<double>.Build.Dense(n, i => 1 + i);
        using var da = Dense.Upload<double>(backend, a);
        using var drhs = Dense.Upload<double>(backend, rhs);
        using var dd = Dense.Upload<double>(backend, d);
        using var x = backend.Allocate<double>(n);
        using var shifted = LinearOperator.Shifted(LinearOperator.Dense(backend, da.View, n, n), 0.5);
        using var op = LinearOperator.Sum(shifted, LinearOperator.Diagonal(backend, dd.View));
        var dense = a + 0.5 * Matrix<double>.Build.DenseIdentity(n) + Matrix<double>.Build.DenseOfDiagonalVector(d);
        var exact = dense.Cholesky().Solve(rhs);

        using (var cg = ConjugateGradient<double>.WithTolerance(backend, n, 1e-10, 100))
        {
            Assert.True(cg.Solve(op, drhs.View, x.View).Converged);
            Assert.InRange(Dense.RelativeError(Dense.Download(x.View), exact), 0, 1e-8);
        }
        using (var block = new BlockConjugateGradient<double>(backend, n, 2, 0, 12, reorthogonalize: true))
        using (var two = Dense.Upload<double>(backend, rhs.ToArray().Concat((2 * rhs).ToArray())))
        using (var xs = backend.Allocate<double>(2 * n))
        {
            Assert.True(block.Solve(op, two.View, xs.View, 2).Converged);
            var sol = Dense.DownloadBlock(xs.View, 2, n);
            Assert.InRange(Dense.RelativeError(sol.Row(1), 2 * exact), 0, 1e-8);
        }

        var m = Dense.WithSingularValues(rows, Dense.LogSpectrum(n, 100), rng);
        var y = m * Dense.Gaussian(n, rng);
        using var dm = Dense.Upload<double>(backend, m);
        using var dy = Dense.Upload<double>(backend, y);
        var mop = LinearOperator.Dense(backend, dm.View, rows, n);
        foreach (LeastSquaresSolver<double> ls in new LeastSquaresSolver<double>[]
                 { new Lsqr<double>(backend, rows, n, new(1e-12, 1e-12)), new Lsmr<double>(backend, rows, n, new(1e-12, 1e-12)) })
            using (ls)
            {
                Assert.True(ls.Solve(mop, dy.View, x.View).Converged);
                Assert.InRange(Dense.RelativeError(Dense.Download(x.View), m.QR().Solve(y)), 0, 1e-8);
            }

        using (var lanczos = new Lanczos<double>(backend, n, n))
        using (var vectors = backend.Allocate<double>(2 * n))
        {
            var eig = lanczos.Compute(op, 2, vectors.View, seed: 3);
            var top = dense.Evd(Symmetricity.Symmetric).EigenValues.Select(v => v.Real).OrderDescending().ToArray();
            Assert.InRange(Math.Abs(eig.Eigenvalues.Span[0] - top[0]) / top[0], 0, 1e-10);
            Assert.InRange(Math.Abs(eig.Eigenvalues.Span[1] - top[1]) / top[0], 0, 1e-10);
        }

        using (var hutchinson = new HutchinsonTrace<double>(backend, n, 8))
        {
            var est = hutchinson.Estimate(op, 64, seed: 5);
            Assert.InRange(Math.Abs(est.Estimate - dense.Trace()), 0, 3 * est.StandardError);
        }

        var j = Dense.Gaussian(b, p, rng);
        var eps = Dense.Gaussian(2, p, rng);
        using var dj = Dense.Upload<double>(backend, j);
        using var de = Dense.Upload<double>(backend, eps);
        using var pe = backend.Allocate<double>(2 * p);
        using var projector = new KernelProjection<double>(backend, b, p, 2);
        Assert.True(projector.ProjectMany(LinearOperator.Dense(backend, dj.View, b, p), de.View, pe.View, 2).Converged);
        var projected = Dense.DownloadBlock(pe.View, 2, p);
        Assert.InRange(Dense.RelativeError(projected, eps * Dense.NullSpaceProjector(j)), 0, 1e-8);
        // The dense solver: rows by one batched transpose product, GEMMs and host transfers on this backend.
        using var rowsSolver = new KernelProjection<double>(backend, b, p, 2, new KernelProjectionOptions(ProjectionSolver.Dense));
        Assert.True(rowsSolver.ProjectMany(LinearOperator.Dense(backend, dj.View, b, p), de.View, pe.View, 2).Converged);
        Assert.InRange(Dense.RelativeError(Dense.DownloadBlock(pe.View, 2, p), eps * Dense.NullSpaceProjector(j)), 0, 1e-8);
    }
}

public sealed class LinalgSmokeTestsCpu() : LinalgSmokeTests(LinalgTestBackends.Cpu);

public sealed class LinalgSmokeTestsIlgpuCpu() : LinalgSmokeTests(LinalgTestBackends.IlgpuCpu);
