using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

/// <summary>
/// Range kernels for the elementwise family on raw pointers: Vector512 when accelerated, else Vector256, else
/// scalar; the scalar form also handles tails. Generic over struct functors so the JIT emits one specialised loop
/// per (element type, functor). Everything here is single-threaded; <see cref="CpuBackend"/> splits work.
/// </summary>
internal static unsafe class ElementwiseKernels
{
    /// <summary>Below this many elements an elementwise op runs on the calling thread (a hand-out costs ~µs).</summary>
    public const int ParallelThreshold = 1 << 16;

    /// <summary>Elements per parallel task: enough work (tens of µs) to amortise the hand-out.</summary>
    public const int Grain = 1 << 15;

    /// <summary>Number of tasks for <paramref name="n"/> elements, or 1 when the op should stay serial.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TaskCount(long n, int grain = Grain, int threshold = ParallelThreshold)
    {
        if (n < threshold || CpuParallel.ThreadCount == 1) return 1;
        return (int)Math.Min((n + grain - 1) / grain, 8L * CpuParallel.ThreadCount);
    }

    /// <summary>y[i] = op(x[i]) for i in [0, n).</summary>
    public static void Map<T, TOp>(in TOp op, T* x, T* y, nint n) where T : unmanaged where TOp : struct, IUnaryOp<T>
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            nint w = Vector512<T>.Count;
            for (; i <= n - 2 * w; i += 2 * w)
            {
                var v0 = op.Apply(Vector512.Load(x + i));
                var v1 = op.Apply(Vector512.Load(x + i + w));
                Vector512.Store(v0, y + i);
                Vector512.Store(v1, y + i + w);
            }
            for (; i <= n - w; i += w) Vector512.Store(op.Apply(Vector512.Load(x + i)), y + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            nint w = Vector256<T>.Count;
            for (; i <= n - w; i += w) Vector256.Store(op.Apply(Vector256.Load(x + i)), y + i);
        }
        for (; i < n; i++) y[i] = op.Apply(x[i]);
    }

    /// <summary>c[i] = op(a[i], b[i]) for i in [0, n).</summary>
    public static void Map2<T, TOp>(in TOp op, T* a, T* b, T* c, nint n) where T : unmanaged where TOp : struct, IBinaryOp<T>
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            nint w = Vector512<T>.Count;
            for (; i <= n - 2 * w; i += 2 * w)
            {
                var v0 = op.Apply(Vector512.Load(a + i), Vector512.Load(b + i));
                var v1 = op.Apply(Vector512.Load(a + i + w), Vector512.Load(b + i + w));
                Vector512.Store(v0, c + i);
                Vector512.Store(v1, c + i + w);
            }
            for (; i <= n - w; i += w) Vector512.Store(op.Apply(Vector512.Load(a + i), Vector512.Load(b + i)), c + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            nint w = Vector256<T>.Count;
            for (; i <= n - w; i += w) Vector256.Store(op.Apply(Vector256.Load(a + i), Vector256.Load(b + i)), c + i);
        }
        for (; i < n; i++) c[i] = op.Apply(a[i], b[i]);
    }

    /// <summary>c[i] = op(a[i], b) for i in [0, n) (b broadcast along the row).</summary>
    public static void Map2ScalarB<T, TOp>(in TOp op, T* a, T b, T* c, nint n) where T : unmanaged where TOp : struct, IBinaryOp<T>
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            nint w = Vector512<T>.Count;
            var vb = Vector512.Create(b);
            for (; i <= n - w; i += w) Vector512.Store(op.Apply(Vector512.Load(a + i), vb), c + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            nint w = Vector256<T>.Count;
            var vb = Vector256.Create(b);
            for (; i <= n - w; i += w) Vector256.Store(op.Apply(Vector256.Load(a + i), vb), c + i);
        }
        for (; i < n; i++) c[i] = op.Apply(a[i], b);
    }

    /// <summary>c[i] = op(a, b[i]) for i in [0, n) (a broadcast along the row).</summary>
    public static void Map2ScalarA<T, TOp>(in TOp op, T a, T* b, T* c, nint n) where T : unmanaged where TOp : struct, IBinaryOp<T>
    {
        nint i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            nint w = Vector512<T>.Count;
            var va = Vector512.Create(a);
            for (; i <= n - w; i += w) Vector512.Store(op.Apply(va, Vector512.Load(b + i)), c + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            nint w = Vector256<T>.Count;
            var va = Vector256.Create(a);
            for (; i <= n - w; i += w) Vector256.Store(op.Apply(va, Vector256.Load(b + i)), c + i);
        }
        for (; i < n; i++) c[i] = op.Apply(a, b[i]);
    }

    /// <summary>One broadcast row: strides of a and b along it are 0 or 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Map2Row<T, TOp>(in TOp op, T* a, int sa, T* b, int sb, T* c, nint n) where T : unmanaged where TOp : struct, IBinaryOp<T>
    {
        if (sa != 0)
        {
            if (sb != 0) Map2(op, a, b, c, n);
            else Map2ScalarB(op, a, *b, c, n);
        }
        else if (sb != 0) Map2ScalarA(op, *a, b, c, n);
        else
        {
            T v = op.Apply(*a, *b);
            new Span<T>(c, checked((int)n)).Fill(v);
        }
    }
}

