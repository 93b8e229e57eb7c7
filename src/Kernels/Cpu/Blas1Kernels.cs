using System.Runtime.Intrinsics;

namespace Tangent.Kernels.Cpu;

/// <summary>
/// Dot products and sums of squares. Float data accumulate in double: the widened products x·y and squares x² are
/// exact in double, so the float result is correctly rounded up to the double summation error (≈ n·1e-16), and no
/// float overflow can occur in Σx² (float max² ≈ 1.2e77). Sums are blocked and pairwise: vector accumulators per block
/// of <see cref="PairwiseTree.Block"/> elements and the <see cref="PairwiseTree"/> over blocks, whose top the backend
/// runs in parallel without changing the value.
/// </summary>
internal static unsafe class Blas1Kernels
{
    /// <summary>Σ x[i]·y[i] for float data, accumulated in double, blocked and pairwise.</summary>
    public static double DotF(float* x, float* y, nint n)
    {
        if (n > PairwiseTree.Block)
        {
            nint h = PairwiseTree.Half(n);
            return DotF(x, y, h) + DotF(x + h, y + h, n - h);
        }
        nint i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 32; i += 32)
            {
                var (x0, x1) = Vector512.Widen(Vector512.Load(x + i));
                var (y0, y1) = Vector512.Widen(Vector512.Load(y + i));
                var (x2, x3) = Vector512.Widen(Vector512.Load(x + i + 16));
                var (y2, y3) = Vector512.Widen(Vector512.Load(y + i + 16));
                a0 = Vector512.FusedMultiplyAdd(x0, y0, a0);
                a1 = Vector512.FusedMultiplyAdd(x1, y1, a1);
                a2 = Vector512.FusedMultiplyAdd(x2, y2, a2);
                a3 = Vector512.FusedMultiplyAdd(x3, y3, a3);
            }
            s = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> a0 = default, a1 = default;
            for (; i <= n - 8; i += 8)
            {
                var (x0, x1) = Vector256.Widen(Vector256.Load(x + i));
                var (y0, y1) = Vector256.Widen(Vector256.Load(y + i));
                a0 += x0 * y0;
                a1 += x1 * y1;
            }
            s = Vector256.Sum(a0 + a1);
        }
        for (; i < n; i++) s += (double)x[i] * y[i];
        return s;
    }

    /// <summary>Σ x[i]·y[i] for double data, blocked and pairwise.</summary>
    public static double DotD(double* x, double* y, nint n)
    {
        if (n > PairwiseTree.Block)
        {
            nint h = PairwiseTree.Half(n);
            return DotD(x, y, h) + DotD(x + h, y + h, n - h);
        }
        nint i = 0;
        double s = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<double> a0 = default, a1 = default, a2 = default, a3 = default;
            for (; i <= n - 32; i += 32)
            {
                a0 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i), Vector512.Load(y + i), a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i + 8), Vector512.Load(y + i + 8), a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i + 16), Vector512.Load(y + i + 16), a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Load(x + i + 24), Vector512.Load(y + i + 24), a3);
            }
            s = Vector512.Sum((a0 + a1) + (a2 + a3));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            Vector256<double> a0 = default, a1 = default;
            for (; i <= n - 8; i += 8)
            {
                a0 += Vector256.Load(x + i) * Vector256.Load(y + i);
                a1 += Vector256.Load(x + i + 4) * Vector256.Load(y + i + 4);
            }
            s = Vector256.Sum(a0 + a1);
        }
        for (; i < n; i++) s += x[i] * y[i];
        return s;
    }

    /// <summary>max |x[i]| for double data (0 for n = 0; NaN if any entry is NaN).</summary>
    public static double MaxAbsD(double* x, nint n)
    {
        nint i = 0;
        double m = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var v = Vector512<double>.Zero;
            for (; i <= n - 8; i += 8) v = Vector512.Max(v, Vector512.Abs(Vector512.Load(x + i)));
            for (int l = 0; l < 8; l++) m = Math.Max(m, v.GetElement(l));
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var v = Vector256<double>.Zero;
            for (; i <= n - 4; i += 4) v = Vector256.Max(v, Vector256.Abs(Vector256.Load(x + i)));
            for (int l = 0; l < 4; l++) m = Math.Max(m, v.GetElement(l));
        }
        for (; i < n; i++) m = Math.Max(m, Math.Abs(x[i]));
        return m;
    }

    /// <summary>Σ (s·x[i])² for double data, blocked and pairwise (s scales the entries away from overflow/underflow).</summary>
    public static double ScaledSumSquaresD(double* x, double s, nint n)
    {
        if (n > PairwiseTree.Block)
        {
            nint h = PairwiseTree.Half(n);
            return ScaledSumSquaresD(x, s, h) + ScaledSumSquaresD(x + h, s, n - h);
        }
        nint i = 0;
        double acc = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            var vs = Vector512.Create(s);
            Vector512<double> a0 = default, a1 = default;
            for (; i <= n - 16; i += 16)
            {
                var v0 = Vector512.Load(x + i) * vs;
                var v1 = Vector512.Load(x + i + 8) * vs;
                a0 = Vector512.FusedMultiplyAdd(v0, v0, a0);
                a1 = Vector512.FusedMultiplyAdd(v1, v1, a1);
            }
            acc = Vector512.Sum(a0 + a1);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            var vs = Vector256.Create(s);
            Vector256<double> a0 = default;
            for (; i <= n - 4; i += 4)
            {
                var v0 = Vector256.Load(x + i) * vs;
                a0 += v0 * v0;
            }
            acc = Vector256.Sum(a0);
        }
        for (; i < n; i++)
        {
            double v = x[i] * s;
            acc += v * v;
        }
        return acc;
    }
}

/// <summary>A dot product, max |x| or scaled sum of squares as a <see cref="PairwiseTree"/> range.</summary>
internal unsafe struct Blas1Range : IPairwiseRange<double>
{
    /// <summary>0: float dot, 1: double dot, 2: double max |x|, 3: double scaled Σx².</summary>
    public int Kind;
    public void* X, Y;
    public double Scale;

    public readonly double Range(long start, long length) => Kind switch
    {
        0 => Blas1Kernels.DotF((float*)X + start, (float*)Y + start, (nint)length),
        1 => Blas1Kernels.DotD((double*)X + start, (double*)Y + start, (nint)length),
        2 => Blas1Kernels.MaxAbsD((double*)X + start, (nint)length),
        _ => Blas1Kernels.ScaledSumSquaresD((double*)X + start, Scale, (nint)length),
    };

    public readonly double Combine(double left, double right) => Kind == 2 ? Math.Max(left, right) : left + right;
}
