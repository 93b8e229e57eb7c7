namespace Tangent.Kernels.Rng;

/// <summary>
/// One random fill as a range of Philox blocks, in the layout of <see cref="PhiloxSampling"/>: local block
/// b ∈ [0, <see cref="BlockCount"/>) is stream block <see cref="FirstBlock"/> + b, and its lane l becomes
/// output element b·E + l − <see cref="FirstLane"/> when that lies in [0, <see cref="Count"/>). Both
/// backends run exactly <see cref="WriteSingle"/> / <see cref="WriteDouble"/> per block (the ILGPU kernels
/// as one thread per block).
/// </summary>
public struct PhiloxRange
{
    /// <summary>Key: the seed.</summary>
    public ulong Seed;
    /// <summary>Counter words 2–3: the stream.</summary>
    public ulong Stream;
    /// <summary>Stream block of local block 0: ⌊offset / E⌋.</summary>
    public ulong FirstBlock;
    /// <summary>Lane of the first element inside local block 0: offset mod E.</summary>
    public int FirstLane;
    /// <summary>E, the elements per block.</summary>
    public int PerBlock;
    /// <summary>Elements to write.</summary>
    public int Count;
    /// <summary>Blocks touched: ⌈(FirstLane + Count) / E⌉.</summary>
    public int BlockCount;
    /// <summary>The <see cref="RandomDistribution"/>, as an int (kernel parameters stay plain).</summary>
    public int Distribution;

    /// <summary>The range for <paramref name="count"/> elements at element <paramref name="offset"/> of a stream.</summary>
    public static PhiloxRange Of(RandomDistribution distribution, bool isDouble, int count, ulong seed, ulong stream, ulong offset)
    {
        if (count < 0) throw new ArgumentOutOfRangeException(nameof(count), $"random fill of {count} elements.");
        int e = PhiloxSampling.ElementsPerBlock(distribution, isDouble);
        int firstLane = (int)(offset % (ulong)e);
        return new PhiloxRange
        {
            Seed = seed,
            Stream = stream,
            FirstBlock = offset / (ulong)e,
            FirstLane = firstLane,
            PerBlock = e,
            Count = count,
            BlockCount = (int)(((long)firstLane + count + e - 1) / e),
            Distribution = (int)distribution,
        };
    }

    /// <summary>Output element of lane <paramref name="lane"/> of local block <paramref name="block"/> (may lie outside [0, Count)).</summary>
    public readonly long ElementOf(int block, int lane) => (long)block * PerBlock + lane - FirstLane;

    /// <summary>The Philox bits of local block <paramref name="block"/>.</summary>
    public readonly PhiloxBlock Bits(int block) => Philox.Generate(Seed, Stream, FirstBlock + (ulong)block);

    /// <summary>Writes the float32 elements of local block <paramref name="block"/> that fall inside <paramref name="y"/>.</summary>
    public readonly unsafe void WriteSingle(int block, float* y)
    {
        var v = PhiloxSampling.Singles((RandomDistribution)Distribution, Bits(block));
        for (int l = 0; l < PerBlock; l++)
        {
            long i = ElementOf(block, l);
            if (i >= 0 && i < Count) y[i] = v[l];
        }
    }

    /// <summary>Writes the float64 elements of local block <paramref name="block"/> that fall inside <paramref name="y"/>.</summary>
    public readonly unsafe void WriteDouble(int block, double* y)
    {
        var v = PhiloxSampling.Doubles((RandomDistribution)Distribution, Bits(block));
        for (int l = 0; l < PerBlock; l++)
        {
            long i = ElementOf(block, l);
            if (i >= 0 && i < Count) y[i] = v[l];
        }
    }
}
