using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Algorithms;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Tangent.Kernels.Cpu;
using Tangent.Kernels.Ilgpu;

namespace Tangent.Kernels.Backends;

public static partial class DeviceSelection
{
    /// <summary>ILGPU's optimisation level for every context Tangent creates: PoCL miscompiles (fails to build) kernels emitted at O1.</summary>
    public const OptimizationLevel KernelOptimization = OptimizationLevel.O2;

    /// <summary>What to install when no OpenCL device is present.</summary>
    public const string OpenClInstallHint =
        "install an OpenCL runtime, e.g. PoCL on Debian/Ubuntu: 'apt-get install pocl-opencl-icd ocl-icd-opencl-dev' " +
        "(ILGPU loads libOpenCL.so, which only the -dev package links)";

    private static readonly object Gate = new();
    private static readonly Dictionary<DeviceKind, Backend> Backends = new();
    private static IReadOnlyList<DeviceInfo>? _devices;

    /// <summary>
    /// Every device present on this machine, best first: CUDA GPUs, OpenCL GPUs, the managed <c>cpu</c> backend,
    /// other OpenCL devices (PoCL's CPU device), ILGPU's CPU accelerator. Probed once per process.
    /// </summary>
    public static IReadOnlyList<DeviceInfo> ListDevices()
    {
        lock (Gate)
            return _devices ??= Probe();
    }

