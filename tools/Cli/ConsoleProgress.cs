using Spectre.Console;

namespace Tangent.Cli;

/// <summary>
/// Progress of long work: on a terminal a Spectre.Console progress bar (description, bar, percentage, time left) with
/// finished lines printed above it; when the output is redirected only the finished lines, as plain text, so logs
/// stay readable.
/// </summary>
internal sealed class ConsoleProgress
{
    private readonly ProgressContext? _context;

    private ConsoleProgress(ProgressContext? context) => _context = context;

    /// <summary>True when stdout is a terminal (live bars); false when redirected (plain lines only).</summary>
    public static bool Live => !Console.IsOutputRedirected;

    /// <summary>Runs <paramref name="work"/> with a progress display; returns what it returns.</summary>
    public static T Run<T>(Func<ConsoleProgress, T> work)
    {
        if (!Live) return work(new ConsoleProgress(null));
        return AnsiConsole.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context => work(new ConsoleProgress(context)));
    }

    /// <summary>A line that stays (an epoch's summary, a result): above the bars on a terminal, plain otherwise.</summary>
    public void Line(string text)
    {
        if (_context is null) Console.WriteLine(text);
        else AnsiConsole.WriteLine(text);
    }

    /// <summary>A bar counting to <paramref name="total"/>; a no-op when the output is redirected.</summary>
    public Bar Start(string description, double total) => new(_context?.AddTask(Markup.Escape(description), maxValue: total));

    /// <summary>One progress bar.</summary>
    public sealed class Bar(ProgressTask? task)
    {
        /// <summary>Sets the count done (and, when given, a new description).</summary>
        public void Report(double value, string? description = null)
        {
            if (task is null) return;
            task.Value = value;
            if (description is not null) task.Description = Markup.Escape(description);
        }

        /// <summary>Marks the bar finished (it disappears).</summary>
        public void Finish()
        {
            if (task is null) return;
            task.Value = task.MaxValue;
            task.StopTask();
        }
    }
}
