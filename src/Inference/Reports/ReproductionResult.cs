using System.Globalization;

namespace Tangent.Inference.Reports;

/// <summary>What happened to a step in a run.</summary>
public enum StepAction
{
    /// <summary>Ran for the first time.</summary>
    Ran,
    /// <summary>Its finished outputs were reused.</summary>
    Reused,
    /// <summary>Continued after an interruption (from the method's checkpoint where it has one).</summary>
    Resumed,
    /// <summary>Ran again because its outputs were stale (or --fresh).</summary>
    Refitted,
}

/// <summary>One step of a run.</summary>
/// <param name="Seed">The seed.</param>
/// <param name="Step">Its name (<c>map</c>, <c>fit-viking</c>, <c>eval-viking</c>).</param>
/// <param name="Action">What was done.</param>
/// <param name="Reason">Why it ran again (stale, interrupted), else null.</param>
/// <param name="Seconds">Wall-clock seconds of the run that produced its outputs (for reused steps: the earlier run's).</param>
/// <param name="CpuSeconds">CPU seconds of that run, all threads (on a busy machine, wall-clock time overstates the work).</param>
public sealed record StepOutcome(ulong Seed, string Step, StepAction Action, string? Reason, double Seconds, double CpuSeconds = 0);

/// <summary>A row's results: its metrics per seed (<see cref="ReportMetrics"/> keys, plus <c>fit_s</c>) and the facts of its fit.</summary>
/// <param name="Key">The method's key.</param>
/// <param name="Label">The row's label.</param>
/// <param name="PaperRow">The paper's row compared with, or null.</param>
/// <param name="Description">The method's settings in one line.</param>
/// <param name="PerSeed">Metrics of each seed, in seed order.</param>
/// <param name="Facts">Facts of the first seed's fit and evaluation (hyperparameters found, predictive).</param>
public sealed record MethodResult(string Key, string Label, string? PaperRow, string Description, IReadOnlyList<IReadOnlyDictionary<string, double>> PerSeed,
    IReadOnlyDictionary<string, string> Facts)
{
    /// <summary>Mean and sample standard deviation (0 for one seed) of <paramref name="key"/> over the seeds that have it; null when none has.</summary>
    public (double Mean, double Std, int Count)? Summary(string key)
    {
        var values = PerSeed.Where(m => m.ContainsKey(key)).Select(m => m[key]).ToArray();
        if (values.Length == 0) return null;
        double mean = values.Average();
        double std = values.Length > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1)) : 0;
        return (mean, std, values.Length);
    }
}

/// <summary>When, where and how a run was made.</summary>
/// <param name="Command">The command line that made it.</param>
/// <param name="Machine">The machine.</param>
/// <param name="Started">Start (UTC).</param>
/// <param name="Finished">End (UTC).</param>
/// <param name="LoadAtStart">1-minute load average at the start, when known.</param>
/// <param name="LoadAtEnd">1-minute load average at the end, when known.</param>
public sealed record RunInfo(string Command, MachineInfo Machine, DateTimeOffset Started, DateTimeOffset Finished, double? LoadAtStart, double? LoadAtEnd)
{
    /// <summary>"yyyy-MM-dd HH:mm UTC".</summary>
    public static string Stamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}

/// <summary>A finished run of a table: every row's results, every step's outcome, and the run's circumstances.</summary>
/// <param name="Table">The table.</param>
/// <param name="Seeds">The seeds run.</param>
/// <param name="Methods">The rows, in the table's order.</param>
/// <param name="Steps">Every step, in order.</param>
/// <param name="Run">When, where, how.</param>
/// <param name="Notes">Things the run found worth stating (stale inputs refitted, where the MAP network came from).</param>
public sealed record ReproductionResult(ReproductionTable Table, IReadOnlyList<ulong> Seeds, IReadOnlyList<MethodResult> Methods,
    IReadOnlyList<StepOutcome> Steps, RunInfo Run, IReadOnlyList<string> Notes);
