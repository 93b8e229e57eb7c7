using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void MaxPool2dForward<T>(in Pool2dGeometry g, BufferView<T> x, BufferView<T> y, BufferView<int> argmax)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        RequireLength("MaxPool2dForward", "x", x, g.InputLength);
        RequireLength("MaxPool2dForward", "y", y, g.OutputLength);
        RequireLength("MaxPool2dForward", "argmax", argmax, g.OutputLength);
        if (typeof(T) == typeof(float)) PoolMax<T, float>("pool.max-forward", g, x, argmax, y, g.OutputLength);
        else PoolMax<T, double>("pool.max-forward", g, x, argmax, y, g.OutputLength);
    }

    /// <inheritdoc />
    public override void MaxPool2dBackward<T>(in Pool2dGeometry g, BufferView<T> dy, BufferView<int> argmax, BufferView<T> dx, int repeats)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        int threads = PoolThreads("MaxPool2dBackward", repeats, g.InputLength);
        RequireLength("MaxPool2dBackward", "dy", dy, (long)g.OutputLength * repeats);
        RequireLength("MaxPool2dBackward", "argmax", argmax, g.OutputLength);
        RequireLength("MaxPool2dBackward", "dx", dx, (long)g.InputLength * repeats);
        if (typeof(T) == typeof(float)) PoolMax<T, float>("pool.max-backward", g, dy, argmax, dx, threads);
        else PoolMax<T, double>("pool.max-backward", g, dy, argmax, dx, threads);
    }

    /// <inheritdoc />
    public override void MaxPool2dGather<T>(in Pool2dGeometry g, BufferView<T> xdot, BufferView<int> argmax, BufferView<T> ydot, int repeats)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        int threads = PoolThreads("MaxPool2dGather", repeats, g.OutputLength);
        RequireLength("MaxPool2dGather", "xdot", xdot, (long)g.InputLength * repeats);
        RequireLength("MaxPool2dGather", "argmax", argmax, g.OutputLength);
        RequireLength("MaxPool2dGather", "ydot", ydot, (long)g.OutputLength * repeats);
        if (typeof(T) == typeof(float)) PoolMax<T, float>("pool.max-gather", g, xdot, argmax, ydot, threads);
        else PoolMax<T, double>("pool.max-gather", g, xdot, argmax, ydot, threads);
    }

    /// <inheritdoc />
    public override void AvgPool2dForward<T>(in Pool2dGeometry g, BufferView<T> x, BufferView<T> y)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        RequireLength("AvgPool2dForward", "x", x, g.InputLength);
        RequireLength("AvgPool2dForward", "y", y, g.OutputLength);
        if (typeof(T) == typeof(float)) PoolAvg<T, float>("pool.avg-forward", g, x, y, g.OutputLength);
        else PoolAvg<T, double>("pool.avg-forward", g, x, y, g.OutputLength);
    }

    /// <inheritdoc />
    public override void AvgPool2dBackward<T>(in Pool2dGeometry g, BufferView<T> dy, BufferView<T> dx)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        RequireLength("AvgPool2dBackward", "dy", dy, g.OutputLength);
        RequireLength("AvgPool2dBackward", "dx", dx, g.InputLength);
        if (typeof(T) == typeof(float)) PoolAvg<T, float>("pool.avg-backward", g, dy, dx, g.InputLength);
        else PoolAvg<T, double>("pool.avg-backward", g, dy, dx, g.InputLength);
    }

    /// <summary>Checks <paramref name="repeats"/> and returns the thread count repeats × <paramref name="perBatch"/>.</summary>
    private static int PoolThreads(string kernel, int repeats, int perBatch)
    {
        if (repeats < 1) throw new ArgumentException($"{kernel}: repeats must be at least 1 (got {repeats}).");
        long threads = (long)repeats * perBatch;
        if (threads > int.MaxValue)
            throw new ArgumentException($"{kernel}: {repeats} repeats of {perBatch} elements exceed the {int.MaxValue} elements one launch covers.");
        return (int)threads;
    }

    private static PoolParams ParamsOf(in Pool2dGeometry g) => new()
    {
        H = g.H, W = g.W, WindowH = g.WindowH, WindowW = g.WindowW, StrideH = g.StrideH, StrideW = g.StrideW,
        PadH = g.PadH, PadW = g.PadW, OutH = g.OutH, OutW = g.OutW, Planes = g.N * g.C,
    };

    /// <summary>The max-pooling kernels: (input-side or output-side tensor, argmax, the other tensor).</summary>
    private void PoolMax<T, F>(string name, in Pool2dGeometry g, BufferView<T> a, BufferView<int> argmax, BufferView<T> b, int threads)
        where T : unmanaged where F : unmanaged, INumber<F>
    {
        var p = ParamsOf(g);
        var arg = ViewOf(argmax);
        if (name == "pool.max-forward")
        {
            var k = GetKernel(name, typeof(F), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<F>, ArrayView<F>, ArrayView<int>, PoolParams>(PoolKernels.MaxForward));
            k(threads, Cast<T, F>(a), Cast<T, F>(b), arg, p);
            return;
        }
        var kernel = GetKernel(name, typeof(F), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<F>, ArrayView<int>, ArrayView<F>, PoolParams>(
            name == "pool.max-backward" ? PoolKernels.MaxBackward : PoolKernels.MaxGather));
        kernel(threads, Cast<T, F>(a), arg, Cast<T, F>(b), p);
    }

    /// <summary>The average-pooling kernels: <paramref name="b"/> ← pool(<paramref name="a"/>) or its transpose.</summary>
    private void PoolAvg<T, F>(string name, in Pool2dGeometry g, BufferView<T> a, BufferView<T> b, int threads)
        where T : unmanaged where F : unmanaged, INumber<F>
    {
        var kernel = GetKernel(name, typeof(F), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<F>, ArrayView<F>, PoolParams>(
            name == "pool.avg-forward" ? PoolKernels.AvgForward : PoolKernels.AvgBackward));
        kernel(threads, Cast<T, F>(a), Cast<T, F>(b), ParamsOf(g));
    }
}
