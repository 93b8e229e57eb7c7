using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Linalg;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Tests.Linalg;

/// <summary>
/// Every operator constructor against its dense float64 matrix: A x, Aᵀ y and both batched forms, on shapes and
/// values from FsCheck. Tolerance 1e-12 relative (float64 products of ≤ 3 factors over ≤ 20 terms).
/// </summary>
public abstract class OperatorTests(Backend backend)
{
    private const double Tol = 1e-12;

    public sealed record Shape(int M, int N, int K, int Count, int Seed);

    private static Arbitrary<Shape> Shapes() =>
        (from m in Gen.Choose(1, 20)
         from n in Gen.Choose(1, 20)
         from k in Gen.Choose(1, 20)
         from count in Gen.Choose(1, 4)
         from seed in Gen.Choose(0, int.MaxValue)
         select new Shape(m, n, k, count, seed)).ToArbitrary();

    /// <summary>Checks the four products of <paramref name="op"/> against the dense matrix <paramref name="a"/>.</summary>
    private void Agree(ILinearOperator<double> op, Matrix<double> a, int count, Random rng)
    {
        Assert.Equal(a.RowCount, op.Rows);
        Assert.Equal(a.ColumnCount, op.Columns);
        var x = Dense.Gaussian(count, a.ColumnCount, rng);
        var y = Dense.Gaussian(count, a.RowCount, rng);
        using var dx = Dense.Upload<double>(backend, x);
        using var dy = Dense.Upload<double>(backend, y);
        using var outRows = backend.Allocate<double>(count * a.RowCount);
        using var outCols = backend.Allocate<double>(count * a.ColumnCount);

        op.Apply(dx.Slice(0, a.ColumnCount), outRows.Slice(0, a.RowCount));
        Assert.InRange(Dense.RelativeError(Dense.Download(outRows.Slice(0, a.RowCount)), a * x.Row(0)), 0, Tol);
        op.ApplyTranspose(dy.Slice(0, a.RowCount), outCols.Slice(0, a.ColumnCount));
        Assert.InRange(Dense.RelativeError(Dense.Download(outCols.Slice(0, a.ColumnCount)), a.TransposeThisAndMultiply(y.Row(0))), 0, Tol);
        op.ApplyMany(dx, outRows, count);
        Assert.InRange(Dense.RelativeError(Dense.DownloadBlock(outRows.View, count, a.RowCount), x * a.Transpose()), 0, Tol);
        op.ApplyTransposeMany(dy, outCols, count);
        Assert.InRange(Dense.RelativeError(Dense.DownloadBlock(outCols.View, count, a.ColumnCount), y * a), 0, Tol);
    }

    [Fact]
    public void Dense_transpose_product_and_sum_match_their_matrices() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), Prop.ForAll(Shapes(), s =>
        {
            var rng = new Random(s.Seed);
            var a = Dense.Gaussian(s.M, s.K, rng);
            var b = Dense.Gaussian(s.K, s.N, rng);
            var c = Dense.Gaussian(s.M, s.K, rng);
            using var da = Dense.Upload<double>(backend, a);
            using var db = Dense.Upload<double>(backend, b);
            using var dc = Dense.Upload<double>(backend, c);
            var opA = LinearOperator.Dense(backend, da.View, s.M, s.K);
            var opB = LinearOperator.Dense(backend, db.View, s.K, s.N);
            var opC = LinearOperator.Dense(backend, dc.View, s.M, s.K);
            Agree(opA, a, s.Count, rng);
            Agree(LinearOperator.Transpose(opA), a.Transpose(), s.Count, rng);
            using var product = LinearOperator.Product(opA, opB);
            Agree(product, a * b, s.Count, rng);
            using var sum = LinearOperator.Sum(opA, opC, opA);
            Agree(sum, a + c + a, s.Count, rng);
            using var scaled = LinearOperator.Scaled(opA, -0.75);
            Agree(scaled, -0.75 * a, s.Count, rng);
        }));

    [Fact]
    public void Gram_shifted_diagonal_identity_and_closures_match_their_matrices() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(25), Prop.ForAll(Shapes(), s =>
        {
            var rng = new Random(s.Seed);
            var a = Dense.Gaussian(s.M, s.N, rng);
            var d = Dense.Gaussian(s.N, rng);
            using var da = Dense.Upload<double>(backend, a);
            using var dd = Dense.Upload<double>(backend, d);
            var opA = LinearOperator.Dense(backend, da.View, s.M, s.N);
            using var ata = LinearOperator.Gram(opA, GramKind.ATransposeA);
            Agree(ata, a.TransposeThisAndMultiply(a), s.Count, rng);
            using var aat = LinearOperator.Gram(opA, GramKind.AATranspose);
            Agree(aat, a.TransposeAndMultiply(a), s.Count, rng);
            using var shifted = LinearOperator.Shifted(ata, 0.5);
            Agree(shifted, a.TransposeThisAndMultiply(a) + 0.5 * Matrix<double>.Build.DenseIdentity(s.N), s.Count, rng);
            Agree(LinearOperator.Diagonal(backend, dd.View), Matrix<double>.Build.DenseOfDiagonalVector(d), s.Count, rng);
            Agree(LinearOperator.ScaledIdentity(backend, s.N, 3.0), 3.0 * Matrix<double>.Build.DenseIdentity(s.N), s.Count, rng);
            Agree(LinearOperator.Identity<double>(backend, s.N), Matrix<double>.Build.DenseIdentity(s.N), s.Count, rng);
            var closure = LinearOperator.FromClosures<double>(backend, s.M, s.N, opA.Apply, opA.ApplyTranspose);
            Agree(closure, a, s.Count, rng);
            var batched = LinearOperator.FromClosures<double>(backend, s.M, s.N, opA.Apply, opA.ApplyTranspose, opA.ApplyMany, opA.ApplyTransposeMany);
            Agree(batched, a, s.Count, rng);
        }));

    [Fact]
    public void Mismatched_shapes_and_short_views_are_rejected_with_the_sizes_named()
    {
        using var da = backend.Allocate<double>(12);
        var a = LinearOperator.Dense(backend, da.View, 3, 4);
        var e = Assert.Throws<ArgumentException>(() => LinearOperator.Product(a, a));
        Assert.Contains("3×4", e.Message);
        using var x = backend.Allocate<double>(3);
        using var y = backend.Allocate<double>(3);
        e = Assert.Throws<ArgumentException>(() => a.Apply(x.View, y.View));
        Assert.Contains("4 needed", e.Message);
        Assert.Throws<ArgumentException>(() => LinearOperator.Shifted(a, 1.0));
        Assert.Throws<ArgumentException>(() => LinearOperator.FromClosures<double>(backend, 3, 4, a.Apply));
    }
}

public sealed class OperatorTestsCpu() : OperatorTests(LinalgTestBackends.Cpu);
