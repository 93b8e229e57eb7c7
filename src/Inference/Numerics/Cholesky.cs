using System.Numerics;
using System.Runtime.InteropServices;

using Tangent.Inference.Posteriors;

namespace Tangent.Inference.Numerics;

/// <summary>How a Cholesky factorisation went: the diagonal jitter it needed (0 when the matrix was positive definite as given).</summary>
/// <param name="Jitter">Absolute value added to every diagonal entry.</param>
/// <param name="MeanDiagonal">Mean of the original diagonal (the scale the jitter was chosen relative to).</param>
public readonly record struct CholeskyOutcome(double Jitter, double MeanDiagonal)
{
    /// <summary>Jitter relative to the mean diagonal.</summary>
    public double RelativeJitter => MeanDiagonal > 0 ? Jitter / MeanDiagonal : 0;
}

/// <summary>Thrown when a matrix stays non-positive-definite after the largest jitter, or holds NaN.</summary>
public sealed class NotPositiveDefiniteException(string message) : InferenceDataException(message);

/// <summary>
/// Dense Cholesky factorisation A = L·Lᵀ of symmetric row-major float64 matrices on the host (the small dense work
/// DESIGN.md sends to the host: C×C logit covariances, the last layer's P′×P′ precision), with the diagonal jitter
/// policy every method uses: try A as given; if it is not positive definite, add ε·mean(diag A) to the diagonal with
/// ε = 10⁻¹⁰, 10⁻⁹, …, 10⁻¹ and report the ε that worked.
/// </summary>
public static class Cholesky
{
    /// <summary>The relative jitters tried after the matrix itself.</summary>
    public static IReadOnlyList<double> RelativeJitters { get; } = Enumerable.Range(0, 10).Select(k => Math.Pow(10, k - 10)).ToArray();

    /// <summary>
    /// Factors <paramref name="a"/> (n×n, only the lower triangle read) in place into L (lower; the strict upper
    /// triangle is zeroed), adding jitter as needed. <paramref name="what"/> names the matrix in the error.
    /// </summary>
    public static CholeskyOutcome FactorWithJitter(Span<double> a, int n, string what)
    {
        double mean = 0;
        for (int i = 0; i < n; i++) mean += a[i * n + i];
        mean /= n;
        for (int i = 0; i < a.Length; i++)
            if (double.IsNaN(a[i])) throw new NotPositiveDefiniteException($"{what} holds NaN (entry [{i / n}, {i % n}]).");
        if (TryFactor(a, n, out var failed)) return new CholeskyOutcome(0, mean);
        double[] original = failed;
        foreach (double eps in RelativeJitters)
        {
            double jitter = eps * Math.Max(mean, double.Epsilon);
            original.CopyTo(a);
            for (int i = 0; i < n; i++) a[i * n + i] += jitter;
            if (TryFactor(a, n, out _)) return new CholeskyOutcome(jitter, mean);
        }
        throw new NotPositiveDefiniteException(
            $"{what} ({n}×{n}, mean diagonal {mean:G4}) is not positive definite even with jitter {RelativeJitters[^1]:G1}·mean diagonal.");
    }

    /// <summary>
    /// Factors in place; on failure returns false with the original matrix in <paramref name="original"/> (a copy
    /// taken before factoring, so that a retry can start over).
    /// </summary>
    private static bool TryFactor(Span<double> a, int n, out double[] original)
    {
        original = a.ToArray();
        // Cholesky–Crout by rows: L[i,j] = (A[i,j] − L[i,:j]·L[j,:j]) / L[j,j], L[i,i] = √(A[i,i] − ‖L[i,:i]‖²).
        for (int i = 0; i < n; i++)
        {
            var rowI = a.Slice(i * n, n);
            for (int j = 0; j <= i; j++)
            {
                double s = rowI[j] - Dot(rowI[..j], a.Slice(j * n, j));
                if (j < i) rowI[j] = s / a[j * n + j];
                else
                {
                    if (!(s > 0)) return false;
                    rowI[i] = Math.Sqrt(s);
                }
            }
            rowI[(i + 1)..].Clear();
        }
        return true;
    }

    /// <summary>log det A = 2 Σ log L[i,i] from the factor L of <see cref="FactorWithJitter"/>.</summary>
    public static double LogDeterminant(ReadOnlySpan<double> factor, int n)
    {
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.Log(factor[i * n + i]);
        return 2 * s;
    }

    /// <summary>
    /// L⁻¹ (lower triangular, row-major) of a Cholesky factor, by forward substitution on rows:
    /// Y[i,:] = (e_i − Σ_{k&lt;i} L[i,k]·Y[k,:]) / L[i,i] (row k of Y is zero right of column k).
    /// </summary>
    public static double[] InvertFactor(ReadOnlySpan<double> factor, int n)
    {
        var y = new double[n * n];
        for (int i = 0; i < n; i++)
        {
            var rowY = y.AsSpan(i * n, i + 1);
            rowY[i] = 1;
            for (int k = 0; k < i; k++)
            {
                double l = factor[i * n + k];
                if (l != 0) Axpy(-l, y.AsSpan(k * n, k + 1), rowY[..(k + 1)]);
            }
            double d = 1 / factor[i * n + i];
            for (int j = 0; j <= i; j++) rowY[j] *= d;
        }
        return y;
    }

    internal static double Dot(ReadOnlySpan<double> x, ReadOnlySpan<double> y)
    {
        int i = 0;
        double s = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y[..x.Length]);
            var acc = Vector<double>.Zero;
            for (int v = 0; v < vx.Length; v++) acc += vx[v] * vy[v];
            s = Vector.Sum(acc);
            i = vx.Length * Vector<double>.Count;
        }
        for (; i < x.Length; i++) s += x[i] * y[i];
        return s;
    }

    internal static void Axpy(double alpha, ReadOnlySpan<double> x, Span<double> y)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && x.Length >= Vector<double>.Count)
        {
            var vx = MemoryMarshal.Cast<double, Vector<double>>(x);
            var vy = MemoryMarshal.Cast<double, Vector<double>>(y[..x.Length]);
            var va = new Vector<double>(alpha);
            for (int v = 0; v < vx.Length; v++) vy[v] += va * vx[v];
            i = vx.Length * Vector<double>.Count;
        }
        for (; i < x.Length; i++) y[i] += alpha * x[i];
    }
}
