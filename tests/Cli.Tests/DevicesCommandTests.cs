using Tangent.Cli;
using Tangent.Kernels.Backends;

namespace Tangent.Cli.Tests;

public sealed class DevicesCommandTests
{
    private static readonly DeviceInfo Cpu = new("Test CPU", DeviceKind.Cpu, 24L << 30, 512, "2 threads, Vector512");
    private static readonly DeviceInfo Gpu = new("Test GPU", DeviceKind.Cuda, 3L << 29, 1024, "sm_80");

    private static string[] Lines(IReadOnlyList<DeviceInfo> devices, DeviceInfo? chosen, string? env)
    {
        var w = new StringWriter();
        DevicesCommand.Render(devices, chosen, env, w);
        return w.ToString().Split('\n', StringSplitOptions.TrimEntries);
    }

    [Fact]
    public void ListsEveryDeviceWithSelectorMemoryAndSimdWidth()
    {
        var lines = Lines([Gpu, Cpu], Gpu, null);
        Assert.Contains("device", lines[0]);
        string gpu = lines.Single(l => l.Contains("Test GPU") && !l.Contains("default"));
        string cpu = lines.Single(l => l.Contains("Test CPU") && !l.Contains("default"));
        Assert.StartsWith("*", gpu);
        Assert.DoesNotContain("*", cpu);
        Assert.Contains("cuda", gpu);
        Assert.Contains("1.5 GiB", gpu);
        Assert.Contains("1024", gpu);
        Assert.Contains("cpu", cpu);
        Assert.Contains("24.0 GiB", cpu);
        Assert.Contains("512", cpu);
        Assert.Contains("2 threads, Vector512", cpu);
        Assert.Contains(lines, l => l.StartsWith("* default: Test GPU [cuda]") && l.Contains("TANGENT_DEVICE unset"));
    }

    [Fact]
    public void NamesTheEnvironmentChoice()
    {
        var lines = Lines([Gpu, Cpu], Cpu, "cpu");
        Assert.StartsWith("*", lines.Single(l => l.Contains("Test CPU") && !l.Contains("default")));
        Assert.Contains(lines, l => l.Contains("TANGENT_DEVICE=cpu"));
    }

    [Fact]
    public void RunListsTheRealCpu()
    {
        var w = new StringWriter();
        int rc = DevicesCommand.Run(w, new StringWriter());
        // The test host does not set TANGENT_DEVICE to a bad name, so a default exists.
        Assert.Equal(0, rc);
        Assert.Contains(" cpu ", w.ToString());
        Assert.Contains("* default:", w.ToString());
    }
}
