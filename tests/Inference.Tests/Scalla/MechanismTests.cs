using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine;
using Tangent.Engine.Transforms;
using Tangent.Inference.Scalla;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Layers;
using Tangent.Models.Training;
using Tangent.Models.Zoo;
using Xunit.Abstractions;
using static Tangent.Inference.Tests.Scalla.ScallaTestSupport;

namespace Tangent.Inference.Tests.Scalla;

/// <summary>
/// ScaLLA's mechanism on a network small enough for the exact linearised Laplace approximation (P = 67): as the
/// surrogate trains, its kernel Q = ggᵀ approaches the NTK JJᵀ on held-out pairs, and the feature-space predictive
/// covariances approach exact LLA's, whose Jacobians are materialised (<see cref="Jacobians.Materialize{T}"/>). Both
/// are relative Frobenius errors over 12 held-out inputs: ‖JJᵀ − ggᵀ‖/‖JJᵀ‖ over all their pairs, and ‖V_ScaLLA − V_LLA‖/‖V_LLA‖
/// over their C×C covariances.
/// </summary>
public sealed class MechanismTests(ITestOutputHelper output)
{
    private const int Inputs = 4, Classes = 3, Features = 64, TrainCount = 30, HeldOut = 12;

    private static readonly Network MapNet = Mlp(Inputs, [8], Classes);
    private static readonly Network SurrogateNet = Surrogate(Inputs, [64], Features, Classes);

    /// <summary>J [n·C, P] in float64 for the inputs of <paramref name="data"/>.</summary>
    private static Matrix<double> Jacobian(float[] theta, DataSet data)
    {
        var x = data.Inputs.Select(v => (double)v).ToArray();
        var th = theta.Select(v => (double)v).ToArray();
        var j = Jacobians.Materialize<double>(MapNet.TraceLogits(data.Count), "theta", "logits", CpuBackend.Instance, plan =>
        {
            plan.Bind("theta", CpuBackend.Instance.Upload<double>(th).View);
            plan.Bind("x", CpuBackend.Instance.Upload<double>(x).View);
        });
        return Matrix<double>.Build.Dense(data.Count * Classes, MapNet.ParameterCount, (r, c) => j[r * MapNet.ParameterCount + c]);
    }

    /// <summary>Scaled surrogate features as G [n·C, m] (row (i, a) holds g(xᵢ)[·, a]).</summary>
    private static Matrix<double> FeatureRows(float[] phi, DataSet data, double scale)
    {
        var s = Run(SurrogateNet.TraceLogits(data.Count), new Dictionary<string, double[]>
        {
            ["theta"] = phi.Select(v => (double)v).ToArray(), ["x"] = data.Inputs.Select(v => (double)v).ToArray(),
        })["logits"];
        return Matrix<double>.Build.Dense(data.Count * Classes, Features, (r, k) => scale * s[(r / Classes * Features + k) * Classes + r % Classes]);
    }

