using FsCheck;
using FsCheck.Fluent;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Tests.Support;

/// <summary>
/// Host-side helpers for the elementwise / reduction / softmax / BLAS-1 tests: conversions between double and the
/// element type under test, the relative-norm error check, and FsCheck generators of shapes and values.
/// </summary>
public static class ElemReference
{
    /// <summary>Relative-norm tolerance for <typeparamref name="T"/>: float32 1e-5 (about 100 ulps of accumulated
    /// rounding), float64 1e-12 (the same margin at double precision).</summary>
    public static double Tolerance<T>() => typeof(T) == typeof(float) ? 1e-5 : 1e-12;

    /// <summary>Values rounded to <typeparamref name="T"/>.</summary>
    public static T[] To<T>(double[] v) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return (T[])(object)v.Select(d => (float)d).ToArray();
        return (T[])(object)v.ToArray();
    }

    /// <summary>Values widened to double.</summary>
    public static double[] ToDouble<T>(T[] v) where T : unmanaged
    {
        if (v is float[] f) return f.Select(x => (double)x).ToArray();
        return ((double[])(object)v).ToArray();
    }

    /// <summary>Rounds values to <typeparamref name="T"/> and back, so that references see exactly the kernel's inputs.</summary>
    public static double[] Round<T>(double[] v) where T : unmanaged => ToDouble(To<T>(v));

    /// <summary>Uploads doubles as <typeparamref name="T"/>.</summary>
    public static DeviceBuffer<T> Upload<T>(Backend backend, double[] v) where T : unmanaged => backend.Upload<T>(To<T>(v));

    /// <summary>Downloads a buffer as doubles.</summary>
    public static double[] Download<T>(DeviceBuffer<T> b) where T : unmanaged => ToDouble(b.ToArray());

    /// <summary>‖a − b‖₂ / ‖b‖₂ (‖a − b‖₂ when b = 0); NaN/∞ mismatches count as infinite error.</summary>
    public static double RelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        if (actual.Length != expected.Length) return double.PositiveInfinity;
        // Scale by the largest magnitude so that squares of entries near 1e300 do not overflow.
        double scale = 0;
        for (int i = 0; i < actual.Length; i++)
            if (double.IsFinite(expected[i]) && double.IsFinite(actual[i])) scale = Math.Max(scale, Math.Max(Math.Abs(expected[i]), Math.Abs(actual[i])));
        if (scale == 0) scale = 1;
        double num = 0, den = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = actual[i] / scale, e = expected[i] / scale;
            if (double.IsNaN(e) || double.IsInfinity(e))
            {
                if (!a.Equals(e)) return double.PositiveInfinity;
                continue;
            }
            double d = a - e;
            num += d * d;
            den += e * e;
        }
        if (double.IsNaN(num)) return double.PositiveInfinity;
        return den == 0 ? Math.Sqrt(num) * scale : Math.Sqrt(num / den);
    }

    /// <summary>Asserts the relative-norm error is within <paramref name="tolerance"/>, naming the case on failure.</summary>
    public static void AssertClose(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double tolerance, string what)
    {
        double err = RelativeError(actual, expected);
        if (!(err <= tolerance))
        {
            int worst = 0;
            double wd = -1;
            for (int i = 0; i < Math.Min(actual.Length, expected.Length); i++)
            {
                double d = Math.Abs(actual[i] - expected[i]);
                if (d > wd || double.IsNaN(d)) { wd = d; worst = i; if (double.IsNaN(d)) break; }
            }
            string detail = actual.Length == expected.Length && actual.Length > 0
                ? $" worst at [{worst}]: got {actual[worst]:R}, expected {expected[worst]:R}" : $" lengths {actual.Length} vs {expected.Length}";
            Assert.Fail($"{what}: relative error {err:E3} exceeds {tolerance:E1};{detail}");
        }
    }

    /// <summary>
    /// Asserts ‖a − b‖₂ ≤ tolerance·‖max(|b|, floor)‖₂: relative error where values are large, absolute error
    /// (scaled by <paramref name="floor"/>) where a quantity is legitimately near zero but computed from O(1) terms,
    /// e.g. a cross-entropy loss log(1 + tiny) whose float rounding is ε in absolute terms.
    /// </summary>
    public static void AssertCloseWithFloor<T>(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, double floor, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double num = 0, den = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double d = actual[i] - expected[i], m = Math.Max(Math.Abs(expected[i]), floor);
            num += d * d;
            den += m * m;
        }
        double err = den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
        Assert.True(err <= Tolerance<T>(), $"{what} ({typeof(T).Name}): error {err:E3} (relative, floored at {floor}) exceeds {Tolerance<T>():E1}");
    }

    /// <summary>Asserts with the default tolerance for <typeparamref name="T"/>.</summary>
    public static void AssertClose<T>(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected, string what)
        => AssertClose(actual, expected, Tolerance<T>(), $"{what} ({typeof(T).Name})");

    /// <summary>Lengths that stress vector tails: 0, 1, around multiples of 8/16, and a few larger ones.</summary>
    public static Gen<int> Lengths(int max) => Gen.Frequency(
        (2, Gen.Elements(0, 1, 2, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65)),
        (3, Gen.Choose(0, Math.Min(max, 300))),
        (1, Gen.Choose(0, max)));

    /// <summary>n doubles uniform in [lo, hi).</summary>
    public static Gen<double[]> Values(int n, double lo, double hi)
        => Gen.ArrayOf(Gen.Choose(0, 1 << 30).Select(k => lo + (hi - lo) * (k / (double)(1 << 30))), n);

    /// <summary>Runs a property with a modest case count (the suite runs on 2 cores).</summary>
    public static void Check<TA>(Gen<TA> gen, Action<TA> property, int cases = 40)
        => Prop.ForAll(gen.ToArbitrary(), property).Check(Config.QuickThrowOnFailure.WithMaxTest(cases));
}
