namespace Tangent.Kernels.Backends;

/// <summary>Names of backends and the choice of the default one.</summary>
public static partial class DeviceSelection
{
    /// <summary>The environment variable that picks the backend: <c>cpu</c>, <c>cuda</c>, <c>opencl</c> or <c>ilgpu-cpu</c>.</summary>
    public const string EnvironmentVariable = "TANGENT_DEVICE";

    /// <summary>Every name accepted by <see cref="EnvironmentVariable"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cpu", "cuda", "opencl", "ilgpu-cpu"];

    /// <summary>The selector name of a kind.</summary>
    public static string NameOf(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => "cuda",
        DeviceKind.OpenCL => "opencl",
        DeviceKind.IlgpuCpu => "ilgpu-cpu",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Parses a selector name, or throws listing the valid names.</summary>
    public static DeviceKind Parse(string name)
    {
        for (int i = 0; i < Names.Count; i++)
            if (string.Equals(Names[i], name?.Trim(), StringComparison.OrdinalIgnoreCase))
                return (DeviceKind)i;
        throw new ArgumentException($"Unknown device '{name}'. Valid names: {string.Join(", ", Names)}.");
    }
}
