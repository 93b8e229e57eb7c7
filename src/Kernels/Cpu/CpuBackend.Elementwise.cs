using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override unsafe void Map<T, TOp>(TOp op, BufferView<T> x, BufferView<T> y)
    {
        RequireFloat<T>();
        KernelChecks.SameLength("Map", "x", x, "y", y);
        T* px = PtrOf(x), py = PtrOf(y);
        int n = x.Length;
        int tasks = ElementwiseKernels.TaskCount(n);
        if (tasks == 1)
        {
            ElementwiseKernels.Map(op, px, py, n);
            return;
        }
        var body = new MapBody<T, TOp> { Op = op, X = px, Y = py, N = n, Chunk = ChunkOf(n, tasks) };
        CpuParallel.For(tasks, body);
    }

    /// <inheritdoc />
    public override unsafe void Map2<T, TOp>(TOp op, BufferView<T> a, BufferView<T> b, BufferView<T> c)
    {
        RequireFloat<T>();
        KernelChecks.SameLength("Map2", "a", a, "b", b);
        KernelChecks.SameLength("Map2", "a", a, "c", c);
        T* pa = PtrOf(a), pb = PtrOf(b), pc = PtrOf(c);
        int n = a.Length;
        int tasks = ElementwiseKernels.TaskCount(n);
        if (tasks == 1)
        {
            ElementwiseKernels.Map2(op, pa, pb, pc, n);
            return;
        }
        var body = new Map2Body<T, TOp> { Op = op, A = pa, B = pb, C = pc, N = n, Chunk = ChunkOf(n, tasks) };
        CpuParallel.For(tasks, body);
    }

    /// <inheritdoc />
    public override unsafe void Map2Broadcast<T, TOp>(TOp op, in BroadcastLayout layout, BufferView<T> a, BufferView<T> b, BufferView<T> c)
    {
        RequireFloat<T>();
        if (layout.Shape is null) throw new ArgumentException("Map2Broadcast: the layout is not initialised (use BroadcastLayout.Create).");
        RequireLength("Map2Broadcast", "a", a, BroadcastCollapse.Extent(layout.Shape, layout.StridesA));
        RequireLength("Map2Broadcast", "b", b, BroadcastCollapse.Extent(layout.Shape, layout.StridesB));
        RequireLength("Map2Broadcast", "c", c, layout.Length);
        KernelChecks.Disjoint("Map2Broadcast", "c", c.Slice(0, layout.Length), "a", a);
        KernelChecks.Disjoint("Map2Broadcast", "c", c.Slice(0, layout.Length), "b", b);
        int length = layout.Length;
        if (length == 0) return;
        T* pa = PtrOf(a), pb = PtrOf(b), pc = PtrOf(c);
        if (layout.IsSameShape)
        {
            int tasks = ElementwiseKernels.TaskCount(length);
            if (tasks == 1) ElementwiseKernels.Map2(op, pa, pb, pc, length);
            else CpuParallel.For(tasks, new Map2Body<T, TOp> { Op = op, A = pa, B = pb, C = pc, N = length, Chunk = ChunkOf(length, tasks) });
            return;
        }
        var body = new BroadcastBody<T, TOp> { Op = op, A = pa, B = pb, C = pc };
        body.Rank = BroadcastCollapse.Collapse(layout, body.Shape, body.Sa, body.Sb);
        int rowLength = body.Shape[body.Rank - 1];
        body.Rows = length / rowLength;
        int t = ElementwiseKernels.TaskCount(length);
        t = (int)Math.Min(t, body.Rows);
        body.RowsPerTask = (body.Rows + t - 1) / t;
        if (t <= 1) body.Run(0);
        else CpuParallel.For(t, body);
    }

    /// <inheritdoc />
    public override void Fill<T>(BufferView<T> y, T value)
    {
        RequireLength("Fill", "y", y, 0);
        SpanOf(y).Fill(value);
    }

    /// <inheritdoc />
    public override void Copy<T>(BufferView<T> x, BufferView<T> y)
    {
        KernelChecks.SameLength("Copy", "x", x, "y", y);
        SpanOf(x).CopyTo(SpanOf(y));
    }

    private static long ChunkOf(long n, int tasks) => ((n + tasks - 1) / tasks + 63) & ~63L;
}
