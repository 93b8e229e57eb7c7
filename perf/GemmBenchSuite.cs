using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Perf;

/// <summary>
/// CPU GEMM and convolution throughput against the measured FMA peak: SGEMM/DGEMM at N = 1024, the small-network
/// shapes, the FashionMNIST CNN's convolutions at batch 128, and the fixed cost of a tiny kernel call.
/// </summary>
public sealed class GemmBenchSuite : IBenchSuite
{
    /// <inheritdoc />
    public string Name => "gemm";

    /// <inheritdoc />
    public string Description => "CPU GEMM (SGEMM/DGEMM 1024, small-net shapes), FMNIST CNN conv2d at batch 128, per-op overhead";

    /// <inheritdoc />
    public IReadOnlyList<BenchRecord> Run(BenchContext context)
    {
        var backend = CpuBackend.Instance;
        context.Log.WriteLine($"device: {backend.Info.Name} ({backend.Info.Details}); peak {context.PeakGflops:F1} GFLOP/s");
        var records = new List<BenchRecord>
        {
            Gemm<float>(context, backend, "sgemm", Transpose.No, Transpose.No, 1024, 1024, 1024),
            Gemm<double>(context, backend, "dgemm", Transpose.No, Transpose.No, 1024, 1024, 1024),
            // Dense layer forward (batch 64, 784 → 256) and the CNN's 576 → 200 layer at batch 128.
            Gemm<float>(context, backend, "sgemm", Transpose.No, Transpose.No, 64, 256, 784),
            Gemm<float>(context, backend, "sgemm", Transpose.No, Transpose.No, 128, 200, 576),
            // The im2col shape of conv 16→32 (3×3) on 14×14 at batch 32: 6272 = 32·196 pixels, 144 = 16·9 taps.
            Gemm<float>(context, backend, "sgemm", Transpose.No, Transpose.No, 6272, 32, 144),
            // The backward products of the dense layer: dX = dY·Wᵀ (NT) and dW = Xᵀ·dY (TN).
            Gemm<float>(context, backend, "sgemm", Transpose.No, Transpose.Yes, 64, 784, 256),
            Gemm<float>(context, backend, "sgemm", Transpose.Yes, Transpose.No, 784, 256, 64),
        };
        // FashionMNIST CNN (METHODS.md): 3×3 convolutions, padding 1, at batch 128.
        foreach (var g in new[]
                 {
                     new Conv2dGeometry(128, 1, 28, 28, 16, 3, 3, padH: 1, padW: 1),
                     new Conv2dGeometry(128, 16, 14, 14, 32, 3, 3, padH: 1, padW: 1),
                     new Conv2dGeometry(128, 32, 7, 7, 64, 3, 3, padH: 1, padW: 1),
                 })
            records.AddRange(Conv(context, backend, g));
        records.Add(Overhead(context, backend));
        return records;
    }

    private static BenchRecord Gemm<T>(BenchContext context, Backend backend, string name, Transpose ta, Transpose tb, int m, int n, int k)
        where T : unmanaged
    {
        int aLen = m * k, bLen = k * n;
        using var a = Random<T>(backend, aLen, 1);
        using var b = Random<T>(backend, bLen, 2);
        using var c = backend.Allocate<T>(m * n);
        int lda = ta == Transpose.No ? k : m, ldb = tb == Transpose.No ? n : k;
        T one = One<T>(), zero = default;
        string op = $"{(ta == Transpose.No ? "N" : "T")}{(tb == Transpose.No ? "N" : "T")}";
        return context.Measure($"{name}/{op}", $"{m}x{k}·{k}x{n}",
            () => backend.Gemm(ta, tb, m, n, k, one, a, lda, b, ldb, zero, c, n), 2.0 * m * n * k);
    }

    private static IEnumerable<BenchRecord> Conv(BenchContext context, Backend backend, Conv2dGeometry g)
    {
        using var x = Random<float>(backend, g.InputLength, 3);
        using var w = Random<float>(backend, g.WeightLength, 4);
        using var y = backend.Allocate<float>(g.OutputLength);
        using var dy = Random<float>(backend, g.OutputLength, 5);
        using var dx = backend.Allocate<float>(g.InputLength);
        using var dw = backend.Allocate<float>(g.WeightLength);
        double flops = 2.0 * g.N * g.K * g.C * g.R * g.S * g.OutH * g.OutW;
        string shape = $"b{g.N} {g.C}→{g.K} {g.H}x{g.W} {g.R}x{g.S}";
        yield return context.Measure("conv2d/forward", shape, () => backend.Conv2dForward<float>(g, x, w, y), flops);
        yield return context.Measure("conv2d/backward-input", shape, () => backend.Conv2dBackwardInput<float>(g, dy, w, dx), flops);
        yield return context.Measure("conv2d/backward-weight", shape, () => backend.Conv2dBackwardWeight(g, x, dy, dw, 0f), flops);
    }

    /// <summary>Fixed cost of one kernel call: a 16-element copy, or a 1×1×1 GEMM where Copy is not built yet.</summary>
    private static BenchRecord Overhead(BenchContext context, Backend backend)
    {
        using var x = Random<float>(backend, 16, 6);
        using var y = backend.Allocate<float>(16);
        bool copy = true;
        try { backend.Copy<float>(x, y); }
        catch (NotSupportedException) { copy = false; }
        Action run = copy
            ? () => backend.Copy<float>(x, y)
            : () => backend.Gemm(Transpose.No, Transpose.No, 1, 1, 1, 1f, x, 1, y, 1, 0f, y.Slice(1, 1), 1);
        string name = copy ? "overhead/copy16" : "overhead/gemm1x1x1";
        var probe = context.Measure(name, copy ? "16 floats" : "1x1·1x1", run);
        var extra = new Dictionary<string, double>(probe.Extra!) { ["microseconds"] = probe.MedianMs * 1e3 };
        return probe with { Extra = extra };
    }

    private static DeviceBuffer<T> Random<T>(Backend backend, int length, int seed) where T : unmanaged
    {
        var rng = new Random(seed);
        var values = new double[length];
        for (int i = 0; i < length; i++) values[i] = rng.NextDouble() * 2 - 1;
        if (typeof(T) == typeof(float)) return backend.Upload<T>((T[])(object)values.Select(v => (float)v).ToArray());
        return backend.Upload<T>((T[])(object)values);
    }

    private static T One<T>() where T : unmanaged => typeof(T) == typeof(float) ? (T)(object)1f : (T)(object)1.0;
}
