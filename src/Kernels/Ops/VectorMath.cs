using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tangent.Kernels.Ops;

/// <summary>
/// SIMD transcendental helpers for the functors' vector forms. Exp and Log come from the runtime
/// (<see cref="Vector512.Exp(Vector512{double})"/>: the float forms evaluate in double internally, so they are
/// within an ulp). Tanh is built here from Exp, in each precision; functors without a vector formula fall back to
/// widening to double or to their scalar form lane by lane.
/// </summary>
internal static class VectorMath
{
    // Taylor coefficients of tanh x = x·(1 + c3·x² + c5·x⁴ + …) (Abramowitz–Stegun 4.5.64), used for |x| < 0.04
    // where (1 − e^{−2|x|})/(1 + e^{−2|x|}) loses digits to cancellation: with x² ≤ 1.6e-3 the first omitted term is
    // below 1e-20 relative, and the exp-based branch at |x| ≥ 0.04 has cancellation error ≤ 1.2e-16/0.08 ≈ 1.4e-15.
    private const double T3 = -1.0 / 3, T5 = 2.0 / 15, T7 = -17.0 / 315, T9 = 62.0 / 2835,
        T11 = -1382.0 / 155925, T13 = 21844.0 / 6081075, T15 = -929569.0 / 638512875;
    private const double TanhSeriesLimit = 0.04;

    /// <summary>tanh, lane-wise, double precision (relative error ≲ 2e-15).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<double> Tanh(Vector512<double> x)
    {
        var a = Vector512.Abs(x);
        var e = Vector512.Exp(a * -2.0);
        var big = (Vector512<double>.One - e) / (Vector512<double>.One + e);
        var z = a * a;
        var p = Vector512.Create(T15);
        p = p * z + Vector512.Create(T13);
        p = p * z + Vector512.Create(T11);
        p = p * z + Vector512.Create(T9);
        p = p * z + Vector512.Create(T7);
        p = p * z + Vector512.Create(T5);
        p = p * z + Vector512.Create(T3);
        var small = a + a * z * p;
        var t = Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(TanhSeriesLimit)), small, big);
        // Restore the sign of x (tanh is odd); NaN stays NaN through both branches.
        return Vector512.ConditionalSelect(Vector512.Create(-0.0), x, t);
    }

    /// <summary>tanh, lane-wise, double precision (256-bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<double> Tanh(Vector256<double> x)
    {
        var a = Vector256.Abs(x);
        var e = Vector256.Exp(a * -2.0);
        var big = (Vector256<double>.One - e) / (Vector256<double>.One + e);
        var z = a * a;
        var p = Vector256.Create(T15);
        p = p * z + Vector256.Create(T13);
        p = p * z + Vector256.Create(T11);
        p = p * z + Vector256.Create(T9);
        p = p * z + Vector256.Create(T7);
        p = p * z + Vector256.Create(T5);
        p = p * z + Vector256.Create(T3);
        var small = a + a * z * p;
        var t = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(TanhSeriesLimit)), small, big);
        return Vector256.ConditionalSelect(Vector256.Create(-0.0), x, t);
    }

    // Float tanh: for |x| ≥ 0.55, (1 − e)/(1 + e) with e = e^{−2|x|} ≤ 1/3 has no cancellation (result ≥ 0.5); below,
    // the Taylor polynomial to x¹⁵ is within 6e-4·0.55¹⁶ ≈ 4e-8 relative (the next coefficient is 6404582/10854718875).
    private const float TanhSeriesLimitF = 0.55f;

    /// <summary>tanh, lane-wise, single precision (relative error ≲ 3e-7).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        var a = Vector512.Abs(x);
        var e = Vector512.Exp(a * -2f);
        var big = (Vector512<float>.One - e) / (Vector512<float>.One + e);
        var z = a * a;
        var p = Vector512.Create((float)T15);
        p = p * z + Vector512.Create((float)T13);
        p = p * z + Vector512.Create((float)T11);
        p = p * z + Vector512.Create((float)T9);
        p = p * z + Vector512.Create((float)T7);
        p = p * z + Vector512.Create((float)T5);
        p = p * z + Vector512.Create((float)T3);
        var small = a + a * z * p;
        var t = Vector512.ConditionalSelect(Vector512.LessThan(a, Vector512.Create(TanhSeriesLimitF)), small, big);
        return Vector512.ConditionalSelect(Vector512.Create(-0f), x, t);
    }

    /// <summary>tanh, lane-wise, single precision (256-bit).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        var a = Vector256.Abs(x);
        var e = Vector256.Exp(a * -2f);
        var big = (Vector256<float>.One - e) / (Vector256<float>.One + e);
        var z = a * a;
        var p = Vector256.Create((float)T15);
        p = p * z + Vector256.Create((float)T13);
        p = p * z + Vector256.Create((float)T11);
        p = p * z + Vector256.Create((float)T9);
        p = p * z + Vector256.Create((float)T7);
        p = p * z + Vector256.Create((float)T5);
        p = p * z + Vector256.Create((float)T3);
        var small = a + a * z * p;
        var t = Vector256.ConditionalSelect(Vector256.LessThan(a, Vector256.Create(TanhSeriesLimitF)), small, big);
        return Vector256.ConditionalSelect(Vector256.Create(-0f), x, t);
    }

    /// <summary>Applies the scalar form lane by lane (for functions with no vector formula, e.g. erf).</summary>
    public static Vector512<T> PerLane<T, TOp>(in TOp op, Vector512<T> x) where T : unmanaged where TOp : struct, IUnaryOp<T>
    {
        Unsafe.SkipInit(out Vector512<T> r);
        ref T rr = ref Unsafe.As<Vector512<T>, T>(ref r);
        for (int i = 0; i < Vector512<T>.Count; i++) Unsafe.Add(ref rr, i) = op.Apply(x.GetElement(i));
        return r;
    }

    /// <summary>Applies the scalar form lane by lane (256-bit).</summary>
    public static Vector256<T> PerLane<T, TOp>(in TOp op, Vector256<T> x) where T : unmanaged where TOp : struct, IUnaryOp<T>
    {
        Unsafe.SkipInit(out Vector256<T> r);
        ref T rr = ref Unsafe.As<Vector256<T>, T>(ref r);
        for (int i = 0; i < Vector256<T>.Count; i++) Unsafe.Add(ref rr, i) = op.Apply(x.GetElement(i));
        return r;
    }

    /// <summary>Applies the scalar binary form lane by lane.</summary>
    public static Vector512<T> PerLane2<T, TOp>(in TOp op, Vector512<T> a, Vector512<T> b) where T : unmanaged where TOp : struct, IBinaryOp<T>
    {
        Unsafe.SkipInit(out Vector512<T> r);
        ref T rr = ref Unsafe.As<Vector512<T>, T>(ref r);
        for (int i = 0; i < Vector512<T>.Count; i++) Unsafe.Add(ref rr, i) = op.Apply(a.GetElement(i), b.GetElement(i));
        return r;
    }

    /// <summary>Applies the scalar binary form lane by lane (256-bit).</summary>
    public static Vector256<T> PerLane2<T, TOp>(in TOp op, Vector256<T> a, Vector256<T> b) where T : unmanaged where TOp : struct, IBinaryOp<T>
    {
        Unsafe.SkipInit(out Vector256<T> r);
        ref T rr = ref Unsafe.As<Vector256<T>, T>(ref r);
        for (int i = 0; i < Vector256<T>.Count; i++) Unsafe.Add(ref rr, i) = op.Apply(a.GetElement(i), b.GetElement(i));
        return r;
    }
}
