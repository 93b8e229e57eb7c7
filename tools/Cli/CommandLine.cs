using System.CommandLine;
using System.CommandLine.Parsing;
using Tangent.Inference.Posteriors;
using Tangent.Kernels.Backends;
using Tangent.Models.Checkpoints;
using Tangent.Models.Data;

namespace Tangent.Cli;

/// <summary>
/// The <c>tangent</c> program on System.CommandLine: one file per command (<c>DevicesCommand</c>, <c>BenchCommand</c>,
/// <c>TrainCommand</c>, <c>EvaluateCommand</c>, <c>FitCommand</c> with one file per method under <c>Fit/</c>), each
/// with a static <c>Create()</c> returning its <see cref="Command"/>. Every failure a user can cause ends as one line
/// <c>tangent CMD: message</c> on stderr and exit code <see cref="UsageError"/>: parse errors (unknown command or
/// option, missing or malformed value) here, bad files and values as the exceptions listed in <see cref="IsUserError"/>.
/// </summary>
internal static class CommandLine
{
    /// <summary>Exit code of every error the user can cause.</summary>
    public const int UsageError = 2;

    /// <summary>The command tree.</summary>
    public static RootCommand Build()
    {
        var root = new RootCommand(
            "Tangent: train networks and fit Bayesian posteriors around them (Laplace, ScaLLA, VIKING).\n" +
            "Environment: TANGENT_DEVICE=cpu|cuda|opencl|ilgpu-cpu picks the backend; TANGENT_THREADS caps CPU threads; " +
            "TANGENT_DATA is the data root.")
        {
            HelpName = "tangent",
        };
        root.Subcommands.Add(DevicesCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvaluateCommand.Create());
        root.Subcommands.Add(FitCommand.Create());
        root.Subcommands.Add(ReproduceCommand.Create());
        return root;
    }

    /// <summary>Parses and runs <paramref name="args"/>; returns the exit code. Output goes to <see cref="Console"/>.</summary>
    public static int Run(string[] args)
    {
        if (args is ["help"]) args = ["--help"];
        var root = Build();
        var parse = root.Parse(args);
        if (args.Length == 0)
        {
            parse = root.Parse(["--help"]);
            parse.Invoke(Invocation());
            return UsageError;
        }
        if (parse.Errors.Count > 0)
        {
            Console.Error.WriteLine($"{Prefix(parse.CommandResult.Command)}: {ParseErrors.Describe(parse)}");
            return UsageError;
        }
        try
        {
            return parse.Invoke(Invocation());
        }
        catch (Exception e) when (IsUserError(e))
        {
            Console.Error.WriteLine($"{Prefix(parse.CommandResult.Command)}: {OneLine(e)}");
            return UsageError;
        }
    }

    private static InvocationConfiguration Invocation() =>
        new() { EnableDefaultExceptionHandler = false, Output = Console.Out, Error = Console.Error };

    /// <summary>"tangent fit last-layer" for a subcommand: the names from the root down.</summary>
    internal static string Prefix(Command command)
    {
        var names = new List<string>();
        for (Symbol? s = command; s is Command c; s = s.Parents.FirstOrDefault())
            names.Insert(0, c is RootCommand ? "tangent" : c.Name);
        if (names.Count == 0 || names[0] != "tangent") names.Insert(0, "tangent");
        return string.Join(' ', names);
    }

    /// <summary>
    /// Exceptions that report bad input (files, values, devices), not bugs: the engine and readers throw these with
    /// messages that name the file, tensor or value.
    /// </summary>
    internal static bool IsUserError(Exception e) =>
        e is ArgumentException or InvalidOperationException or IOException or InvalidDataException or NotSupportedException
            or UnauthorizedAccessException or FormatException or System.Text.Json.JsonException
            or DataFormatException or CheckpointFormatException or CheckpointMismatchException or InferenceDataException
            or DeviceOutOfMemoryException;

    /// <summary>The message on one line, without .NET's " (Parameter 'x')" suffix.</summary>
    internal static string OneLine(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } p } && message.EndsWith($" (Parameter '{p}')", StringComparison.Ordinal))
            message = message[..^$" (Parameter '{p}')".Length];
        return string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
