using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Linalg;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Engine.Tests.Linalg;

/// <summary>Backends the linear-algebra tests are instantiated on.</summary>
public static class LinalgTestBackends
{
    /// <summary>The managed SIMD backend.</summary>
    public static Backend Cpu => CpuBackend.Instance;

    /// <summary>ILGPU's CPU accelerator (the process-wide instance the kernel tests use too), for small smoke tests.</summary>
    public static Backend IlgpuCpu => DeviceSelection.Create(DeviceKind.IlgpuCpu);
}

/// <summary>Dense float64 host references (MathNet) and device transfer helpers.</summary>
internal static class Dense
{
    /// <summary>A matrix with i.i.d. N(0, 1) entries.</summary>
    public static Matrix<double> Gaussian(int rows, int cols, Random rng)
    {
        var m = Matrix<double>.Build.Dense(rows, cols);
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
                m[i, j] = Normal(rng);
        return m;
    }

    public static Vector<double> Gaussian(int n, Random rng)
    {
        var v = Vector<double>.Build.Dense(n);
        for (int i = 0; i < n; i++) v[i] = Normal(rng);
        return v;
    }

    public static double Normal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>A random orthogonal n×n matrix (Q of the QR of a Gaussian matrix).</summary>
    public static Matrix<double> Orthogonal(int n, Random rng) => Gaussian(n, n, rng).QR().Q;

    /// <summary>Eigenvalues log-spaced from 1 down to 1/κ (so cond = κ, ‖A‖ = 1).</summary>
    public static double[] LogSpectrum(int n, double kappa) =>
        Enumerable.Range(0, n).Select(i => Math.Pow(kappa, -(double)i / Math.Max(1, n - 1))).ToArray();

    /// <summary>Q diag(λ) Qᵀ with a random orthogonal Q.</summary>
    public static Matrix<double> Symmetric(double[] eigenvalues, Random rng)
    {
        int n = eigenvalues.Length;
        var q = Orthogonal(n, rng);
        return q * Matrix<double>.Build.DenseOfDiagonalArray(eigenvalues) * q.Transpose();
    }

    /// <summary>U diag(σ) Vᵀ, rows × cols, with random orthonormal U, V (rows ≥ cols = σ.Length).</summary>
    public static Matrix<double> WithSingularValues(int rows, double[] sigma, Random rng)
    {
        int cols = sigma.Length;
        var u = Gaussian(rows, cols, rng).QR().Q.SubMatrix(0, rows, 0, cols);
        var v = Orthogonal(cols, rng);
        return u * Matrix<double>.Build.DenseOfDiagonalArray(sigma) * v.Transpose();
    }

    /// <summary>Row-major copy of a matrix.</summary>
    public static double[] RowMajor(Matrix<double> m)
    {
        var a = new double[m.RowCount * m.ColumnCount];
        for (int i = 0; i < m.RowCount; i++)
            for (int j = 0; j < m.ColumnCount; j++)
                a[i * m.ColumnCount + j] = m[i, j];
        return a;
    }

    public static DeviceBuffer<T> Upload<T>(Backend backend, Matrix<double> m) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        backend.Upload<T>(RowMajor(m).Select(T.CreateTruncating).ToArray());

    public static DeviceBuffer<T> Upload<T>(Backend backend, Vector<double> v) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        backend.Upload<T>(v.Select(T.CreateTruncating).ToArray());

    public static DeviceBuffer<T> Upload<T>(Backend backend, IEnumerable<double> v) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T> =>
        backend.Upload<T>(v.Select(T.CreateTruncating).ToArray());

    public static Vector<double> Download<T>(BufferView<T> view) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var host = new T[view.Length];
        view.Buffer.CopyTo(host, view.Offset);
        return Vector<double>.Build.DenseOfEnumerable(host.Select(double.CreateTruncating));
    }

    /// <summary>A block [rows, cols] on the device back as a matrix (row i = vector i).</summary>
    public static Matrix<double> DownloadBlock<T>(BufferView<T> view, int rows, int cols) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var v = Download(view.Slice(0, rows * cols));
        return Matrix<double>.Build.Dense(rows, cols, (i, j) => v[i * cols + j]);
    }

    public static double RelativeError(Vector<double> actual, Vector<double> expected) =>
        (actual - expected).L2Norm() / expected.L2Norm();

    public static double RelativeError(Matrix<double> actual, Matrix<double> expected) =>
        (actual - expected).FrobeniusNorm() / expected.FrobeniusNorm();

    /// <summary>Orthogonal projector onto the null space of <paramref name="j"/> from its full SVD (rank by a relative threshold).</summary>
    public static Matrix<double> NullSpaceProjector(Matrix<double> j)
    {
        var svd = j.Svd(computeVectors: true);
        double tol = Math.Max(j.RowCount, j.ColumnCount) * svd.S[0] * 1e-12;
        int rank = svd.S.Count(s => s > tol);
        var vt = svd.VT;
        var n = vt.SubMatrix(rank, j.ColumnCount - rank, 0, j.ColumnCount);
        return n.Transpose() * n;
    }
}

/// <summary>An operator wrapper that counts products, to check how many batched sweeps a solver makes.</summary>
internal sealed class CountingOperator<T>(ILinearOperator<T> inner) : ILinearOperator<T> where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
{
    public int Applies, TransposeApplies, ManyApplies, TransposeManyApplies;
    public int Rows => inner.Rows;
    public int Columns => inner.Columns;
    public Backend Backend => inner.Backend;
    public void Apply(BufferView<T> x, BufferView<T> y) { Applies++; inner.Apply(x, y); }
    public void ApplyTranspose(BufferView<T> y, BufferView<T> x) { TransposeApplies++; inner.ApplyTranspose(y, x); }
    public void ApplyMany(BufferView<T> x, BufferView<T> y, int count) { ManyApplies++; inner.ApplyMany(x, y, count); }
    public void ApplyTransposeMany(BufferView<T> y, BufferView<T> x, int count) { TransposeManyApplies++; inner.ApplyTransposeMany(y, x, count); }
}
