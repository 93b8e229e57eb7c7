using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Linalg;
using Tangent.Inference.Projection;
using Tangent.Inference.Viking;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;

namespace Tangent.Inference.Tests.Viking;

/// <summary>
/// Sampling statistics of a VIKING posterior on a tiny model whose training set is one batch (so the alternating
/// pass is one exact projection): the S = 4000 samples δ_s = θ_s − θ̂ must have covariance
/// α⁻¹P + σ_im²(I − P), P the dense kernel projector, seen through its image part Cov(Jδ) = σ²JJᵀ, its kernel part
/// Cov(Pδ) = α⁻¹P and their cross-covariance 0; and the Hutchinson trace from the samples' ε must estimate tr P = P − 4.
/// </summary>
public sealed class VikingSamplingTests
{
    [Fact]
    public void Samples_have_the_kernel_image_covariance()
    {
        const int s = 4000;
        const double logPrecision = 0.5, logImageScale = -1.2;
        var model = Tiny.Mlp(3, 4, 3);
        var data = Tiny.Classes(4, 3, 3, seed: 7);
        var theta = Tiny.Parameters(model, 3, scale: 2);
        var be = CpuBackend.Instance;
        using var projector = new BatchProjector(model.Network, Likelihood.Categorical, KernelJacobian.Loss, data, be, 4, 20,
            new KernelProjectionOptions(ProjectionSolver.FixedStepConjugateGradient, 4));
        using var mean = be.Upload<float>(theta);
        var tally = new ProjectionTally(1e-3);
        var (kernel, trace) = AlternatingProjection.ProjectNoise(projector, new BatchLoader(data, 4, 0, shuffle: false, dropLast: true), mean.View, s, 1, 0, 21,
            VikingPosterior.NoiseStream, tally, "test");
        Assert.Equal(0, tally.NotConverged);
        using var posterior = new VikingPosterior(model, be, theta, logPrecision, logImageScale, kernel, 21);
        int p = theta.Length;
        var flat = posterior.ParameterSamples();
        var deltas = Matrix<double>.Build.Dense(s, p, (i, j) => flat[i * p + j] - theta[j]);

        var dense = new DenseReference(projector.Tape, data);
        var j = dense.Jacobian(theta.Select(v => (double)v).ToArray(), "loss");
        var kernelProjector = DenseReference.KernelProjector(j);
        double a2 = Math.Exp(-logPrecision), s2 = Math.Exp(2 * logImageScale);

        // Sample covariances of N Gaussian draws: relative Frobenius error ≈ √((tr C)² + ‖C‖²_F)/(‖C‖_F √N), about 0.04
        // for the 4×4 image block at N = 4000; 0.15 is over three times that. Swapping α and σ or skipping the
        // projection changes these blocks by a factor of 10 or more.
        var image = Covariance(deltas * j.Transpose());
        var expectedImage = s2 * (j * j.Transpose());
        Assert.InRange((image - expectedImage).FrobeniusNorm() / expectedImage.FrobeniusNorm(), 0, 0.15);
        var kernelPart = deltas * kernelProjector;
        double meanSquare = kernelPart.RowNorms(2).Select(n => n * n).Average();
        // E‖Pδ‖² = α⁻¹ tr P = α⁻¹(P − 4); the mean over N has relative standard deviation √(2/(27 N)) ≈ 0.004.
        Assert.InRange(meanSquare / (a2 * (p - 4)), 0.985, 1.015);
        var cross = (kernelPart.Transpose() * (deltas * j.Transpose())) / s;
        // The cross-covariance of independent parts has entries of size √(α⁻¹σ²‖J‖²/N).
        Assert.InRange(cross.FrobeniusNorm() / Math.Sqrt(a2 * s2 * (j * j.Transpose()).Trace() * (p - 4) / s), 0, 3);
        // Hutchinson with Gaussian probes: variance 2 tr P² = 2(P − 4) per probe, so the standard error is √(54/4000) ≈ 0.12.
        Assert.InRange(trace, p - 4 - 0.4, p - 4 + 0.4);
    }

    private static Matrix<double> Covariance(Matrix<double> rows) => rows.TransposeThisAndMultiply(rows) / rows.RowCount;
}
