using System.Text.Json;

namespace Tangent.Inference.Reports;

/// <summary>
/// results.json of a run: the table, command, machine, dates and seeds; per row our metrics (mean, std and each
/// seed's value), the paper's values and the differences; the paper rows we lack; protocol differences, notes and
/// steps. Keys of metrics are <see cref="ReportMetrics"/>' (plus <c>fit_s</c>).
/// </summary>
public static class ReportJson
{
    /// <summary>The JSON document.</summary>
    public static string Render(ReproductionResult r)
    {
        var t = r.Table;
        var doc = new Dictionary<string, object?>
        {
            ["table"] = t.Name,
            ["title"] = t.Title,
            ["smoke"] = t.Smoke,
            ["command"] = r.Run.Command,
            ["machine"] = r.Run.Machine,
            ["started"] = r.Run.Started.UtcDateTime.ToString("O"),
            ["finished"] = r.Run.Finished.UtcDateTime.ToString("O"),
            ["load_average"] = new Dictionary<string, double?> { ["start"] = r.Run.LoadAtStart, ["end"] = r.Run.LoadAtEnd },
            ["seeds"] = r.Seeds,
            ["model"] = t.Model,
            ["data"] = t.Data,
            ["paper"] = t.Paper is { } p ? new Dictionary<string, string> { ["citation"] = p.Citation, ["protocol"] = p.Protocol } : null,
            ["columns"] = t.Columns.Select(c => c.Key).ToList(),
            ["rows"] = r.Methods.Select(m => Row(m, t.Paper?.Row(m.PaperRow))).ToList(),
            ["paper_rows_not_reproduced"] = t.Paper?.Rows.Where(p => r.Methods.All(m => m.PaperRow != p.Method))
                .Select(p => new Dictionary<string, object> { ["method"] = p.Method, ["values"] = p.Values }).ToList(),
            ["protocol"] = t.Protocol,
            ["notes"] = r.Notes,
            ["steps"] = r.Steps.Select(s => new Dictionary<string, object?>
            {
                ["seed"] = s.Seed, ["step"] = s.Step, ["action"] = s.Action.ToString().ToLowerInvariant(), ["reason"] = s.Reason, ["seconds"] = s.Seconds, ["cpu_seconds"] = s.CpuSeconds,
            }).ToList(),
        };
        return JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    private static Dictionary<string, object?> Row(MethodResult m, PaperRow? paper)
    {
        var keys = m.PerSeed.SelectMany(s => s.Keys).Distinct().Order(StringComparer.Ordinal);
        var metrics = new Dictionary<string, object>();
        foreach (string k in keys)
        {
            var s = m.Summary(k)!.Value;
            metrics[k] = new Dictionary<string, object>
            {
                ["mean"] = s.Mean, ["std"] = s.Std, ["values"] = m.PerSeed.Select(x => x.TryGetValue(k, out double v) ? (double?)v : null).ToList(),
            };
        }
        return new Dictionary<string, object?>
        {
            ["key"] = m.Key,
            ["label"] = m.Label,
            ["description"] = m.Description,
            ["paper_row"] = paper?.Method,
            ["metrics"] = metrics,
            ["paper"] = paper?.Values,
            ["delta"] = paper?.Values.Where(v => m.Summary(v.Key) != null).ToDictionary(v => v.Key, v => m.Summary(v.Key)!.Value.Mean - v.Value),
            ["facts"] = m.Facts,
        };
    }
}
