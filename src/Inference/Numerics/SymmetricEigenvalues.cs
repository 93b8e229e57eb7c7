using System.Numerics;

namespace Tangent.Inference.Numerics;

/// <summary>
/// All eigenvalues of a symmetric float64 matrix (no eigenvectors): Householder reduction to tridiagonal form
/// (Golub &amp; Van Loan, Matrix Computations, 4th ed., Alg. 8.3.1), then bisection on Sturm counts of the tridiagonal
/// matrix (§8.4.1), each eigenvalue to about ε·‖A‖ absolute. The marginal likelihood of a Laplace approximation needs
/// only the spectrum of the GGN; the reduction costs 4n³/3 flops in row-parallel passes, which is why it is written
/// here rather than taken from MathNet (its dense EVD also accumulates eigenvectors and took 38 s for n = 2010).
/// </summary>
public static class SymmetricEigenvalues
{
    /// <summary>The eigenvalues of the symmetric n×n row-major <paramref name="a"/> in ascending order; <paramref name="a"/> is overwritten.</summary>
    public static double[] Compute(double[] a, int n)
    {
        if (a.Length != (long)n * n) throw new ArgumentException($"a {n}×{n} matrix needs {(long)n * n} values; {a.Length} were given.");
        var (diagonal, offDiagonal) = Tridiagonalize(a, n);
        return TridiagonalEigenvalues(diagonal, offDiagonal);
    }

    /// <summary>
    /// QᵀAQ = T by Householder reflections from both sides: step k zeroes row/column k beyond the sub-diagonal with
    /// H = I − β v vᵀ acting on the trailing block A′: p = β A′v, w = p − (β pᵀv / 2) v, A′ ← A′ − v wᵀ − w vᵀ.
    /// The rank-2 update of step k is applied to each trailing row in the same pass that computes that row's entry
    /// of the next p (one read and write of A′ per step instead of three), rows split across threads.
    /// Returns T's diagonal and sub-diagonal (length n − 1).
    /// </summary>
    private static (double[] Diagonal, double[] OffDiagonal) Tridiagonalize(double[] a, int n)
    {
        var d = new double[n];
        var e = new double[Math.Max(n - 1, 0)];
        // The pending update of the previous step, A′ ← A′ − v wᵀ − w vᵀ on rows/columns from `pendingStart`.
        var v = new double[n];
        var w = new double[n];
        var nextV = new double[n];
        var p = new double[n];
        int pendingStart = -1;
        for (int k = 0; k < n; k++)
        {
            var rowK = a.AsSpan(k * n + k, n - k);
            if (pendingStart >= 0) ApplyPending(rowK, k, k, v, w, pendingStart);
            d[k] = rowK[0];
            if (k == n - 1) break;
            int m = n - k - 1, o = k + 1;
            var x = rowK[1..];
            double sigma = m > 1 ? Cholesky.Dot(x[1..], x[1..]) : 0, x0 = x[0];
            bool reflect = sigma != 0;
            double beta = 0;
            if (reflect)
            {
                // Householder vector with v[0] = 1 such that (I − β v vᵀ) x = μ e₁, μ = ‖x‖ (GvL Alg. 5.1.1).
                double mu = Math.Sqrt(x0 * x0 + sigma);
                double v0 = x0 <= 0 ? x0 - mu : -sigma / (x0 + mu);
                beta = 2 * v0 * v0 / (sigma + v0 * v0);
                nextV[0] = 1;
                for (int i = 1; i < m; i++) nextV[i] = x[i] / v0;
                e[k] = mu;
            }
            else e[k] = x0;
            // One pass over the trailing rows: finish the previous step's update, then p_i = β A′[i,:]·v.
            int start = pendingStart;
            Parallel.For(0, Blocks(m), blk =>
            {
                var (lo, hi) = Block(blk, m);
                for (int i = lo; i < hi; i++)
                {
                    var row = a.AsSpan((o + i) * n + o, m);
                    if (start >= 0) ApplyPending(row, o + i, o, v, w, start);
                    if (reflect) p[i] = beta * Cholesky.Dot(row, nextV.AsSpan(0, m));
                }
            });
            if (!reflect)
            {
                pendingStart = -1;
                continue;
            }
            double half = beta * Cholesky.Dot(p.AsSpan(0, m), nextV.AsSpan(0, m)) / 2;
            for (int i = 0; i < m; i++)
            {
                v[i] = nextV[i];
                w[i] = p[i] - half * nextV[i];
            }
            pendingStart = o;
        }
        return (d, e);
    }