    [Fact]
    public void SurrogateKernelAndPredictiveVariancesApproachExactLla()
    {
        var train = Blobs(TrainCount, Inputs, Classes, 21);
        var heldOut = Blobs(HeldOut, Inputs, Classes, 22);
        float[] theta;
        using (var trainer = new Trainer(MapNet, CpuBackend.Instance, new TrainingOptions { Epochs = 60, BatchSize = 10, LearningRate = 1e-2, Schedule = ScheduleKind.None, Seed = 1 }))
        {
            trainer.Fit(train);
            theta = trainer.ReadParameters();
        }
        // Exact LLA: Σ = (Σₙ JₙᵀΛₙJₙ + αI)⁻¹, V(x) = J(x) Σ J(x)ᵀ.
        const double alpha = 1;
        var jTrain = Jacobian(theta, train);
        var jHeld = Jacobian(theta, heldOut);
        var logits = Run(MapNet.TraceLogits(TrainCount), new Dictionary<string, double[]>
        {
            ["theta"] = theta.Select(v => (double)v).ToArray(), ["x"] = train.Inputs.Select(v => (double)v).ToArray(),
        })["logits"];
        var lambda = Matrix<double>.Build.Dense(TrainCount * Classes, TrainCount * Classes);
        for (int n = 0; n < TrainCount; n++)
        {
            var f = logits.Skip(n * Classes).Take(Classes).ToArray();
            double max = f.Max(), z = f.Sum(v => Math.Exp(v - max));
            var p = f.Select(v => Math.Exp(v - max) / z).ToArray();
            for (int a = 0; a < Classes; a++)
                for (int b = 0; b < Classes; b++) lambda[n * Classes + a, n * Classes + b] = (a == b ? p[a] : 0) - p[a] * p[b];
        }
        var sigma = (jTrain.Transpose() * lambda * jTrain + alpha * Matrix<double>.Build.DenseIdentity(MapNet.ParameterCount)).Inverse();
        var ntk = jHeld * jHeld.Transpose();
        var exactV = BlockDiagonal(jHeld * sigma * jHeld.Transpose());

        var options = new ScallaOptions
        {
            Features = Features, Probes = 32, TrainPoints = 8, ContextPoints = 8, Steps = 3000, LearningRate = 1e-2, FinalLearningRate = 1e-4,
            WarmupSteps = 50, Seed = 3, LogInterval = 100,
        };
        // Context: uniform draws from a box around the blobs, so the kernel is fitted where the held-out points lie.
        var box = Uniform(new Random(4), 500 * Inputs, 2.5).Select(v => (float)(v + 0.5)).ToArray();
        using var fit = new SurrogateKernelTrainer(MapNet, theta, SurrogateNet, train, new ContextSet("box", box, new Shape(Inputs), 0), options, CpuBackend.Instance);
        double scale = SurrogateFeatures.OutputScale(MapNet.ParameterCount, Features);
        var errors = new List<double>();
        var varianceErrors = new List<double>();
        foreach (int until in new[] { 0, 300, 3000 })
        {
            while (fit.StepCount < until) fit.Step();
            var phi = fit.ReadSurrogateParameters();
            var g = FeatureRows(phi, heldOut, scale);
            errors.Add((ntk - g * g.Transpose()).FrobeniusNorm() / ntk.FrobeniusNorm());
            var precision = FeatureLaplace.Precision(MapNet, theta, [], SurrogateNet, phi, scale, train, CpuBackend.Instance);
            var covariance = FeatureLaplace.Covariance(precision, alpha);
            var sw = Matrix<double>.Build.Dense(Features, Features, (i, j) => covariance.Covariance[i * Features + j]);
            varianceErrors.Add((BlockDiagonal(g * sw * g.Transpose()) - exactV).FrobeniusNorm() / exactV.FrobeniusNorm());
        }
        output.WriteLine($"held-out NTK relative error: {string.Join(" → ", errors.Select(e => e.ToString("F3")))}");
        output.WriteLine($"predictive covariance relative error: {string.Join(" → ", varianceErrors.Select(e => e.ToString("F3")))}");
        // Seen here: kernel 0.77 → 0.48 → 0.15, covariances 0.69 → 0.42 → 0.18. With m ≥ P the surrogate could match
        // the NTK exactly, and K = 64 probes end at the same 0.15, so what remains is optimisation error of 3000 steps.
        // The bounds are ~1.7× the values seen (another SIMD width rounds the trajectory differently) and far below the
        // untrained surrogate's errors, so they fail when training stops improving the kernel.
        Assert.True(errors[1] < errors[0] && errors[2] < errors[1], "the held-out kernel error falls at every checkpoint");
        Assert.True(errors[2] < 0.25 && errors[2] < 0.4 * errors[0], $"final kernel error {errors[2]:F3}");
        Assert.True(varianceErrors[2] < 0.3 && varianceErrors[2] < 0.5 * varianceErrors[0], $"final covariance error {varianceErrors[2]:F3}");
    }

    /// <summary>The C×C diagonal blocks of an (n·C)×(n·C) matrix (the per-input covariances), other entries zero.</summary>
    private static Matrix<double> BlockDiagonal(Matrix<double> m) =>
        Matrix<double>.Build.Dense(m.RowCount, m.ColumnCount, (r, c) => r / Classes == c / Classes ? m[r, c] : 0);
}
