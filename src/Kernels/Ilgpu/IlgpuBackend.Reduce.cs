using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    private readonly Dictionary<(Type, int), MemoryBuffer> _scratch = new();
    private int _reduceGroup;

    /// <summary>
    /// Threads per group of the tree-reduction kernels: the largest power of two ≤ 256 that the accelerator allows
    /// (the trees halve the group each step).
    /// </summary>
    internal int ReduceGroupSize
    {
        get
        {
            if (_reduceGroup == 0)
            {
                int g = 1;
                while (g * 2 <= Math.Min(IlgpuElementwiseKernels.MaxGroup, Accelerator.MaxNumThreadsPerGroup)) g *= 2;
                _reduceGroup = g;
            }
            return _reduceGroup;
        }
    }

    /// <summary>
    /// A device scratch view of at least <paramref name="length"/> elements in slot <paramref name="slot"/> (a
    /// kernel sequence uses distinct slots for buffers alive at once). Reuse is safe because kernels on the
    /// accelerator's default stream run in issue order; growing waits for pending work before freeing the old one.
    /// The scratch is shared by all host threads; callers hold the backend's gate (see <see cref="EnterGate"/>) across
    /// the whole kernel sequence that uses it and the read-back.
    /// </summary>
    internal ArrayView<T> Scratch<T>(int length, int slot) where T : unmanaged
    {
        lock (_scratch)
        {
            var key = (typeof(T), slot);
            if (_scratch.TryGetValue(key, out var mb) && mb.Length >= length)
                return ((MemoryBuffer1D<T, Stride1D.Dense>)mb).View.SubView(0, length);
            if (mb != null)
            {
                Accelerator.Synchronize();
                mb.Dispose();
            }
            var nb = Accelerator.Allocate1D<T>(Math.Max(length, 1024));
            _scratch[key] = nb;
            return nb.View.SubView(0, length);
        }
    }

    /// <inheritdoc />
    public override void Reduce<T, TOp>(TOp op, BufferView<T> x, int outer, int axis, int inner, BufferView<T> y)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        KernelChecks.ReduceShape("Reduce", outer, axis, inner);
        RequireLength("Reduce", "x", x, (long)outer * axis * inner);
        RequireLength("Reduce", "y", y, (long)outer * inner);
        int outputs = checked(outer * inner);
        if (outputs == 0) return;
        var yv = ViewOf(y).SubView(0, outputs);
        if (axis == 0)
        {
            Fill(y.Slice(0, outputs), op.Identity);
            return;
        }
        ReduceAxisPasses(op, ViewOf(x), axis, inner, outputs, yv, 0);
    }

    /// <summary>
    /// Reduces x[outputs/inner, axis, inner] into y[outputs]: one pass when the axis is short, otherwise a pass that
    /// leaves [outputs, chunks] partials in scratch and a recursive pass over them.
    /// </summary>
    private void ReduceAxisPasses<T, TOp>(TOp op, ArrayView<T> x, int axis, int inner, int outputs, ArrayView<T> y, int slot)
        where T : unmanaged where TOp : struct, IReduceOp<T>
    {
        if (inner >= ColumnKernelMinInner)
        {
            ReduceColumnPasses(op, x, axis, inner, outputs, y, slot);
            return;
        }
        var k = GetKernel("ReduceAxis", typeof((T, TOp)), acc => acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, int, int, int, int, TOp>(IlgpuElementwiseKernels.ReduceAxis<T, TOp>));
        int g = ReduceGroupSize;
        // Each group should own ≥ 4 elements per thread; keep at most ~1024 groups per output sweep.
        int chunkLength = Math.Max(4 * g, (int)Math.Min(int.MaxValue, ((long)axis * outputs + 1023) / 1024));
        int chunks = (axis + chunkLength - 1) / chunkLength;
        if (chunks <= 1)
        {
            k(new KernelConfig(outputs, g), x, y, axis, inner, 1, axis, op);
            return;
        }
        var partials = Scratch<T>(checked(outputs * chunks), slot);
        k(new KernelConfig(outputs * chunks, g), x, partials, axis, inner, chunks, chunkLength, op);
        ReduceAxisPasses(op, partials, chunks, 1, outputs, y, slot + 1);
    }

    /// <summary>Slices at least this wide reduce with one thread per column (coalesced) instead of a group per output.</summary>
    internal const int ColumnKernelMinInner = 16;

    /// <summary>Rows one thread of the column kernel combines sequentially before the next pass takes over.</summary>
    internal const int ColumnChunkRows = 64;

    /// <summary>
    /// Column reduction: blocks of <see cref="ColumnChunkRows"/> rows per thread leave [chunks, outputs] partials,
    /// which are reduced again as one wide slice until a single chunk remains (a blocked sum: float error grows with
    /// 64 + the number of passes, not with the axis length).
    /// </summary>
    private void ReduceColumnPasses<T, TOp>(TOp op, ArrayView<T> x, int axis, int inner, int outputs, ArrayView<T> y, int slot)
        where T : unmanaged where TOp : struct, IReduceOp<T>
    {
        var k = GetKernel("ReduceColumns", typeof((T, TOp)), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<T>, ArrayView<T>, int, int, int, int, TOp>(IlgpuElementwiseKernels.ReduceColumns<T, TOp>));
        int chunks = (axis + ColumnChunkRows - 1) / ColumnChunkRows;
        if (chunks <= 1)
        {
            k(outputs, x, y, axis, inner, outputs, axis, op);
            return;
        }
        var partials = Scratch<T>(checked(chunks * outputs), slot);
        k(chunks * outputs, x, partials, axis, inner, outputs, ColumnChunkRows, op);
        // partials is [chunks, outputs]: one slice with the chunks as its axis.
        ReduceColumnPasses(op, partials, chunks, outputs, outputs, y, slot + 1);
    }

    /// <summary>red over map(x) on the device, returned to the host (waits).</summary>
    internal T MapReduceToHost<T, TMap, TRed>(TMap map, TRed red, ArrayView<T> x)
        where T : unmanaged where TMap : struct, IUnaryOp<T> where TRed : struct, IReduceOp<T>
    {
        var k = GetKernel("MapReduce", typeof((T, TMap, TRed)), acc => acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, TMap, TRed>(IlgpuElementwiseKernels.MapReduce<T, TMap, TRed>));
        int g = ReduceGroupSize;
        int groups = (int)Math.Clamp((x.Length + 4L * g - 1) / (4L * g), 1, 1024);
        var partials = Scratch<T>(groups, 0);
        k(new KernelConfig(groups, g), x, partials, map, red);
        return FinishToHost(red, partials, groups);
    }

    /// <summary>red over map(a, b) on the device, returned to the host (waits).</summary>
    internal T Map2ReduceToHost<T, TMap, TRed>(TMap map, TRed red, ArrayView<T> a, ArrayView<T> b)
        where T : unmanaged where TMap : struct, IBinaryOp<T> where TRed : struct, IReduceOp<T>
    {
        var k = GetKernel("Map2Reduce", typeof((T, TMap, TRed)), acc => acc.LoadStreamKernel<ArrayView<T>, ArrayView<T>, ArrayView<T>, TMap, TRed>(IlgpuElementwiseKernels.Map2Reduce<T, TMap, TRed>));
        int g = ReduceGroupSize;
        int groups = (int)Math.Clamp((a.Length + 4L * g - 1) / (4L * g), 1, 1024);
        var partials = Scratch<T>(groups, 0);
        k(new KernelConfig(groups, g), a, b, partials, map, red);
        return FinishToHost(red, partials, groups);
    }

    private T FinishToHost<T, TRed>(TRed red, ArrayView<T> partials, int count) where T : unmanaged where TRed : struct, IReduceOp<T>
    {
        var result = Scratch<T>(1, 1);
        ReduceAxisPasses(red, partials, count, 1, 1, result, 2);
        var host = new T[1];
        result.CopyToCPU(host);
        return host[0];
    }

    /// <inheritdoc />
    public override void Argmax<T>(BufferView<T> x, int outer, int axis, int inner, BufferView<int> indices)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        KernelChecks.ReduceShape("Argmax", outer, axis, inner);
        if (axis == 0 && (long)outer * inner > 0) throw new ArgumentException("Argmax: the reduced axis is empty, so there is no maximum.");
        RequireLength("Argmax", "x", x, (long)outer * axis * inner);
        RequireLength("Argmax", "indices", indices, (long)outer * inner);
        int outputs = checked(outer * inner);
        if (outputs == 0) return;
        if (typeof(T) == typeof(float)) LaunchArgmax(AsView<T, float>(x), outputs, axis, inner, indices);
        else LaunchArgmax(AsView<T, double>(x), outputs, axis, inner, indices);
    }

    private void LaunchArgmax<TF>(BufferView<TF> x, int outputs, int axis, int inner, BufferView<int> indices) where TF : unmanaged, INumber<TF>
    {
        var k = GetKernel("Argmax", typeof(TF), acc => acc.LoadStreamKernel<ArrayView<TF>, ArrayView<int>, int, int>(IlgpuElementwiseKernels.Argmax<TF>));
        k(new KernelConfig(outputs, ReduceGroupSize), ViewOf(x), ViewOf(indices), axis, inner);
    }

    /// <summary>Reinterprets a view whose element type is known to be <typeparamref name="TTo"/>.</summary>
    private static BufferView<TTo> AsView<T, TTo>(BufferView<T> v) where T : unmanaged where TTo : unmanaged
        => System.Runtime.CompilerServices.Unsafe.As<BufferView<T>, BufferView<TTo>>(ref v);
}
