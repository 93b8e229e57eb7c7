using System.CommandLine;
using Tangent.Cli;

namespace Tangent.Cli.Tests;

/// <summary>Every command, subcommands included, has generated help that lists all its options.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class HelpTests
{
    public static TheoryData<string> CommandPaths()
    {
        var paths = new TheoryData<string>();
        void Walk(Command c, string path)
        {
            foreach (var sub in c.Subcommands)
            {
                string p = path.Length == 0 ? sub.Name : $"{path} {sub.Name}";
                paths.Add(p);
                Walk(sub, p);
            }
        }
        Walk(CommandLine.Build(), "");
        return paths;
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public void HelpListsEveryOption(string path)
    {
        var (code, output, err) = CliRunner.Run([.. path.Split(' '), "--help"]);
        Assert.True(code == 0, err);
        Assert.Contains($"tangent {path}", output);
        Command command = CommandLine.Build();
        foreach (string name in path.Split(' ')) command = command.Subcommands.Single(c => c.Name == name);
        Assert.False(string.IsNullOrWhiteSpace(command.Description), $"'{path}' has no description");
        foreach (var option in command.Options) Assert.Contains(option.Name, output);
    }

    [Fact]
    public void NoArgumentsPrintsTheCommandsAndFails()
    {
        var (code, output, _) = CliRunner.Run();
        Assert.Equal(2, code);
        foreach (var name in new[] { "devices", "bench", "train", "evaluate", "fit" }) Assert.Contains(name, output);
    }
}
