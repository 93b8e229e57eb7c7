using Tangent.Engine.Linalg;
using Tangent.Inference.Projection;
using Tangent.Inference.Tests.Support;
using Tangent.Inference.Viking;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Optim;

namespace Tangent.Inference.Tests.Viking;

/// <summary>
/// A few full ELBO steps (projection, sample, loss, adjoint, KL, Adam) of a tiny net on another backend agree with
/// the cpu backend: same Philox noise, same batches, float32 arithmetic in a different summation order.
/// </summary>
public abstract class VikingBackendTests(Backend backend)
{
    private const int Steps = 4;

    private sealed record Trace(double[] Nll, double[] Kl, float[][] Gradients, float[] Variational);

    private static Trace Run(Backend be, ProjectionAdjoint adjoint, ProjectionSolver solver)
    {
        var model = Tiny.Mlp(3, 5, 3);
        var data = Tiny.Classes(16, 3, 3, seed: 13);
        var options = new VikingOptions { BatchSize = 4, ProjectionSteps = 4, Adjoint = adjoint, Gamma = 0.2, Seed = 6, Solver = solver };
        using var projector = new BatchProjector(model.Network, Likelihood.Categorical, KernelJacobian.Loss, data, be, 4, 1,
            new KernelProjectionOptions(solver, 4));
        using var elbo = new VikingElbo(projector, options, Tiny.Parameters(model, 2, scale: 2), data.Count);
        using var adam = new Adam<float>(be, elbo.Variational.Length, 1e-3);
        var loader = new BatchLoader(data, 4, 1, shuffle: true, dropLast: true);
        loader.BeginEpoch(0);
        var nll = new double[Steps];
        var kl = new double[Steps];
        var gradients = new float[Steps][];
        for (int b = 0; b < Steps; b++)
        {
            loader.Fill(b);
            var r = elbo.Step(loader, b, trainMean: true);
            nll[b] = r.ExpectedNll;
            kl[b] = r.Kl;
            gradients[b] = elbo.Gradient.ToArray();
            adam.Step(elbo.Variational.View, elbo.Gradient.View);
        }
        return new Trace(nll, kl, gradients, elbo.Variational.ToArray());
    }

    /// <summary>
    /// With the exact adjoint, which runs every product the stop-gradient step runs and the adjoint's besides; with CG and
    /// with the dense solver (per-example rows from the batch-1 tape, GEMMs, host Cholesky).
    /// </summary>
    [Theory]
    [InlineData(ProjectionSolver.FixedStepConjugateGradient)]
    [InlineData(ProjectionSolver.Dense)]
    public void A_few_elbo_steps_agree_with_cpu(ProjectionSolver solver)
    {
        var want = Run(CpuBackend.Instance, ProjectionAdjoint.Exact, solver);
        var got = Run(backend, ProjectionAdjoint.Exact, solver);
        for (int b = 0; b < Steps; b++)
        {
            // float32 in another summation order: ~1e-6 relative per reduction, a few hundred of them per step.
            Assert.Equal(want.Nll[b], got.Nll[b], 1e-4 * Math.Abs(want.Nll[b]));
            Assert.Equal(want.Kl[b], got.Kl[b], 1e-5 * Math.Abs(want.Kl[b]));
            double num = 0, den = 0;
            for (int i = 0; i < want.Gradients[b].Length; i++)
            {
                num += Math.Pow(got.Gradients[b][i] - want.Gradients[b][i], 2);
                den += Math.Pow(want.Gradients[b][i], 2);
            }
            Assert.True(Math.Sqrt(num / den) <= 1e-4, $"step {b}: gradient differs from cpu's by {Math.Sqrt(num / den):E2} relative");
        }
        // Adam moves each coordinate by at most ≈ lr = 1e-3 per step, so rounding-level gradient differences stay far below 1e-5.
        double worst = want.Variational.Zip(got.Variational, (a, c) => (double)Math.Abs(a - c)).Max();
        Assert.True(worst <= 1e-5, $"parameters after {Steps} steps differ from cpu's by up to {worst:E2}");
    }
}

[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class VikingBackendTestsIlgpuCpu() : VikingBackendTests(TestBackends.IlgpuCpu);

[Collection(TestBackends.OpenCLCollection)]
public sealed class VikingBackendTestsOpenCL() : VikingBackendTests(TestBackends.OpenCL);
