using ILGPU;
using ILGPU.Runtime;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Ilgpu;

/// <summary>
/// The ILGPU backend: the kernel catalogue as ILGPU kernels on one accelerator (CUDA, OpenCL, or ILGPU's CPU
/// accelerator for debugging). Kernels are compiled once per element type and functor, then cached.
/// </summary>
public sealed partial class IlgpuBackend : Backend
{
    private readonly Dictionary<(string Name, Type Key), Delegate> _kernels = new();

    /// <summary>Creates a backend on an accelerator of <paramref name="context"/>; the backend owns both.</summary>
    public IlgpuBackend(Context context, Accelerator accelerator, DeviceKind kind)
    {
        Context = context;
        Accelerator = accelerator;
        // ILGPU's CPU accelerator reports long.MaxValue bytes: report the host memory the GC may use instead.
        long memory = accelerator.AcceleratorType == AcceleratorType.CPU ? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes : accelerator.MemorySize;
        Info = new DeviceInfo(accelerator.Name, kind, memory, accelerator.WarpSize * 32,
            $"{accelerator.AcceleratorType}, warp {accelerator.WarpSize}, max group {accelerator.MaxNumThreadsPerGroup}, shared {accelerator.MaxSharedMemoryPerGroup} B/group");
    }

    /// <summary>The ILGPU context.</summary>
    public Context Context { get; }

    /// <summary>The ILGPU accelerator kernels run on.</summary>
    public Accelerator Accelerator { get; }

    /// <inheritdoc />
    public override DeviceInfo Info { get; }

    /// <inheritdoc />
    public override DeviceBuffer<T> Allocate<T>(int length)
    {
        if (length < 0) throw new ArgumentOutOfRangeException(nameof(length), $"buffer length {length} is negative.");
        long bytes = (long)length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        // Info.MemoryBytes, not Accelerator.MemorySize: ILGPU's CPU accelerator reports long.MaxValue there.
        if (bytes > Info.MemoryBytes) throw new DeviceOutOfMemoryException(Info.Name, bytes, Info.MemoryBytes);
        try
        {
            var buffer = new IlgpuBuffer<T>(this, length);
            return buffer;
        }
        catch (Exception e) when (e is OutOfMemoryException or AcceleratorException or InsufficientExecutionStackException)
        {
            throw new DeviceOutOfMemoryException(Info.Name, bytes, Info.MemoryBytes, e);
        }
    }

    /// <inheritdoc />
    public override void Synchronize()
    {
        using var gate = EnterGate();
        Accelerator.Synchronize();
    }

    /// <summary>
    /// Enters the backend's gate: every catalogue call, transfer and synchronisation holds it, so several host threads
    /// may drive one backend (their calls run one at a time, in the order they take the gate; a call's kernel
    /// sequence and the scratch it uses are never interleaved with another thread's). The gate is reentrant, so
    /// catalogue calls built from other catalogue calls are fine. On first use from a thread it also binds the
    /// accelerator there (CUDA contexts are per thread).
    /// </summary>
    internal GateScope EnterGate()
    {
        Monitor.Enter(_gate);
        if (!ReferenceEquals(t_bound, Accelerator))
        {
            Accelerator.Bind();
            t_bound = Accelerator;
        }
        return new GateScope(_gate);
    }

    private readonly object _gate = new();

    [ThreadStatic] private static Accelerator? t_bound;

    /// <summary>Leaves the gate taken by <see cref="EnterGate"/>.</summary>
    internal readonly struct GateScope(object gate) : IDisposable
    {
        /// <summary>Releases the gate.</summary>
        public void Dispose() => Monitor.Exit(gate);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        Accelerator.Dispose();
        Context.Dispose();
    }

    /// <summary>The ILGPU view a buffer view covers.</summary>
    internal static ArrayView<T> ViewOf<T>(BufferView<T> view) where T : unmanaged
    {
        if (view.Buffer is not IlgpuBuffer<T> b)
            throw new ArgumentException($"A {view.Buffer?.GetType().Name ?? "null"} buffer was passed to an ILGPU backend.");
        return ((ArrayView<T>)b.Memory.View).SubView(view.Offset, view.Length);
    }

    /// <summary>
    /// Loads (once) and returns a kernel, keyed by a name and a type that distinguishes generic instantiations
    /// (element type, functor). <paramref name="load"/> runs only on a cache miss.
    /// </summary>
    internal TDelegate GetKernel<TDelegate>(string name, Type key, Func<Accelerator, TDelegate> load) where TDelegate : Delegate
    {
        lock (_kernels)
        {
            if (!_kernels.TryGetValue((name, key), out var d))
            {
                d = load(Accelerator);
                _kernels[(name, key)] = d;
            }
            return (TDelegate)d;
        }
    }
}

/// <summary>A buffer in accelerator memory.</summary>
internal sealed class IlgpuBuffer<T> : DeviceBuffer<T> where T : unmanaged
{
    private readonly IlgpuBackend _backend;

    public IlgpuBuffer(IlgpuBackend backend, int length) : base(backend, length)
    {
        _backend = backend;
        using var gate = backend.EnterGate();
        Memory = backend.Accelerator.Allocate1D<T>(Math.Max(1, length));
        Memory.MemSetToZero();
        backend.Accelerator.Synchronize();
    }

    public MemoryBuffer1D<T, Stride1D.Dense> Memory { get; }

    protected override void CopyFromCore(ReadOnlySpan<T> source, int offset)
    {
        if (source.Length == 0) return;
        using var gate = _backend.EnterGate();
        ((ArrayView<T>)Memory.View).SubView(offset, source.Length).CopyFromCPU(source);
    }

    protected override void CopyToCore(Span<T> destination, int offset)
    {
        if (destination.Length == 0) return;
        using var gate = _backend.EnterGate();
        ((ArrayView<T>)Memory.View).SubView(offset, destination.Length).CopyToCPU(destination);
    }

    protected override void Release()
    {
        using var gate = _backend.EnterGate();
        Memory.Dispose();
    }
}
