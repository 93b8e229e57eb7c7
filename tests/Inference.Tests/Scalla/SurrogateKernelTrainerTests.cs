using Tangent.Engine;
using Tangent.Inference.Scalla;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Layers;
using static Tangent.Inference.Tests.Scalla.ScallaTestSupport;

namespace Tangent.Inference.Tests.Scalla;

/// <summary>The training loop's bookkeeping: bit-identical resume, divergence naming the step and quantity, refusals.</summary>
public sealed class SurrogateKernelTrainerTests
{
    private const int Inputs = 4, Classes = 3, Features = 5;

    private static readonly Network MapNet = Mlp(Inputs, [8], Classes);
    private static readonly Network SurrogateNet = Surrogate(Inputs, [6], Features, Classes);
    private static readonly DataSet Train = Blobs(40, Inputs, Classes, 1);

    private static readonly ScallaOptions Options = new()
    {
        Features = Features, Probes = 2, TrainPoints = 3, ContextPoints = 3, Steps = 20, LearningRate = 1e-2, FinalLearningRate = 1e-3,
        WarmupSteps = 2, Biased = true, Seed = 5, LogInterval = 5,
    };

    private static IContextSource Context() =>
        new ContextSet("uniform", Uniform(new Random(2), 30 * Inputs, 2).Select(v => (float)v).ToArray(), new Shape(Inputs), Options.Seed);

    private static SurrogateKernelTrainer Trainer(float[]? theta = null, ScallaOptions? options = null) =>
        new(MapNet, theta ?? MapNet.InitialParameters(3), SurrogateNet, Train, Context(), options ?? Options, CpuBackend.Instance);

    [Fact]
    public void ResumedRunIsBitIdenticalToAnUninterruptedOne()
    {
        string path = Path.Combine(Path.GetTempPath(), $"scalla-resume-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var straight = Trainer();
            straight.Train();
            // Interrupted at step 10, right after the checkpoint of that step was written.
            using var cancel = new CancellationTokenSource();
            using (var first = Trainer())
                Assert.Throws<OperationCanceledException>(() => first.Train(p => { if (p.Step == 10) cancel.Cancel(); }, path, checkpointInterval: 10, cancel.Token));
            using var resumed = Trainer();
            resumed.Resume(path);
            Assert.Equal(10, resumed.StepCount);
            resumed.Train();
            Assert.Equal(straight.ReadSurrogateParameters(), resumed.ReadSurrogateParameters());
            Assert.Equal(straight.Curve.Select(c => (c.Step, c.Loss, c.LearningRate)), resumed.Curve.Select(c => (c.Step, c.Loss, c.LearningRate)));
            Assert.NotEqual(Trainer().ReadSurrogateParameters(), straight.ReadSurrogateParameters());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ResumeRefusesACheckpointOfOtherSettings()
    {
        string path = Path.Combine(Path.GetTempPath(), $"scalla-other-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var t = Trainer()) t.Save(path);
            using var other = Trainer(options: Options with { Probes = 3 });
            var e = Assert.Throws<ArgumentException>(() => other.Resume(path));
            Assert.Contains("K=2", e.Message);
            Assert.Contains("K=3", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void NonFiniteTargetsStopTrainingNamingTheStepAndQuantity()
    {
        var theta = MapNet.InitialParameters(3);
        theta[0] = float.NaN;
        using var t = Trainer(theta);
        var e = Assert.Throws<SurrogateDivergedException>(() => t.Step());
        Assert.Equal(0, e.Step);
        Assert.Contains("JVP targets", e.Quantity);
        Assert.Contains("step 0", e.Message);
    }

    [Fact]
    public void ContextOfAnotherInputShapeIsRefusedWithBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new SurrogateKernelTrainer(MapNet, MapNet.InitialParameters(3), SurrogateNet, Train,
                new ContextSet("wide", new float[10 * 5], new Shape(5), 0), Options, CpuBackend.Instance));
        Assert.Contains("'wide'", e.Message);
        Assert.Contains("[5]", e.Message);
        Assert.Contains("[4]", e.Message);
    }

    [Fact]
    public void MatchedInitialScaleLowersTheFirstLossAndIsNotRepeatedAfterResume()
    {
        // Same seed, same batch 0: the only difference is the output layer scaled by the loss-minimising c, so the first
        // loss must drop (the quartic a − 2c²X + c⁴F at c² = X/F is below its value at c = 1 unless X = F exactly).
        var tiny = Options with { LearningRate = 1e-9, FinalLearningRate = 1e-9, WarmupSteps = 0 };
        using var plain = Trainer(options: tiny);
        using var matched = Trainer(options: tiny with { MatchInitialScale = true });
        double before = plain.Step(), after = matched.Step();
        Assert.True(double.IsFinite(after) && after >= 0, $"matched loss {after}");
        Assert.True(after < 0.99 * before, $"matched first loss {after} not below the unmatched {before}");
        Assert.NotEqual(plain.ReadSurrogateParameters(), matched.ReadSurrogateParameters());
        string path = Path.Combine(Path.GetTempPath(), $"scalla-match-{Guid.NewGuid():N}.safetensors");
        try
        {
            // A resumed run keeps the checkpoint's φ: scaling again would change it.
            matched.Save(path);
            using var resumed = Trainer(options: tiny with { MatchInitialScale = true });
            resumed.Resume(path);
            Assert.Equal(matched.Step(), resumed.Step());
            Assert.Equal(matched.ReadSurrogateParameters(), resumed.ReadSurrogateParameters());
        }
        finally
        {
            File.Delete(path);
        }
    }
}
