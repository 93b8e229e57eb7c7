using System.Numerics;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override unsafe void Reduce<T, TOp>(TOp op, BufferView<T> x, int outer, int axis, int inner, BufferView<T> y)
    {
        RequireFloat<T>();
        KernelChecks.ReduceShape("Reduce", outer, axis, inner);
        RequireLength("Reduce", "x", x, (long)outer * axis * inner);
        RequireLength("Reduce", "y", y, (long)outer * inner);
        long outputs = (long)outer * inner;
        if (outputs == 0) return;
        T* px = PtrOf(x), py = PtrOf(y);
        if (axis == 0)
        {
            new Span<T>(py, (int)outputs).Fill(op.Identity);
            return;
        }
        long total = outputs * axis;
        int tasks = ElementwiseKernels.TaskCount(total);
        if (inner == 1 && outer < tasks)
        {
            // Few long rows: the subtrees of each row's pairwise tree in parallel, the same value as one task's.
            for (int o = 0; o < outer; o++)
                py[o] = PairwiseTree.Reduce<T, ContiguousRange<T, TOp>>(new ContiguousRange<T, TOp> { Op = op, X = px + (long)o * axis }, axis, tasks);
            return;
        }
        if (inner > 1 && outer < tasks)
        {
            // Few wide slices: each task takes a range of columns of every slice.
            int colsPerTask = (int)Math.Max(64, ((inner + tasks - 1) / tasks + 63) & ~63L);
            int tilesPerOuter = (inner + colsPerTask - 1) / colsPerTask;
            CpuParallel.For(outer * tilesPerOuter, new ReduceColumnsBody<T, TOp>
            {
                Op = op, X = px, Y = py, Axis = axis, Inner = inner, ColsPerTask = colsPerTask, TilesPerOuter = tilesPerOuter,
            });
            return;
        }
        int per = (outer + tasks - 1) / tasks;
        var body = new ReduceBody<T, TOp> { Op = op, X = px, Y = py, Outer = outer, Axis = axis, Inner = inner, OuterPerTask = per };
        if (tasks == 1) body.Run(0);
        else CpuParallel.For((outer + per - 1) / per, body);
    }

    /// <inheritdoc />
    public override unsafe void Argmax<T>(BufferView<T> x, int outer, int axis, int inner, BufferView<int> indices)
    {
        RequireFloat<T>();
        KernelChecks.ReduceShape("Argmax", outer, axis, inner);
        if (axis == 0 && (long)outer * inner > 0) throw new ArgumentException("Argmax: the reduced axis is empty, so there is no maximum.");
        RequireLength("Argmax", "x", x, (long)outer * axis * inner);
        RequireLength("Argmax", "indices", indices, (long)outer * inner);
        if ((long)outer * inner == 0) return;
        int* pi = PtrOf(indices);
        int tasks = Math.Min(outer, ElementwiseKernels.TaskCount((long)outer * axis * inner));
        int per = (outer + tasks - 1) / tasks;
        if (typeof(T) == typeof(float))
        {
            var body = new ArgmaxBody<float> { X = (float*)PtrOf(x), Indices = pi, Outer = outer, Axis = axis, Inner = inner, OuterPerTask = per };
            if (tasks <= 1) body.Run(0); else CpuParallel.For((outer + per - 1) / per, body);
        }
        else
        {
            var body = new ArgmaxBody<double> { X = (double*)PtrOf(x), Indices = pi, Outer = outer, Axis = axis, Inner = inner, OuterPerTask = per };
            if (tasks <= 1) body.Run(0); else CpuParallel.For((outer + per - 1) / per, body);
        }
    }
}

/// <summary>Parallel body: task i reduces one column range of one outer slice.</summary>
internal unsafe struct ReduceColumnsBody<T, TOp> : IParallelBody where T : unmanaged where TOp : struct, IReduceOp<T>
{
    public TOp Op;
    public T* X, Y;
    public int Axis, Inner, ColsPerTask, TilesPerOuter;

    public readonly void Run(int index)
    {
        int o = index / TilesPerOuter, j0 = index % TilesPerOuter * ColsPerTask;
        int width = Math.Min(ColsPerTask, Inner - j0);
        if (width <= 0) return;
        ReduceKernels.Columns(Op, X + (long)o * Axis * Inner + j0, Axis, Inner, Y + (long)o * Inner + j0, width);
    }
}
