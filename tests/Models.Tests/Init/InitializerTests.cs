using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Models.Init;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests.Init;

/// <summary>
/// Moments of the initialisers on large fills. Tolerances are 5 standard errors: for n draws the sample mean has
/// standard error σ/√n and the sample variance σ²·√(2/n) (normal) or σ²·√(0.8/n) (uniform: Var(x²)/σ⁴ = 9/5 − 1).
/// </summary>
public abstract class InitializerTests(Backend backend)
{
    private (double Mean, double Var, double Min, double Max) Moments<T>(Initializer init, Shape shape, ulong seed = 3, ulong stream = 1) where T : unmanaged
    {
        using var buf = backend.Allocate<T>(shape.Length);
        init.Fill(backend, buf.View, shape, seed, stream);
        double[] x = buf.ToArray() is float[] f ? f.Select(v => (double)v).ToArray() : (double[])(object)buf.ToArray();
        double mean = x.Average();
        return (mean, x.Sum(v => (v - mean) * (v - mean)) / (x.Length - 1), x.Min(), x.Max());
    }

    private static void CheckUniform((double Mean, double Var, double Min, double Max) m, double bound, int n)
    {
        double variance = bound * bound / 3;
        Assert.InRange(m.Mean, -5 * Math.Sqrt(variance / n), 5 * Math.Sqrt(variance / n));
        Assert.InRange(m.Var, variance * (1 - 5 * Math.Sqrt(0.8 / n)), variance * (1 + 5 * Math.Sqrt(0.8 / n)));
        Assert.InRange(m.Min, -bound, -bound * 0.999);
        Assert.InRange(m.Max, bound * 0.999, bound);
    }

    private static void CheckNormal((double Mean, double Var, double Min, double Max) m, double std, int n)
    {
        Assert.InRange(m.Mean, -5 * std / Math.Sqrt(n), 5 * std / Math.Sqrt(n));
        Assert.InRange(m.Var, std * std * (1 - 5 * Math.Sqrt(2.0 / n)), std * std * (1 + 5 * Math.Sqrt(2.0 / n)));
    }

    [Fact]
    public void FansFollowPyTorch()
    {
        Assert.Equal(new Fans(784, 128), Fans.Of(new Shape(128, 784)));
        Assert.Equal(new Fans(3 * 25, 6 * 25), Fans.Of(new Shape(6, 3, 5, 5)));
        Assert.Equal(new Fans(10, 10), Fans.Of(new Shape(10)));
    }

    [Fact]
    public void KaimingUniformReluOnConvWeight()
    {
        var shape = new Shape(64, 32, 3, 3);
        var big = new Shape(512, 32, 3, 3);
        CheckUniform(Moments<float>(Initializer.KaimingUniform(), big), Math.Sqrt(2) * Math.Sqrt(3.0 / 288), big.Length);
        CheckUniform(Moments<double>(Initializer.KaimingUniform(mode: FanMode.FanOut), shape), Math.Sqrt(2) * Math.Sqrt(3.0 / (64 * 9)), shape.Length);
    }

    [Fact]
    public void KaimingNormalXavierAndLeCun()
    {
        var s = new Shape(400, 500);
        int n = s.Length;
        CheckNormal(Moments<float>(Initializer.KaimingNormal(), s), Math.Sqrt(2.0 / 500), n);
        CheckNormal(Moments<double>(Initializer.XavierNormal(), s), Math.Sqrt(2.0 / 900), n);
        CheckUniform(Moments<float>(Initializer.XavierUniform(Initializer.Gain("tanh")), s), 5.0 / 3 * Math.Sqrt(6.0 / 900), n);
        CheckNormal(Moments<double>(Initializer.LeCunNormal, s), Math.Sqrt(1.0 / 500), n);
        CheckNormal(Moments<float>(Initializer.Normal(0, 0.02), s), 0.02, n);
    }

    [Fact]
    public void TorchDefaultIsUniformOneOverSqrtFanIn()
    {
        var w = new Shape(300, 1000);
        CheckUniform(Moments<float>(Initializer.TorchDefaultWeight, w), 1 / Math.Sqrt(1000), w.Length);
        // Same as kaiming_uniform with a = √5 (leaky-relu gain).
        var k = Moments<float>(Initializer.KaimingUniform(Initializer.Gain("leaky_relu", Math.Sqrt(5))), w);
        Assert.Equal(Moments<float>(Initializer.TorchDefaultWeight, w).Max, k.Max, 6);
        var b = new Shape(200_000);
        CheckUniform(Moments<double>(Initializer.TorchDefaultBias(1000), b), 1 / Math.Sqrt(1000), b.Length);
    }

    [Fact]
    public void GainsMatchPyTorchTable()
    {
        Assert.Equal(Math.Sqrt(2), Initializer.Gain("relu"));
        Assert.Equal(5.0 / 3, Initializer.Gain("tanh"));
        Assert.Equal(1.0, Initializer.Gain("linear"));
        Assert.Equal(Math.Sqrt(2 / (1 + 0.01 * 0.01)), Initializer.Gain("leaky_relu"));
        Assert.Contains("relu", Assert.Throws<ArgumentException>(() => Initializer.Gain("swish")).Message);
    }

    [Fact]
    public void LayoutFillIsDeterministicPerParameterIndex()
    {
        var small = new ParameterLayout().Add("fc1.weight", new Shape(20, 10)).Add("fc1.bias", new Shape(20)).Add("fc2.weight", new Shape(5, 20));
        var large = new ParameterLayout().Add("fc1.weight", new Shape(20, 10)).Add("fc1.bias", new Shape(20)).Add("fc2.weight", new Shape(5, 20));
        Initializer Choose(string name, Shape shape) => name.EndsWith(".bias") ? Initializer.Zeros : Initializer.KaimingNormal();
        using var a = backend.Allocate<float>(small.Count);
        using var b = backend.Allocate<float>(large.Count);
        ParameterInit.Apply(backend, a.View, small, 7, Choose);
        ParameterInit.Apply(backend, b.View, large, 7, Choose);
        Assert.Equal(a.ToArray(), b.ToArray());
        var x = a.ToArray();
        Assert.All(x[200..220], v => Assert.Equal(0f, v));
        // Different parameters use different streams: fc2.weight's first values differ from fc1.weight's scaled ones.
        Assert.NotEqual(x[0] / Math.Sqrt(2.0 / 10), x[220] / Math.Sqrt(2.0 / 20), 3);
        ParameterInit.Apply(backend, b.View, large, 8, Choose);
        Assert.NotEqual(a.ToArray(), b.ToArray());
    }

    [Fact]
    public void RejectsMismatchedSlice()
    {
        using var buf = backend.Allocate<float>(10);
        var e = Assert.Throws<ArgumentException>(() => Initializer.XavierUniform().Fill(backend, buf.View, new Shape(3, 4), 1, 0));
        Assert.Contains("12", e.Message);
    }
}

public sealed class InitializerTestsCpu() : InitializerTests(TestBackends.Cpu);
