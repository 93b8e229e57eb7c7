using System.CommandLine;
using Tangent.Perf;

namespace Tangent.Cli;

/// <summary><c>tangent bench [SUITE] [--json PATH] [--rounds N]</c>; with no suite, lists the suites.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var suiteArgument = new Argument<string?>("suite")
        {
            Description = $"the suite to run: {string.Join(", ", BenchSuites.All.Select(s => s.Name))} (none: list them)",
            Arity = ArgumentArity.ZeroOrOne,
            CustomParser = r =>
            {
                string s = r.Tokens[0].Value;
                if (BenchSuites.All.Any(x => x.Name == s)) return s;
                r.AddError($"unknown suite '{s}'. Suites: {string.Join(", ", BenchSuites.All.Select(x => x.Name))}.");
                return null;
            },
        };
        var json = CliOptions.Json();
        var rounds = CliOptions.Int("--rounds", "timed rounds; the median of each round is recorded", 5, 1);
        var command = new Command("bench", "Run a benchmark suite (results belong in perf/RESULTS.md).") { suiteArgument, json, rounds };
        command.SetAction(p => Run(p.GetValue(suiteArgument), p.GetValue(json), p.GetValue(rounds)));
        return command;
    }

    private static int Run(string? suiteName, string? json, int rounds)
    {
        if (suiteName is null)
        {
            Console.WriteLine("usage: tangent bench <suite> [--json PATH] [--rounds N]");
            Console.WriteLine();
            foreach (var s in BenchSuites.All) Console.WriteLine($"  {s.Name,-12} {s.Description}");
            return 0;
        }
        OutputFiles.CheckWritable(json, "--json");
        var suite = BenchSuites.All.Single(s => s.Name == suiteName);
        var context = new BenchContext(Console.Out, rounds);
        Console.WriteLine($"bench {suite.Name}: {rounds} rounds, {Environment.ProcessorCount} processors, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{LoadAverage()}");
        var records = suite.Run(context);
        if (json != null)
        {
            OutputFiles.Write(json, temp => BenchSuites.WriteJson(temp, records));
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
