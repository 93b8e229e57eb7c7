namespace Tangent.Kernels.Rng;

/// <summary>A cosine and a sine of the same angle.</summary>
public struct CosSin
{
    /// <summary>cos θ.</summary>
    public double Cos;
    /// <summary>sin θ.</summary>
    public double Sin;

    /// <summary>Creates the pair.</summary>
    public CosSin(double cos, double sin)
    {
        Cos = cos;
        Sin = sin;
    }
}

/// <summary>
/// The logarithm and sine/cosine that Box–Muller needs, written so that every backend computes the same bits.
/// </summary>
/// <remarks>
/// <para>Library <c>log</c>/<c>sin</c>/<c>cos</c> are not correctly rounded, and .NET, OpenCL (PoCL) and CUDA
/// each ship their own, so <c>Math.Log</c> in a kernel gives backend-dependent last bits. These functions use
/// only integer operations, exact conversions of integers below 2⁵³, and IEEE-754 double <c>+ − × ÷</c>,
/// each written as a separate statement: those are correctly rounded on the host and required to be so for
/// double precision by OpenCL, and neither .NET nor ILGPU's code generators contract them into FMAs. The
/// arguments arrive as integers (the random bits themselves), so range reduction is exact integer work.</para>
/// <para>Accuracy: a few units in the last place of a double, far below what the float32 outputs keep and
/// below the sampling noise of any float64 use.</para>
/// </remarks>
public static class ReproducibleMath
{
    // fdlibm's split of ln 2: Ln2Hi has 32 significant bits, so e·Ln2Hi is exact for |e| < 2²¹.
    private const double Ln2Hi = 6.93147180369123816490e-01;
    private const double Ln2Lo = 1.90821492927058770002e-10;
    private const double Sqrt2 = 1.4142135623730951;
    private const double QuarterPi = 0.78539816339744831;

    /// <summary>
    /// ln(k·2^−<paramref name="bits"/>) for 1 ≤ k ≤ 2^bits, bits ≤ 53: the log of a uniform variate in (0, 1]
    /// given by its integer numerator.
    /// </summary>
    /// <remarks>
    /// k = m·2^e with m ∈ [1/√2, √2) found by integer shifts (exact), then
    /// ln m = 2·atanh(s) = 2s·Σₙ s²ⁿ/(2n+1), s = (m−1)/(m+1), |s| ≤ 0.1716, summed to n = 11 (the next term is
    /// below 2·10⁻²⁰ relative), and ln(k·2^−bits) = (e − bits)·ln 2 + ln m.
    /// </remarks>
    public static double LogOfFraction(long k, int bits)
    {
        // e = ⌊log₂ k⌋ by binary search on the bit position.
        int e = 0;
        long t = k;
        if ((t >> 32) != 0) { t >>= 32; e += 32; }
        if ((t >> 16) != 0) { t >>= 16; e += 16; }
        if ((t >> 8) != 0) { t >>= 8; e += 8; }
        if ((t >> 4) != 0) { t >>= 4; e += 4; }
        if ((t >> 2) != 0) { t >>= 2; e += 2; }
        if ((t >> 1) != 0) { e += 1; }

        // Normalise k to 53 significant bits (k ≤ 2⁵³, so at most one bit, a zero, is shifted out), so that
        // m = normalised·2⁻⁵² ∈ [1, 2) is exact.
        long normalised = e <= 52 ? k << (52 - e) : k >> (e - 52);
        double m = (double)normalised * 2.220446049250313e-16; // 2⁻⁵²
        if (m > Sqrt2)
        {
            m *= 0.5;
            e += 1;
        }

        double numerator = m - 1.0; // exact (Sterbenz: m ∈ [1/√2, √2])
        double denominator = m + 1.0;
        double s = numerator / denominator;
        double z = s * s;
        // Horner on Σₙ zⁿ/(2n+1), n = 0..11.
        double p = 1.0 / 23.0;
        p = p * z; p = p + 1.0 / 21.0;
        p = p * z; p = p + 1.0 / 19.0;
        p = p * z; p = p + 1.0 / 17.0;
        p = p * z; p = p + 1.0 / 15.0;
        p = p * z; p = p + 1.0 / 13.0;
        p = p * z; p = p + 1.0 / 11.0;
        p = p * z; p = p + 1.0 / 9.0;
        p = p * z; p = p + 1.0 / 7.0;
        p = p * z; p = p + 1.0 / 5.0;
        p = p * z; p = p + 1.0 / 3.0;
        p = p * z;
        double twoS = s + s;
        double lnM = twoS * p;
        lnM = lnM + twoS;

        double n = e - bits;
        double high = n * Ln2Hi;
        double low = n * Ln2Lo;
        low = low + lnM;
        return high + low;
    }

