using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Kernels.Ops;
using Xunit;

namespace Tangent.Kernels.Tests;

/// <summary>Runs alone: it changes <see cref="CpuParallel.ThreadCount"/> for the whole process while it runs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadCountCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "thread count";
}

/// <summary>
/// Every kernel of the <c>cpu</c> backend whose work is split over threads gives bit-identical results on 1, 2 and 3
/// threads: long sums (Reduce, Dot, Nrm2), the convolution weight gradient, the fused conv-pool cotangent, GEMM and
/// the convolution products, each on a problem large enough for its threaded path.
/// </summary>
[Collection(ThreadCountCollection.Name)]
public sealed class ThreadCountTests
{
    private static readonly CpuBackend Cpu = CpuBackend.Instance;

    /// <summary>What <paramref name="run"/> returns with 1, 2 and 3 threads (the count restored afterwards).</summary>
    internal static T[] OnThreads<T>(Func<T> run)
    {
        int saved = CpuParallel.ThreadCount;
        try
        {
            return [.. new[] { 1, 2, 3 }.Select(t => { CpuParallel.ThreadCount = t; return run(); })];
        }
        finally
        {
            CpuParallel.ThreadCount = saved;
        }
    }

    private static void AllEqual<T>(T[][] runs)
    {
        Assert.Equal(runs[0], runs[1]);
        Assert.Equal(runs[0], runs[2]);
    }

