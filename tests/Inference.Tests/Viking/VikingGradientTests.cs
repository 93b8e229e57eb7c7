using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Linalg;
using Tangent.Inference.Projection;
using Tangent.Inference.Viking;
using Tangent.Kernels.Cpu;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Tests.Viking;

/// <summary>
/// The ELBO step's gradient on a tiny tanh MLP (P = 31) and one batch of 4 examples, against float64 references
/// built from the definitions: with γ = 0 the step's sample is θ_s = θ̂ + (a − s)P(θ̂)η + sη (a = α^(−1/2), s = σ_im,
/// η the step's Philox noise), and the loss is Σᵢ ℓᵢ(θ_s) (β = 0 isolates it). The exact adjoint must match central
/// differences of that function with the dense projector P(θ̂) = I − Jᵀ(JJᵀ)⁻¹J re-formed at each θ̂; stop-gradient must
/// equal ∇ℓ at θ_s plus βαθ̂. CG runs as many steps as J has rows, so the float32 projection is exact to rounding.
/// </summary>
public sealed class VikingGradientTests
{
    private const ulong Seed = 11;

    private sealed class Setup : IDisposable
    {
        public Setup(KernelJacobian jacobian, ProjectionAdjoint adjoint, double beta, double logPrecision)
        {
            Model = Tiny.Mlp(3, 4, 3);
            Data = Tiny.Classes(4, 3, 3, seed: 7);
            Theta = Tiny.Parameters(Model, 3, scale: 2);
            int rows = jacobian == KernelJacobian.Loss ? 4 : 12;
            Options = new VikingOptions
            {
                Gamma = 0, Beta = beta, InitialLogPrecision = logPrecision, InitialLogImageScale = -3, Adjoint = adjoint, Jacobian = jacobian,
                ProjectionSteps = rows, Seed = Seed,
            };
            Projector = new BatchProjector(Model.Network, Likelihood.Categorical, jacobian, Data, CpuBackend.Instance, 4, 1,
                new KernelProjectionOptions(ProjectionSolver.FixedStepConjugateGradient, rows));
            Elbo = new VikingElbo(Projector, Options, Theta, Data.Count);
            Result = Elbo.Step(Tiny.WholeBatch(Data), 0, trainMean: true);
            Gradient = Elbo.Gradient.ToArray().Select(v => (double)v).ToArray();
            Dense = new DenseReference(Projector.Tape, Data);
            using var noise = CpuBackend.Instance.Allocate<float>(Theta.Length);
            CpuBackend.Instance.RandomNormal(noise.View, Seed, VikingElbo.StepNoiseStream, 0);
            Noise = Vector<double>.Build.DenseOfEnumerable(noise.ToArray().Select(v => (double)v));
        }

        public ZooModel Model { get; }
        public Models.Data.DataSet Data { get; }
        public float[] Theta { get; }
        public VikingOptions Options { get; }
        public BatchProjector Projector { get; }
        public VikingElbo Elbo { get; }
        public ElboStepResult Result { get; }
        public double[] Gradient { get; }
        public DenseReference Dense { get; }
        public Vector<double> Noise { get; }
        public Vector<double> Mean => Vector<double>.Build.DenseOfEnumerable(Theta.Select(v => (double)v));

        /// <summary>θ_s(θ̂, log α, log σ) by the definition, in float64.</summary>
        public double[] Sample(Vector<double> mean, double logPrecision, double logImageScale)
        {
            var projector = DenseReference.KernelProjector(Dense.Jacobian(mean.ToArray(), Projector.OutputName));
            double a = Math.Exp(-0.5 * logPrecision), s = Math.Exp(logImageScale);
            return (mean + (a - s) * (projector * Noise) + s * Noise).ToArray();
        }

        public double Objective(Vector<double> mean, double logPrecision, double logImageScale) =>
            Dense.Loss(Sample(mean, logPrecision, logImageScale));

        public void Dispose()
        {
            Elbo.Dispose();
            Projector.Dispose();
        }
    }

