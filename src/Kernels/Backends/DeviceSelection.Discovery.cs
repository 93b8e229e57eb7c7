using Tangent.Kernels.Cpu;

namespace Tangent.Kernels.Backends;

public static partial class DeviceSelection
{
    /// <summary>Every device present on this machine, best first.</summary>
    public static IReadOnlyList<DeviceInfo> ListDevices() => [CpuBackend.Instance.Info];

    /// <summary>Creates (or returns the shared instance of) the backend of the given kind; throws if absent.</summary>
    public static Backend Create(DeviceKind kind) => kind == DeviceKind.Cpu
        ? CpuBackend.Instance
        : throw new NotSupportedException($"device '{NameOf(kind)}': not implemented yet");

    /// <summary>The backend named by TANGENT_DEVICE, else the best available (cuda &gt; opencl GPU &gt; cpu).</summary>
    public static Backend Default()
    {
        var name = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return string.IsNullOrWhiteSpace(name) ? CpuBackend.Instance : Create(Parse(name));
    }
}
