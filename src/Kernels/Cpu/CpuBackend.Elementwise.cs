using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override unsafe void Map<T, TOp>(TOp op, BufferView<T> x, BufferView<T> y)
    {
        RequireFloat<T>();
        RequireSameLength("Map", "x", x, "y", y);
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
        RequireSameLength("Map2", "a", a, "b", b);
        RequireSameLength("Map2", "a", a, "c", c);
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
        RequireLength("Map2Broadcast", "a", a, BroadcastExtent(layout.Shape, layout.StridesA));
        RequireLength("Map2Broadcast", "b", b, BroadcastExtent(layout.Shape, layout.StridesB));
        RequireLength("Map2Broadcast", "c", c, layout.Length);
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
        body.Rank = CollapseBroadcast(layout, body.Shape, body.Sa, body.Sb);
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
        RequireSameLength("Copy", "x", x, "y", y);
        SpanOf(x).CopyTo(SpanOf(y));
    }

    private static long ChunkOf(long n, int tasks) => ((n + tasks - 1) / tasks + 63) & ~63L;

    /// <summary>Throws unless both views are set and have the same length (message names both).</summary>
    private static void RequireSameLength<T>(string kernel, string nameA, BufferView<T> a, string nameB, BufferView<T> b) where T : unmanaged
    {
        if (a.IsNull) throw new ArgumentException($"{kernel}: {nameA} is not set.");
        if (b.IsNull) throw new ArgumentException($"{kernel}: {nameB} is not set.");
        if (a.Length != b.Length)
            throw new ArgumentException($"{kernel}: {nameA} has {a.Length} elements but {nameB} has {b.Length}; they must be equal.");
    }

    /// <summary>Elements an operand must hold: 1 + Σ (shape_d − 1)·stride_d (0 for an empty output).</summary>
    internal static long BroadcastExtent(int[] shape, int[] strides)
    {
        long extent = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 0) return 0;
            extent += (long)(shape[d] - 1) * strides[d];
        }
        return extent;
    }

    /// <summary>
    /// Drops size-1 dimensions and merges neighbours that are contiguous for both operands
    /// (stride_d = stride_{d+1}·shape_{d+1} for a and for b, which includes both-broadcast), so that a bias add
    /// [N,C] + [C] becomes rows of C and a per-channel op [N,C,H,W] + [1,C,1,1] becomes rows of H·W with a scalar b.
    /// Returns the collapsed rank (≥ 1).
    /// </summary>
    internal static unsafe int CollapseBroadcast(in BroadcastLayout layout, int* shape, int* sa, int* sb)
    {
        int rank = 0;
        for (int d = 0; d < layout.Shape.Length; d++)
        {
            int n = layout.Shape[d];
            if (n == 1) continue;
            if (rank > 0 && sa[rank - 1] == layout.StridesA[d] * n && sb[rank - 1] == layout.StridesB[d] * n)
            {
                shape[rank - 1] *= n;
                sa[rank - 1] = layout.StridesA[d];
                sb[rank - 1] = layout.StridesB[d];
                continue;
            }
            shape[rank] = n;
            sa[rank] = layout.StridesA[d];
            sb[rank] = layout.StridesB[d];
            rank++;
        }
        if (rank == 0)
        {
            shape[0] = 1; sa[0] = 1; sb[0] = 1;
            rank = 1;
        }
        return rank;
    }
}
