namespace Tangent.Kernels.Rng;

/// <summary>The distributions the random kernels draw from.</summary>
public enum RandomDistribution
{
    /// <summary>Uniform on [0, 1).</summary>
    Uniform,
    /// <summary>Standard normal, by Box–Muller.</summary>
    Normal,
    /// <summary>±1 with probability ½ each.</summary>
    Rademacher,
}

/// <summary>Up to four float32 values made from one Philox block.</summary>
public struct SingleLanes
{
    /// <summary>Lane 0.</summary>
    public float V0;
    /// <summary>Lane 1.</summary>
    public float V1;
    /// <summary>Lane 2.</summary>
    public float V2;
    /// <summary>Lane 3.</summary>
    public float V3;

    /// <summary>Lane <paramref name="lane"/> (0–3).</summary>
    public readonly float this[int lane] => lane switch { 0 => V0, 1 => V1, 2 => V2, _ => V3 };
}

/// <summary>Up to four float64 values made from one Philox block.</summary>
public struct DoubleLanes
{
    /// <summary>Lane 0.</summary>
    public double V0;
    /// <summary>Lane 1.</summary>
    public double V1;
    /// <summary>Lane 2.</summary>
    public double V2;
    /// <summary>Lane 3.</summary>
    public double V3;

    /// <summary>Lane <paramref name="lane"/> (0–3).</summary>
    public readonly double this[int lane] => lane switch { 0 => V0, 1 => V1, 2 => V2, _ => V3 };
}

/// <summary>
/// How Tangent turns Philox bits into values: the one definition that the cpu backend and the ILGPU kernels
/// both call, so that a <c>(seed, stream, offset)</c> triple means the same numbers on every backend.
/// </summary>
/// <remarks>
/// <para><b>Elements and blocks.</b> A fill of n elements with <c>(seed, stream, offset)</c> writes element i
/// from global element index g = offset + i of the stream; the offset counts elements, so drawing [0, 2n) at
/// offset o equals drawing [0, n) at o and then [n, 2n) at o + n, for any n. Element g comes from lane
/// g mod E of Philox block b = ⌊g / E⌋ (<see cref="Philox.Generate"/> with counter (lo32 b, hi32 b,
/// lo32 stream, hi32 stream), key (lo32 seed, hi32 seed)), where E = <see cref="ElementsPerBlock"/>:
/// 4 for float32 uniform and normal and for Rademacher of either type, 2 for float64 uniform and normal.
/// Let w0..w3 be the block's words.</para>
/// <para><b>Uniform float32</b>, lane l: (w_l ≫ 8)·2⁻²⁴, the top 24 bits: every value is exact, in [0, 1 − 2⁻²⁴].</para>
/// <para><b>Uniform float64</b>, lane l ∈ {0, 1}: a = w_{2l} ≫ 5 (27 bits), b = w_{2l+1} ≫ 6 (26 bits),
/// u = (a·2²⁶ + b)·2⁻⁵³ ∈ [0, 1 − 2⁻⁵³] (the <c>genrand_res53</c> construction).</para>
/// <para><b>Normal float32</b>, lanes (0, 1) from words (w0, w1) and lanes (2, 3) from (w2, w3): with
/// k = w_radius + 1 ∈ [1, 2³²] and j = w_angle, u₁ = k·2⁻³² ∈ (0, 1] (never 0, so the log is finite),
/// θ = 2π·j·2⁻³², r = √(−2 ln u₁); lane pair = (r cos θ, r sin θ), computed in float64 and rounded once
/// to float32. |z| ≤ √(64 ln 2) ≈ 6.66.</para>
/// <para><b>Normal float64</b>, lanes (0, 1) of a block: k = 1 + the 53-bit integer of (w0, w1) as in the
/// uniform (u₁ = k·2⁻⁵³ ∈ (0, 1]), j = the 53-bit integer of (w2, w3), θ = 2π·j·2⁻⁵³; lanes = (r cos θ,
/// r sin θ). |z| ≤ √(106 ln 2) ≈ 8.57.</para>
/// <para>ln, cos and sin come from <see cref="ReproducibleMath"/> (plain IEEE double arithmetic), the square
/// root is IEEE's correctly rounded one, so the normals are bit-identical on cpu, ilgpu-cpu and OpenCL
/// (checked on PoCL). On CUDA, ILGPU emits <c>mul.f64</c>/<c>add.f64</c> without <c>.rn</c>, which ptxas may
/// fuse into FMAs, so normals there can differ in the last bits; uniforms (one exact conversion and one
/// exact power-of-two scaling) and Rademacher signs are exact everywhere.</para>
/// <para><b>Rademacher</b>, lane l: +1 when the top bit of w_l is 0, −1 when it is 1 (same values for
/// float32 and float64).</para>
/// </remarks>
public static class PhiloxSampling
{
    private const float TwoPowMinus24F = 5.9604645e-08f;              // 2⁻²⁴
    private const double TwoPowMinus53 = 1.1102230246251565e-16;       // 2⁻⁵³

