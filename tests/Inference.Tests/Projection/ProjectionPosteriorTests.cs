using MathNet.Numerics.LinearAlgebra;
using Tangent.Inference.Projection;
using Tangent.Inference.Tests.Viking;
using Tangent.Kernels.Cpu;

namespace Tangent.Inference.Tests.Projection;

/// <summary>
/// Miani et al.'s projection posterior on a tiny model against dense float64 linear algebra: after enough
/// alternating passes the kernel samples are the projection of their ε onto the kernel of the whole training set's
/// Jacobian, α* follows ‖θ*‖²/(P − tr P) with tr P estimated within its standard error, and under the output
/// kernel the linearised predictions on training inputs do not move.
/// </summary>
public sealed class ProjectionPosteriorTests
{
    [Fact]
    public void Samples_are_the_dense_projection_onto_the_training_sets_kernel_and_alpha_follows()
    {
        var model = Tiny.Mlp(3, 4, 3);
        var data = Tiny.Classes(12, 3, 3, seed: 8);
        var map = Tiny.Parameters(model, 4, scale: 2);
        var options = new ProjectionOptions(Samples: 40, Passes: 150, BatchSize: 4, ProjectionSteps: 4, Seed: 2);
        using var posterior = ProjectionPosterior.Fit(model, map, data, options, CpuBackend.Instance);
        int p = map.Length, s = options.Samples;

        using var noise = CpuBackend.Instance.Allocate<float>(s * p);
        CpuBackend.Instance.RandomNormal(noise.View, options.Seed, ProjectionPosterior.NoiseStream, 0);
        var eps = Matrix<double>.Build.Dense(p, s, (i, j) => noise.ToArray()[j * p + i]);
        var theta = map.Select(v => (double)v).ToArray();
        var j12 = new DenseReference(Likelihood.Categorical.Trace(model.Network, 12), data).Jacobian(theta, "loss");
        var expected = DenseReference.KernelProjector(j12) * eps;
        var flat = posterior.KernelSamples();
        var got = Matrix<double>.Build.Dense(p, s, (i, j) => flat[j * p + i]);
        // Alternating projections converge linearly; 150 passes over three 4-row kernels bring the error to the float32
        // rounding of the projections (≈1e-5 relative per pass, accumulated).
        Assert.InRange((got - expected).FrobeniusNorm() / expected.FrobeniusNorm(), 0, 1e-3);

        // tr P_ker = P − 12; Hutchinson with 40 Gaussian probes has standard error √(2·19/40) ≈ 1.
        double trace = double.Parse(posterior.Hyperparameters["trace_estimate"], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(trace, p - 12 - 3, p - 12 + 3);
        double norm2 = theta.Sum(v => v * v);
        // ‖θ*‖² is summed in float32 there (31 terms: ~1e-7 relative).
        Assert.Equal(norm2 / (p - trace), posterior.Alpha, 1e-6 * posterior.Alpha);
    }

    [Fact]
    public void Under_the_output_kernel_linearised_predictions_on_training_inputs_do_not_move()
    {
        var model = Tiny.Mlp(3, 4, 3);
        var data = Tiny.Classes(4, 3, 3, seed: 9);
        var map = Tiny.Parameters(model, 5, scale: 2);
        var options = new ProjectionOptions(Alpha: 1, Samples: 10, Passes: 200, BatchSize: 2, Jacobian: KernelJacobian.Output, ProjectionSteps: 6, Seed: 3);
        using var posterior = ProjectionPosterior.Fit(model, map, data, options, CpuBackend.Instance);
        var onData = posterior.Predict(data.Inputs, 4, 0);
        var other = Tiny.Classes(4, 3, 3, seed: 10);
        var offData = posterior.Predict(other.Inputs, 4, 0);
        double Spread(float[] samples)
        {
            // Largest deviation of any sample's logit from the first sample's.
            int bc = 4 * 3;
            double worst = 0;
            for (int i = 1; i < 10; i++)
                for (int k = 0; k < bc; k++) worst = Math.Max(worst, Math.Abs(samples[i * bc + k] - samples[k]));
            return worst;
        }
        double on = Spread(onData.Samples!), off = Spread(offData.Samples!);
        // J δ_s = 0 on the training inputs up to the alternating projections' convergence; elsewhere δ_s (of norm ≈ √7)
        // moves the logits by O(1).
        Assert.True(on <= 1e-3 * off, $"spread on the training inputs {on:E2}, elsewhere {off:E2}");
        Assert.True(off > 0.05, $"spread off the training inputs {off:E2} is too small for the check to mean anything");
    }
}
