namespace Tangent.Inference.Reports;

/// <summary>Writes a run's report.md and results.json into a results directory, with the first seed's plots copied under <c>plots/METHOD/</c>.</summary>
public static class ReportFiles
{
    /// <summary>Report file name.</summary>
    public const string Report = "report.md";

    /// <summary>Results file name.</summary>
    public const string Results = "results.json";

    /// <summary>
    /// Writes the report of <paramref name="result"/> to <paramref name="directory"/>, copying the plots the first seed's
    /// evaluations left in <paramref name="workDirectory"/>; returns the files written. Plots of rows no longer in the table are removed.
    /// </summary>
    public static IReadOnlyList<string> Write(ReproductionResult result, string workDirectory, string directory)
    {
        var written = new List<string>();
        var plots = new Dictionary<string, IReadOnlyList<string>>();
        string source = Path.Combine(workDirectory, $"seed-{result.Seeds[0]}", "plots");
        string target = Path.Combine(directory, "plots");
        if (Directory.Exists(target))
            foreach (string stale in Directory.GetDirectories(target).Where(d => result.Methods.All(m => m.Key != Path.GetFileName(d))))
                Directory.Delete(stale, recursive: true);
        foreach (var m in result.Methods)
        {
            string from = Path.Combine(source, m.Key);
            if (!Directory.Exists(from)) continue;
            var files = new List<string>();
            foreach (string file in Directory.GetFiles(from, "*.png").Order(StringComparer.Ordinal))
            {
                string to = Path.Combine(target, m.Key, Path.GetFileName(file));
                AtomicFile.Copy(file, to);
                written.Add(to);
                files.Add($"plots/{m.Key}/{Path.GetFileName(file)}");
            }
            plots[m.Key] = files;
        }
        string report = Path.Combine(directory, Report), json = Path.Combine(directory, Results);
        AtomicFile.WriteText(report, ReportMarkdown.Render(result, plots));
        AtomicFile.WriteText(json, ReportJson.Render(result));
        written.Add(report);
        written.Add(json);
        return written;
    }
}
