using Tangent.Engine;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Layers;
using Tangent.Models.Tests.Support;
using Tangent.Models.Training;
using Tangent.Models.Zoo;

namespace Tangent.Models.Tests.Training;

/// <summary>Runs alone: it changes <see cref="CpuParallel.ThreadCount"/> for the whole process while it runs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "thread count";
}

/// <summary>
/// Training is bit-identical for a seed whatever the thread count (<c>TANGENT_THREADS</c>, or
/// <see cref="CpuParallel.ThreadCount"/>): LeNet's Adam steps on the <c>cpu</c> backend with 1, 2 and 3 threads, whose
/// convolution weight gradients, bias sums and loss reductions all run threaded at batch 32; and two runs on
/// <c>ilgpu-cpu</c>, whose kernels use no atomics.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public sealed class ThreadCountDeterminismTests
{
    private static readonly TrainingOptions TwoSteps = new() { Epochs = 1, BatchSize = 32, Seed = 11, EvaluationBatchSize = 64 };

    private static float[] Train(Network net, Backend backend, DataSet data, TrainingOptions? options = null)
    {
        using var trainer = new Trainer(net, backend, options ?? TwoSteps);
        trainer.Fit(data);
        return trainer.ReadParameters();
    }

    [Fact]
    public void LeNetTrainingIsBitIdenticalOnOneTwoAndThreeThreads()
    {
        var data = DataSets.Load("mnist", DataSplit.Test, TestPaths.Fixtures).Range(0, 64);
        var net = ModelZoo.Create("lenet").Network;
        int saved = CpuParallel.ThreadCount;
        var runs = new List<float[]>();
        try
        {
            foreach (int threads in new[] { 1, 2, 3 })
            {
                CpuParallel.ThreadCount = threads;
                runs.Add(Train(net, CpuBackend.Instance, data));
            }
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
        using (var untrained = new Trainer(net, CpuBackend.Instance, TwoSteps))
            Assert.NotEqual(untrained.ReadParameters(), runs[0]);
        Assert.Equal(runs[0], runs[1]);
        Assert.Equal(runs[0], runs[2]);
    }

    [Fact]
    public void TrainingOnIlgpuCpuIsBitIdenticalAcrossRuns()
    {
        // A small CNN (ILGPU's CPU accelerator is slow): conv 1 → 4, 5×5 → ReLU → 2×2 max pooling → dense, two steps of 8 images.
        var data = DataSets.Load("fmnist", DataSplit.Test, TestPaths.Fixtures).Range(0, 16);
        var net = new Network(new Sequential().Add("conv", new Conv2d(1, 4, 5)).Add("relu", new Activation(ActivationKind.Relu))
            .Add("pool", new MaxPool2d(2)).Add("flatten", new Flatten()).Add("fc", new Dense(4 * 12 * 12, 10)), new Shape(1, 28, 28));
        var backend = DeviceSelection.Create(DeviceKind.IlgpuCpu);
        var options = TwoSteps with { BatchSize = 8, EvaluationBatchSize = 8 };
        Assert.Equal(Train(net, backend, data, options), Train(net, backend, data, options));
    }
}
