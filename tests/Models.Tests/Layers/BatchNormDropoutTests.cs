using Tangent.Engine;
using Tangent.Engine.Tests.Support;
using Tangent.Kernels.Cpu;
using Tangent.Models.Layers;

namespace Tangent.Models.Tests.Layers;

/// <summary>Batch norm in training and evaluation mode, and dropout on and off (float64 on the cpu backend).</summary>
public sealed class BatchNormDropoutTests
{
    private readonly Runner _r = new(CpuBackend.Instance);

    [Fact]
    public void TrainingModeUsesBatchStatisticsAndEmitsThemForTheRunningUpdate()
    {
        var net = new Network(new Sequential().Add("bn", new BatchNorm2d(3)), new Shape(3, 2, 2));
        int b = 4;
        var rng = new Random(11);
        var train = net.TraceLogits(b, NetworkMode.Training);
        var eval = net.TraceLogits(b, NetworkMode.Evaluation);
        var x = Inputs.Vec(rng, b * 12, 2);
        var theta = Inputs.Vec(rng, 6);
        var inputs = new Inputs();
        inputs.Floats["theta"] = theta;
        inputs.Floats["x"] = x;
        var got = _r.Run(train, inputs);

        // Host reference: per channel mean and biased variance over the 4·2·2 values.
        var mean = new double[3];
        var biased = new double[3];
        for (int c = 0; c < 3; c++)
        {
            var v = Enumerable.Range(0, b).SelectMany(n => Enumerable.Range(0, 4).Select(i => x[(n * 3 + c) * 4 + i])).ToArray();
            mean[c] = v.Average();
            biased[c] = v.Select(t => (t - mean[c]) * (t - mean[c])).Average();
        }
        var stats = got[Network.BatchStateGroup];
        Assert.True(Check.RelErr(stats[..3], mean) < 1e-12);
        Assert.True(Check.RelErr(stats[3..], biased.Select(v => v * 16 / 15).ToArray()) < 1e-12, "running_var gets the unbiased variance");

        var expected = new double[x.Length];
        for (int n = 0; n < b; n++)
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 4; i++)
                {
                    int j = (n * 3 + c) * 4 + i;
                    expected[j] = (x[j] - mean[c]) / Math.Sqrt(biased[c] + 1e-5) * theta[c] + theta[3 + c];
                }
        Assert.True(Check.RelErr(got["logits"], expected) < 1e-12);

        // Evaluation with running statistics equal to the batch's (biased variance) gives the same output.
        var evalInputs = inputs.With(Network.StateGroup, mean.Concat(biased).ToArray());
        Assert.True(Check.RelErr(_r.Run(eval, evalInputs)["logits"], expected) < 1e-12);
        // ... and with other statistics, another one.
        var other = _r.Run(eval, inputs.With(Network.StateGroup, [0, 0, 0, 1, 1, 1]))["logits"];
        Assert.True(Check.RelErr(other, expected) > 0.1);
    }

    [Fact]
    public void DropoutIsOffAtEvaluationAndScalesKeptUnitsInTraining()
    {
        var withDropout = new Network(new Sequential().Add("fc", new Dense(5, 40)).Add("drop", new Dropout(0.25)), new Shape(5));
        var plain = new Network(new Sequential().Add("fc", new Dense(5, 40)), new Shape(5));
        var rng = new Random(3);
        var inputs = new Inputs();
        inputs.Floats["theta"] = Inputs.Vec(rng, withDropout.ParameterCount);
        inputs.Floats["x"] = Inputs.Vec(rng, 2 * 5);
        var eval = withDropout.TraceLogits(2);
        Assert.DoesNotContain(eval.Inputs, g => g.Name == Network.DropoutGroup);
        Assert.Equal(_r.Run(plain.TraceLogits(2), inputs)["logits"], _r.Run(eval, inputs)["logits"]);

        var train = withDropout.TraceLogits(2, NetworkMode.Training);
        var be = CpuBackend.Instance;
        using var masks = be.Allocate<double>(2 * 40);
        withDropout.DrawDropoutMasks(be, masks.View, 2, seed: 9, step: 4);
        var m = masks.ToArray();
        Assert.All(m, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75) < 1e-15, $"mask value {v}"));
        var dense = _r.Run(plain.TraceLogits(2), inputs)["logits"];
        var dropped = _r.Run(train, inputs.With(Network.DropoutGroup, m))["logits"];
        Assert.Equal(dense.Select((v, i) => v * m[i]).ToArray(), dropped);
    }

    [Fact]
    public void DropoutMasksAreDeterministicPerSeedAndStepWithTheRightRate()
    {
        var net = new Network(new Sequential().Add("drop", new Dropout(0.3)), new Shape(1000));
        var be = CpuBackend.Instance;
        float[] Draw(ulong seed, long step)
        {
            using var b = be.Allocate<float>(10 * 1000);
            net.DrawDropoutMasks(be, b.View, 10, seed, step);
            return b.ToArray();
        }
        var a = Draw(1, 0);
        Assert.Equal(a, Draw(1, 0));
        Assert.NotEqual(a, Draw(1, 1));
        Assert.NotEqual(a, Draw(2, 0));
        double dropped = a.Count(v => v == 0) / (double)a.Length;
        // 10,000 Bernoulli(0.3) draws: standard error 0.0046, so ±0.02 is over 4 standard errors.
        Assert.InRange(dropped, 0.28, 0.32);
    }
}
