using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Text.Json;
using Tangent.Kernels.Cpu;

namespace Tangent.Perf;

/// <summary>A named group of benchmarks run by <c>tangent bench &lt;name&gt;</c>.</summary>
public interface IBenchSuite
{
    /// <summary>The name the command line uses.</summary>
    string Name { get; }
    /// <summary>One line saying what the suite measures.</summary>
    string Description { get; }
    /// <summary>Runs every benchmark of the suite through <paramref name="context"/>.</summary>
    IReadOnlyList<BenchRecord> Run(BenchContext context);
}

/// <summary>One measured figure.</summary>
/// <param name="Name">What was run.</param>
/// <param name="Shape">The problem size, in the suite's notation.</param>
/// <param name="MedianMs">Median over rounds of each round's median time per run, in milliseconds.</param>
/// <param name="RoundMedianMs">Each round's median, in milliseconds (their spread shows the machine's drift).</param>
/// <param name="Gflops">Achieved GFLOP/s when the flop count is known.</param>
/// <param name="PercentOfPeak">Gflops as a percentage of the measured FMA peak.</param>
/// <param name="Extra">More named figures (allocated bytes per run, ratios, µs).</param>
public sealed record BenchRecord(string Name, string Shape, double MedianMs, IReadOnlyList<double> RoundMedianMs, double? Gflops,
    double? PercentOfPeak, IReadOnlyDictionary<string, double>? Extra = null);

/// <summary>
/// How benchmarks are timed (see the repository's PERF.md): warm up, then several rounds of many runs; each
/// round reports the median time per run, and the record holds the median of the round medians.
/// </summary>
public sealed class BenchContext
{
    private readonly double _roundSeconds;
    private double? _peak;

    /// <summary>Creates a context that logs to <paramref name="log"/>.</summary>
    public BenchContext(TextWriter log, int rounds = 5, double roundSeconds = 0.5)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (rounds < 1) throw new ArgumentOutOfRangeException(nameof(rounds), $"rounds must be at least 1 (got {rounds}).");
        if (roundSeconds <= 0) throw new ArgumentOutOfRangeException(nameof(roundSeconds), $"round length must be positive (got {roundSeconds}).");
        Log = log;
        Rounds = rounds;
        _roundSeconds = roundSeconds;
    }

    /// <summary>Where progress and results are printed.</summary>
    public TextWriter Log { get; }

    /// <summary>Rounds per measurement.</summary>
    public int Rounds { get; }

    /// <summary>Measured float32 FMA peak in GFLOP/s, all threads, widest vector (measured once, on first use).</summary>
    public double PeakGflops => _peak ??= PeakProbe.Measure(Log);

    /// <summary>
    /// Times <paramref name="run"/>: at least 5 runs and 0.25 s of warm-up, then <see cref="Rounds"/> rounds. Prints one
    /// line with each round's median. <paramref name="flops"/> &gt; 0 fills GFLOP/s and % of peak. Allocated bytes
    /// per run on the calling thread go to Extra as <c>alloc_bytes_per_run</c>.
    /// </summary>
    public BenchRecord Measure(string name, string shape, Action run, double flops = 0, IReadOnlyDictionary<string, double>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        var sw = Stopwatch.StartNew();
        int warm = 0;
        while (warm < 5 || sw.Elapsed.TotalSeconds < 0.25) { run(); warm++; }
        double perRun = sw.Elapsed.TotalSeconds / warm;
        // Time batches of runs long enough (≥ 50 µs) that the clock's resolution and call cost do not matter.
        int batch = (int)Math.Clamp(Math.Ceiling(50e-6 / Math.Max(perRun, 1e-9)), 1, 1 << 20);
        var rounds = new double[Rounds];
        long allocated = 0, runs = 0;
        var samples = new List<double>();
        for (int r = 0; r < Rounds; r++)
        {
            samples.Clear();
            long start = Stopwatch.GetTimestamp();
            long end = start + (long)(_roundSeconds * Stopwatch.Frequency);
            do
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < batch; i++) run();
                long t1 = Stopwatch.GetTimestamp();
                allocated += GC.GetAllocatedBytesForCurrentThread() - before;
                runs += batch;
                samples.Add((t1 - t0) * 1000.0 / Stopwatch.Frequency / batch);
            } while (Stopwatch.GetTimestamp() < end || samples.Count < 3);
            rounds[r] = Median(samples);
        }
        double median = Median(rounds);
        double? gflops = flops > 0 ? flops / (median * 1e-3) / 1e9 : null;
        double? percent = gflops is { } g ? 100 * g / PeakGflops : null;
        var all = new Dictionary<string, double>(extra ?? new Dictionary<string, double>())
        {
            ["alloc_bytes_per_run"] = (double)allocated / runs,
        };
        var record = new BenchRecord(name, shape, median, rounds, gflops, percent, all);
        Log.WriteLine(Format(record));
        return record;
    }

    /// <summary>The printed line for a record.</summary>
    public static string Format(BenchRecord r)
    {
        string perf = r.Gflops is { } g ? $"{g,8:F1} GFLOP/s {r.PercentOfPeak,5:F1}% peak" : new string(' ', 30);
        string extra = r.Extra is null ? "" : string.Join(" ", r.Extra.Select(kv => $"{kv.Key}={kv.Value:G4}"));
        return $"{r.Name,-28} {r.Shape,-26} {Time(r.MedianMs),13} {perf}  rounds [{string.Join(" ", r.RoundMedianMs.Select(Time))}] {extra}";
    }

    /// <summary>Milliseconds, or microseconds below 0.1 ms so that per-op overheads stay readable.</summary>
    private static string Time(double ms) => ms < 0.1 ? $"{ms * 1e3:F3} µs" : $"{ms:F4} ms";

    private static double Median(IReadOnlyList<double> values)
    {
        var s = values.Order().ToArray();
        int n = s.Length;
        return n % 2 == 1 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    }
}

