using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Kernels.Ops;

namespace Tangent.Perf;

/// <summary>
/// CPU elementwise, broadcast, reduction, softmax-family and BLAS-1 kernels: the fixed cost of a tiny call (16
/// floats; the target is ≤ 5 µs) and memory throughput at sizes beyond the caches, reported as GB/s of traffic.
/// </summary>
public sealed class ElementwiseBenchSuite : IBenchSuite
{
    /// <inheritdoc />
    public string Name => "elementwise";

    /// <inheritdoc />
    public string Description => "CPU per-op overhead (16 floats) and throughput of map/map2/broadcast/reduce/softmax/BLAS-1";

    /// <inheritdoc />
    public IReadOnlyList<BenchRecord> Run(BenchContext context)
    {
        var b = CpuBackend.Instance;
        context.Log.WriteLine($"device: {b.Info.Name} ({b.Info.Details})");
        var records = new List<BenchRecord>();

        // Fixed cost of a call: 16 floats is one Vector512, so this is all argument checking and dispatch.
        using (var x = Random(b, 16, 1))
        using (var y = b.Allocate<float>(16))
        using (var labels = b.Upload<int>([3]))
        using (var loss = b.Allocate<float>(1))
        {
            records.Add(Micro(context, "overhead/map-relu", "16 floats", () => b.Map(new Relu(), x.View, y.View)));
            records.Add(Micro(context, "overhead/map-tanh", "16 floats", () => b.Map(new Tanh(), x.View, y.View)));
            records.Add(Micro(context, "overhead/map2-add", "16 floats", () => b.Map2(new Add(), x.View, x.View, y.View)));
            records.Add(Micro(context, "overhead/reduce-sum", "16 floats", () => b.Reduce(new SumOp(), x.View, 1, 16, 1, y.Slice(0, 1))));
            records.Add(Micro(context, "overhead/softmax", "1x16", () => b.Softmax(x.View, 1, 16, y.View)));
            records.Add(Micro(context, "overhead/softmax-xent", "1x16", () => b.SoftmaxCrossEntropy(x.View, labels.View, 1, 16, loss.View, y.View)));
            records.Add(Micro(context, "overhead/dot", "16 floats", () => b.Dot(x.View, x.View)));
            records.Add(Micro(context, "overhead/axpy", "16 floats", () => b.Axpy(0.5f, x.View, y.View)));
        }

        const int n = 1 << 22; // 16 MiB per float operand: past the caches.
        using (var x = Random(b, n, 2))
        using (var z = Random(b, n, 3))
        using (var y = b.Allocate<float>(n))
        {
            records.Add(Throughput(context, "map/relu", "4M f32", 8.0 * n, () => b.Map(new Relu(), x.View, y.View)));
            records.Add(Throughput(context, "map/tanh", "4M f32", 8.0 * n, () => b.Map(new Tanh(), x.View, y.View)));
            records.Add(Throughput(context, "map/gelu", "4M f32", 8.0 * n, () => b.Map(new Gelu(), x.View, y.View)));
            records.Add(Throughput(context, "map/exp", "4M f32", 8.0 * n, () => b.Map(new Exp(), x.View, y.View)));
            records.Add(Throughput(context, "map2/add", "4M f32", 12.0 * n, () => b.Map2(new Add(), x.View, z.View, y.View)));
            records.Add(Throughput(context, "map2/gelu-grad", "4M f32", 12.0 * n, () => b.Map2(new GeluGrad(), x.View, z.View, y.View)));
            var bias = BroadcastLayout.Create([n / 1024, 1024], [1024]);
            records.Add(Throughput(context, "broadcast/bias-add", "[4096,1024]+[1024]", 8.0 * n, () => b.Map2Broadcast(new Add(), bias, x.View, z.Slice(0, 1024), y.View)));
            var channel = BroadcastLayout.Create([64, 64, 32, 32], [1, 64, 1, 1]);
            records.Add(Throughput(context, "broadcast/per-channel", "[64,64,32,32]+[1,64,1,1]", 8.0 * n, () => b.Map2Broadcast(new Mul(), channel, x.View, z.Slice(0, 64), y.View)));
            records.Add(Throughput(context, "reduce/sum-all", "4M f32", 4.0 * n, () => b.Reduce(new SumOp(), x.View, 1, n, 1, y.Slice(0, 1))));
            records.Add(Throughput(context, "reduce/sum-rows", "[4096,1024] axis 1", 4.0 * n, () => b.Reduce(new SumOp(), x.View, n / 1024, 1024, 1, y.Slice(0, n / 1024))));
            records.Add(Throughput(context, "reduce/sum-cols", "[4096,1024] axis 0", 4.0 * n, () => b.Reduce(new SumOp(), x.View, 1, n / 1024, 1024, y.Slice(0, 1024))));
            records.Add(Throughput(context, "reduce/max-cols", "[4096,1024] axis 0", 4.0 * n, () => b.Reduce(new MaxOp(), x.View, 1, n / 1024, 1024, y.Slice(0, 1024))));
            using var idx = b.Allocate<int>(n / 1024);
            records.Add(Throughput(context, "argmax/rows", "[4096,1024] axis 1", 4.0 * n, () => b.Argmax(x.View, n / 1024, 1024, 1, idx.View)));
            records.Add(Throughput(context, "softmax", "[4096,1024]", 8.0 * n, () => b.Softmax(x.View, n / 1024, 1024, y.View)));
            records.Add(Throughput(context, "log-softmax", "[4096,1024]", 8.0 * n, () => b.LogSoftmax(x.View, n / 1024, 1024, y.View)));
            records.Add(Throughput(context, "blas1/dot", "4M f32", 8.0 * n, () => b.Dot(x.View, z.View)));
            records.Add(Throughput(context, "blas1/nrm2", "4M f32", 4.0 * n, () => b.Nrm2(x.View)));
            records.Add(Throughput(context, "blas1/axpy", "4M f32", 12.0 * n, () => b.Axpy(1e-3f, x.View, y.View)));
        }
        // A classifier head: cross-entropy at batch 128 over 10 classes (what a training step calls).
        using (var logits = Random(b, 1280, 4))
        using (var probs = b.Allocate<float>(1280))
        using (var loss = b.Allocate<float>(128))
        using (var labels = b.Upload<int>(Enumerable.Range(0, 128).Select(i => i % 10).ToArray()))
            records.Add(Micro(context, "softmax-xent", "[128,10]", () => b.SoftmaxCrossEntropy(logits.View, labels.View, 128, 10, loss.View, probs.View)));
        return records;
    }

    private static BenchRecord Micro(BenchContext context, string name, string shape, Action run)
    {
        var r = context.Measure(name, shape, run);
        return r with { Extra = new Dictionary<string, double>(r.Extra!) { ["microseconds"] = r.MedianMs * 1e3 } };
    }

    private static BenchRecord Throughput(BenchContext context, string name, string shape, double bytes, Action run)
    {
        var r = context.Measure(name, shape, run);
        return r with { Extra = new Dictionary<string, double>(r.Extra!) { ["gb_per_s"] = bytes / (r.MedianMs * 1e-3) / 1e9 } };
    }

    private static DeviceBuffer<float> Random(Backend backend, int length, int seed)
    {
        var rng = new Random(seed);
        var values = new float[length];
        for (int i = 0; i < length; i++) values[i] = (float)(rng.NextDouble() * 4 - 2);
        return backend.Upload<float>(values);
    }
}
