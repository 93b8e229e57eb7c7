using System.CommandLine;
using System.Globalization;
using Tangent.Inference.Reports;
using Tangent.Inference.Viking;
using Tangent.Kernels.Backends;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent reproduce TABLE [--seeds N] [--fresh] [--map FILE] …</c>: runs a reproduction table through the library's
/// <see cref="ReproductionRunner"/> (MAP network, every method's fit and evaluation; finished steps reused, interrupted
/// ones resumed, stale ones refitted) with progress on the console, then writes report.md, results.json and the plots.
/// </summary>
internal static class ReproduceCommand
{
    public static Command Create()
    {
        var table = new Argument<string>("table")
        {
            Description = $"the table: {string.Join(", ", ReproductionTables.Names)}",
            CustomParser = r =>
            {
                string s = r.Tokens[0].Value;
                if (ReproductionTables.Names.Contains(s)) return s;
                r.AddError($"unknown table '{s}'. Tables: {string.Join(", ", ReproductionTables.Names)}.");
                return s;
            },
        };
        var seeds = CliOptions.Int("--seeds", "run seeds 0 … N−1 (each trains its own MAP network); the report gives mean ± std", 1, 1);
        var fresh = CliOptions.Flag("--fresh", "run every step again instead of reusing finished outputs");
        var map = CliOptions.Text("--map", "FILE", "MAP checkpoint to use for seed 0 (checked against the table's model, data and recipe; a mismatch is reported and a new one trained)");
        var adjoint = CliOptions.Choice("--adjoint", "VIKING's gradient through the projection", ProjectionAdjoint.Stop,
            new Dictionary<string, ProjectionAdjoint> { ["stop"] = ProjectionAdjoint.Stop, ["exact"] = ProjectionAdjoint.Exact });
        var work = CliOptions.Text("--work", "DIR", "where the steps keep their outputs (default: out/reproduce/TABLE)");
        var results = CliOptions.Text("--results", "DIR", "where report.md, results.json and plots/ go (default: results/TABLE)");
        var root = CliOptions.DataRoot();
        var smoke = CliOptions.Flag("--smoke", "tiny schedules and data subsets that check the pipeline in a minute or two; the numbers mean nothing " +
                                               "(default directories get a -smoke suffix, the report goes under the work directory)");
        var command = new Command("reproduce", "Reproduce a paper's table (or run the five-minute demo): train, fit every method, evaluate, and write the report.")
        {
            table, seeds, fresh, map, adjoint, work, results, root, smoke,
        };
        command.SetAction(p =>
        {
            string name = p.GetRequiredValue(table);
            bool isSmoke = p.GetValue(smoke);
            string suffix = isSmoke ? "-smoke" : "";
            string workDir = p.GetValue(work) ?? Path.Combine("out", "reproduce", name + suffix);
            string resultsDir = p.GetValue(results) ?? (isSmoke ? Path.Combine(workDir, "report") : Path.Combine("results", name));
            string commandLine = "tools/tangent " + string.Join(' ', p.Tokens.Select(t => t.Value.Contains(' ') ? $"'{t.Value}'" : t.Value));
            var spec = ReproductionTables.Create(name, new TableOptions { Smoke = isSmoke, Adjoint = p.GetValue(adjoint) });
            var settings = new ReproductionSettings
            {
                WorkDirectory = workDir,
                Seeds = p.GetValue(seeds),
                Fresh = p.GetValue(fresh),
                MapCheckpoint = p.GetValue(map),
                DataRoot = p.GetValue(root),
                WritePlots = EvaluationPlots.Write,
                Command = commandLine,
            };
            return Run(spec, settings, resultsDir);
        });
        return command;
    }