    private static double[] Values(int n, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => rng.NextDouble() * 2 - 0.9).ToArray();
    }

    [Fact]
    public void Long_sums_do_not_depend_on_the_thread_count()
    {
        const int n = 1_000_003;
        using var xf = Cpu.Upload(Values(n, 1).Select(v => (float)v).ToArray());
        using var yf = Cpu.Upload(Values(n, 2).Select(v => (float)v).ToArray());
        using var xd = Cpu.Upload(Values(n, 3));
        using var yd = Cpu.Upload(Values(n, 4));
        using var sum = Cpu.Allocate<float>(2);
        using var max = Cpu.Allocate<double>(1);
        var runs = OnThreads(() =>
        {
            Cpu.Reduce(default(SumOp), xf.View, 1, n, 1, sum.Slice(0, 1));
            Cpu.Reduce(default(SumOp), xf.Slice(0, 2 * 400_000), 2, 400_000, 1, sum.View);
            Cpu.Reduce(default(MaxOp), xd.View, 1, n, 1, max.View);
            return new double[] { sum.ToArray()[0], sum.ToArray()[1], max.ToArray()[0], Cpu.Dot(xf.View, yf.View), Cpu.Dot(xd.View, yd.View),
                Cpu.Nrm2(xf.View), Cpu.Nrm2(xd.View) };
        });
        AllEqual(runs);
    }

    [Fact]
    public void Convolution_weight_gradient_does_not_depend_on_the_thread_count()
    {
        // LeNet's second layer at batch 32 (6 → 16 channels, 5×5, 12×12 → 8×8), float and double, with β = 0 and 1.
        var g = new Conv2dGeometry(32, 6, 12, 12, 16, 5, 5);
        using var x = Cpu.Upload(Values(g.InputLength, 5).Select(v => (float)v).ToArray());
        using var dy = Cpu.Upload(Values(g.OutputLength, 6).Select(v => (float)v).ToArray());
        using var xd = Cpu.Upload(Values(g.InputLength, 7));
        using var dyd = Cpu.Upload(Values(g.OutputLength, 8));
        using var dw = Cpu.Allocate<float>(g.WeightLength);
        using var dwd = Cpu.Allocate<double>(g.WeightLength);
        var runs = OnThreads(() =>
        {
            dw.CopyFrom(Values(g.WeightLength, 9).Select(v => (float)v).ToArray());
            Cpu.Conv2dBackwardWeight(g, x.View, dy.View, dw.View, 1f);
            Cpu.Conv2dBackwardWeight(g, xd.View, dyd.View, dwd.View, 0.0);
            return dw.ToArray().Select(v => (double)v).Concat(dwd.ToArray()).ToArray();
        });
        AllEqual(runs);
    }

    [Fact]
    public void Fused_conv_pool_cotangent_does_not_depend_on_the_thread_count()
    {
        // LeNet's first layer at batch 32 with 8 stacked cotangents (the many-vector JJᵀ of a projection).
        var g = new Conv2dGeometry(32, 1, 28, 28, 6, 5, 5);
        var pool = new Pool2dGeometry(32, 6, 24, 24, 2, 2, 2, 2);
        const int sets = 8;
        Assert.True(Cpu.SupportsConvActivationMaxPoolCotangent<float>(g, pool, sets, DerivativeKind.Relu));
        using var a = Cpu.Upload(Values(g.OutputLength, 10).Select(v => (float)v).ToArray());
        using var pooled = Cpu.Allocate<float>(pool.OutputLength);
        using var argmax = Cpu.Allocate<int>(pool.OutputLength);
        Cpu.MaxPool2dForward<float>(pool, a.View, pooled.View, argmax.View);
        using var ct = Cpu.Upload(Values(sets * pool.OutputLength, 11).Select(v => (float)v).ToArray());
        using var x = Cpu.Upload(Values(g.InputLength, 12).Select(v => (float)v).ToArray());
        using var w = Cpu.Upload(Values(g.WeightLength, 13).Select(v => (float)v).ToArray());
        using var dw = Cpu.Allocate<float>(sets * g.WeightLength);
        using var dx = Cpu.Allocate<float>(sets * g.InputLength);
        using var db = Cpu.Allocate<float>(sets * g.K);
        var runs = OnThreads(() =>
        {
            Cpu.ConvActivationMaxPoolCotangent<float>(g, pool, sets, DerivativeKind.Relu, ct.View, argmax.View, a.View, x.View, w.View,
                dw.View, dx.View, db.View);
            return dw.ToArray().Concat(dx.ToArray()).Concat(db.ToArray()).ToArray();
        });
        AllEqual(runs);
    }

    /// <summary>
    /// GEMMs and convolution products split their outputs over threads (panels of rows or columns, images), never a
    /// sum: each output's arithmetic is the same on any thread count, so these agree bit for bit too.
    /// </summary>
    [Fact]
    public void Products_split_over_their_outputs_do_not_depend_on_the_thread_count()
    {
        const int m = 301, n = 203, k = 517;
        using var a = Cpu.Upload(Values(m * k, 14).Select(v => (float)v).ToArray());
        using var b = Cpu.Upload(Values(k * n, 15).Select(v => (float)v).ToArray());
        using var c = Cpu.Allocate<float>(m * n);
        var g = new Conv2dGeometry(32, 6, 12, 12, 16, 5, 5);
        using var x = Cpu.Upload(Values(g.InputLength, 16).Select(v => (float)v).ToArray());
        using var w = Cpu.Upload(Values(g.WeightLength, 17).Select(v => (float)v).ToArray());
        using var y = Cpu.Allocate<float>(g.OutputLength);
        using var dx = Cpu.Allocate<float>(g.InputLength);
        var runs = OnThreads(() =>
        {
            Cpu.Gemm(Transpose.No, Transpose.Yes, m, n, k, 1f, a.View, k, b.View, k, 0f, c.View, n);
            Cpu.Conv2dForward(g, x.View, w.View, y.View);
            Cpu.Conv2dBackwardInput(g, y.View, w.View, dx.View);
            return c.ToArray().Concat(y.ToArray()).Concat(dx.ToArray()).ToArray();
        });
        AllEqual(runs);
    }

    [Fact]
    public void The_thread_count_is_settable_and_named_in_the_device_info()
    {
        var runs = OnThreads(() => (CpuParallel.ThreadCount, Cpu.Info.Details));
        Assert.Equal([1, 2, 3], runs.Select(r => r.ThreadCount));
        Assert.StartsWith("3 threads", runs[2].Details);
        Assert.Throws<ArgumentOutOfRangeException>(() => CpuParallel.ThreadCount = 0);
    }
}
