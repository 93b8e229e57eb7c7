using System.Globalization;
using Tangent.Perf;

namespace Tangent.Cli;

/// <summary><c>tangent bench &lt;suite&gt; [--json PATH] [--rounds N]</c>; with no suite, lists the suites.</summary>
internal static class BenchCommand
{
    public static int Run(string[] args)
    {
        string? suiteName = null, json = null;
        int rounds = 5;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = i + 1 < args.Length ? args[++i] : throw new ArgumentException("--json needs a file path.");
                    break;
                case "--rounds":
                    if (i + 1 >= args.Length || !int.TryParse(args[++i], NumberStyles.Integer, CultureInfo.InvariantCulture, out rounds) || rounds < 1)
                        throw new ArgumentException($"--rounds needs a positive integer{(i < args.Length ? $" (got '{args[i]}')" : "")}.");
                    break;
                default:
                    if (args[i].StartsWith("--", StringComparison.Ordinal))
                        throw new ArgumentException($"unknown option '{args[i]}'. Options: --json PATH, --rounds N.");
                    if (suiteName != null)
                        throw new ArgumentException($"one suite at a time (got '{suiteName}' and '{args[i]}').");
                    suiteName = args[i];
                    break;
            }
        }
        if (suiteName == null)
        {
            Console.WriteLine("usage: tangent bench <suite> [--json PATH] [--rounds N]");
            Console.WriteLine();
            foreach (var s in BenchSuites.All) Console.WriteLine($"  {s.Name,-12} {s.Description}");
            return 0;
        }
        var suite = BenchSuites.All.FirstOrDefault(s => s.Name == suiteName)
            ?? throw new ArgumentException($"unknown suite '{suiteName}'. Suites: {string.Join(", ", BenchSuites.All.Select(s => s.Name))}.");
        var context = new BenchContext(Console.Out, rounds);
        Console.WriteLine($"bench {suite.Name}: {rounds} rounds, {Environment.ProcessorCount} processors, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{LoadAverage()}");
        var records = suite.Run(context);
        if (json != null)
        {
            BenchSuites.WriteJson(json, records);
            Console.WriteLine($"wrote {records.Count} records to {json}");
        }
        return 0;
    }

    /// <summary>The 1-minute load average where the OS reports it: timings taken beside other work are not comparable.</summary>
    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? $", load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}" : "";
        }
        catch (IOException)
        {
            return "";
        }
    }
}
