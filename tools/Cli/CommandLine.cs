namespace Tangent.Cli;

/// <summary>The <c>tangent</c> program: dispatches to one class per command (one file each).</summary>
internal static class CommandLine
{
    /// <summary>Command name → (summary, entry point). Each entry point returns the process exit code.</summary>
    internal static readonly (string Name, string Summary, Func<string[], int> Run)[] Commands =
    [
        ("devices", "list the compute devices present", DevicesCommand.Run),
        ("bench", "run a benchmark suite: tangent bench <suite> [--json PATH]", BenchCommand.Run),
        ("train", "train a zoo model: tangent train --model fmnist-cnn --data fmnist --epochs 40 --out map.safetensors", TrainCommand.Run),
        ("evaluate", "test accuracy and NLL of a checkpoint: tangent evaluate --model map.safetensors --data fmnist", EvaluateCommand.Run),
    ];

    /// <summary>Runs the command named by the first argument; errors become one line on stderr and exit code 2.</summary>
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            PrintUsage(Console.Out);
            return args.Length == 0 ? 2 : 0;
        }
        foreach (var c in Commands)
        {
            if (c.Name != args[0]) continue;
            try
            {
                return c.Run(args[1..]);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException
                                          or InvalidDataException or NotSupportedException or UnauthorizedAccessException
                                          or Tangent.Kernels.Backends.DeviceOutOfMemoryException)
            {
                Console.Error.WriteLine($"tangent {c.Name}: {e.Message}");
                return 2;
            }
        }
        Console.Error.WriteLine($"tangent: unknown command '{args[0]}'. Commands: {string.Join(", ", Commands.Select(c => c.Name))}.");
        return 2;
    }

    private static void PrintUsage(TextWriter w)
    {
        w.WriteLine("usage: tangent <command> [options]");
        w.WriteLine();
        foreach (var c in Commands) w.WriteLine($"  {c.Name,-10} {c.Summary}");
        w.WriteLine();
        w.WriteLine("Environment: TANGENT_DEVICE=cpu|cuda|opencl|ilgpu-cpu picks the backend; TANGENT_THREADS caps CPU threads.");
    }
}
