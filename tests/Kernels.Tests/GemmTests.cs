using Xunit;
using FsCheck;
using FsCheck.Fluent;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Tests.Support;

namespace Tangent.Kernels.Tests;

/// <summary>
/// GEMM (plain and strided-batched) on one backend against a float64 host reference. Shapes, transposes,
/// padding of the leading dimensions, batch strides (including 0 = shared operand), α, β and the values all come
/// from FsCheck. Error measure: ‖C − C_ref‖ / ‖|α|·|op(A)|·|op(B)| + |β|·|C|‖ (the norm of the summed terms' sizes,
/// which bounds dot-product round-off; ‖C_ref‖ alone fails on outputs that cancel). Tolerances: ≤ 1e-5 in
/// float32 (k ≤ ~600 terms, round-off ~6e-8 per term growing like √k, at worst k·u = 3.6e-5), ≤ 1e-12 in float64.
/// </summary>
public abstract class GemmTests(Backend backend)
{
    /// <summary>Whether the backend is fast enough for the large, threaded and multi-block shapes.</summary>
    private bool Fast => backend.Info.Kind == DeviceKind.Cpu;

    /// <summary>One generated GEMM problem.</summary>
    public sealed record Case(bool TransA, bool TransB, int M, int N, int K, int Batch, bool ShareA, bool ShareB,
        int PadA, int PadB, int PadC, double Alpha, double Beta, int Seed)
    {
        public override string ToString() =>
            $"{(TransA ? "T" : "N")}{(TransB ? "T" : "N")} m={M} n={N} k={K} batch={Batch} shareA={ShareA} shareB={ShareB} " +
            $"pad=({PadA},{PadB},{PadC}) alpha={Alpha} beta={Beta} seed={Seed}";
    }

    private Gen<Case> Cases(int maxDim, int maxK, int maxBatch)
    {
        // Edge sizes (1, tile boundaries ±1) are drawn often; the rest uniformly.
        Gen<int> Dim(int max) => Gen.Frequency(
            (2, Gen.Elements(1, 2, 13, 14, 15, 31, 32, 33).Where(d => d <= max)),
            (3, Gen.Choose(1, max)));
        return from ta in Gen.Elements(false, true)
               from tb in Gen.Elements(false, true)
               from m in Dim(maxDim)
               from n in Dim(maxDim)
               from k in Dim(maxK)
               from batch in Gen.Choose(1, maxBatch)
               from shareA in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
               from shareB in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
               from pads in Gen.Choose(0, 3).Three()
               from alpha in Gen.Elements(1.0, -0.5, 2.0)
               from beta in Gen.Elements(0.0, 1.0, 0.75)
               from seed in Gen.Choose(0, int.MaxValue)
               select new Case(ta, tb, m, n, k, batch, shareA, shareB, pads.Item1, pads.Item2, pads.Item3, alpha, beta, seed);
    }

