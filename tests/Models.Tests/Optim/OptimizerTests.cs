using Tangent.Kernels.Backends;
using Tangent.Models.Optim;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests.Optim;

/// <summary>
/// Optimisers against plain float64 host loops written from PyTorch's documented update rules
/// (torch.optim.SGD / Adam / AdamW), over several steps with fresh random gradients each step.
/// </summary>
public abstract class OptimizerTests(Backend backend)
{
    private const int Steps = 6;

    /// <summary>The reference: one step of the named rule on float64 host arrays.</summary>
    private sealed class Reference(int p)
    {
        public double[] Buf = new double[p], M = new double[p], V = new double[p];
        public int T;

        public void Sgd(double[] th, double[] g, double lr, double mu, double damp, bool nesterov, double wd)
        {
            T++;
            for (int i = 0; i < th.Length; i++)
            {
                double d = g[i] + wd * th[i];
                if (mu != 0)
                {
                    Buf[i] = T == 1 ? d : mu * Buf[i] + (1 - damp) * d;
                    d = nesterov ? d + mu * Buf[i] : Buf[i];
                }
                th[i] -= lr * d;
            }
        }

        public void Adam(double[] th, double[] g, double lr, double b1, double b2, double eps, double wd, bool decoupled)
        {
            T++;
            for (int i = 0; i < th.Length; i++)
            {
                if (decoupled) th[i] *= 1 - lr * wd;
                double d = decoupled ? g[i] : g[i] + wd * th[i];
                M[i] = b1 * M[i] + (1 - b1) * d;
                V[i] = b2 * V[i] + (1 - b2) * d * d;
                double mhat = M[i] / (1 - Math.Pow(b1, T)), vhat = V[i] / (1 - Math.Pow(b2, T));
                th[i] -= lr * mhat / (Math.Sqrt(vhat) + eps);
            }
        }
    }

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        string[] rules = ["sgd", "sgd-momentum", "sgd-dampening-wd", "sgd-nesterov-wd", "adam", "adam-l2", "adamw"];
        foreach (string r in rules) foreach (int p in new[] { 1, 37, 1029 }) data.Add(r, p);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float64MatchesReference(string rule, int p) => Run<double>(rule, p, 1e-12);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Float32MatchesReference(string rule, int p) => Run<float>(rule, p, 1e-5);

