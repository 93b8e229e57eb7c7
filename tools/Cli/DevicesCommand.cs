using System.CommandLine;
using System.Globalization;
using Tangent.Kernels.Backends;

namespace Tangent.Cli;

/// <summary><c>tangent devices</c>: the compute devices present, best first, and which one is the default.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var command = new Command("devices",
            $"List the compute devices present; '*' marks the default ({DeviceSelection.EnvironmentVariable} overrides it).");
        command.SetAction(_ => Run(Console.Out, Console.Error));
        return command;
    }

    /// <summary>The command with its output streams given (tests capture them).</summary>
    internal static int Run(TextWriter output, TextWriter error)
    {
        var devices = DeviceSelection.ListDevices();
        DeviceInfo? chosen = null;
        string? problem = null;
        try
        {
            chosen = DeviceSelection.Default().Info;
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException)
        {
            problem = e.Message;
        }
        Render(devices, chosen, Environment.GetEnvironmentVariable(DeviceSelection.EnvironmentVariable), output);
        if (problem is null) return 0;
        error.WriteLine($"tangent devices: no default device: {problem}");
        return CommandLine.UsageError;
    }

    /// <summary>Writes the device table; <paramref name="chosen"/> (the default) gets a '*'.</summary>
    internal static void Render(IReadOnlyList<DeviceInfo> devices, DeviceInfo? chosen, string? environment, TextWriter w)
    {
        string[] header = ["", "device", "selector", "memory", "SIMD", "details"];
        var rows = new List<string[]> { header };
        foreach (var d in devices)
        {
            bool isDefault = chosen is not null && d.Kind == chosen.Kind && d.Name == chosen.Name;
            rows.Add([
                isDefault ? "*" : "",
                d.Name,
                d.SelectorName,
                string.Create(CultureInfo.InvariantCulture, $"{d.MemoryBytes / (double)(1L << 30):F1} GiB"),
                d.SimdWidthBits.ToString(CultureInfo.InvariantCulture),
                d.Details,
            ]);
        }
        var width = new int[header.Length];
        foreach (var r in rows)
            for (int c = 0; c < r.Length; c++) width[c] = Math.Max(width[c], r[c].Length);
        foreach (var r in rows)
        {
            var line = new System.Text.StringBuilder();
            for (int c = 0; c < r.Length; c++)
            {
                // Numbers right-aligned, text left-aligned; the last column is not padded.
                string cell = c is 3 or 4 ? r[c].PadLeft(width[c]) : c == r.Length - 1 ? r[c] : r[c].PadRight(width[c]);
                if (c > 0) line.Append("  ");
                line.Append(cell);
            }
            w.WriteLine(line.ToString().TrimEnd());
        }
        w.WriteLine();
        if (devices.Count == 0) w.WriteLine("No devices found.");
        string why = string.IsNullOrWhiteSpace(environment)
            ? $"{DeviceSelection.EnvironmentVariable} unset: best available, cuda > opencl GPU > cpu"
            : $"{DeviceSelection.EnvironmentVariable}={environment}";
        w.WriteLine(chosen is null
            ? $"default: none ({why})"
            : $"* default: {chosen.Name} [{chosen.SelectorName}] ({why})");
    }
}
