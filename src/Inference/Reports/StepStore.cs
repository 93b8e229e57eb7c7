using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tangent.Inference.Reports;

/// <summary>
/// The record of one pipeline step, kept as <c>STEP.step.json</c> beside its outputs: the inputs it ran with (a
/// fingerprint text of <c>key=value</c> pairs separated by ';'), whether it finished, the SHA-256 of each output file,
/// its time and notes. Written when the step starts (<see cref="StepState.Running"/>) and again when it finishes.
/// </summary>
public sealed record StepRecord
{
    /// <summary>The step's name (<c>map</c>, <c>fit-viking</c>, <c>eval-scalla</c>, …).</summary>
    public required string Step { get; init; }

    /// <summary>The fingerprint of everything the step's result depends on.</summary>
    public required string Inputs { get; init; }

    /// <summary>Running (started, not finished: interrupted or failed) or done.</summary>
    public required StepState State { get; init; }

    /// <summary>Output files (relative to the store's directory) and their SHA-256, once done.</summary>
    public IReadOnlyDictionary<string, string> Outputs { get; init; } = new Dictionary<string, string>();

    /// <summary>Wall-clock seconds of the run that finished it (a resumed step counts only its last run).</summary>
    public double Seconds { get; init; }

    /// <summary>CPU seconds this process spent in that run (all threads): on a busy machine, a better measure of the work than <see cref="Seconds"/>.</summary>
    public double CpuSeconds { get; init; }

    /// <summary>When it finished (UTC, ISO 8601), or empty.</summary>
    public string Finished { get; init; } = "";

    /// <summary>Facts worth reporting (hyperparameters found, where the MAP came from, …).</summary>
    public IReadOnlyDictionary<string, string> Facts { get; init; } = new Dictionary<string, string>();
}

/// <summary>Whether a step finished.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StepState>))]
public enum StepState
{
    /// <summary>Started and not finished.</summary>
    Running,
    /// <summary>Finished; its outputs are recorded.</summary>
    Done,
}

/// <summary>What <see cref="StepStore.Check"/> found.</summary>
/// <param name="Kind">The verdict.</param>
/// <param name="Reason">Why the step must run again (stale and interrupted steps), else null.</param>
/// <param name="Record">The step's record when there is one.</param>
public sealed record StepStatus(StepStatusKind Kind, string? Reason, StepRecord? Record);

/// <summary>The verdicts of <see cref="StepStore.Check"/>.</summary>
public enum StepStatusKind
{
    /// <summary>Never started: run it.</summary>
    Missing,
    /// <summary>Finished with the same inputs and its outputs unchanged: reuse them.</summary>
    Done,
    /// <summary>Started with the same inputs and not finished: run it, resuming where the method can.</summary>
    Interrupted,
    /// <summary>Its inputs changed, or its outputs were changed or removed since: run it from scratch.</summary>
    Stale,
}

/// <summary>
/// The step records of one work directory (<see cref="StepRecord"/>): decides whether a step's outputs can be reused,
/// and detects stale ones — other inputs (settings, an upstream output that changed) or outputs replaced or removed
/// since the step finished. Upstream outputs enter a step's inputs by their hash (<see cref="Hash"/>), so a refitted
/// MAP makes every posterior fitted around the old one stale.
/// </summary>
public sealed class StepStore(string directory)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The directory holding the records and the outputs.</summary>
    public string Directory { get; } = directory;

    /// <summary>The full path of output <paramref name="relative"/>.</summary>
    public string PathOf(string relative) => Path.Combine(Directory, relative);

    /// <summary>The record of <paramref name="step"/>, or null when there is none or it cannot be read.</summary>
    public StepRecord? Read(string step)
    {
        string path = RecordPath(step);
        if (!File.Exists(path)) return null;
        try
        {
            return JsonSerializer.Deserialize<StepRecord>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="step"/> with <paramref name="inputs"/> has to run: <see cref="StepStatusKind.Done"/> only
    /// when its record is finished with exactly these inputs and every recorded output still has its recorded hash.
    /// </summary>
    public StepStatus Check(string step, string inputs)
    {
        var record = Read(step);
        if (record is null)
            return File.Exists(RecordPath(step)) ? new StepStatus(StepStatusKind.Stale, "its record is unreadable", null) : new StepStatus(StepStatusKind.Missing, null, null);
        if (record.Inputs != inputs)
            return new StepStatus(StepStatusKind.Stale, $"its inputs changed ({DescribeChange(record.Inputs, inputs)})", record);
        if (record.State == StepState.Running) return new StepStatus(StepStatusKind.Interrupted, "it was interrupted", record);
        foreach (var (file, hash) in record.Outputs)
        {
            string path = PathOf(file);
            if (!File.Exists(path)) return new StepStatus(StepStatusKind.Stale, $"its output {file} was removed", record);
            if (Hash(path) != hash) return new StepStatus(StepStatusKind.Stale, $"its output {file} was replaced since the step finished", record);
        }
        return new StepStatus(StepStatusKind.Done, null, record);
    }

    /// <summary>Records that <paramref name="step"/> started with <paramref name="inputs"/>.</summary>
    public void Begin(string step, string inputs) =>
        Write(new StepRecord { Step = step, Inputs = inputs, State = StepState.Running });

    /// <summary>Records that <paramref name="step"/> finished (<paramref name="seconds"/> wall-clock, <paramref name="cpuSeconds"/> of CPU), hashing its <paramref name="outputs"/> (relative paths that must exist).</summary>
    public StepRecord Finish(string step, string inputs, IEnumerable<string> outputs, double seconds, IReadOnlyDictionary<string, string>? facts = null,
        double cpuSeconds = 0)
    {
        var hashes = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string file in outputs) hashes[file] = Hash(PathOf(file));
        var record = new StepRecord
        {
            Step = step,
            Inputs = inputs,
            State = StepState.Done,
            Outputs = hashes,
            Seconds = seconds,
            CpuSeconds = cpuSeconds,
            Finished = DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            Facts = facts ?? new Dictionary<string, string>(),
        };
        Write(record);
        return record;
    }

    /// <summary>Removes <paramref name="step"/>'s record (the step runs again).</summary>
    public void Forget(string step) => File.Delete(RecordPath(step));

    /// <summary>SHA-256 of a file as lower-case hex.</summary>
    public static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// <summary>The keys whose values differ between two fingerprints, as "key: old → new" (at most three, values shortened).</summary>
    public static string DescribeChange(string before, string after)
    {
        var a = Pairs(before);
        var b = Pairs(after);
        var changes = a.Keys.Union(b.Keys).Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k))
            .Select(k => $"{k}: {Short(a.GetValueOrDefault(k))} → {Short(b.GetValueOrDefault(k))}").ToList();
        if (changes.Count == 0) return "same settings in another order";
        return string.Join("; ", changes.Take(3)) + (changes.Count > 3 ? $"; {changes.Count - 3} more" : "");
    }

    private static Dictionary<string, string> Pairs(string fingerprint)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in fingerprint.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq < 0) d[part] = "";
            else d[part[..eq]] = part[(eq + 1)..];
        }
        return d;
    }

    private static string Short(string? value) => value is null ? "(none)" : value.Length > 16 ? value[..12] + "…" : value;

    private string RecordPath(string step) => PathOf(step + ".step.json");

    private void Write(StepRecord record) => AtomicFile.WriteText(RecordPath(record.Step), JsonSerializer.Serialize(record, Json));
}
