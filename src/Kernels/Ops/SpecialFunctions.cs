namespace Tangent.Kernels.Ops;

/// <summary>
/// Scalar special functions used by functors. Written with loops, arithmetic and <see cref="Math"/> calls only, so
/// that they compile inside ILGPU kernels as well as on the CPU.
/// </summary>
public static class SpecialFunctions
{
    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double InvSqrtPi = 0.5641895835477563;
    private const double InvSqrt2 = 0.7071067811865476;

    /// <summary>
    /// erf z for z ≥ 0 below <see cref="SeriesLimit"/> by the all-positive series
    /// erf z = (2/√π)·e^{−z²}·Σₙ (2z²)ⁿ·z / (1·3·…·(2n+1)) (Abramowitz–Stegun 7.1.6): no cancellation, ≤ 60 terms.
    /// </summary>
    private static double ErfSeries(double z)
    {
        double z2 = 2.0 * z * z;
        double term = z, sum = z;
        for (int n = 0; n < 120; n++)
        {
            term *= z2 / (2 * n + 3);
            sum += term;
            if (term < 1e-17 * sum) break;
        }
        return TwoOverSqrtPi * Math.Exp(-z * z) * sum;
    }

    /// <summary>
    /// erfc z for z ≥ <see cref="SeriesLimit"/> by Laplace's continued fraction
    /// erfc z = (e^{−z²}/√π) / (z + ½/(z + 1/(z + (3/2)/(z + …)))) (A&amp;S 7.1.14), evaluated bottom-up from depth 60
    /// (converged to double precision for z ≥ 2.5).
    /// </summary>
    private static double ErfcFraction(double z)
    {
        double f = z;
        for (int k = 60; k >= 1; k--) f = z + 0.5 * k / f;
        return InvSqrtPi * Math.Exp(-z * z) / f;
    }

    /// <summary>Where <see cref="Erf"/> switches from the series to the continued fraction.</summary>
    private const double SeriesLimit = 2.5;

    /// <summary>The error function erf x (relative error ≲ 1e-15).</summary>
    public static double Erf(double x)
    {
        double z = Math.Abs(x);
        double r = z < SeriesLimit ? ErfSeries(z) : 1.0 - ErfcFraction(z);
        return x < 0 ? -r : r;
    }

    /// <summary>
    /// The standard normal CDF Φ(x) = ½·erfc(−x/√2), accurate in the relative sense in both tails
    /// (the lower tail uses erfc directly, never 1 − erf).
    /// </summary>
    public static double NormalCdf(double x)
    {
        double z = Math.Abs(x) * InvSqrt2;
        double erfc = z < SeriesLimit ? 1.0 - ErfSeries(z) : ErfcFraction(z);
        return x < 0 ? 0.5 * erfc : 1.0 - 0.5 * erfc;
    }

    /// <summary>The standard normal density φ(x) = e^{−x²/2}/√(2π).</summary>
    public static double NormalPdf(double x) => 0.3989422804014327 * Math.Exp(-0.5 * x * x);
}
