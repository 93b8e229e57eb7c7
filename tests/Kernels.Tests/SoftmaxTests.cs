using Xunit;
using FsCheck;
using FsCheck.Fluent;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Tests.Support;
using static Tangent.Kernels.Tests.Support.ElemReference;

namespace Tangent.Kernels.Tests;

/// <summary>Softmax, log-softmax and fused softmax–cross-entropy (forward and backward) against float64 references.</summary>
public abstract class SoftmaxTests(Backend backend)
{
    private readonly Backend _b = backend;

    /// <summary>Rows of the large-batch test.</summary>
    protected virtual int LargeRows => 2000;

    /// <summary>Largest row length generated.</summary>
    protected virtual int MaxCols => 300;

    private Gen<(int Rows, int Cols, double[] X)> Logits(double lo, double hi) =>
        from rows in Gen.Choose(0, 9)
        from cols in Gen.Frequency((1, Gen.Elements(1, 2, 15, 16, 17)), (3, Gen.Choose(1, MaxCols)))
        from x in Values(rows * cols, lo, hi)
        select (rows, cols, x);

    /// <summary>Row-wise log-sum-exp in float64 (max-shifted).</summary>
    private static double[] LogSumExp(double[] x, int rows, int cols)
    {
        var l = new double[rows];
        for (int r = 0; r < rows; r++)
        {
            double m = double.NegativeInfinity;
            for (int j = 0; j < cols; j++) m = Math.Max(m, x[r * cols + j]);
            double s = 0;
            for (int j = 0; j < cols; j++) s += Math.Exp(x[r * cols + j] - m);
            l[r] = m + Math.Log(s);
        }
        return l;
    }

    private static double[] SoftmaxRef(double[] x, int rows, int cols)
    {
        var l = LogSumExp(x, rows, cols);
        return x.Select((v, i) => Math.Exp(v - l[i / cols])).ToArray();
    }

    private static double[] LogSoftmaxRef(double[] x, int rows, int cols)
    {
        var l = LogSumExp(x, rows, cols);
        return x.Select((v, i) => v - l[i / cols]).ToArray();
    }

    private void SoftmaxCase<T>((int Rows, int Cols, double[] X) c) where T : unmanaged
    {
        double[] x = Round<T>(c.X);
        using var bx = Upload<T>(_b, x);
        using var by = _b.Allocate<T>(x.Length);
        _b.Softmax(bx.View, c.Rows, c.Cols, by.View);
        AssertClose<T>(Download(by), SoftmaxRef(x, c.Rows, c.Cols), $"softmax [{c.Rows},{c.Cols}]");
        _b.LogSoftmax(bx.View, c.Rows, c.Cols, by.View);
        AssertClose<T>(Download(by), LogSoftmaxRef(x, c.Rows, c.Cols), $"log-softmax [{c.Rows},{c.Cols}]");
    }

    [Fact]
    public void SoftmaxAndLogSoftmaxMatchReference()
    {
        Check(Logits(-10, 10), SoftmaxCase<float>, 40);
        Check(Logits(-10, 10), SoftmaxCase<double>, 40);
    }

    [Fact]
    public void LargeLogitsDoNotOverflow()
    {
        // e^{1e4} overflows both precisions; max subtraction must make it irrelevant.
        Check(Logits(1e4 - 20, 1e4 + 20), SoftmaxCase<float>, 20);
        Check(Logits(1e4 - 20, 1e4 + 20), SoftmaxCase<double>, 20);
    }

    [Fact]
    public void VeryNegativeLogitsGiveFiniteLogSoftmax()
    {
        CheckVeryNegative<float>();
        CheckVeryNegative<double>();
    }

    private void CheckVeryNegative<T>() where T : unmanaged
    {
        double[] x = Round<T>([-1e30, 0.5, -2, 3, -1e30, 1]);
        using var bx = Upload<T>(_b, x);
        using var by = _b.Allocate<T>(6);
        _b.LogSoftmax(bx.View, 2, 3, by.View);
        double[] got = Download(by);
        Assert.All(got, v => Assert.True(double.IsFinite(v), $"log-softmax gave {v}"));
        AssertClose<T>(got, LogSoftmaxRef(x, 2, 3), "log-softmax with −1e30");
        _b.Softmax(bx.View, 2, 3, by.View);
        got = Download(by);
        Assert.Equal(0.0, got[0]);
        AssertClose<T>(got, SoftmaxRef(x, 2, 3), "softmax with −1e30");
    }