    private static int Run(ReproductionTable table, ReproductionSettings settings, string resultsDir)
    {
        OutputFiles.CheckDirectoryWritable(settings.WorkDirectory, "--work");
        OutputFiles.CheckDirectoryWritable(resultsDir, "--results");
        if (settings.MapCheckpoint != null) Inputs.RequireFile(settings.MapCheckpoint, "--map");
        var backend = DeviceSelection.Default();
        Console.WriteLine($"reproduce {table.Name}{(table.Smoke ? " (smoke run)" : "")}: {settings.Seeds} seed{(settings.Seeds > 1 ? "s" : "")}, " +
                          $"steps in {settings.WorkDirectory}, report in {resultsDir}; device {backend.Info.Name}");
        ReproductionResult result;
        try
        {
            result = ConsoleProgress.Run(progress => new ReproductionRunner(table, settings, backend, new Observer(progress)).Run());
        }
        catch (ReproductionStepException e)
        {
            // Bad input found inside a step (a missing context set, a corrupt file) is a user error like any other;
            // anything else is a failure of the step, whose trace follows its line.
            Console.Error.WriteLine($"tangent reproduce: {CommandLine.OneLine(e)}");
            if (CommandLine.IsUserError(e.InnerException!)) return CommandLine.UsageError;
            Console.Error.WriteLine(e.InnerException);
            return 1;
        }
        var written = ReportFiles.Write(result, settings.WorkDirectory, resultsDir);
        Console.WriteLine();
        PrintTable(File.ReadAllText(Path.Combine(resultsDir, ReportFiles.Report)));
        Console.WriteLine();
        Console.WriteLine($"wrote {Path.Combine(resultsDir, ReportFiles.Report)}, {Path.Combine(resultsDir, ReportFiles.Results)} and {written.Count - 2} plots " +
                          $"({Clock(result.Run.Finished - result.Run.Started)} in all)");
        return 0;
    }

    /// <summary>The comparison table of the report, as it stands in the markdown.</summary>
    private static void PrintTable(string report)
    {
        int begin = report.IndexOf(ReportMarkdown.TableBegin, StringComparison.Ordinal), end = report.IndexOf(ReportMarkdown.TableEnd, StringComparison.Ordinal);
        if (begin < 0 || end < begin) return;
        Console.Write(report[(begin + ReportMarkdown.TableBegin.Length)..end].Trim('\n') + Environment.NewLine);
    }

    private static string Clock(TimeSpan t) => TrainCommand.Clock(t);

    /// <summary>
    /// Steps as lines ("[3/9] seed 0 fit-viking: …", then how it ended), the current step as a progress bar on a terminal;
    /// when the output is redirected, the step's progress as a line every <see cref="PlainInterval"/>.
    /// </summary>
    private sealed class Observer(ConsoleProgress progress) : IReproductionObserver
    {
        private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(30);
        private readonly System.Diagnostics.Stopwatch _sinceLine = new();
        private ConsoleProgress.Bar? _bar;
        private string _label = "";

        public void StepStarting(int index, int count, ulong seed, string step, string description)
        {
            _label = $"[{index}/{count}] seed {seed} {step}";
            progress.Line($"{_label}: {description}");
            _bar = progress.Start(_label, 1);
            _sinceLine.Restart();
        }

        public void StepProgress(double fraction, string text)
        {
            _bar?.Report(Math.Clamp(fraction, 0, 1), $"{_label}  {text}");
            if (ConsoleProgress.Live || _sinceLine.Elapsed < PlainInterval) return;
            progress.Line(string.Create(CultureInfo.InvariantCulture, $"      {100 * Math.Clamp(fraction, 0, 1),3:F0}%  {text}"));
            _sinceLine.Restart();
        }

        public void StepFinished(StepOutcome outcome)
        {
            _bar?.Finish();
            _bar = null;
            string seconds = outcome.Seconds.ToString("F1", CultureInfo.InvariantCulture);
            progress.Line(outcome.Action switch
            {
                StepAction.Reused => $"      reused (took {seconds} s when it ran)",
                StepAction.Ran => $"      done in {seconds} s",
                StepAction.Resumed => $"      resumed and done in {seconds} s",
                _ => $"      ran again and done in {seconds} s",
            });
        }

        public void Log(string line) => progress.Line(line);
    }
}
