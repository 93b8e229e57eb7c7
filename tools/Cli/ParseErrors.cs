using System.CommandLine;
using System.CommandLine.Parsing;

namespace Tangent.Cli;

/// <summary>The first parse error of a command line, as one sentence that names the option or token and lists what is valid.</summary>
internal static class ParseErrors
{
    public static string Describe(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        if (parse.UnmatchedTokens.Count > 0)
        {
            string token = parse.UnmatchedTokens[0];
            if (token.StartsWith('-'))
                return $"unknown option '{token}'. Options: {string.Join(", ", VisibleOptions(command))}.";
            return command.Subcommands.Count > 0
                ? $"unknown command '{token}'. Commands: {string.Join(", ", command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name))}."
                : $"unexpected argument '{token}' (see '{CommandLine.Prefix(command)} --help').";
        }
        var error = parse.Errors[0];
        switch (error.SymbolResult)
        {
            case OptionResult { Implicit: true, Option.Required: true } o:
                return $"{o.Option.Name} {o.Option.HelpName ?? "VALUE"} is required.";
            case OptionResult o when o.Tokens.Count == 0:
                return $"{o.Option.Name} needs a value ({o.Option.HelpName ?? "VALUE"}).";
            case CommandResult c when c.Command.Subcommands.Count > 0 && c.Command.Action is null:
                return $"needs a command: {string.Join(", ", c.Command.Subcommands.Select(s => s.Name))}.";
        }
        return error.Message;
    }

    private static IEnumerable<string> VisibleOptions(Command command) =>
        command.Options.Where(o => !o.Hidden).Select(o => o.Name).Where(n => n is not "--help" and not "--version").Append("--help");
}
