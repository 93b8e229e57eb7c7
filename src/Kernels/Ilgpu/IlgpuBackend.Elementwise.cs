using ILGPU;
using ILGPU.Runtime;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Map<T, TOp>(TOp op, BufferView<T> x, BufferView<T> y)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        KernelChecks.SameLength("Map", "x", x, "y", y);
        if (x.Length == 0) return;
        var k = GetKernel("Map", typeof((T, TOp)), a => a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, TOp>(IlgpuElementwiseKernels.Map<T, TOp>));
        k(x.Length, ViewOf(x), ViewOf(y), op);
    }

    /// <inheritdoc />
    public override void Map2<T, TOp>(TOp op, BufferView<T> a, BufferView<T> b, BufferView<T> c)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        KernelChecks.SameLength("Map2", "a", a, "b", b);
        KernelChecks.SameLength("Map2", "a", a, "c", c);
        if (a.Length == 0) return;
        var k = GetKernel("Map2", typeof((T, TOp)), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, TOp>(IlgpuElementwiseKernels.Map2<T, TOp>));
        k(a.Length, ViewOf(a), ViewOf(b), ViewOf(c), op);
    }

    /// <inheritdoc />
    public override unsafe void Map2Broadcast<T, TOp>(TOp op, in BroadcastLayout layout, BufferView<T> a, BufferView<T> b, BufferView<T> c)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        if (layout.Shape is null) throw new ArgumentException("Map2Broadcast: the layout is not initialised (use BroadcastLayout.Create).");
        RequireLength("Map2Broadcast", "a", a, BroadcastCollapse.Extent(layout.Shape, layout.StridesA));
        RequireLength("Map2Broadcast", "b", b, BroadcastCollapse.Extent(layout.Shape, layout.StridesB));
        RequireLength("Map2Broadcast", "c", c, layout.Length);
        KernelChecks.Disjoint("Map2Broadcast", "c", c.Slice(0, layout.Length), "a", a);
        KernelChecks.Disjoint("Map2Broadcast", "c", c.Slice(0, layout.Length), "b", b);
        if (layout.Length == 0) return;
        if (layout.IsSameShape)
        {
            Map2(op, a.Slice(0, layout.Length), b.Slice(0, layout.Length), c.Slice(0, layout.Length));
            return;
        }
        int* shape = stackalloc int[BroadcastLayout.MaxRank];
        int* sa = stackalloc int[BroadcastLayout.MaxRank];
        int* sb = stackalloc int[BroadcastLayout.MaxRank];
        var index = new BroadcastIndex { Rank = BroadcastCollapse.Collapse(layout, shape, sa, sb) };
        for (int d = 0; d < index.Rank; d++) index.Set(d, shape[d], sa[d], sb[d]);
        var k = GetKernel("Map2Broadcast", typeof((T, TOp)), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, ArrayView<T>, BroadcastIndex, TOp>(IlgpuElementwiseKernels.Map2Broadcast<T, TOp>));
        k(layout.Length, ViewOf(a), ViewOf(b), ViewOf(c), index, op);
    }

    /// <inheritdoc />
    public override void Fill<T>(BufferView<T> y, T value)
    {
        using var gate = EnterGate();
        RequireLength("Fill", "y", y, 0);
        if (y.Length == 0) return;
        var k = GetKernel("Fill", typeof(T), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, T>(IlgpuElementwiseKernels.Fill<T>));
        k(y.Length, ViewOf(y), value);
    }

    /// <inheritdoc />
    public override void Copy<T>(BufferView<T> x, BufferView<T> y)
    {
        using var gate = EnterGate();
        KernelChecks.SameLength("Copy", "x", x, "y", y);
        if (x.Length == 0) return;
        var k = GetKernel("Copy", typeof(T), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>>(IlgpuElementwiseKernels.Copy<T>));
        k(x.Length, ViewOf(x), ViewOf(y));
    }
}
