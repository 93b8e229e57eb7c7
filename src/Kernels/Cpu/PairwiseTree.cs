namespace Tangent.Kernels.Cpu;

/// <summary>
/// The value of one subtree of a pairwise reduction over a range (the leaf kernel recurses with the same split rule
/// as <see cref="PairwiseTree"/>, so a subtree's value does not depend on where the tree was cut).
/// </summary>
internal interface IPairwiseRange<T> where T : unmanaged
{
    /// <summary>The reduction of [start, start + length).</summary>
    T Range(long start, long length);

    /// <summary>Combines the values of a left and a right subtree.</summary>
    T Combine(T left, T right);
}

/// <summary>
/// The pairwise reduction tree the CPU sums share (<see cref="ReduceKernels.Contiguous{T, TOp}"/>, the BLAS-1 dots and
/// sums of squares): a range longer than <see cref="Block"/> elements splits at <see cref="Half"/> into two halves
/// reduced alike and combined. <see cref="Reduce{T, TRange}"/> runs the subtrees at a fixed depth as parallel tasks and
/// combines them along the same tree, so a long sum is bit-identical to the serial one whatever the thread count (a
/// chunking by thread count would change the rounding with the machine).
/// </summary>
internal static unsafe class PairwiseTree
{
    /// <summary>Ranges at most this long are reduced straight (by vector accumulators) at the leaves.</summary>
    public const int Block = 2048;

    /// <summary>The length of the left half of a range of <paramref name="n"/> &gt; <see cref="Block"/> elements: about n/2, a multiple of 64.</summary>
    public static nint Half(nint n) => (n / 2 + 63) & ~(nint)63;

    /// <summary>Most subtrees run as tasks (2^8).</summary>
    private const int MaxDepth = 8;

    /// <summary>
    /// The tree's value over [0, <paramref name="n"/>), with the subtrees at depth ⌈log₂ <paramref name="tasks"/>⌉ (at
    /// most 8; shallower leaves stay whole) reduced in parallel. The value is the same for every <paramref name="tasks"/>.
    /// </summary>
    public static T Reduce<T, TRange>(in TRange range, long n, int tasks) where T : unmanaged where TRange : struct, IPairwiseRange<T>
    {
        int depth = 0;
        while (1 << depth < tasks && depth < MaxDepth) depth++;
        if (depth == 0 || n <= Block) return range.Range(0, n);
        long* starts = stackalloc long[1 << MaxDepth];
        long* lengths = stackalloc long[1 << MaxDepth];
        T* values = stackalloc T[1 << MaxDepth];
        int count = 0;
        Collect(0, n, depth, starts, lengths, ref count);
        CpuParallel.For(count, new SubtreeBody<T, TRange> { Range = range, Starts = starts, Lengths = lengths, Values = values });
        int next = 0;
        return Combine(range, n, depth, values, ref next);
    }

    /// <summary>Lists, left to right, the subtrees at <paramref name="depth"/> below [start, start + n) (a leaf above that depth is listed whole).</summary>
    private static void Collect(long start, long n, int depth, long* starts, long* lengths, ref int count)
    {
        if (depth == 0 || n <= Block)
        {
            starts[count] = start;
            lengths[count++] = n;
            return;
        }
        long h = Half((nint)n);
        Collect(start, h, depth - 1, starts, lengths, ref count);
        Collect(start + h, n - h, depth - 1, starts, lengths, ref count);
    }

    /// <summary>Combines the listed subtrees' values along the tree, in the order <see cref="Collect"/> listed them.</summary>
    private static T Combine<T, TRange>(in TRange range, long n, int depth, T* values, ref int next)
        where T : unmanaged where TRange : struct, IPairwiseRange<T>
    {
        if (depth == 0 || n <= Block) return values[next++];
        long h = Half((nint)n);
        T left = Combine(range, h, depth - 1, values, ref next);
        T right = Combine(range, n - h, depth - 1, values, ref next);
        return range.Combine(left, right);
    }

    private struct SubtreeBody<T, TRange> : IParallelBody where T : unmanaged where TRange : struct, IPairwiseRange<T>
    {
        public TRange Range;
        public long* Starts, Lengths;
        public T* Values;

        public readonly void Run(int index) => Values[index] = Range.Range(Starts[index], Lengths[index]);
    }
}
