using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Linalg;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Tests.Linalg;

/// <summary>Lanczos top-k eigenpairs against MathNet's dense EVD, and Hutchinson trace estimates.</summary>
public abstract class SpectralTests(Backend backend)
{
    /// <summary>
    /// Top and bottom k = 5 eigenvalues of a 100×100 symmetric matrix with a geometrically decaying spectrum
    /// (well separated at both ends) from 40 reorthogonalised Lanczos steps: eigenvalues to 1e-10 relative to ‖A‖,
    /// vectors aligned with the dense eigenvectors to 1e-8 and with residual ‖Ay − θy‖ matching the reported one.
    /// </summary>
    [Theory]
    [InlineData(SpectrumEnd.Largest)]
    [InlineData(SpectrumEnd.Smallest)]
    public void Lanczos_eigenpairs_match_the_dense_EVD(SpectrumEnd end)
    {
        const int n = 100, k = 5, steps = 40;
        var rng = new Random(2);
        var lambda = Enumerable.Range(0, n).Select(i => 10 * Math.Pow(0.8, i) - (i % 2 == 0 ? 0 : 1e-3 * i)).ToArray();
        // Make the bottom end well separated too.
        for (int i = 0; i < 5; i++) lambda[n - 1 - i] = -5 - 2 * i;
        var a = Dense.Symmetric(lambda, rng);
        using var da = Dense.Upload<double>(backend, a);
        using var start = Dense.Upload<double>(backend, Dense.Gaussian(n, rng));
        using var vectors = backend.Allocate<double>(k * n);
        using var lanczos = new Lanczos<double>(backend, n, steps);
        var result = lanczos.Compute(LinearOperator.Dense(backend, da.View, n, n), k, vectors.View, end, tolerance: 1e-8, start: start.View);

        Assert.True(result.Converged);
        Assert.Equal(SolverBreakdown.None, result.Breakdown);
        var evd = a.Evd(Symmetricity.Symmetric);
        var sorted = evd.EigenValues.Select((v, i) => (v.Real, i)).OrderBy(p => end == SpectrumEnd.Largest ? -p.Real : p.Real).Take(k).ToArray();
        var ys = Dense.DownloadBlock(vectors.View, k, n);
        for (int i = 0; i < k; i++)
        {
            Assert.InRange(Math.Abs(result.Eigenvalues.Span[i] - sorted[i].Real) / 10, 0, 1e-10);
            var y = ys.Row(i);
            Assert.InRange(Math.Abs(y.L2Norm() - 1), 0, 1e-10);
            Assert.InRange(Math.Abs(1 - Math.Abs(y.DotProduct(evd.EigenVectors.Column(sorted[i].i)))), 0, 1e-8);
            double residual = (a * y - result.Eigenvalues.Span[i] * y).L2Norm();
            Assert.InRange(Math.Abs(residual - result.ResidualNorms.Span[i]), 0, 1e-9);
        }
    }

    /// <summary>On a rank-3 operator the Krylov space becomes invariant after 3 steps: Lanczos stops there with exact pairs.</summary>
    [Fact]
    public void Lanczos_stops_on_an_invariant_subspace_with_exact_pairs()
    {
        const int n = 30;
        var rng = new Random(9);
        var u = Dense.Gaussian(n, 3, rng).QR().Q.SubMatrix(0, n, 0, 3);
        var a = u * Matrix<double>.Build.DenseOfDiagonalArray([3.0, 2.0, 1.0]) * u.Transpose();
        using var da = Dense.Upload<double>(backend, a);
        using var vectors = backend.Allocate<double>(2 * n);
        using var start = Dense.Upload<double>(backend, Dense.Gaussian(n, rng));
        using var lanczos = new Lanczos<double>(backend, n, 20);
        var result = lanczos.Compute(LinearOperator.Dense(backend, da.View, n, n), 2, vectors.View, start: start.View);
        Assert.InRange(result.Iterations, 3, 4);
        Assert.True(result.Converged);
        Assert.InRange(Math.Abs(result.Eigenvalues.Span[0] - 3), 0, 1e-12);
        Assert.InRange(Math.Abs(result.Eigenvalues.Span[1] - 2), 0, 1e-12);
    }

    [Fact]
    public void Lanczos_reports_NaN()
    {
        const int n = 10;
        var a = Dense.Symmetric(Dense.LogSpectrum(n, 10), new Random(1));
        a[2, 3] = double.NaN;
        using var da = Dense.Upload<double>(backend, a);
        using var vectors = backend.Allocate<double>(n);
        using var start = backend.Upload<double>(Enumerable.Repeat(1.0, n).ToArray());
        using var lanczos = new Lanczos<double>(backend, n, 5);
        var result = lanczos.Compute(LinearOperator.Dense(backend, da.View, n, n), 1, vectors.View, start: start.View);
        Assert.False(result.Converged);
        Assert.Equal(SolverBreakdown.NotANumber, result.Breakdown);
    }

    /// <summary>With given probes the estimate is exactly the sample mean of vᵀAv (float64, 1e-12) and the standard error its sample SE.</summary>
    [Fact]
    public void Hutchinson_with_given_probes_is_the_sample_mean_of_the_quadratic_forms()
    {
        const int n = 40, probes = 37;
        var rng = new Random(3);
        var a = Dense.Gaussian(n, n, rng);
        var v = Matrix<double>.Build.Dense(probes, n, (_, _) => rng.Next(2) == 0 ? -1.0 : 1.0);
        using var da = Dense.Upload<double>(backend, a);
        using var dv = Dense.Upload<double>(backend, v);
        using var hutchinson = new HutchinsonTrace<double>(backend, n, batchSize: 8);
        var est = hutchinson.Estimate(LinearOperator.Dense(backend, da.View, n, n), dv.View, probes);
        var q = Enumerable.Range(0, probes).Select(s => v.Row(s).DotProduct(a * v.Row(s))).ToArray();
        double mean = q.Average();
        double se = Math.Sqrt(q.Sum(x => (x - mean) * (x - mean)) / (probes - 1) / probes);
        Assert.Equal(probes, est.Probes);
        Assert.InRange(Math.Abs(est.Estimate - mean), 0, 1e-12 * q.Abs().Max());
        Assert.InRange(Math.Abs(est.StandardError - se) / se, 0, 1e-10);
    }

    /// <summary>Philox Rademacher probes: the estimate lies within three standard errors of the trace, for several seeds.</summary>
    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void Hutchinson_with_Philox_probes_is_within_three_standard_errors(ulong seed)
    {
        const int n = 50;
        var rng = new Random((int)seed);
        var a = Dense.Symmetric(Enumerable.Range(0, n).Select(i => 1.0 + (i % 7)).ToArray(), rng);
        using var da = Dense.Upload<double>(backend, a);
        using var hutchinson = new HutchinsonTrace<double>(backend, n, batchSize: 16);
        var est = hutchinson.Estimate(LinearOperator.Dense(backend, da.View, n, n), 200, seed);
        Assert.Equal(200, est.Probes);
        Assert.True(est.StandardError > 0);
        Assert.InRange(Math.Abs(est.Estimate - a.Trace()), 0, 3 * est.StandardError);
    }
}

internal static class ArrayExtensions
{
    public static double[] Abs(this double[] a) => a.Select(Math.Abs).ToArray();
}

public sealed class SpectralTestsCpu() : SpectralTests(LinalgTestBackends.Cpu);
