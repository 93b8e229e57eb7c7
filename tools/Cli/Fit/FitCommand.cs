using System.CommandLine;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent fit METHOD …</c>: fits a posterior around a MAP checkpoint and writes a posterior file that
/// <c>tangent evaluate</c> reads.
/// <para>
/// Adding a method is one new file, <c>tools/Cli/Fit/Fit&lt;Method&gt;Command.cs</c>, and no edit elsewhere: a sealed
/// class deriving from <see cref="FitSubcommand"/> with a parameterless constructor, whose <see cref="FitSubcommand.Create"/>
/// returns the <c>Command</c> (name = the method as in posterior files, e.g. <c>scalla</c>). Take the shared options
/// and the loading of the MAP network and data from <see cref="FitInputs"/>, so every method checks its output paths
/// before fitting, names the flag and file in its errors, and shows progress the same way (<see cref="ConsoleProgress"/>).
/// </para>
/// </summary>
internal static class FitCommand
{
    public static Command Create()
    {
        var command = new Command("fit", "Fit a posterior around a MAP checkpoint and write a posterior file for 'tangent evaluate'.");
        foreach (var method in Methods()) command.Subcommands.Add(method.Create());
        return command;
    }

    /// <summary>Every <see cref="FitSubcommand"/> in this program, by name.</summary>
    internal static IEnumerable<FitSubcommand> Methods() =>
        typeof(FitSubcommand).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(FitSubcommand)) && !t.IsAbstract)
            .Select(t => (FitSubcommand)Activator.CreateInstance(t)!)
            .OrderBy(m => m.GetType().Name, StringComparer.Ordinal);
}

/// <summary>One <c>tangent fit METHOD</c> subcommand (one file each, found by <see cref="FitCommand"/>).</summary>
internal abstract class FitSubcommand
{
    /// <summary>The subcommand with its options and action.</summary>
    public abstract Command Create();
}