    [Fact]
    public void Float32_matches_float64_reference_on_generated_shapes() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Fast ? 60 : 12),
            Prop.ForAll(Cases(Fast ? 70 : 20, Fast ? 80 : 20, Fast ? 3 : 2).ToArbitrary(), c => Run<float>(c, 1e-5)));

    [Fact]
    public void Float64_matches_float64_reference_on_generated_shapes() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(Fast ? 40 : 8),
            Prop.ForAll(Cases(Fast ? 70 : 20, Fast ? 80 : 20, Fast ? 3 : 2).ToArbitrary(), c => Run<double>(c, 1e-12)));

    /// <summary>Shapes that cross every blocking boundary of the CPU kernel (KC, MC, NC) and take the threaded path.</summary>
    [Theory]
    [InlineData(false, false, 300, 530, 600, 1)]
    [InlineData(true, false, 129, 257, 513, 1)]
    [InlineData(false, true, 64, 256, 784, 1)]
    [InlineData(true, true, 200, 77, 300, 1)]
    [InlineData(false, true, 45, 70, 90, 5)]
    [InlineData(false, false, 1, 700, 500, 1)]
    [InlineData(false, false, 600, 1, 500, 1)]
    public void Large_shapes_match_reference(bool ta, bool tb, int m, int n, int k, int batch)
    {
        if (!Fast) { (m, n, k) = (Math.Min(m, 40), Math.Min(n, 40), Math.Min(k, 40)); batch = Math.Min(batch, 2); }
        var c = new Case(ta, tb, m, n, k, batch, false, false, 1, 2, 3, 1.5, 0.5, m * 7919 + n);
        Run<float>(c, 1e-5);
        Run<double>(c with { Alpha = -1, Beta = 0 }, 1e-12);
    }

    [Fact]
    public void Beta_zero_ignores_nan_in_C()
    {
        int m = 17, n = 35, k = 19;
        using var a = backend.Upload(Enumerable.Range(0, m * k).Select(i => (float)(i % 7 - 3)).ToArray());
        using var b = backend.Upload(Enumerable.Range(0, k * n).Select(i => (float)(i % 5 - 2)).ToArray());
        using var c = backend.Upload(Enumerable.Repeat(float.NaN, m * n).ToArray());
        backend.Gemm(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, c, n);
        var got = c.ToArray();
        Assert.All(got, v => Assert.True(float.IsFinite(v)));
        double expected = 0;
        for (int l = 0; l < k; l++) expected += (l % 7 - 3) * ((l * n) % 5 - 2);
        Assert.Equal(expected, got[0]);
    }

    [Fact]
    public void K_zero_scales_C_by_beta()
    {
        using var a = backend.Allocate<double>(1);
        using var b = backend.Allocate<double>(1);
        using var c = backend.Upload(new[] { 1.0, 2, 3, 4, 5, 6 });
        backend.Gemm(Transpose.No, Transpose.No, 2, 3, 0, 1.0, a, 1, b, 3, 0.5, c, 3);
        Assert.Equal(new[] { 0.5, 1, 1.5, 2, 2.5, 3 }, c.ToArray());
        // Empty operands may be unset views.
        backend.Gemm(Transpose.No, Transpose.No, 2, 3, 0, 1.0, default, 1, default, 3, 2.0, c, 3);
        Assert.Equal(new[] { 1.0, 2, 3, 4, 5, 6 }, c.ToArray());
    }

    [Fact]
    public void Shape_errors_name_the_operand_and_sizes()
    {
        using var a = backend.Allocate<float>(6);
        using var b = backend.Allocate<float>(12);
        using var c = backend.Allocate<float>(8);
        // A is 2×3 but the call claims 2×4.
        var e = Assert.Throws<ArgumentException>(() => backend.Gemm(Transpose.No, Transpose.No, 2, 4, 4, 1f, a, 4, b, 4, 0f, c, 4));
        Assert.Contains("A has 6 elements but 8 are needed", e.Message);
        e = Assert.Throws<ArgumentException>(() => backend.Gemm(Transpose.No, Transpose.Yes, 2, 4, 3, 1f, a, 2, b, 3, 0f, c, 4));
        Assert.Contains("leading dimension of A is 2", e.Message);
        e = Assert.Throws<ArgumentException>(() => backend.Gemm(Transpose.No, Transpose.No, 2, 4, 3, 1f, a, 3, b, 4, 0f, c, 3));
        Assert.Contains("leading dimension of C is 3", e.Message);
        e = Assert.Throws<ArgumentException>(() => backend.Gemm(Transpose.No, Transpose.No, -1, 4, 3, 1f, a, 3, b, 4, 0f, c, 4));
        Assert.Contains("m=-1", e.Message);
        e = Assert.Throws<ArgumentException>(() => backend.GemmStridedBatched(Transpose.No, Transpose.No, 2, 4, 3,
            1f, a, 3, 0, b, 4, 0, 0f, c, 4, 0, 2));
        Assert.Contains("C batch stride is 0", e.Message);
    }

    private bool Run<T>(Case c, double tolerance) where T : unmanaged
    {
        var rng = new Random(c.Seed);
        int aRows = c.TransA ? c.K : c.M, aCols = c.TransA ? c.M : c.K;
        int bRows = c.TransB ? c.N : c.K, bCols = c.TransB ? c.K : c.N;
        int lda = aCols + c.PadA, ldb = bCols + c.PadB, ldc = c.N + c.PadC;
        long sA = c.ShareA ? 0 : (long)aRows * lda + c.PadA, sB = c.ShareB ? 0 : (long)bRows * ldb, sC = (long)c.M * ldc + c.PadC;
        var a = Values(rng, sA * (c.Batch - 1) + (long)aRows * lda);
        var b = Values(rng, sB * (c.Batch - 1) + (long)bRows * ldb);
        var c0 = Values(rng, sC * (c.Batch - 1) + (long)c.M * ldc);
        if (c.Beta == 0) Array.Fill(c0, double.NaN);

        // expected = α·op(A)·op(B) + β·C; scale = |α|·|op(A)|·|op(B)| + |β|·|C|, the size of the terms summed, which
        // bounds the round-off (a single output may cancel to near zero, so it cannot be the yardstick alone).
        var expected = (double[])c0.Clone();
        var scale = new double[expected.Length];
        for (int p = 0; p < c.Batch; p++)
            for (int i = 0; i < c.M; i++)
                for (int j = 0; j < c.N; j++)
                {
                    double acc = 0, abs = 0;
                    for (int l = 0; l < c.K; l++)
                    {
                        double av = c.TransA ? a[p * sA + l * lda + i] : a[p * sA + i * lda + l];
                        double bv = c.TransB ? b[p * sB + j * ldb + l] : b[p * sB + l * ldb + j];
                        acc += av * bv;
                        abs += Math.Abs(av * bv);
                    }
                    long at = p * sC + i * ldc + j;
                    expected[at] = c.Alpha * acc + (c.Beta == 0 ? 0 : c.Beta * c0[at]);
                    scale[at] = Math.Abs(c.Alpha) * abs + (c.Beta == 0 ? 0 : Math.Abs(c.Beta * c0[at]));
                }

        using var da = backend.Upload(Convert<T>(a));
        using var db = backend.Upload(Convert<T>(b));
        using var dc = backend.Upload(Convert<T>(c0));
        if (c.Batch == 1 && !c.ShareA)
            backend.Gemm(c.TransA ? Transpose.Yes : Transpose.No, c.TransB ? Transpose.Yes : Transpose.No, c.M, c.N, c.K,
                Scalar<T>(c.Alpha), da, lda, db, ldb, Scalar<T>(c.Beta), dc, ldc);
        else
            backend.GemmStridedBatched(c.TransA ? Transpose.Yes : Transpose.No, c.TransB ? Transpose.Yes : Transpose.No,
                c.M, c.N, c.K, Scalar<T>(c.Alpha), da, lda, sA, db, ldb, sB, Scalar<T>(c.Beta), dc, ldc, sC, c.Batch);
        var got = ToDouble(dc.ToArray());
        var initial = ToDouble(Convert<T>(c0));

        // Elements outside the C matrices (padding between rows and batches) must be untouched (NaN stays NaN).
        double err = 0, norm = 0;
        for (long t = 0; t < got.Length; t++)
        {
            bool inside = t % sC < (long)c.M * ldc && t % sC % ldc < c.N && t / sC < c.Batch;
            if (!inside)
            {
                Assert.True(got[t].Equals(initial[t]), $"{c}: element {t} outside C changed");
                continue;
            }
            err += (got[t] - expected[t]) * (got[t] - expected[t]);
            norm += scale[t] * scale[t];
        }
        double rel = Math.Sqrt(err) / Math.Max(Math.Sqrt(norm), 1e-300);
        Assert.True(rel <= tolerance, $"{c}: relative error {rel:E2} > {tolerance:E0}");
        return true;
    }

    private static double[] Values(Random rng, long count)
    {
        var v = new double[Math.Max(count, 1)];
        for (int i = 0; i < v.Length; i++) v[i] = rng.NextDouble() * 2 - 1;
        return v;
    }

    internal static T[] Convert<T>(double[] v) where T : unmanaged =>
        typeof(T) == typeof(float) ? (T[])(object)v.Select(x => (float)x).ToArray() : (T[])(object)v.ToArray();

    internal static double[] ToDouble<T>(T[] v) where T : unmanaged =>
        typeof(T) == typeof(float) ? ((float[])(object)v).Select(x => (double)x).ToArray() : ((double[])(object)v).ToArray();

    internal static T Scalar<T>(double v) where T : unmanaged => typeof(T) == typeof(float) ? (T)(object)(float)v : (T)(object)v;
}

/// <summary>GEMM on the managed SIMD backend.</summary>
public sealed class GemmTestsCpu() : GemmTests(TestBackends.Cpu);

/// <summary>GEMM kernels on ILGPU's CPU accelerator (small sizes: barriers there cost milliseconds).</summary>
[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class GemmTestsIlgpuCpu() : GemmTests(TestBackends.IlgpuCpu);

/// <summary>GEMM kernels on the OpenCL device (PoCL here) (small sizes: barriers there cost milliseconds).</summary>
[Collection(TestBackends.OpenCLCollection)]
public sealed class GemmTestsOpenCL() : GemmTests(TestBackends.OpenCL);
