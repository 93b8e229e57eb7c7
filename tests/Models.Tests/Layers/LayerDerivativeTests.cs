using Tangent.Engine;
using Tangent.Engine.Tests.Support;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Cpu;
using Tangent.Models.Layers;

namespace Tangent.Models.Tests.Layers;

/// <summary>
/// Every layer's derivatives through the autodiff checks, float64 on the cpu backend: JVP against central
/// differences (rel ≤ 1e-6) with respect to θ and to the input, and the VJP dot-product identity (rel ≤ 1e-10).
/// Each layer is followed by Flatten → Dense(3) so that the cross-entropy loss is defined.
/// </summary>
public sealed class LayerDerivativeTests
{
    private readonly Runner _r = new(CpuBackend.Instance);

    public static TheoryData<string> Cases => new(LayerCases.Keys);

    private static readonly Dictionary<string, (Func<Layer> Layer, int[] Input)> LayerCases = new()
    {
        ["dense"] = (() => new Dense(4, 5), [4]),
        ["dense-no-bias-kaiming"] = (() => new Dense(4, 5, bias: false, init: WeightInit.Kaiming), [4]),
        ["conv2d-stride2-pad1"] = (() => new Conv2d(2, 3, 3, stride: 2, padding: 1), [2, 5, 5]),
        ["conv2d-no-bias"] = (() => new Conv2d(2, 3, 3, bias: false), [2, 4, 4]),
        ["maxpool2d"] = (() => Seq(new Conv2d(1, 2, 3, padding: 1), new MaxPool2d(2)), [1, 4, 4]),
        ["avgpool2d"] = (() => Seq(new Conv2d(1, 2, 3, padding: 1), new AvgPool2d(2)), [1, 4, 4]),
        ["global-avgpool"] = (() => Seq(new Conv2d(1, 2, 3, padding: 1), new GlobalAvgPool()), [1, 3, 3]),
        ["relu"] = (() => Seq(new Dense(3, 4), new Activation(ActivationKind.Relu)), [3]),
        ["tanh"] = (() => Seq(new Dense(3, 4), new Activation(ActivationKind.Tanh)), [3]),
        ["gelu"] = (() => Seq(new Dense(3, 4), new Activation(ActivationKind.Gelu)), [3]),
        ["silu"] = (() => Seq(new Dense(3, 4), new Activation(ActivationKind.Silu)), [3]),
        ["sigmoid"] = (() => Seq(new Dense(3, 4), new Activation(ActivationKind.Sigmoid)), [3]),
        ["layernorm"] = (() => Seq(new Dense(3, 4), new LayerNorm()), [3]),
        ["batchnorm2d"] = (() => Seq(new Conv2d(2, 3, 3, padding: 1), new BatchNorm2d(3)), [2, 3, 3]),
        ["residual-identity"] = (() => new Residual(Seq(new Dense(4, 4), new Activation(ActivationKind.Tanh)), null, ActivationKind.Silu), [4]),
        ["residual-projection"] = (() => new Residual(Seq(new Conv2d(2, 3, 3, stride: 2, padding: 1), new BatchNorm2d(3)),
            Seq(new Conv2d(2, 3, 1, stride: 2), new BatchNorm2d(3)), ActivationKind.Relu), [2, 4, 4]),
        ["dropout"] = (() => Seq(new Dense(3, 4), new Dropout(0.3)), [3]),
    };

    private static Sequential Seq(params Layer[] layers)
    {
        var s = new Sequential();
        foreach (var l in layers) s.Add(l);
        return s;
    }

    private static Network Build(string name)
    {
        var (layer, input) = LayerCases[name];
        var body = new Sequential().Add("layer", layer());
        var probe = new Network(body, new Shape(input));
        body.Add("flatten", new Flatten()).Add("head", new Dense(probe.OutputShape.Length, 3));
        return new Network(body, new Shape(input));
    }

    private static Inputs RandomInputs(Network net, Tape tape, Random rng)
    {
        var x = Inputs.Random(tape, rng, 3);
        if (tape.Inputs.Any(g => g.Name == Network.StateGroup))
        {
            // Running variances must be positive; running means any value.
            var s = net.InitialState().Select(v => v == 1 ? 0.5 + rng.NextDouble() : rng.NextDouble() - 0.5).ToArray();
            x = x.With(Network.StateGroup, s);
        }
        return x;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void JvpMatchesCentralDifferencesAndVjpIdentityHolds(string name)
    {
        var net = Build(name);
        foreach (var mode in new[] { NetworkMode.Training, NetworkMode.Evaluation })
        {
            var rng = new Random(name.Length * 31 + (int)mode);
            var tape = net.Trace(2, mode);
            var x = RandomInputs(net, tape, rng);
            Check.Jvp(_r, tape, "theta", "logits", x, rng);
            Check.Jvp(_r, tape, "x", "logits", x, rng);
            Check.Jvp(_r, tape, "theta", "mean_loss", x, rng);
            Check.Vjp(_r, tape, "theta", "logits", x, rng);
            Check.Vjp(_r, tape, "x", "loss", x, rng);
        }
    }

    [Fact]
    public void BatchStatisticsHaveTheirOwnDerivatives()
    {
        var net = Build("batchnorm2d");
        var tape = net.Trace(3, NetworkMode.Training);
        var rng = new Random(5);
        var x = RandomInputs(net, tape, rng);
        Check.Jvp(_r, tape, "x", Network.BatchStateGroup, x, rng);
        Check.Vjp(_r, tape, "theta", Network.BatchStateGroup, x, rng);
    }
}
