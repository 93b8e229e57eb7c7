using Tangent.Engine.Linalg;
using Tangent.Inference.Projection;
using Tangent.Inference.Viking;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Tests.Viking;

/// <summary>
/// The three-phase fit on tiny problems: an interrupted fit resumes bit-identically from its checkpoint, a non-finite
/// ELBO stops with the step and quantity named, projections that miss the residual limit are logged and counted,
/// and on a 1-D regression toy (GGN variant) the predictive spread grows away from the data.
/// </summary>
public sealed class VikingTrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("viking-tests-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly VikingOptions Small = new()
    {
        PlainEpochs = 2, ScaleEpochs = 2, ElboEpochs = 3, BatchSize = 8, PosteriorSamples = 10, ProjectionChunk = 5, ProjectionSteps = 8, Seed = 4,
    };

    private static (ZooModel Model, DataSet Data) Problem() => (Tiny.Mlp(3, 5, 3), Tiny.Classes(64, 3, 3, seed: 12));

    [Theory]
    [InlineData(ProjectionAdjoint.Stop, ElboLearningRate.Constant)]
    [InlineData(ProjectionAdjoint.Exact, ElboLearningRate.Constant)]
    [InlineData(ProjectionAdjoint.Stop, ElboLearningRate.Cosine)]
    public void An_interrupted_fit_resumes_bit_identically(ProjectionAdjoint adjoint, ElboLearningRate schedule)
    {
        var (model, data) = Problem();
        var options = Small with { Adjoint = adjoint, ElboSchedule = schedule };
        using var straight = new VikingTrainer(CpuBackend.Instance, options).Fit(model, data);

        string path = Path.Combine(_dir, $"resume-{adjoint}-{schedule}.safetensors");
        using var cancel = new CancellationTokenSource();
        var first = new VikingTrainer(CpuBackend.Instance, options)
        {
            CheckpointPath = path,
            // Stop after the first ELBO epoch: its checkpoint is written, the next epoch's pass sees the cancellation.
            Progress = p => { if (p.Phase == VikingPhase.Elbo && p.EndOfEpoch && p.Epoch == 1) cancel.Cancel(); },
        };
        Assert.Throws<OperationCanceledException>(() => first.Fit(model, data, cancel: cancel.Token));
        var log = new List<string>();
        using var resumed = new VikingTrainer(CpuBackend.Instance, options) { CheckpointPath = path, Log = log.Add }.Fit(model, data);

        Assert.Contains(log, l => l.Contains("resuming") && l.Contains("Elbo phase, 1 epochs done"));
        Assert.Equal(straight.Parameters, resumed.Parameters);
        Assert.Equal(straight.LogPrecision, resumed.LogPrecision);
        Assert.Equal(straight.LogImageScale, resumed.LogImageScale);
        Assert.Equal(straight.ParameterSamples(), resumed.ParameterSamples());
        Assert.Equal(adjoint == ProjectionAdjoint.Exact ? "exact" : "stop", resumed.Hyperparameters["adjoint"]);
        Assert.Equal(schedule == ElboLearningRate.Cosine ? "cosine over the ELBO phase" : "constant", resumed.Hyperparameters["learning_rate_schedule"]);
    }

    [Fact]
    public void The_cosine_schedule_changes_the_fit_and_its_checkpoints()
    {
        // Same draws and data order: only the rate of the ELBO phase differs, and a checkpoint of one schedule is
        // refused by the other.
        var (model, data) = Problem();
        var cosine = Small with { ElboSchedule = ElboLearningRate.Cosine };
        using var a = new VikingTrainer(CpuBackend.Instance, Small).Fit(model, data);
        string path = Path.Combine(_dir, "cosine.safetensors");
        using var b = new VikingTrainer(CpuBackend.Instance, cosine) { CheckpointPath = path }.Fit(model, data);
        Assert.NotEqual(a.Parameters.ToArray(), b.Parameters.ToArray());
        Assert.Equal("constant", a.Hyperparameters["learning_rate_schedule"]);
        var e = Assert.Throws<InvalidDataException>(() => new VikingTrainer(CpuBackend.Instance, Small) { CheckpointPath = path }.Fit(model, data));
        Assert.Contains("lr-schedule=Cosine", e.Message);
    }

    [Fact]
    public void A_checkpoint_made_under_other_settings_is_refused()
    {
        var (model, data) = Problem();
        string path = Path.Combine(_dir, "other.safetensors");
        using (new VikingTrainer(CpuBackend.Instance, Small with { ElboEpochs = 1 }) { CheckpointPath = path }.Fit(model, data)) { }
        var e = Assert.Throws<InvalidDataException>(() => new VikingTrainer(CpuBackend.Instance, Small with { ElboEpochs = 1, Gamma = 0.5 }) { CheckpointPath = path }
            .Fit(model, data));
        Assert.Contains(path, e.Message);
        Assert.Contains("gamma=0.5", e.Message);
    }

    [Fact]
    public void A_non_finite_elbo_stops_naming_the_step_and_the_quantity()
    {
        var (model, data) = Problem();
        // σ_im = e^200 overflows float32 in θ_s, so the first scales step's loss is not finite.
        var e = Assert.Throws<VikingDivergedException>(() =>
            new VikingTrainer(CpuBackend.Instance, Small with { InitialLogImageScale = 200 }).Fit(model, data));
        Assert.Equal("the expected negative log-likelihood", e.Quantity);
        Assert.Equal(0, e.GlobalStep);
        Assert.Contains("Scales epoch 1, step 1", e.Message);
    }

    [Fact]
    public void Projections_above_the_residual_limit_are_logged_and_counted()
    {
        var (model, data) = Problem();
        var log = new List<string>();
        // One CG step cannot solve an 8×8 system: every projection's residual is far above 1e-6.
        using var posterior = new VikingTrainer(CpuBackend.Instance, Small with { Solver = ProjectionSolver.FixedStepConjugateGradient, PosteriorSolver = ProjectionSolver.FixedStepConjugateGradient, ProjectionSteps = 1, ResidualLimit = 1e-6, ElboEpochs = 1 }) { Log = log.Add }
            .Fit(model, data);
        long counted = long.Parse(posterior.Hyperparameters["projections_not_converged"]);
        long total = long.Parse(posterior.Hyperparameters["projections"]);
        Assert.Equal(total, counted);
        Assert.True(total > ProjectionTally.LoggedLimit);
        var lines = log.Where(l => l.StartsWith("projection not converged at")).ToList();
        Assert.Equal(ProjectionTally.LoggedLimit, lines.Count);
        Assert.Matches(@"relative residual \d\.\d\dE[-+]\d+ after 1 iterations", lines[0]);
    }

    [Fact]
    public void Regression_predictive_spread_grows_away_from_the_data()
    {
        // y = sin(3x) on 8 points in [−1, 1] (one batch, so each pass is one exact projection); a tanh MLP with 10 hidden
        // units (31 parameters); the output (GGN) kernel of the 8 outputs leaves 23 directions that keep the fit on the
        // data and move it elsewhere. The linearised predictive shows it cleanly: on the data only the image part
        // σ_im·J ι moves the outputs. (Through the network itself, samples of norm ≈ σ_ker√23 ≈ 0.8 add second-order
        // spread on the data too.)
        const int n = 8;
        var x = Enumerable.Range(0, n).Select(i => -1f + 2f * i / (n - 1)).ToArray();
        var y = x.Select(v => (float)Math.Sin(3 * v)).ToArray();
        var data = new DataSet("sine", x, new Engine.Shape(1), [], 0, y, 1);
        var model = Tiny.Mlp(1, 10, 1);
        var options = new VikingOptions
        {
            // β = 0.01 (the reference scripts' tempering): with the full-data β = 1 the prior outweighs these 8 points.
            PlainEpochs = 400, ScaleEpochs = 100, ElboEpochs = 2000, BatchSize = n, LearningRate = 1e-2, Jacobian = KernelJacobian.Output, Beta = 0.01,
            NoiseVariance = 0.01, ProjectionSteps = n, PosteriorSamples = 200, ProjectionChunk = 50, Linearized = true, Seed = 1,
        };
        using var posterior = new VikingTrainer(CpuBackend.Instance, options).Fit(model, data);
        double Spread(float at)
        {
            var f = posterior.Predict([at], 1, 0).Samples!;
            double mean = f.Average(v => (double)v);
            return Math.Sqrt(f.Average(v => (v - mean) * (v - mean)));
        }
        double inside = new[] { -1f, -0.6f, 0f, 0.6f, 1f }.Max(Spread);
        double outside = new[] { -4f, 4f }.Min(Spread);
        Assert.True(outside > 3 * inside, $"predictive std {inside:G3} on the data, {outside:G3} away from it");
    }
}