    /// <summary>Elements one Philox block makes: 4 for float32 and for Rademacher, 2 for float64 uniform and normal.</summary>
    public static int ElementsPerBlock(RandomDistribution distribution, bool isDouble) =>
        isDouble && distribution != RandomDistribution.Rademacher ? 2 : 4;

    /// <summary>Uniform float32 in [0, 1) from the top 24 bits of a word.</summary>
    public static float UniformSingle(uint word) => (float)(int)(word >> 8) * TwoPowMinus24F;

    /// <summary>The 53-bit integer of two words: (hi ≫ 5)·2²⁶ + (lo ≫ 6).</summary>
    public static long Bits53(uint hi, uint lo) => ((long)(hi >> 5) << 26) | (long)(lo >> 6);

    /// <summary>Uniform float64 in [0, 1) from two words (53 bits).</summary>
    public static double UniformDouble(uint hi, uint lo) => (double)Bits53(hi, lo) * TwoPowMinus53;

    /// <summary>+1 when the top bit of <paramref name="word"/> is clear, −1 when set.</summary>
    public static int RademacherSign(uint word) => 1 - (int)((word >> 31) << 1);

    /// <summary>
    /// Box–Muller in float64: (r cos θ, r sin θ) with r = √(−2 ln(k·2^−bits)), θ = 2π·j·2^−bits;
    /// 1 ≤ k ≤ 2^bits, 0 ≤ j &lt; 2^bits.
    /// </summary>
    public static CosSin BoxMuller(long k, long j, int bits)
    {
        double logU = ReproducibleMath.LogOfFraction(k, bits);
        double radius = Math.Sqrt(-2.0 * logU);
        var cs = ReproducibleMath.CosSinOfTurns(j, bits);
        return new CosSin(radius * cs.Cos, radius * cs.Sin);
    }

    /// <summary>The float32 values of one block (lanes beyond <see cref="ElementsPerBlock"/> are unused).</summary>
    public static SingleLanes Singles(RandomDistribution distribution, PhiloxBlock w)
    {
        var v = new SingleLanes();
        if (distribution == RandomDistribution.Uniform)
        {
            v.V0 = UniformSingle(w.X0);
            v.V1 = UniformSingle(w.X1);
            v.V2 = UniformSingle(w.X2);
            v.V3 = UniformSingle(w.X3);
        }
        else if (distribution == RandomDistribution.Normal)
        {
            var a = BoxMuller((long)w.X0 + 1, w.X1, 32);
            var b = BoxMuller((long)w.X2 + 1, w.X3, 32);
            v.V0 = (float)a.Cos;
            v.V1 = (float)a.Sin;
            v.V2 = (float)b.Cos;
            v.V3 = (float)b.Sin;
        }
        else
        {
            v.V0 = RademacherSign(w.X0);
            v.V1 = RademacherSign(w.X1);
            v.V2 = RademacherSign(w.X2);
            v.V3 = RademacherSign(w.X3);
        }
        return v;
    }

    /// <summary>The float64 values of one block (lanes beyond <see cref="ElementsPerBlock"/> are unused).</summary>
    public static DoubleLanes Doubles(RandomDistribution distribution, PhiloxBlock w)
    {
        var v = new DoubleLanes();
        if (distribution == RandomDistribution.Uniform)
        {
            v.V0 = UniformDouble(w.X0, w.X1);
            v.V1 = UniformDouble(w.X2, w.X3);
        }
        else if (distribution == RandomDistribution.Normal)
        {
            var a = BoxMuller(Bits53(w.X0, w.X1) + 1, Bits53(w.X2, w.X3), 53);
            v.V0 = a.Cos;
            v.V1 = a.Sin;
        }
        else
        {
            v.V0 = RademacherSign(w.X0);
            v.V1 = RademacherSign(w.X1);
            v.V2 = RademacherSign(w.X2);
            v.V3 = RademacherSign(w.X3);
        }
        return v;
    }
}