    private void CrossEntropyCase<T>((int Rows, int Cols, double[] X) c, int seed) where T : unmanaged
    {
        var rnd = new Random(seed);
        double[] x = Round<T>(c.X);
        int[] labels = Enumerable.Range(0, c.Rows).Select(_ => rnd.Next(c.Cols)).ToArray();
        double[] dloss = Round<T>(Enumerable.Range(0, c.Rows).Select(_ => rnd.NextDouble() * 2 - 0.5).ToArray());
        using var bx = Upload<T>(_b, x);
        using var bl = _b.Upload<int>(labels);
        using var bloss = _b.Allocate<T>(c.Rows);
        using var bp = _b.Allocate<T>(x.Length);
        _b.SoftmaxCrossEntropy(bx.View, bl.View, c.Rows, c.Cols, bloss.View, bp.View);
        var lse = LogSumExp(x, c.Rows, c.Cols);
        double[] p = SoftmaxRef(x, c.Rows, c.Cols);
        // A confidently right row has loss log(1 + tiny): its float rounding is ε absolute, so floor the scale at 1.
        AssertCloseWithFloor<T>(Download(bloss), lse.Select((l, r) => l - x[r * c.Cols + labels[r]]).ToArray(), 1.0, $"cross-entropy loss [{c.Rows},{c.Cols}]");
        AssertClose<T>(Download(bp), p, $"cross-entropy probs [{c.Rows},{c.Cols}]");

        // Backward from the reference probabilities (rounded to T, as the kernel sees them).
        double[] pr = Round<T>(p);
        using var bpr = Upload<T>(_b, pr);
        using var bdl = Upload<T>(_b, dloss);
        using var bdx = _b.Allocate<T>(x.Length);
        _b.SoftmaxCrossEntropyBackward(bpr.View, bl.View, bdl.View, c.Rows, c.Cols, bdx.View);
        double[] expected = pr.Select((v, i) => dloss[i / c.Cols] * (v - (i % c.Cols == labels[i / c.Cols] ? 1 : 0))).ToArray();
        // Scale each entry by its terms, |ℓ̄|·(p + [i = y]): the label's entry p − 1 of a confident row is tiny while its
        // rounding (ℓ̄·p − ℓ̄ in T) is ε·|ℓ̄| (a seed once measured 1.1e-5 relative to the tiny entries' norm).
        double[] got = Download(bdx), terms = pr.Select((v, i) => Math.Abs(dloss[i / c.Cols]) * (v + (i % c.Cols == labels[i / c.Cols] ? 1 : 0))).ToArray();
        double num = 0, den = 0;
        for (int i = 0; i < got.Length; i++)
        {
            num += (got[i] - expected[i]) * (got[i] - expected[i]);
            den += terms[i] * terms[i];
        }
        double err = den == 0 ? Math.Sqrt(num) : Math.Sqrt(num / den);
        Assert.True(err <= Tolerance<T>(), $"cross-entropy backward [{c.Rows},{c.Cols}] ({typeof(T).Name}): error {err:E3} relative to the terms' scale exceeds {Tolerance<T>():E1}");
    }

    /// <summary>A confident row whose label entry p − 1 ≈ −4e-4 rounds to ε·|ℓ̄| absolute (found by FsCheck in CI).</summary>
    [Fact]
    public void CrossEntropyBackwardOfAConfidentRowIsWithinRounding() =>
        CrossEntropyCase<float>((2, 2, [-3.349061489, 4.792814836, 5.537735507, 0.05661064386]), 451071);

    [Fact]
    public void CrossEntropyForwardAndBackwardMatchReference()
    {
        var gen = from c in Logits(-8, 8) from seed in Gen.Choose(0, 1 << 20) select (c, seed);
        Check(gen, g => CrossEntropyCase<float>(g.c, g.seed), 40);
        Check(gen, g => CrossEntropyCase<double>(g.c, g.seed), 40);
    }