    /// <summary>
    /// cos and sin of θ = 2π·j·2^−<paramref name="bits"/> for 0 ≤ j &lt; 2^bits, 3 ≤ bits ≤ 53: the angle of a
    /// uniform variate in [0, 1) given by its integer numerator.
    /// </summary>
    /// <remarks>
    /// The top three bits of j pick the octant q, the rest r give φ = r·2^−(bits−3)·π/4 ∈ [0, π/4]; in odd
    /// octants r is replaced by 2^(bits−3) − r (exact), so θ = qπ/4 ± φ with no rounding in the reduction.
    /// Taylor series on [0, π/4]: sin to φ¹⁷, cos to φ¹⁸ (next terms below 10⁻¹⁹), then the octant's
    /// symmetry swaps and negates them.
    /// </remarks>
    public static CosSin CosSinOfTurns(long j, int bits)
    {
        int shift = bits - 3;
        long octantSize = 1L << shift;
        int q = (int)(j >> shift);
        long r = j & (octantSize - 1);
        if ((q & 1) != 0) r = octantSize - r;
        double fraction = (double)r / (double)octantSize; // exact: a power-of-two division
        double phi = fraction * QuarterPi;
        double z = phi * phi;

        // sin φ = φ·Σₙ (−z)ⁿ/(2n+1)!, n = 0..8
        double s = 1.0 / 355687428096000.0;                // 1/17!
        s = s * z; s = 1.0 / 1307674368000.0 - s;          // 1/15!
        s = s * z; s = 1.0 / 6227020800.0 - s;             // 1/13!
        s = s * z; s = 1.0 / 39916800.0 - s;               // 1/11!
        s = s * z; s = 1.0 / 362880.0 - s;                 // 1/9!
        s = s * z; s = 1.0 / 5040.0 - s;                   // 1/7!
        s = s * z; s = 1.0 / 120.0 - s;                    // 1/5!
        s = s * z; s = 1.0 / 6.0 - s;                      // 1/3!
        s = s * z;
        s = s * phi;
        double sin = phi - s;

        // cos φ = Σₙ (−z)ⁿ/(2n)!, n = 0..9
        double c = 1.0 / 6402373705728000.0;               // 1/18!
        c = c * z; c = 1.0 / 20922789888000.0 - c;         // 1/16!
        c = c * z; c = 1.0 / 87178291200.0 - c;            // 1/14!
        c = c * z; c = 1.0 / 479001600.0 - c;              // 1/12!
        c = c * z; c = 1.0 / 3628800.0 - c;                // 1/10!
        c = c * z; c = 1.0 / 40320.0 - c;                  // 1/8!
        c = c * z; c = 1.0 / 720.0 - c;                    // 1/6!
        c = c * z; c = 1.0 / 24.0 - c;                     // 1/4!
        c = c * z; c = 0.5 - c;                            // 1/2!
        c = c * z;
        double cos = 1.0 - c;

        // θ = qπ/4 + φ (q even) or (q+1)π/4 − φ (q odd).
        return q switch
        {
            0 => new CosSin(cos, sin),
            1 => new CosSin(sin, cos),
            2 => new CosSin(-sin, cos),
            3 => new CosSin(-cos, sin),
            4 => new CosSin(-cos, -sin),
            5 => new CosSin(-sin, -cos),
            6 => new CosSin(sin, -cos),
            _ => new CosSin(cos, -sin),
        };
    }
}
