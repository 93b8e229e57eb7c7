namespace Tangent.Kernels.Rng;

/// <summary>Four 32-bit words: a Philox4x32 counter, or the block of random bits it maps to.</summary>
public struct PhiloxBlock
{
    /// <summary>Word 0.</summary>
    public uint X0;
    /// <summary>Word 1.</summary>
    public uint X1;
    /// <summary>Word 2.</summary>
    public uint X2;
    /// <summary>Word 3.</summary>
    public uint X3;

    /// <summary>Creates a block from its four words.</summary>
    public PhiloxBlock(uint x0, uint x1, uint x2, uint x3)
    {
        X0 = x0;
        X1 = x1;
        X2 = x2;
        X3 = x3;
    }

    /// <inheritdoc />
    public override readonly string ToString() => $"{X0:x8} {X1:x8} {X2:x8} {X3:x8}";
}

/// <summary>
/// The Philox4x32-10 counter-based generator of Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as
/// easy as 1, 2, 3" (SC 2011), bit-compatible with Random123's <c>philox4x32_R</c>: a 128-bit counter and a
/// 64-bit key map to 128 random bits through ten rounds of
/// <c>(x0, x1, x2, x3) ← (hi(M1·x2) ⊕ x1 ⊕ k0, lo(M1·x2), hi(M0·x0) ⊕ x3 ⊕ k1, lo(M0·x0))</c>,
/// with the key bumped by the Weyl constants between rounds.
/// </summary>
/// <remarks>
/// Only 32×32→64-bit integer multiplies, shifts and xors: the same code runs on the host and compiles as an
/// ILGPU device function (PTX, OpenCL C), and gives the same bits everywhere.
/// <para>Tangent's use of the 128-bit counter and 64-bit key: counter = (lo32(block), hi32(block),
/// lo32(stream), hi32(stream)), key = (lo32(seed), hi32(seed)); see <see cref="Generate"/>.</para>
/// </remarks>
public static class Philox
{
    /// <summary>Round multiplier for words 0 and 1 (Random123's PHILOX_M4x32_0).</summary>
    public const uint Multiplier0 = 0xD2511F53;

    /// <summary>Round multiplier for words 2 and 3 (Random123's PHILOX_M4x32_1).</summary>
    public const uint Multiplier1 = 0xCD9E8D57;

    /// <summary>Key increment for key word 0 (golden ratio, Random123's PHILOX_W32_0).</summary>
    public const uint Weyl0 = 0x9E3779B9;

    /// <summary>Key increment for key word 1 (√3 − 1, Random123's PHILOX_W32_1).</summary>
    public const uint Weyl1 = 0xBB67AE85;

    /// <summary>Rounds of the standard generator.</summary>
    public const int StandardRounds = 10;

    /// <summary>Philox4x32-10 of a counter under a key.</summary>
    public static PhiloxBlock Compute(PhiloxBlock counter, uint key0, uint key1) =>
        Compute(counter, key0, key1, StandardRounds);

    /// <summary>
    /// Philox4x32-R with <paramref name="rounds"/> rounds (Random123 tests 7 and 10; use 10). The key is bumped
    /// before every round but the first, as in Random123.
    /// </summary>
    public static PhiloxBlock Compute(PhiloxBlock counter, uint key0, uint key1, int rounds)
    {
        uint x0 = counter.X0, x1 = counter.X1, x2 = counter.X2, x3 = counter.X3;
        uint k0 = key0, k1 = key1;
        for (int r = 0; r < rounds; r++)
        {
            if (r > 0)
            {
                k0 += Weyl0;
                k1 += Weyl1;
            }
            // mulhilo32 through one 64-bit product: portable to every ILGPU target (no Math.BigMul).
            ulong p0 = (ulong)Multiplier0 * x0;
            ulong p1 = (ulong)Multiplier1 * x2;
            uint y0 = (uint)(p1 >> 32) ^ x1 ^ k0;
            uint y1 = (uint)p1;
            uint y2 = (uint)(p0 >> 32) ^ x3 ^ k1;
            uint y3 = (uint)p0;
            x0 = y0;
            x1 = y1;
            x2 = y2;
            x3 = y3;
        }
        return new PhiloxBlock(x0, x1, x2, x3);
    }

    /// <summary>
    /// Block number <paramref name="block"/> of stream <paramref name="stream"/> under <paramref name="seed"/>:
    /// Philox4x32-10 of counter (lo32(block), hi32(block), lo32(stream), hi32(stream)) with key
    /// (lo32(seed), hi32(seed)).
    /// </summary>
    public static PhiloxBlock Generate(ulong seed, ulong stream, ulong block) =>
        Compute(new PhiloxBlock((uint)block, (uint)(block >> 32), (uint)stream, (uint)(stream >> 32)),
            (uint)seed, (uint)(seed >> 32), StandardRounds);
}