    [Fact]
    public void CrossEntropyGradientMatchesFiniteDifferenceOfLoss()
    {
        // d/dx_ij of Σ_r dloss_r·loss_r, by central differences in float64, against the backward kernel.
        const int rows = 3, cols = 5;
        var rnd = new Random(3);
        double[] x = Enumerable.Range(0, rows * cols).Select(_ => rnd.NextDouble() * 4 - 2).ToArray();
        int[] labels = [4, 0, 2];
        double[] dloss = [0.7, -1.3, 2.0];
        using var bl = _b.Upload<int>(labels);
        using var bloss = _b.Allocate<double>(rows);
        using var bp = _b.Allocate<double>(rows * cols);
        double Objective(double[] v)
        {
            using var bx = _b.Upload<double>(v);
            _b.SoftmaxCrossEntropy(bx.View, bl.View, rows, cols, bloss.View, bp.View);
            return bloss.ToArray().Select((l, r) => l * dloss[r]).Sum();
        }
        var fd = new double[rows * cols];
        for (int i = 0; i < fd.Length; i++)
        {
            const double h = 1e-5;
            var xp = (double[])x.Clone(); xp[i] += h;
            var xm = (double[])x.Clone(); xm[i] -= h;
            fd[i] = (Objective(xp) - Objective(xm)) / (2 * h);
        }
        Objective(x);
        using var bdl = _b.Upload<double>(dloss);
        using var bdx = _b.Allocate<double>(rows * cols);
        _b.SoftmaxCrossEntropyBackward(bp.View, bl.View, bdl.View, rows, cols, bdx.View);
        // Central-difference truncation error is O(h²·f''') ≈ 1e-10; round-off O(ε/h) ≈ 1e-11.
        AssertClose(bdx.ToArray(), fd, 1e-8, "cross-entropy backward vs finite differences");
    }

    [Fact]
    public void LargeBatchUsesEveryRow()
    {
        var rnd = new Random(9);
        int rows = LargeRows;
        const int cols = 100;
        var x = Enumerable.Range(0, rows * cols).Select(_ => rnd.NextDouble() * 10 - 5).ToArray();
        SoftmaxCase<float>((rows, cols, x));
        CrossEntropyCase<float>((rows, cols, x), 1);
    }

    [Fact]
    public void BadInputsThrow()
    {
        using var x = _b.Allocate<float>(12);
        using var y = _b.Allocate<float>(11);
        var e = Assert.Throws<ArgumentException>(() => _b.Softmax(x.View, 3, 4, y.View));
        Assert.Contains("11", e.Message);
        Assert.Contains("12", e.Message);
        using var loss = _b.Allocate<float>(3);
        using var probs = _b.Allocate<float>(12);
        using var labels = _b.Upload<int>([0, 4, 1]);
        if (_b.Info.Kind == DeviceKind.Cpu)
        {
            var le = Assert.Throws<ArgumentException>(() => _b.SoftmaxCrossEntropy(x.View, labels.View, 3, 4, loss.View, probs.View));
            Assert.Contains("label 4", le.Message);
        }
        using var shortLabels = _b.Upload<int>([0, 1]);
        Assert.Throws<ArgumentException>(() => _b.SoftmaxCrossEntropy(x.View, shortLabels.View, 3, 4, loss.View, probs.View));
    }
}

/// <summary>Softmax-family tests on the cpu backend.</summary>
public sealed class SoftmaxTestsCpu() : SoftmaxTests(TestBackends.Cpu);

/// <summary>Softmax-family tests on ILGPU's CPU accelerator (small sizes).</summary>
[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class SoftmaxTestsIlgpuCpu() : SoftmaxTests(TestBackends.IlgpuCpu)
{
    /// <inheritdoc />
    protected override int MaxCols => 80;
    /// <inheritdoc />
    protected override int LargeRows => 100;
}

/// <summary>Softmax-family tests on the OpenCL device (PoCL here) (small sizes).</summary>
[Collection(TestBackends.OpenCLCollection)]
public sealed class SoftmaxTestsOpenCL() : SoftmaxTests(TestBackends.OpenCL)
{
    /// <inheritdoc />
    protected override int MaxCols => 80;
    /// <inheritdoc />
    protected override int LargeRows => 100;
}