    [Theory]
    [InlineData(KernelJacobian.Loss)]
    [InlineData(KernelJacobian.Output)]
    public void Exact_adjoint_matches_finite_differences_of_the_sampled_loss(KernelJacobian jacobian)
    {
        using var s = new Setup(jacobian, ProjectionAdjoint.Exact, beta: 0, logPrecision: 0);
        int p = s.Theta.Length;
        var mean = s.Mean;
        var rng = new Random(9);
        var stopGradient = s.Dense.Gradient(s.Sample(mean, 0, -3));
        const double h = 1e-5;
        for (int trial = 0; trial < 3; trial++)
        {
            var w = Vector<double>.Build.Dense(p, _ => Tiny.Normal(rng));
            // float64 central differences: error ~h²·f‴ + 1e-16/h ≈ 1e-10 relative; the float32 step's gradient carries
            // rounding of ~1e-6 per operation through a few hundred of them, so 1e-3 relative is a safe bound.
            double fd = (s.Objective(mean + h * w, 0, -3) - s.Objective(mean - h * w, 0, -3)) / (2 * h);
            double got = w.DotProduct(Vector<double>.Build.DenseOfArray(s.Gradient[..p]));
            double stop = w.DotProduct(Vector<double>.Build.DenseOfArray(stopGradient));
            Assert.True(Math.Abs(got - fd) <= 1e-3 * Math.Abs(fd), $"direction {trial}: exact adjoint {got:R}, finite difference {fd:R}");
            Assert.True(Math.Abs(stop - fd) > 2e-2 * Math.Abs(fd), $"direction {trial}: the adjoint term is too small to test ({stop:R} vs {fd:R})");
        }
        double dLa = (s.Objective(mean, h, -3) - s.Objective(mean, -h, -3)) / (2 * h);
        double dLs = (s.Objective(mean, 0, -3 + h) - s.Objective(mean, 0, -3 - h)) / (2 * h);
        Assert.True(Math.Abs(s.Gradient[p] - dLa) <= 1e-3 * Math.Abs(dLa), $"∂/∂log α: step {s.Gradient[p]:R}, finite difference {dLa:R}");
        Assert.True(Math.Abs(s.Gradient[p + 1] - dLs) <= 1e-3 * Math.Abs(dLs), $"∂/∂log σ: step {s.Gradient[p + 1]:R}, finite difference {dLs:R}");
    }

    [Fact]
    public void Stop_gradient_is_the_loss_gradient_at_the_sample_plus_the_prior_term()
    {
        const double beta = 0.5, logPrecision = 1;
        using var s = new Setup(KernelJacobian.Loss, ProjectionAdjoint.Stop, beta, logPrecision);
        int p = s.Theta.Length;
        var mean = s.Mean;
        var sample = s.Sample(mean, logPrecision, -3);
        var expected = Vector<double>.Build.DenseOfArray(s.Dense.Gradient(sample)) + beta * Math.Exp(logPrecision) * mean;
        var got = Vector<double>.Build.DenseOfArray(s.Gradient[..p]);
        // float32 loss gradient against float64: 1e-5 relative.
        Assert.True((got - expected).L2Norm() <= 1e-5 * expected.L2Norm(), $"relative error {(got - expected).L2Norm() / expected.L2Norm():E2}");
        Assert.Equal(s.Dense.Loss(sample), s.Result.ExpectedNll, 1e-5 * s.Result.ExpectedNll);
        // The scales: likelihood part by central differences (k held, as in the definition) plus β times the closed-form KL's.
        const double h = 1e-5;
        double dLa = (s.Objective(mean, logPrecision + h, -3) - s.Objective(mean, logPrecision - h, -3)) / (2 * h);
        double dLs = (s.Objective(mean, logPrecision, -3 + h) - s.Objective(mean, logPrecision, -3 - h)) / (2 * h);
        var kl = KernelImageKl.At(p, s.Result.KernelDimension, mean.DotProduct(mean), logPrecision, -3);
        Assert.Equal(dLa + beta * kl.LogPrecisionGradient, s.Gradient[p], 1e-4 * Math.Abs(dLa + beta * kl.LogPrecisionGradient));
        Assert.Equal(dLs + beta * kl.LogImageScaleGradient, s.Gradient[p + 1], 1e-4 * Math.Abs(dLs + beta * kl.LogImageScaleGradient));
    }
}
