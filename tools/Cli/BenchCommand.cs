namespace Tangent.Cli;

/// <summary><c>tangent bench &lt;suite&gt;</c>.</summary>
internal static class BenchCommand
{
    public static int Run(string[] args) => throw new NotSupportedException("bench: not implemented yet");
}
