using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Training;
using Tangent.Models.Zoo;

namespace Tangent.Perf;

/// <summary>
/// Training steps through the <see cref="Trainer"/> (float32, cpu): one Adam step of the FashionMNIST CNN at batch 64
/// (ScaLLA's MAP recipe; libtorch CPU takes 9.4 ms here, TorchSharp, 2 threads, median, 2026-11-24) and of LeNet at
/// batch 32 (VIKING's recipe), each with the evaluation forward pass of the same batch for the step/forward ratio.
/// A step counts 3× the forward FLOPs (forward, backward-input, backward-weight).
/// </summary>
public sealed class TrainBenchSuite : IBenchSuite
{
    /// <inheritdoc />
    public string Name => "train";

    /// <inheritdoc />
    public string Description => "training: Adam step of the FMNIST CNN (b64) and LeNet (b32) through the Trainer, vs forward (float32, cpu)";

    private static readonly Dictionary<string, double> Libtorch = new() { ["fmnist-cnn/b64/adam-step"] = 9.4 };

    /// <inheritdoc />
    public IReadOnlyList<BenchRecord> Run(BenchContext context)
    {
        var records = new List<BenchRecord>();
        records.AddRange(Network(context, "fmnist-cnn", 64, 2.0 * (16 * 28 * 28 * 9 + 32 * 14 * 14 * 16 * 9 + 64 * 7 * 7 * 32 * 9 + 576 * 200 + 200 * 10)));
        records.AddRange(Network(context, "lenet", 32, 2.0 * (6 * 24 * 24 * 25 + 16 * 8 * 8 * 6 * 25 + 256 * 120 + 120 * 84 + 84 * 10)));
        return records;
    }

    private static IEnumerable<BenchRecord> Network(BenchContext ctx, string name, int batch, double forwardFlopsPerExample)
    {
        var model = ModelZoo.Create(name);
        var rng = new Random(1);
        int n = batch * 8, size = model.Network.InputShape.Length;
        var pixels = new float[n * size];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)rng.NextDouble();
        var data = new DataSet("synthetic", pixels, model.Network.InputShape, Enumerable.Range(0, n).Select(i => i % 10).ToArray(), 10);
        using var trainer = new Trainer(model.Network, CpuBackend.Instance, new TrainingOptions { BatchSize = batch, EvaluationBatchSize = batch });
        var loader = new BatchLoader(data, batch, 1);
        loader.BeginEpoch(0);
        int b = 0;
        long step = 0;
        string shape = $"B={batch} P={model.Network.ParameterCount}";
        double flops = forwardFlopsPerExample * batch;
        var forward = ctx.Measure($"{name}/b{batch}/forward", shape, () => trainer.ForwardBatch(loader, b++ % 8), flops);
        yield return forward;
        string key = $"{name}/b{batch}/adam-step";
        var extra = new Dictionary<string, double> { ["forward_ms"] = forward.MedianMs };
        if (Libtorch.TryGetValue(key, out var t)) extra["libtorch_ms"] = t;
        var s = ctx.Measure(key, shape, () => trainer.TrainBatch(loader, b++ % 8, step++), 3 * flops, extra);
        ctx.Log.WriteLine($"  {key}: {s.MedianMs / forward.MedianMs:F2}× forward, {batch / (s.MedianMs * 1e-3):N0} samples/s" +
                          (Libtorch.TryGetValue(key, out var lt) ? $", {lt / s.MedianMs:F2}× libtorch's speed" : ""));
        yield return s with { Extra = new Dictionary<string, double>(s.Extra!) { ["step_over_forward"] = s.MedianMs / forward.MedianMs, ["samples_per_s"] = batch / (s.MedianMs * 1e-3) } };
    }
}
