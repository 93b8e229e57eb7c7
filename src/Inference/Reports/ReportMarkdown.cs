using System.Globalization;
using System.Text;

namespace Tangent.Inference.Reports;

/// <summary>
/// report.md of a run: our numbers next to the paper's, row by row, with the difference; our further measurements;
/// the methods' settings and fitted hyperparameters; every difference of protocol; each step with what happened to it
/// and its time; the command, machine and date; the plots. The comparison table sits between
/// <see cref="TableBegin"/> and <see cref="TableEnd"/> so that tools/update-readme-results.sh can copy it.
/// </summary>
public static class ReportMarkdown
{
    /// <summary>Marker before the comparison table.</summary>
    public const string TableBegin = "<!-- results-table:begin -->";

    /// <summary>Marker after the comparison table.</summary>
    public const string TableEnd = "<!-- results-table:end -->";

    /// <summary>Start of the line naming the reliability diagram of the table's highlighted row, for the README.</summary>
    public const string ReadmePlotPrefix = "<!-- readme-plot: ";

    /// <summary>
    /// The report. <paramref name="plots"/> lists, per method key, the plot files (paths relative to the report) to show.
    /// </summary>
    public static string Render(ReproductionResult r, IReadOnlyDictionary<string, IReadOnlyList<string>> plots)
    {
        var t = r.Table;
        var w = new StringBuilder();
        w.AppendLine($"# {t.Title}").AppendLine();
        if (plots.TryGetValue(t.HighlightMethod, out var highlight) && highlight.FirstOrDefault(IsReliability) is { } readmePlot)
            w.AppendLine($"{ReadmePlotPrefix}{readmePlot} -->").AppendLine();
        w.AppendLine(t.Summary).AppendLine();
        if (t.Smoke)
            w.AppendLine("> **Smoke run**: tiny schedules and data subsets, made to check the pipeline end to end. These numbers say nothing about the methods.").AppendLine();
        w.AppendLine($"- command: `{r.Run.Command}`");
        w.AppendLine($"- machine: {r.Run.Machine}");
        w.AppendLine($"- date: {RunInfo.Stamp(r.Run.Started)} to {RunInfo.Stamp(r.Run.Finished)}" + Load(r.Run));
        w.AppendLine($"- seeds: {string.Join(", ", r.Seeds)}" + (r.Seeds.Count > 1 ? $" (ours: mean ± sample standard deviation over {r.Seeds.Count} seeds)" : " (one seed: no spread)"));
        w.AppendLine();

        w.AppendLine(t.Paper != null ? "## Results next to the paper's" : "## Results").AppendLine();
        w.AppendLine(TableBegin);
        ComparisonTable(w, r);
        w.AppendLine(TableEnd).AppendLine();
        if (t.Paper is { } paper)
        {
            w.AppendLine($"Δ = ours − paper{(r.Seeds.Count > 1 ? " (our mean)" : "")}. Paper: {paper.Citation}. The paper's protocol: {paper.Protocol}. " +
                         "Every difference of ours is listed under *Differences of protocol*.").AppendLine();
        }
        if (t.ExtraColumns.Count > 0)
        {
            w.AppendLine(t.Paper != null ? "## Further measurements (ours; not in the paper's table)" : "## Further measurements").AppendLine();
            var columns = t.ExtraColumns;
            w.AppendLine("| method | " + string.Join(" | ", columns.Select(c => c.Header)) + " |");
            w.AppendLine("|---|" + string.Concat(columns.Select(_ => "---:|")));
            foreach (var m in r.Methods)
                w.AppendLine($"| {m.Label} | " + string.Join(" | ", columns.Select(c => Ours(m, c))) + " |");
            w.AppendLine();
        }

        w.AppendLine("## Methods").AppendLine();
        foreach (var m in r.Methods)
        {
            w.AppendLine($"- **{m.Label}**: {m.Description}.");
            if (m.Facts.Count > 0)
            {
                w.AppendLine($"  <details><summary>fitted values and settings (seed {r.Seeds[0]})</summary>").AppendLine();
                w.AppendLine("  " + string.Join(", ", m.Facts.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"`{f.Key}` = {f.Value}")));
                w.AppendLine().AppendLine("  </details>");
            }
        }
        w.AppendLine();

        w.AppendLine(t.Paper != null ? "## Differences of protocol" : "## How this differs from the full tables").AppendLine();
        foreach (string p in t.Protocol) w.AppendLine($"- {p}");
        w.AppendLine();
        if (r.Notes.Count > 0)
        {
            w.AppendLine("## What this run found").AppendLine();
            foreach (string n in r.Notes) w.AppendLine($"- {n}");
            w.AppendLine();
        }

