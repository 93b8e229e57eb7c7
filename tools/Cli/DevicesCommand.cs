namespace Tangent.Cli;

/// <summary><c>tangent devices</c>.</summary>
internal static class DevicesCommand
{
    public static int Run(string[] args) => throw new NotSupportedException("devices: not implemented yet");
}