    private void Run<T>(string rule, int p, double tolerance) where T : unmanaged
    {
        var rng = new Random(p * 31 + rule.Length);
        var theta = Enumerable.Range(0, p).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
        var reference = new Reference(p);
        using var opt = Create<T>(rule, p);
        using var th = backend.Upload(Cast<T>(theta));
        using var g = backend.Allocate<T>(p);
        double[] exp = (double[])theta.Clone();
        for (int s = 0; s < Steps; s++)
        {
            // The float32 run starts from the float32-rounded values so that both see the same inputs.
            var grad = Enumerable.Range(0, p).Select(_ => (rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-2, 2))).ToArray();
            var gT = Cast<T>(grad);
            g.CopyFrom(gT);
            double lr = 0.05 / (1 + s);
            opt.LearningRate = lr;
            if (s == 0) exp = ToDouble(Cast<T>(theta));
            opt.Step(th, g);
            var gd = ToDouble(gT);
            switch (rule)
            {
                case "sgd": reference.Sgd(exp, gd, lr, 0, 0, false, 0); break;
                case "sgd-momentum": reference.Sgd(exp, gd, lr, 0.9, 0, false, 0); break;
                case "sgd-dampening-wd": reference.Sgd(exp, gd, lr, 0.8, 0.3, false, 0.01); break;
                case "sgd-nesterov-wd": reference.Sgd(exp, gd, lr, 0.9, 0, true, 5e-4); break;
                case "adam": reference.Adam(exp, gd, lr, 0.9, 0.999, 1e-8, 0, false); break;
                case "adam-l2": reference.Adam(exp, gd, lr, 0.8, 0.99, 1e-6, 0.1, false); break;
                case "adamw": reference.Adam(exp, gd, lr, 0.9, 0.999, 1e-8, 0.05, true); break;
            }
            Assert.Equal(s + 1, opt.StepCount);
            // Gradient is left untouched.
            Assert.Equal(gT, g.ToArray());
        }
        double err = RelativeError(ToDouble(th.ToArray()), exp);
        Assert.True(err <= tolerance, $"{rule}, P = {p}: relative error {err:E3} > {tolerance:E1}");
    }

    [Fact]
    public void StepDoesNotAllocate()
    {
        const int p = 4096;
        using var opt = new AdamW<float>(backend, p, 1e-3);
        using var sgd = new Sgd<float>(backend, p, 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-4);
        using var th = backend.Allocate<float>(p);
        using var g = backend.Allocate<float>(p);
        backend.Fill(g.View, 0.5f);
        opt.Step(th, g);
        sgd.Step(th, g);
        Assert.Equal(0, Allocations.SteadyStateBytes(() =>
        {
            for (int i = 0; i < 10; i++)
            {
                opt.Step(th, g);
                sgd.Step(th, g);
            }
            backend.Synchronize();
        }));
    }

    [Fact]
    public void ResetZeroesStateAndRepeatsTheFirstStep()
    {
        using var opt = new Adam<double>(backend, 5, 0.1);
        using var th = backend.Upload<double>([1, 2, 3, 4, 5]);
        using var g = backend.Upload<double>([1, -1, 2, -2, 0.5]);
        opt.Step(th, g);
        var first = th.ToArray();
        opt.Step(th, g);
        opt.Reset();
        Assert.Equal(0, opt.StepCount);
        th.CopyFrom([1.0, 2, 3, 4, 5]);
        opt.Step(th, g);
        Assert.Equal(first, th.ToArray());
        // Adam's first step moves each coordinate by lr·sign(g) (up to ε): m̂ = g, √v̂ = |g|.
        for (int i = 0; i < 5; i++) Assert.Equal(0.1, Math.Abs(first[i] - (i + 1)), 1e-6);
    }

    [Fact]
    public void RejectsWrongLengths()
    {
        using var opt = new Sgd<float>(backend, 10, 0.1);
        using var th = backend.Allocate<float>(9);
        using var g = backend.Allocate<float>(10);
        var e = Assert.Throws<ArgumentException>(() => opt.Step(th, g));
        Assert.Contains("9", e.Message);
        Assert.Contains("10", e.Message);
    }

    private Optimizer<T> Create<T>(string rule, int p) where T : unmanaged => rule switch
    {
        "sgd" => new Sgd<T>(backend, p, 0.1),
        "sgd-momentum" => new Sgd<T>(backend, p, 0.1, momentum: 0.9),
        "sgd-dampening-wd" => new Sgd<T>(backend, p, 0.1, momentum: 0.8, dampening: 0.3, weightDecay: 0.01),
        "sgd-nesterov-wd" => new Sgd<T>(backend, p, 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4),
        "adam" => new Adam<T>(backend, p),
        "adam-l2" => new Adam<T>(backend, p, beta1: 0.8, beta2: 0.99, epsilon: 1e-6, weightDecay: 0.1),
        "adamw" => new AdamW<T>(backend, p, weightDecay: 0.05),
        _ => throw new ArgumentException(rule),
    };

    private static T[] Cast<T>(double[] x) where T : unmanaged =>
        typeof(T) == typeof(float) ? (T[])(object)x.Select(v => (float)v).ToArray() : (T[])(object)x.ToArray();

    private static double[] ToDouble<T>(T[] x) where T : unmanaged =>
        x is float[] f ? f.Select(v => (double)v).ToArray() : (double[])(object)x;

    private static double RelativeError(double[] a, double[] b)
    {
        double num = 0, den = 0;
        for (int i = 0; i < a.Length; i++) { num += (a[i] - b[i]) * (a[i] - b[i]); den += b[i] * b[i]; }
        return Math.Sqrt(num / den);
    }
}

public sealed class OptimizerTestsCpu() : OptimizerTests(TestBackends.Cpu);
