using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>Elements per parallel task of a gather: below this the copy stays on the caller's thread.</summary>
    private const int GatherGrain = 1 << 16;

    /// <inheritdoc />
    /// <remarks>Indices outside [0, src rows) throw <see cref="ArgumentOutOfRangeException"/> before anything is written.</remarks>
    public override unsafe void GatherRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst)
    {
        RequireFloat<T>();
        var (rows, count) = GatherShape.Validate("GatherRows", src, cols, indices, dst, gather: true);
        if (count == 0 || cols == 0) return;
        GatherShape.CheckIndices("GatherRows", SpanOf(indices), rows, "src");
        int bytes = cols * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        var body = new GatherBody { Src = (byte*)PtrOf(src), Dst = (byte*)PtrOf(dst), Indices = PtrOf(indices), RowBytes = bytes, Count = count };
        body.RowsPerTask = Math.Max(1, GatherGrain / Math.Max(1, cols));
        int tasks = (count + body.RowsPerTask - 1) / body.RowsPerTask;
        if (tasks == 1) body.Run(0);
        else CpuParallel.For(tasks, body);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Sequential in index order, so repeated indices accumulate in a fixed order (dst + src[i₀] + src[i₁] + …) and the
    /// result is deterministic; indices outside [0, dst rows) throw before anything is written.
    /// </remarks>
    public override void ScatterAddRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst)
    {
        RequireFloat<T>();
        var (rows, count) = GatherShape.Validate("ScatterAddRows", src, cols, indices, dst, gather: false);
        if (count == 0 || cols == 0) return;
        var idx = SpanOf(indices);
        GatherShape.CheckIndices("ScatterAddRows", idx, rows, "dst");
        if (typeof(T) == typeof(float)) ScatterAdd(As<T, float>(SpanOf(src)), cols, idx, As<T, float>(SpanOf(dst)));
        else ScatterAdd(As<T, double>(SpanOf(src)), cols, idx, As<T, double>(SpanOf(dst)));
    }

    private static void ScatterAdd<TF>(Span<TF> src, int cols, ReadOnlySpan<int> indices, Span<TF> dst)
        where TF : unmanaged, System.Numerics.IFloatingPointIeee754<TF>
    {
        for (int i = 0; i < indices.Length; i++)
        {
            var from = src.Slice(i * cols, cols);
            var to = dst.Slice(indices[i] * cols, cols);
            // Lane-wise IEEE adds: the same values as the scalar loop, hence as the ILGPU kernel.
            int j = 0;
            if (System.Numerics.Vector.IsHardwareAccelerated)
            {
                int w = System.Numerics.Vector<TF>.Count;
                for (; j + w <= cols; j += w)
                    (new System.Numerics.Vector<TF>(to.Slice(j)) + new System.Numerics.Vector<TF>(from.Slice(j))).CopyTo(to.Slice(j));
            }
            for (; j < cols; j++) to[j] += from[j];
        }
    }

    /// <summary>One task copies a run of whole rows.</summary>
    private unsafe struct GatherBody : IParallelBody
    {
        public byte* Src;
        public byte* Dst;
        public int* Indices;
        public int RowBytes;
        public int Count;
        public int RowsPerTask;

        public void Run(int task)
        {
            int r0 = task * RowsPerTask, r1 = Math.Min(Count, r0 + RowsPerTask);
            for (int r = r0; r < r1; r++)
                Buffer.MemoryCopy(Src + (long)Indices[r] * RowBytes, Dst + (long)r * RowBytes, RowBytes, RowBytes);
        }
    }
}