    /// <summary>
    /// Applies A′ ← A′ − v wᵀ − w vᵀ (v, w indexed from matrix index <paramref name="start"/>) to row
    /// <paramref name="rowIndex"/>, of which <paramref name="row"/> holds the columns from <paramref name="firstColumn"/> on.
    /// </summary>
    private static void ApplyPending(Span<double> row, int rowIndex, int firstColumn, double[] v, double[] w, int start)
    {
        int r = rowIndex - start, c = firstColumn - start;
        Cholesky.Axpy(-v[r], w.AsSpan(c, row.Length), row);
        Cholesky.Axpy(-w[r], v.AsSpan(c, row.Length), row);
    }

    private static int Blocks(int m) => Math.Max(1, Math.Min(Environment.ProcessorCount * 4, m / 32));

    private static (int Lo, int Hi) Block(int blk, int m)
    {
        int blocks = Blocks(m);
        return ((int)((long)blk * m / blocks), (int)((long)(blk + 1) * m / blocks));
    }

    /// <summary>
    /// Eigenvalues of the symmetric tridiagonal matrix (diagonal <paramref name="d"/>, off-diagonal <paramref name="e"/>)
    /// by bisection: the number of eigenvalues below x is the number of negative pivots of T − xI (Sturm count), so
    /// the k-th is found by halving a Gershgorin interval until it is as narrow as rounding allows. The pivot
    /// recurrence is a chain of divisions, so one SIMD lane bisects each of several eigenvalues at once.
    /// </summary>
    public static double[] TridiagonalEigenvalues(double[] d, double[] e)
    {
        int n = d.Length, width = Vector<double>.Count;
        double lo = double.PositiveInfinity, hi = double.NegativeInfinity;
        for (int i = 0; i < n; i++)
        {
            double r = (i > 0 ? Math.Abs(e[i - 1]) : 0) + (i < n - 1 ? Math.Abs(e[i]) : 0);
            lo = Math.Min(lo, d[i] - r);
            hi = Math.Max(hi, d[i] + r);
        }
        double norm = Math.Max(Math.Abs(lo), Math.Abs(hi));
        // A zero pivot is replaced by a tiny negative one (LAPACK dstebz's pivmin idea).
        double pivotFloor = Math.Max(norm * 1e-290, 1e-300);
        // Relative precision for large eigenvalues, ε·‖T‖ absolute near zero (the Sturm count's own accuracy).
        double floorWidth = 2.3e-16 * norm;
        var squares = e.Select(x => x * x).ToArray();
        var result = new double[n];
        int groups = (n + width - 1) / width;
        Parallel.For(0, groups, g =>
        {
            Span<double> index = stackalloc double[width];
            for (int l = 0; l < width; l++) index[l] = Math.Min(g * width + l, n - 1);
            var k = new Vector<double>(index);
            Vector<double> a = new(lo), b = new(hi);
            for (int iteration = 0; iteration < 2100; iteration++)
            {
                var mid = (a + b) * 0.5;
                var wide = Vector.GreaterThan(b - a, Vector.Max(new Vector<double>(floorWidth), Vector.Abs(mid) * 4.6e-16));
                if (wide == Vector<long>.Zero) break;
                var above = Vector.GreaterThan(CountBelow(d, squares, mid, pivotFloor), k);
                b = Vector.ConditionalSelect(wide & above, mid, b);
                a = Vector.ConditionalSelect(wide & ~above, mid, a);
            }
            var m = (a + b) * 0.5;
            for (int l = 0; l < width && g * width + l < n; l++) result[g * width + l] = m[l];
        });
        return result;
    }

    /// <summary>Number of eigenvalues below each lane's shift: negative pivots of the LDLᵀ recurrence q_i = d_i − x − e²_{i−1}/q_{i−1}.</summary>
    private static Vector<double> CountBelow(double[] d, double[] e2, Vector<double> x, double pivotFloor)
    {
        var count = Vector<double>.Zero;
        var floor = new Vector<double>(-pivotFloor);
        var q = new Vector<double>(d[0]) - x;
        for (int i = 0; ; i++)
        {
            q = Vector.ConditionalSelect(Vector.Equals(q, Vector<double>.Zero), floor, q);
            count += Vector.ConditionalSelect(Vector.LessThan(q, Vector<double>.Zero), Vector<double>.One, Vector<double>.Zero);
            if (i == d.Length - 1) return count;
            q = new Vector<double>(d[i + 1]) - x - new Vector<double>(e2[i]) / q;
        }
    }
}