/// <summary>Measures the float32 FMA peak: independent FMA chains in registers on every pool thread.</summary>
internal static class PeakProbe
{
    private const int Iterations = 1 << 18;

    public static double Measure(TextWriter log)
    {
        int threads = CpuParallel.ThreadCount;
        var body = new Body();
        CpuParallel.For(threads, body);
        double best = 0;
        // Best of 60 short trials (~0.5 ms each): the machine is shared and its clock drifts, and the peak is what the
        // hardware does when both threads hold a core; short trials are likelier to see that.
        for (int trial = 0; trial < 60; trial++)
        {
            long t0 = Stopwatch.GetTimestamp();
            CpuParallel.For(threads, body);
            double seconds = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
            best = Math.Max(best, threads * Body.FlopsPerTask / seconds / 1e9);
        }
        log.WriteLine($"measured FMA peak: {best:F1} GFLOP/s (float32, {threads} threads, {Body.Width}-bit vectors, best of 60 trials)");
        return best;
    }

    private struct Body : IParallelBody
    {
        public static int Width => Vector512.IsHardwareAccelerated ? 512 : 256;
        // 12 chains × lanes × 2 flops per FMA.
        public static double FlopsPerTask => (double)Iterations * 12 * (Width / 32) * 2;

        public readonly void Run(int index)
        {
            if (Vector512.IsHardwareAccelerated) Sink = Chains512();
            else Sink = Chains256();
        }

        private static float Chains512()
        {
            var m = Vector512.Create(0.999999f);
            var a = Vector512.Create(1e-7f);
            Vector512<float> c0 = Vector512.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            for (int i = 0; i < Iterations; i++)
            {
                c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a);
                c2 = Vector512.FusedMultiplyAdd(c2, m, a); c3 = Vector512.FusedMultiplyAdd(c3, m, a);
                c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
                c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a);
                c8 = Vector512.FusedMultiplyAdd(c8, m, a); c9 = Vector512.FusedMultiplyAdd(c9, m, a);
                c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
            }
            return Vector512.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }

        private static float Chains256()
        {
            var m = Vector256.Create(0.999999f);
            var a = Vector256.Create(1e-7f);
            Vector256<float> c0 = Vector256.Create(1f), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0, c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
            for (int i = 0; i < Iterations; i++)
            {
                c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
                c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
                c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
                c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
                c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
                c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
            }
            return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
        }

        [ThreadStatic] private static float Sink;
    }
}

/// <summary>The suites in this assembly and the JSON record format.</summary>
public static class BenchSuites
{
    /// <summary>Every <see cref="IBenchSuite"/> in this assembly with a public parameterless constructor, by name.</summary>
    public static IReadOnlyList<IBenchSuite> All { get; } = typeof(BenchSuites).Assembly.GetTypes()
        .Where(t => typeof(IBenchSuite).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false } && t.GetConstructor(Type.EmptyTypes) != null)
        .Select(t => (IBenchSuite)Activator.CreateInstance(t)!)
        .OrderBy(s => s.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>
    /// Writes the records as a JSON array of objects with name, shape, median_ms, round_median_ms, gflops,
    /// percent_of_peak and the Extra figures flattened beside them.
    /// </summary>
    public static void WriteJson(string path, IReadOnlyList<BenchRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        using var stream = File.Create(path);
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartArray();
        foreach (var r in records)
        {
            w.WriteStartObject();
            w.WriteString("name", r.Name);
            w.WriteString("shape", r.Shape);
            w.WriteNumber("median_ms", r.MedianMs);
            w.WriteStartArray("round_median_ms");
            foreach (var x in r.RoundMedianMs) w.WriteNumberValue(x);
            w.WriteEndArray();
            if (r.Gflops is { } g) w.WriteNumber("gflops", g); else w.WriteNull("gflops");
            if (r.PercentOfPeak is { } p) w.WriteNumber("percent_of_peak", p); else w.WriteNull("percent_of_peak");
            if (r.Extra != null)
                foreach (var (key, value) in r.Extra)
                {
                    if (double.IsFinite(value)) w.WriteNumber(key, value);
                    else w.WriteNull(key);
                }
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }
}
