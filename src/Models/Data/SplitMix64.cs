namespace Tangent.Models.Data;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood 2014; the seeding generator of xoshiro): a 64-bit state advanced by the golden
/// ratio increment and finalised by a variant of MurmurHash3's mixer. Used on the host for index shuffling and
/// augmentation choices only (no numerics), where it is fast, tiny and gives the same stream on every platform.
/// </summary>
public struct SplitMix64
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;
    private ulong _state;

    /// <summary>Starts the stream at <paramref name="seed"/>.</summary>
    public SplitMix64(ulong seed) => _state = seed;

    /// <summary>A generator for one (seed, a, b) combination, e.g. (seed, epoch, sample): the three keys are mixed so that nearby keys give unrelated streams.</summary>
    public static SplitMix64 For(ulong seed, ulong a, ulong b = 0) => new(Mix(Mix(Mix(seed) ^ a) ^ b));

    /// <summary>The SplitMix64 finaliser of <c>z + golden</c>: a bijective 64-bit hash.</summary>
    public static ulong Mix(ulong z)
    {
        z += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        ulong z = _state += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>
    /// A uniform integer in [0, <paramref name="bound"/>) without modulo bias (Lemire 2019: multiply-high, rejecting
    /// the low products that would over-represent some values).
    /// </summary>
    public int NextBelow(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        ulong s = (ulong)bound;
        ulong hi = Math.BigMul(Next(), s, out ulong lo);
        if (lo < s)
        {
            ulong threshold = (0UL - s) % s;
            while (lo < threshold) hi = Math.BigMul(Next(), s, out lo);
        }
        return (int)hi;
    }

    /// <summary>
    /// Writes a uniformly random permutation of 0..n−1 into <paramref name="destination"/> (length n) by
    /// Fisher–Yates, drawing from this generator.
    /// </summary>
    public void Permutation(Span<int> destination)
    {
        for (int i = 0; i < destination.Length; i++) destination[i] = i;
        for (int i = destination.Length - 1; i > 0; i--)
        {
            int j = NextBelow(i + 1);
            (destination[i], destination[j]) = (destination[j], destination[i]);
        }
    }
}
