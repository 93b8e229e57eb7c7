namespace Tangent.Kernels.Backends;

/// <summary>The kinds of compute backend Tangent can run on.</summary>
public enum DeviceKind
{
    /// <summary>Managed SIMD kernels on the host processor (the default).</summary>
    Cpu,
    /// <summary>ILGPU kernels on an NVIDIA GPU through CUDA.</summary>
    Cuda,
    /// <summary>ILGPU kernels on an OpenCL device (a GPU, or PoCL on the CPU).</summary>
    OpenCL,
    /// <summary>ILGPU's CPU accelerator: simulated GPU threads, for kernel debugging only.</summary>
    IlgpuCpu,
}

/// <summary>What a device is, as listed by <c>tangent devices</c>.</summary>
/// <param name="Name">Device name as the driver reports it.</param>
/// <param name="Kind">Backend kind.</param>
/// <param name="MemoryBytes">Memory available to the backend, in bytes.</param>
/// <param name="SimdWidthBits">Vector width of the CPU path (512, 256 or the scalar 32); warp width × 32 for GPUs.</param>
/// <param name="Details">Free text: driver, compute capability, thread count.</param>
public sealed record DeviceInfo(string Name, DeviceKind Kind, long MemoryBytes, int SimdWidthBits, string Details)
{
    /// <summary>The name accepted by <c>TANGENT_DEVICE</c> for this kind.</summary>
    public string SelectorName => DeviceSelection.NameOf(Kind);
}

/// <summary>Raised when a backend cannot allocate the memory asked for.</summary>
public sealed class DeviceOutOfMemoryException : Exception
{
    /// <summary>Creates the exception naming the request and what is available.</summary>
    public DeviceOutOfMemoryException(string device, long requestedBytes, long availableBytes, Exception? inner = null)
        : base($"Out of memory on {device}: asked for {requestedBytes:N0} bytes, {availableBytes:N0} bytes available.", inner)
    {
        Device = device;
        RequestedBytes = requestedBytes;
        AvailableBytes = availableBytes;
    }

    /// <summary>Device name.</summary>
    public string Device { get; }
    /// <summary>Bytes requested.</summary>
    public long RequestedBytes { get; }
    /// <summary>Bytes that were available.</summary>
    public long AvailableBytes { get; }
}
