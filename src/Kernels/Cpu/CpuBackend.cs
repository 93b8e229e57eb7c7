using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Cpu;

/// <summary>
/// The default backend: managed kernels on System.Runtime.Intrinsics (Vector512 where the processor has it,
/// else Vector256, else scalar), multi-threaded through <see cref="CpuParallel"/>. Buffers are pinned host arrays.
/// </summary>
public sealed partial class CpuBackend : Backend
{
    /// <summary>The process-wide CPU backend (it holds no state that needs more than one).</summary>
    public static CpuBackend Instance { get; } = new();

    private readonly string _name = CpuName();
    private readonly long _memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
    private DeviceInfo? _info;

    private CpuBackend() { }

    /// <summary>Vector width in bits used by the kernels (512, 256, or 32 for scalar).</summary>
    public static int SimdWidth => Vector512.IsHardwareAccelerated ? 512 : Vector256.IsHardwareAccelerated ? 256 : 32;

    /// <inheritdoc />
    /// <remarks>The description names the current <see cref="CpuParallel.ThreadCount"/>.</remarks>
    public override DeviceInfo Info
    {
        get
        {
            string description = $"{CpuParallel.ThreadCount} threads, {(SimdWidth == 32 ? "scalar" : $"Vector{SimdWidth}")}";
            var info = _info;
            if (info is null || info.Details != description)
                _info = info = new DeviceInfo(_name, DeviceKind.Cpu, _memory, SimdWidth, description);
            return info;
        }
    }

    /// <inheritdoc />
    public override DeviceBuffer<T> Allocate<T>(int length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), $"buffer length {length} is negative.");
        long bytes = (long)length * Unsafe.SizeOf<T>();
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes - GC.GetTotalMemory(false);
        if (bytes > available) throw new DeviceOutOfMemoryException(Info.Name, bytes, available);
        try
        {
            return new CpuBuffer<T>(this, length);
        }
        catch (OutOfMemoryException e)
        {
            throw new DeviceOutOfMemoryException(Info.Name, bytes, available, e);
        }
    }

    /// <inheritdoc />
    public override void Synchronize() { }

    /// <inheritdoc />
    public override void Dispose() { }

    /// <summary>The span a view covers (CPU buffers only).</summary>
    internal static Span<T> SpanOf<T>(BufferView<T> view) where T : unmanaged
    {
        if (view.Buffer is not CpuBuffer<T> b)
            throw new ArgumentException($"A {view.Buffer?.GetType().Name ?? "null"} buffer was passed to the cpu backend.");
        return b.Array.AsSpan(view.Offset, view.Length);
    }

    /// <summary>A pointer to the first element of a view (CPU buffers are pinned for life).</summary>
    internal static unsafe T* PtrOf<T>(BufferView<T> view) where T : unmanaged
    {
        if (view.Buffer is not CpuBuffer<T> b)
            throw new ArgumentException($"A {view.Buffer?.GetType().Name ?? "null"} buffer was passed to the cpu backend.");
        return b.Pointer + view.Offset;
    }

    /// <summary>Reinterprets a span of T as float or double (T is known to be that type).</summary>
    internal static Span<TTo> As<T, TTo>(Span<T> s) where T : unmanaged where TTo : unmanaged => MemoryMarshal.Cast<T, TTo>(s);

    private static string CpuName()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
                if (line.StartsWith("model name", StringComparison.Ordinal))
                    return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture + " CPU";
    }
}

/// <summary>A CPU buffer: a pinned, zero-filled managed array.</summary>
internal sealed unsafe class CpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    public CpuBuffer(CpuBackend backend, int length) : base(backend, length)
    {
        Array = GC.AllocateArray<T>(length, pinned: true);
        Pointer = (T*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(Array));
    }

    public T[] Array { get; }
    public T* Pointer { get; }

    protected override void CopyFromCore(ReadOnlySpan<T> source, int offset) => source.CopyTo(Array.AsSpan(offset));
    protected override void CopyToCore(Span<T> destination, int offset) => Array.AsSpan(offset, destination.Length).CopyTo(destination);
    protected override void Release() { }
}
