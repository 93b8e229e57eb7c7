using MathNet.Numerics.LinearAlgebra;
using Tangent.Inference.Numerics;

namespace Tangent.Inference.Tests.Numerics;

/// <summary>The host dense float64 helpers against MathNet's factorisations.</summary>
public sealed class DenseNumericsTests
{
    private static Matrix<double> RandomSymmetric(int n, Random rng)
    {
        var a = Matrix<double>.Build.Dense(n, n, (_, _) => rng.NextDouble() - 0.5);
        return a + a.Transpose();
    }

    private static double[] RowMajor(Matrix<double> m) => Enumerable.Range(0, m.RowCount * m.ColumnCount).Select(k => m[k / m.ColumnCount, k % m.ColumnCount]).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(90)]
    public void EigenvaluesOfARandomSymmetricMatrixMatchMathNet(int n)
    {
        var m = RandomSymmetric(n, new Random(n));
        var expected = m.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).Order().ToArray();
        var actual = SymmetricEigenvalues.Compute(RowMajor(m), n);
        double scale = expected.Max(Math.Abs);
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * scale, $"λ{i}: {actual[i]:R} vs {expected[i]:R}");
    }

    [Fact]
    public void EigenvaluesOfAGgnLikeMatrixWithANullSpaceAndRepeatedValues()
    {
        // BᵀB with B 30×60: rank 30, so 30 zero eigenvalues; plus a diagonal block repeating the value 2.
        var rng = new Random(3);
        var b = Matrix<double>.Build.Dense(30, 60, (_, _) => rng.NextDouble() - 0.5);
        var m = b.TransposeThisAndMultiply(b) * 100;
        var expected = m.Evd(Symmetricity.Symmetric).EigenValues.Select(z => z.Real).Order().ToArray();
        var actual = SymmetricEigenvalues.Compute(RowMajor(m), 60);
        double scale = expected.Max();
        for (int i = 0; i < 60; i++) Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-12 * scale, $"λ{i}: {actual[i]:R} vs {expected[i]:R}");
        Assert.Equal([2.0, 2.0, 2.0], SymmetricEigenvalues.Compute([2, 0, 0, 0, 2, 0, 0, 0, 2], 3));
    }

    [Fact]
    public void CholeskyInverseAndLogDeterminantMatchMathNet()
    {
        const int n = 40;
        var rng = new Random(4);
        var a = Matrix<double>.Build.Dense(n, n, (_, _) => rng.NextDouble() - 0.5);
        var spd = a * a.Transpose() + Matrix<double>.Build.DenseIdentity(n);
        var l = RowMajor(spd);
        var outcome = Cholesky.FactorWithJitter(l, n, "test matrix");
        Assert.Equal(0, outcome.Jitter);
        var expected = spd.Cholesky();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) Assert.Equal(expected.Factor[i, j], l[i * n + j], 12);
        Assert.Equal(expected.DeterminantLn, Cholesky.LogDeterminant(l, n), 10);
        var inverse = Cholesky.InvertFactor(l, n);
        var expectedInverse = expected.Factor.Inverse();
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++) Assert.Equal(expectedInverse[i, j], inverse[i * n + j], 10);
    }

    [Fact]
    public void SingularMatrixGetsTheSmallestSufficientJitter()
    {
        // Rank one (every entry 2), mean diagonal 2: the first jitter, 10⁻¹⁰ relative = 2·10⁻¹⁰, already suffices.
        var a = Enumerable.Repeat(2.0, 9).ToArray();
        var outcome = Cholesky.FactorWithJitter(a, 3, "twos");
        Assert.Equal(1e-10, outcome.RelativeJitter, 1e-22);
        Assert.Equal(2e-10, outcome.Jitter, 1e-22);
        Assert.Equal(0, a[1]);
    }

    [Fact]
    public void IndefiniteMatrixFailsWithItsName()
    {
        double[] a = [1, 0, 0, -1];
        var e = Assert.Throws<NotPositiveDefiniteException>(() => Cholesky.FactorWithJitter(a, 2, "H + αI of layer fc3"));
        Assert.Contains("H + αI of layer fc3 (2×2", e.Message);
    }
}
