using FsCheck;
using FsCheck.Xunit;
using Tangent.Kernels.Rng;

namespace Tangent.Kernels.Tests.Rng;

/// <summary>Philox4x32 against Random123's known-answer vectors, and the reproducible math against libm.</summary>
public sealed class PhiloxTests
{
    // Random123 tests/kat_vectors, the philox4x32 lines: rounds, counter[4], key[2], expected output[4].
    [Theory]
    [InlineData(7, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x5f6fb709u, 0x0d893f64u, 0x4f121f81u, 0x4f730a48u)]
    [InlineData(7, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x5207ddc2u, 0x45165e59u, 0x4d8ee751u, 0x8c52f662u)]
    [InlineData(7, 0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0x4dfccabau, 0x190a87f0u, 0xc47362bau, 0xb6b5242au)]
    [InlineData(10, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x00000000u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(10, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(10, 0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void KnownAnswerVectors(int rounds, uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        uint e0, uint e1, uint e2, uint e3)
    {
        var r = Philox.Compute(new PhiloxBlock(c0, c1, c2, c3), k0, k1, rounds);
        Assert.Equal(new PhiloxBlock(e0, e1, e2, e3).ToString(), r.ToString());
    }

    [Fact]
    public void GenerateMapsSeedStreamBlockToKeyAndCounter()
    {
        // The third Random123 vector expressed as (seed, stream, block): key = (lo, hi) of the seed,
        // counter = (lo, hi) of the block then (lo, hi) of the stream.
        var r = Philox.Generate(seed: 0x299f31d0_a4093822UL, stream: 0x03707344_13198a2eUL, block: 0x85a308d3_243f6a88UL);
        Assert.Equal("d16cfe09 94fdcceb 5001e420 24126ea1", r.ToString());
    }

    // k·2^-bits is exact in a double and Math.Log is within 1 ulp; ours is within a few ulp (the sum
    // n·ln 2 + ln m can cancel one bit): 1e-15 relative is about 4.5 ulp.
    [Property(MaxTest = 300)]
    public void LogOfFractionMatchesLibm(ulong raw, bool wide)
    {
        int bits = wide ? 53 : 32;
        long k = (long)(raw % (1UL << bits)) + 1;
        double expected = Math.Log(k * Math.Pow(2.0, -bits));
        double got = ReproducibleMath.LogOfFraction(k, bits);
        Assert.True(Math.Abs(got - expected) <= 1e-15 * Math.Abs(expected), $"ln({k}·2^-{bits}) = {got:R}, libm {expected:R}");
    }

    [Theory]
    [InlineData(1L, 32)]
    [InlineData(4294967296L, 32)]
    [InlineData(4294967295L, 32)]
    [InlineData(1L, 53)]
    [InlineData(9007199254740992L, 53)]
    [InlineData(9007199254740991L, 53)]
    [InlineData(6369051672525773L, 53)] // just above √2·2^52
    public void LogOfFractionAtTheEnds(long k, int bits)
    {
        double expected = Math.Log(k * Math.Pow(2.0, -bits));
        double got = ReproducibleMath.LogOfFraction(k, bits);
        Assert.True(Math.Abs(got - expected) <= 1e-15 * Math.Abs(expected), $"ln({k}·2^-{bits}) = {got:R}, libm {expected:R}");
        if (k == 1L << bits) Assert.Equal(0.0, got);
    }

    // The reference angle 2π·j·2^-bits carries one rounding (≤ 4.5e-16 absolute), libm ≤ 1 ulp: 2e-15 absolute.
    [Property(MaxTest = 300)]
    public void CosSinOfTurnsMatchesLibm(ulong raw, bool wide)
    {
        int bits = wide ? 53 : 32;
        long j = (long)(raw % (1UL << bits));
        double theta = 2.0 * Math.PI * (j / Math.Pow(2.0, bits));
        var cs = ReproducibleMath.CosSinOfTurns(j, bits);
        Assert.True(Math.Abs(cs.Cos - Math.Cos(theta)) <= 2e-15, $"cos: {cs.Cos:R} vs {Math.Cos(theta):R} at j={j}, bits={bits}");
        Assert.True(Math.Abs(cs.Sin - Math.Sin(theta)) <= 2e-15, $"sin: {cs.Sin:R} vs {Math.Sin(theta):R} at j={j}, bits={bits}");
    }

    [Fact]
    public void CosSinOfTurnsAtOctantBoundaries()
    {
        for (int q = 0; q < 8; q++)
        {
            long j = (long)q << 29; // bits = 32: θ = qπ/4 exactly
            double theta = q * Math.PI / 4;
            var cs = ReproducibleMath.CosSinOfTurns(j, 32);
            Assert.True(Math.Abs(cs.Cos - Math.Cos(theta)) <= 2e-15, $"cos at octant {q}: {cs.Cos:R}");
            Assert.True(Math.Abs(cs.Sin - Math.Sin(theta)) <= 2e-15, $"sin at octant {q}: {cs.Sin:R}");
        }
    }
}