/// <summary>Parallel body: a chunk of <see cref="ElementwiseKernels.Map{T, TOp}"/>.</summary>
internal unsafe struct MapBody<T, TOp> : IParallelBody where T : unmanaged where TOp : struct, IUnaryOp<T>
{
    public TOp Op;
    public T* X, Y;
    public long N, Chunk;

    public readonly void Run(int index)
    {
        long start = index * Chunk, len = Math.Min(Chunk, N - start);
        if (len > 0) ElementwiseKernels.Map(Op, X + start, Y + start, (nint)len);
    }
}

/// <summary>Parallel body: a chunk of <see cref="ElementwiseKernels.Map2{T, TOp}"/>.</summary>
internal unsafe struct Map2Body<T, TOp> : IParallelBody where T : unmanaged where TOp : struct, IBinaryOp<T>
{
    public TOp Op;
    public T* A, B, C;
    public long N, Chunk;

    public readonly void Run(int index)
    {
        long start = index * Chunk, len = Math.Min(Chunk, N - start);
        if (len > 0) ElementwiseKernels.Map2(Op, A + start, B + start, C + start, (nint)len);
    }
}

/// <summary>
/// A broadcast binary op after dimension collapsing: <see cref="Rank"/> dims (≤ 6), the last one is the contiguous
/// row that <see cref="ElementwiseKernels.Map2Row{T, TOp}"/> handles; tasks take ranges of rows.
/// </summary>
internal unsafe struct BroadcastBody<T, TOp> : IParallelBody where T : unmanaged where TOp : struct, IBinaryOp<T>
{
    public TOp Op;
    public T* A, B, C;
    public int Rank;
    public fixed int Shape[6];
    public fixed int Sa[6];
    public fixed int Sb[6];
    public long Rows, RowsPerTask;

    public void Run(int index)
    {
        long r0 = index * RowsPerTask, r1 = Math.Min(Rows, r0 + RowsPerTask);
        if (r0 >= r1) return;
        int last = Rank - 1;
        int n = Shape[last], sa = Sa[last], sb = Sb[last];
        // Multi-index of row r0 over the outer dims, and the operand offsets it implies.
        int* idx = stackalloc int[6];
        long rem = r0, offA = 0, offB = 0;
        for (int d = last - 1; d >= 0; d--)
        {
            idx[d] = (int)(rem % Shape[d]);
            rem /= Shape[d];
            offA += (long)idx[d] * Sa[d];
            offB += (long)idx[d] * Sb[d];
        }
        T* c = C + r0 * n;
        for (long r = r0; r < r1; r++)
        {
            ElementwiseKernels.Map2Row(Op, A + offA, sa, B + offB, sb, c, n);
            c += n;
            // Odometer increment of the outer multi-index.
            for (int d = last - 1; d >= 0; d--)
            {
                offA += Sa[d];
                offB += Sb[d];
                if (++idx[d] < Shape[d]) break;
                offA -= (long)Sa[d] * Shape[d];
                offB -= (long)Sb[d] * Shape[d];
                idx[d] = 0;
            }
        }
    }
}
