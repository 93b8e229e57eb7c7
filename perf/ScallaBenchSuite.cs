using Tangent.Engine;
using Tangent.Inference.Scalla;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Perf;

/// <summary>
/// One ScaLLA surrogate-training step (METHODS.md §2) on the FashionMNIST CNN (140,594 parameters, the MAP network,
/// frozen) with the 339,584-parameter surrogate (m = 100), float32 on the cpu backend, synthetic 28×28 inputs: the
/// inputs' upload, K Rademacher probes drawn on the device, one K-tangent JVP of the CNN, the Gram-form loss with the
/// surrogate's forward and backward, and Adam on φ — at 5 + 5 and 32 + 32 points with K = 1 and K = 8. libtorch CPU
/// takes 9.6 and 30.1 ms for the K = 1 steps on this machine type (TorchSharp, 2 threads, PERF.md). From the step
/// times it estimates the default schedule's training time.
/// </summary>
public sealed class ScallaBenchSuite : IBenchSuite
{
    private static readonly Dictionary<string, double> Libtorch = new() { ["scalla/5+5/step"] = 9.6, ["scalla/32+32/step"] = 30.1 };

    /// <inheritdoc />
    public string Name => "scalla";

    /// <inheritdoc />
    public string Description => "ScaLLA surrogate step (JVP of the FMNIST CNN + surrogate forward/backward + Adam) at 5+5 and 32+32 points, K=1 and K=8 (float32, cpu)";

    /// <inheritdoc />
    public IReadOnlyList<BenchRecord> Run(BenchContext context)
    {
        var map = ModelZoo.Create("fmnist-cnn");
        var theta = map.Network.InitialParameters(1);
        var rng = new Random(1);
        var pixels = new float[512 * 784];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (float)rng.NextDouble();
        var train = new DataSet("synthetic", pixels[..(256 * 784)], new Shape(1, 28, 28), Enumerable.Range(0, 256).Select(i => i % 10).ToArray(), 10);
        var contextSet = new ContextSet("synthetic", pixels[(256 * 784)..], new Shape(1, 28, 28), 0);
        var records = new List<BenchRecord>();
        foreach (int probes in new[] { 1, 8 })
            foreach (int points in new[] { 5, 32 })
                records.Add(Step(context, map, theta, train, contextSet, points, probes));
        var defaults = new ScallaOptions();
        var match = records.FirstOrDefault(r => r.Name == Key(defaults.TrainPoints, defaults.Probes));
        if (match != null)
            context.Log.WriteLine($"default schedule ({defaults}): {defaults.Steps} steps × {match.MedianMs:F2} ms = {defaults.Steps * match.MedianMs / 60e3:F1} min of training");
        return records;
    }

    private static string Key(int points, int probes) => probes == 1 ? $"scalla/{points}+{points}/step" : $"scalla/{points}+{points}/k{probes}/step";

    private static BenchRecord Step(BenchContext bench, ZooModel map, float[] theta, DataSet train, IContextSource context, int points, int probes)
    {
        var options = new ScallaOptions { TrainPoints = points, ContextPoints = points, Probes = probes, Steps = 1_000_000 };
        var surrogate = ScallaFit.CreateSurrogate(map, options.Features);
        using var trainer = new SurrogateKernelTrainer(map.Network, theta, surrogate.Network, train, context, options, CpuBackend.Instance);
        string key = Key(points, probes);
        var extra = new Dictionary<string, double>();
        if (Libtorch.TryGetValue(key, out double torch)) extra["libtorch_ms"] = torch;
        var r = bench.Measure(key, $"2B={2 * points} K={probes} P={map.Network.ParameterCount} m={options.Features}", () => trainer.Step(), extra: extra);
        double perPointProbe = r.MedianMs * 1e3 / (2 * points * probes);
        bench.Log.WriteLine($"  {key}: {perPointProbe:F1} µs per point-probe JVP" + (Libtorch.TryGetValue(key, out double t) ? $", {t / r.MedianMs:F2}× libtorch's speed" : ""));
        var all = new Dictionary<string, double>(r.Extra!) { ["us_per_point_probe"] = perPointProbe };
        if (Libtorch.TryGetValue(key, out double lt)) all["speedup_vs_libtorch"] = lt / r.MedianMs;
        return r with { Extra = all };
    }
}