    /// <summary>
    /// The backend of the given kind: <c>cpu</c> is the managed singleton; <c>cuda</c>, <c>opencl</c> and
    /// <c>ilgpu-cpu</c> are ILGPU backends created on first use (one per kind per process, thread-safe) on the best
    /// device of that kind. Throws <see cref="InvalidOperationException"/> naming the kind and listing the devices
    /// present when there is none.
    /// </summary>
    public static Backend Create(DeviceKind kind)
    {
        if (kind == DeviceKind.Cpu) return CpuBackend.Instance;
        lock (Gate)
        {
            if (Backends.TryGetValue(kind, out var existing)) return existing;
            var backend = kind switch
            {
                DeviceKind.Cuda => CreateCuda(),
                DeviceKind.OpenCL => CreateOpenCL(),
                DeviceKind.IlgpuCpu => CreateIlgpuCpu(),
                _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"Unknown device kind. Valid names: {string.Join(", ", Names)}."),
            };
            Backends[kind] = backend;
            return backend;
        }
    }

    /// <summary>
    /// The backend named by <c>TANGENT_DEVICE</c> (an unknown name throws, listing the valid ones), else the best
    /// available: cuda &gt; an OpenCL GPU &gt; cpu. An OpenCL CPU device (PoCL) is never preferred over <c>cpu</c>.
    /// </summary>
    public static Backend Default()
    {
        var name = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(name)) return Create(Parse(name));
        var devices = ListDevices();
        if (devices.Any(d => d.Kind == DeviceKind.Cuda)) return Create(DeviceKind.Cuda);
        if (devices.Any(d => d.Kind == DeviceKind.OpenCL && d.Details.StartsWith(GpuTag, StringComparison.Ordinal)))
            return Create(DeviceKind.OpenCL);
        return CpuBackend.Instance;
    }

    // ---------------------------------------------------------------- probing

    private const string GpuTag = "OpenCL GPU";

    private static List<DeviceInfo> Probe()
    {
        var cuda = new List<DeviceInfo>();
        var clGpu = new List<DeviceInfo>();
        var clOther = new List<DeviceInfo>();
        // The probe context only enumerates (no accelerator is created); accept every OpenCL device so that PoCL,
        // which ILGPU's default predicate rejects, is listed too.
        using (var context = Context.Create(b => b.Cuda().OpenCL(_ => true)))
        {
            foreach (var d in Devices<CudaDevice>(context).OrderByDescending(d => d.MemorySize))
                cuda.Add(new DeviceInfo(d.Name, DeviceKind.Cuda, d.MemorySize, d.WarpSize * 32,
                    $"CUDA {d.Architecture?.ToString() ?? "unknown arch"}, {d.NumMultiprocessors} SMs, driver {d.DriverVersion}"));
            foreach (var d in OpenClByPreference(context))
            {
                bool gpu = d.DeviceType.HasFlag(CLDeviceType.CL_DEVICE_TYPE_GPU);
                (gpu ? clGpu : clOther).Add(new DeviceInfo(d.Name, DeviceKind.OpenCL, d.MemorySize, OpenClSimdBits(d),
                    $"{(gpu ? GpuTag : "OpenCL " + d.DeviceType.ToString().Replace("CL_DEVICE_TYPE_", "", StringComparison.Ordinal))}, " +
                    $"{d.PlatformName} (OpenCL {d.DeviceVersion}), {d.NumMultiprocessors} compute units" +
                    (d.Capabilities.GenericAddressSpace ? "" : ", no generic address space (overridden)")));
            }
        }
        var list = new List<DeviceInfo>();
        list.AddRange(cuda);
        list.AddRange(clGpu);
        list.Add(CpuBackend.Instance.Info);
        list.AddRange(clOther);
        list.Add(new DeviceInfo("CPUAccelerator", DeviceKind.IlgpuCpu, GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, 32,
            "simulated GPU threads on OS threads, for kernel debugging only"));
        return list;
    }

    /// <summary>OpenCL devices of a context, GPUs first, then by memory.</summary>
    private static IEnumerable<CLDevice> OpenClByPreference(Context context) => Devices<CLDevice>(context)
        .OrderByDescending(d => d.DeviceType.HasFlag(CLDeviceType.CL_DEVICE_TYPE_GPU))
        .ThenByDescending(d => d.MemorySize);

    /// <summary>The devices of one type in a context (ILGPU's device collection is a struct enumerable, not LINQ-ready).</summary>
    private static List<TDevice> Devices<TDevice>(Context context) where TDevice : Device
    {
        var list = new List<TDevice>();
        foreach (var d in context.Devices)
            if (d is TDevice t) list.Add(t);
        return list;
    }

    /// <summary>Native float vector width in bits (PoCL on AVX-512 reports 16 lanes); the warp width for GPUs when known.</summary>
    private static int OpenClSimdBits(CLDevice d)
    {
        if (d.WarpSize > 0) return d.WarpSize * 32;
        return d.GetDeviceInfo(CLDeviceInfoType.CL_DEVICE_NATIVE_VECTOR_WIDTH_FLOAT, out int lanes) == CLError.CL_SUCCESS && lanes > 0
            ? lanes * 32
            : 32;
    }

    // ---------------------------------------------------------------- creation

    private static IlgpuBackend CreateCuda()
    {
        var context = Context.Create(b => Configure(b.Cuda(), DeviceKind.Cuda));
        var device = Devices<CudaDevice>(context).OrderByDescending(d => d.MemorySize).FirstOrDefault();
        if (device is null)
        {
            context.Dispose();
            throw Absent(DeviceKind.Cuda, "no CUDA device (or no CUDA driver) was found");
        }
        return Build(context, device, DeviceKind.Cuda);
    }

    /// <summary>
    /// The settings of the ILGPU context of a backend kind. Always O2 (PoCL fails to build kernels emitted at O1).
    /// CUDA also gets ILGPU.Algorithms' math intrinsics: ILGPU's PTX backend has no implementation of Math.Exp, Log,
    /// Tanh, … of its own (only libdevice, which needs the CUDA toolkit), so without them every functor using those
    /// fails to compile for CUDA. OpenCL does not get them: OpenCL C has these functions built in, and the software
    /// versions made PoCL's kernel builds about 4× slower (elementwise tests: 36 s vs 9.5 s of CPU time). Only the math
    /// intrinsics are used: the kernels call no ILGPU.Algorithms group collectives.
    /// </summary>
    internal static Context.Builder Configure(Context.Builder builder, DeviceKind kind) =>
        (kind == DeviceKind.Cuda ? builder.EnableAlgorithms() : builder).Optimize(KernelOptimization);

    private static IlgpuBackend CreateOpenCL()
    {
        var context = Context.Create(b => Configure(b.OpenCL(_ => true), DeviceKind.OpenCL));
        var device = OpenClByPreference(context).FirstOrDefault();
        if (device is null)
        {
            context.Dispose();
            throw Absent(DeviceKind.OpenCL, $"no OpenCL device was found; {OpenClInstallHint}");
        }
        // PoCL (3.x) reports CL_DEVICE_GENERIC_ADDRESS_SPACE_SUPPORT = false, and ILGPU 1.5.3's CLAccelerator
        // constructor then refuses the device outright. Tangent's kernels use global and shared memory only, which
        // PoCL compiles fine, so the capability is overridden on this (explicitly chosen) device.
        if (!device.Capabilities.GenericAddressSpace)
            SetGenericAddressSpace(device.Capabilities, true);
        return Build(context, device, DeviceKind.OpenCL);
    }

    private static IlgpuBackend CreateIlgpuCpu()
    {
        var context = Context.Create(b => Configure(b.CPU(), DeviceKind.IlgpuCpu));
        return new IlgpuBackend(context, context.CreateCPUAccelerator(0), DeviceKind.IlgpuCpu);
    }

    private static IlgpuBackend Build(Context context, Device device, DeviceKind kind)
    {
        try
        {
            return new IlgpuBackend(context, device.CreateAccelerator(context), kind);
        }
        catch (Exception e)
        {
            context.Dispose();
            throw new InvalidOperationException($"device '{NameOf(kind)}' ({device.Name}) is present but could not be opened: {e.Message}", e);
        }
    }

    private static InvalidOperationException Absent(DeviceKind kind, string why)
    {
        var present = ListDevices();
        return new InvalidOperationException(
            $"device '{NameOf(kind)}' is not available: {why}. Present: " +
            string.Join(", ", present.Select(d => $"{d.SelectorName} ({d.Name})")) + ".");
    }

    /// <summary>
    /// The non-public setter of <see cref="CLCapabilityContext.GenericAddressSpace"/> (ILGPU 1.5.3 has no public way
    /// to override a capability). Bound by name at first call: a rename in ILGPU fails loudly with
    /// <see cref="MissingMethodException"/>, and a test pins that the override is still applied and needed.
    /// </summary>
    [UnsafeAccessor(UnsafeAccessorKind.Method, Name = "set_GenericAddressSpace")]
    internal static extern void SetGenericAddressSpace(CLCapabilityContext capabilities, bool value);
}
