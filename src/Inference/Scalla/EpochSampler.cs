using Tangent.Models.Data;

namespace Tangent.Inference.Scalla;

/// <summary>
/// Indices into a set of <see cref="Count"/> samples, drawn in epochs without replacement: draw j (counting from 0
/// over the whole run) is position j mod N of epoch ⌊j/N⌋'s permutation, which comes from
/// <see cref="SplitMix64"/> keyed by (seed, stream, epoch). Any draw is known without replaying the ones before it,
/// so a resumed run sees the same points as an uninterrupted one.
/// </summary>
public sealed class EpochSampler
{
    private readonly int[] _order;
    private readonly ulong _seed;
    private long _epoch = -1;

    /// <summary>Creates a sampler over <paramref name="count"/> samples for one (seed, stream) pair.</summary>
    public EpochSampler(int count, ulong seed, ulong stream)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _order = new int[count];
        _seed = SplitMix64.For(seed, stream).Next();
    }

    /// <summary>Number of samples N.</summary>
    public int Count => _order.Length;

    /// <summary>The sample index of draw <paramref name="draw"/>.</summary>
    public int Index(long draw)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(draw);
        long epoch = draw / _order.Length;
        if (epoch != _epoch)
        {
            SplitMix64.For(_seed, (ulong)epoch).Permutation(_order);
            _epoch = epoch;
        }
        return _order[(int)(draw % _order.Length)];
    }
}