        w.AppendLine("## Steps and times").AppendLine();
        w.AppendLine($"Times are those of the run that produced each output (reused outputs keep their earlier times): wall-clock seconds, and CPU " +
                     $"seconds over all threads — on an otherwise idle machine with {r.Run.Machine.Threads} threads, wall-clock time is about CPU time / {r.Run.Machine.Threads} " +
                     "where the work is parallel, so the CPU column shows what a busy machine hid.").AppendLine();
        w.AppendLine("| seed | step | what happened | seconds | CPU seconds |");
        w.AppendLine("|---:|---|---|---:|---:|");
        foreach (var s in r.Steps)
            w.AppendLine($"| {s.Seed} | {s.Step} | {Action(s)} | {s.Seconds.ToString("F1", CultureInfo.InvariantCulture)} | {s.CpuSeconds.ToString("F1", CultureInfo.InvariantCulture)} |");
        double wall = r.Steps.Sum(s => s.Seconds), cpuTotal = r.Steps.Sum(s => s.CpuSeconds);
        w.AppendLine($"| | all steps | | {wall.ToString("F1", CultureInfo.InvariantCulture)} | {cpuTotal.ToString("F1", CultureInfo.InvariantCulture)} |");
        w.AppendLine();

        var shown = r.Methods.Where(m => plots.ContainsKey(m.Key) && plots[m.Key].Count > 0).ToList();
        if (shown.Count > 0)
        {
            w.AppendLine($"## Plots (seed {r.Seeds[0]})").AppendLine();
            w.AppendLine("Reliability diagrams (equal-width bins, every confidence counted; bar labels: inputs per bin):").AppendLine();
            foreach (var m in shown)
            {
                string? reliability = plots[m.Key].FirstOrDefault(IsReliability);
                if (reliability != null) w.AppendLine($"![{m.Label}: reliability]({reliability})");
            }
            w.AppendLine().AppendLine("Other plots: " + string.Join(", ", shown.SelectMany(m => plots[m.Key]
                .Where(p => !IsReliability(p))
                .Select(p => $"[{m.Label}: {Path.GetFileNameWithoutExtension(p)}]({p})"))) + ".");
            w.AppendLine();
        }
        return w.ToString();
    }

    private static bool IsReliability(string path) => path.EndsWith("reliability.png", StringComparison.Ordinal);

    /// <summary>The comparison table: per method an "ours" line, and where the paper has the row a "paper" and a "Δ" line; paper rows we lack follow.</summary>
    private static void ComparisonTable(StringBuilder w, ReproductionResult r)
    {
        var t = r.Table;
        var columns = t.Columns;
        bool paper = t.Paper != null;
        w.AppendLine("| method |" + (paper ? " |" : "") + string.Concat(columns.Select(c => $" {c.Header} |")));
        w.AppendLine("|---|" + (paper ? "---|" : "") + string.Concat(columns.Select(_ => "---:|")));
        foreach (var m in r.Methods)
        {
            w.AppendLine($"| {m.Label} |" + (paper ? " ours |" : "") + string.Concat(columns.Select(c => $" {Ours(m, c)} |")));
            if (t.Paper?.Row(m.PaperRow) is not { } row) continue;
            w.AppendLine($"| | paper ({row.Method}) |" + string.Concat(columns.Select(c => $" {Paper(row, c)} |")));
            w.AppendLine("| | Δ |" + string.Concat(columns.Select(c => $" {Delta(m, row, c)} |")));
        }
        if (t.Paper is null) return;
        foreach (var row in t.Paper.Rows.Where(p => r.Methods.All(m => m.PaperRow != p.Method)))
        {
            w.AppendLine($"| {row.Method} | ours |" + string.Concat(columns.Select((_, i) => i == 0 ? " not implemented here |" : " |")));
            w.AppendLine($"| | paper ({row.Method}) |" + string.Concat(columns.Select(c => $" {Paper(row, c)} |")));
        }
    }

    /// <summary>Our value of column <paramref name="c"/>: mean (± std over seeds), or "–".</summary>
    public static string Ours(MethodResult m, ReportColumn c)
    {
        if (m.Summary(c.Key) is not { } s) return "–";
        string mean = Number(s.Mean, c.Decimals);
        return s.Count > 1 ? $"{mean} ± {Number(s.Std, c.Decimals)}" : mean;
    }

    private static string Paper(PaperRow row, ReportColumn c) => row.Values.TryGetValue(c.Key, out double v) ? Number(v, c.Decimals) : "–";

    /// <summary>Our mean minus the paper's value, signed, or "–" when either is missing.</summary>
    public static string Delta(MethodResult m, PaperRow row, ReportColumn c)
    {
        if (m.Summary(c.Key) is not { } s || !row.Values.TryGetValue(c.Key, out double p)) return "–";
        double d = s.Mean - p;
        string text = Number(Math.Abs(d), c.Decimals);
        return (Math.Round(d, c.Decimals) >= 0 ? "+" : "-") + text;
    }

    private static string Number(double v, int decimals) => v.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private static string Load(RunInfo run)
    {
        if (run.LoadAtStart is not { } a || run.LoadAtEnd is not { } b) return "";
        string busy = Math.Max(a, b) > run.Machine.Cores ? "; above the core count, so other work slowed this run" : "";
        return string.Create(CultureInfo.InvariantCulture, $" (1-minute load average {a:F1} at the start, {b:F1} at the end{busy})");
    }

    private static string Action(StepOutcome s) => s.Action switch
    {
        StepAction.Reused => "reused",
        StepAction.Ran => "ran",
        StepAction.Resumed => $"resumed ({s.Reason})",
        _ => $"ran again ({s.Reason})",
    };
}
