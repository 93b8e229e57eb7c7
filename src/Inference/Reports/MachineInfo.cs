using System.Globalization;
using System.Runtime.InteropServices;
using Tangent.Kernels.Backends;

namespace Tangent.Inference.Reports;

/// <summary>The machine a report was produced on, as its report states it.</summary>
/// <param name="Processor">The CPU model (from /proc/cpuinfo where there is one).</param>
/// <param name="Cores">Logical processors .NET sees.</param>
/// <param name="MemoryGiB">Physical memory in GiB (0 when unknown).</param>
/// <param name="OperatingSystem">OS description.</param>
/// <param name="Runtime">.NET runtime.</param>
/// <param name="Device">The backend's device and kind.</param>
/// <param name="Threads">TANGENT_THREADS when set, else the processor count.</param>
public sealed record MachineInfo(string Processor, int Cores, double MemoryGiB, string OperatingSystem, string Runtime, string Device, int Threads)
{
    /// <summary>The machine this process runs on, computing on <paramref name="backend"/>.</summary>
    public static MachineInfo Detect(Backend backend)
    {
        string processor = RuntimeInformation.ProcessArchitecture.ToString();
        double memory = 0;
        if (File.Exists("/proc/cpuinfo"))
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line != null) processor = line[(line.IndexOf(':') + 1)..].Trim();
        }
        if (File.Exists("/proc/meminfo"))
        {
            string? line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (line != null && long.TryParse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], out long kib)) memory = kib / 1048576.0;
        }
        int threads = int.TryParse(Environment.GetEnvironmentVariable("TANGENT_THREADS"), out int t) && t > 0 ? t : Environment.ProcessorCount;
        return new MachineInfo(processor, Environment.ProcessorCount, Math.Round(memory, 1), RuntimeInformation.OSDescription,
            RuntimeInformation.FrameworkDescription, $"{backend.Info.Name} ({backend.Info.SelectorName})", threads);
    }

    /// <summary>The 1-minute load average (Linux), or null: a busy machine makes every time in a report longer.</summary>
    public static double? LoadAverage()
    {
        if (!File.Exists("/proc/loadavg")) return null;
        string first = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        return double.TryParse(first, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v : null;
    }

    /// <summary>One line for reports.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Processor}, {Cores} logical cores ({Threads} used), {MemoryGiB:F0} GiB; {OperatingSystem}; {Runtime}; device {Device}");
}
