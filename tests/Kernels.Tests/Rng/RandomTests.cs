using Xunit;
using FsCheck;
using FsCheck.Xunit;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ilgpu;
using Tangent.Kernels.Rng;
using Tangent.Kernels.Tests.Support;

namespace Tangent.Kernels.Tests.Rng;

/// <summary>RandomUniform / RandomNormal / RandomRademacher on one backend.</summary>
public abstract class RandomTests(Backend backend)
{
    protected Backend B { get; } = backend;

    public static TheoryData<RandomDistribution, bool> Cases() => new()
    {
        { RandomDistribution.Uniform, false }, { RandomDistribution.Uniform, true },
        { RandomDistribution.Normal, false }, { RandomDistribution.Normal, true },
        { RandomDistribution.Rademacher, false }, { RandomDistribution.Rademacher, true },
    };

    protected void Fill<T>(RandomDistribution d, BufferView<T> y, ulong seed, ulong stream, ulong offset) where T : unmanaged
    {
        switch (d)
        {
            case RandomDistribution.Uniform: B.RandomUniform(y, seed, stream, offset); break;
            case RandomDistribution.Normal: B.RandomNormal(y, seed, stream, offset); break;
            default: B.RandomRademacher(y, seed, stream, offset); break;
        }
    }

    /// <summary>Draws n values and returns them as doubles, together with their raw bits.</summary>
    protected (double[] Values, long[] Bits) Draw(RandomDistribution d, bool isDouble, int n, ulong seed, ulong stream, ulong offset)
    {
        if (isDouble)
        {
            using var buf = B.Allocate<double>(n);
            Fill(d, buf.View, seed, stream, offset);
            var a = buf.ToArray();
            return (a, a.Select(BitConverter.DoubleToInt64Bits).ToArray());
        }
        else
        {
            using var buf = B.Allocate<float>(n);
            Fill(d, buf.View, seed, stream, offset);
            var a = buf.ToArray();
            return (a.Select(v => (double)v).ToArray(), a.Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray());
        }
    }

    // ------------------------------------------------------------------ layout against an independent reference

    /// <summary>
    /// The documented layout, re-derived here from the Philox words alone: element g of the stream is lane
    /// g mod E of block ⌊g/E⌋. Uniform and Rademacher are exact; normals are compared with libm's log/cos/sin.
    /// </summary>
    private static double Reference(RandomDistribution d, bool isDouble, ulong seed, ulong stream, ulong g, out bool exact)
    {
        exact = d != RandomDistribution.Normal;
        ulong e = isDouble && d != RandomDistribution.Rademacher ? 2UL : 4UL;
        var blk = Philox.Generate(seed, stream, g / e);
        uint[] w = [blk.X0, blk.X1, blk.X2, blk.X3];
        int lane = (int)(g % e);
        switch (d)
        {
            case RandomDistribution.Uniform when !isDouble:
                return (w[lane] >> 8) / 16777216.0;
            case RandomDistribution.Uniform:
                return ((w[2 * lane] >> 5) * 67108864.0 + (w[2 * lane + 1] >> 6)) / 9007199254740992.0;
            case RandomDistribution.Rademacher:
                return (w[lane] & 0x80000000u) == 0 ? 1.0 : -1.0;
            case RandomDistribution.Normal when !isDouble:
            {
                int pair = lane / 2;
                double u1 = (w[2 * pair] + 1.0) / 4294967296.0;
                double theta = 2 * Math.PI * (w[2 * pair + 1] / 4294967296.0);
                double r = Math.Sqrt(-2 * Math.Log(u1));
                return lane % 2 == 0 ? r * Math.Cos(theta) : r * Math.Sin(theta);
            }
            default:
            {
                double u1 = ((w[0] >> 5) * 67108864.0 + (w[1] >> 6) + 1.0) / 9007199254740992.0;
                double theta = 2 * Math.PI * (((w[2] >> 5) * 67108864.0 + (w[3] >> 6)) / 9007199254740992.0);
                double r = Math.Sqrt(-2 * Math.Log(u1));
                return lane == 0 ? r * Math.Cos(theta) : r * Math.Sin(theta);
            }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesDocumentedLayout(RandomDistribution d, bool isDouble)
    {
        const ulong seed = 0x0123456789abcdefUL, stream = 0xfedcba9876543210UL;
        // Offsets that straddle a lane, the 32-bit boundary of the block counter, and the top of the counter.
        foreach (ulong offset in new ulong[] { 0, 3, 0x3_ffff_fffeUL, ulong.MaxValue - 100 })
        {
            const int n = 37;
            var (v, _) = Draw(d, isDouble, n, seed, stream, offset);
            for (int i = 0; i < n; i++)
            {
                double r = Reference(d, isDouble, seed, stream, offset + (ulong)i, out bool exact);
                if (!isDouble && !exact) r = (float)r;
                // float32 normals: one float rounding of a value whose float64 parts agree to ~1e-15,
                // so at most 1 float ulp (6e-8 relative); float64 normals: r·cos θ with r ≤ 8.6 and the
                // libm reference's own angle rounding, 1e-14 absolute.
                double tol = exact ? 0 : isDouble ? 1e-14 : 1.2e-7 * Math.Max(1, Math.Abs(r));
                Assert.True(Math.Abs(v[i] - r) <= tol,
                    $"{d} {(isDouble ? "double" : "float")} offset {offset} element {i}: got {v[i]:R}, reference {r:R}");
            }
        }
    }

    // ------------------------------------------------------------------ bit identity with the host code

    /// <summary>
    /// Every backend runs <see cref="PhiloxSampling"/> per block; the host computes the same thing in a plain loop.
    /// On cpu this checks the parallel chunking; on ILGPU it is the cross-backend bit identity.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void BitIdenticalToHostLoop(RandomDistribution d, bool isDouble)
    {
        int n = LargeCount;
        const ulong seed = 42, stream = 7, offset = 0x1_0000_0001UL;
        var (_, bits) = Draw(d, isDouble, n, seed, stream, offset);
        var range = PhiloxRange.Of(d, isDouble, n, seed, stream, offset);
        for (int b = 0; b < range.BlockCount; b++)
        {
            var w = range.Bits(b);
            for (int l = 0; l < range.PerBlock; l++)
            {
                long i = range.ElementOf(b, l);
                if (i < 0 || i >= n) continue;
                long expected = isDouble
                    ? BitConverter.DoubleToInt64Bits(PhiloxSampling.Doubles(d, w)[l])
                    : BitConverter.SingleToInt32Bits(PhiloxSampling.Singles(d, w)[l]);
                if (bits[i] != expected)
                    Assert.Fail($"{d} {(isDouble ? "double" : "float")} element {i}: bits {bits[i]:x} on {B.Info.Name}, host {expected:x}");
            }
        }
    }

    /// <summary>Elements drawn by the bit-identity test: more than one cpu task's worth (16384 blocks).</summary>
    protected virtual int LargeCount => 70_001;

    // ------------------------------------------------------------------ offsets

    [Property(MaxTest = 12)]
    public void OffsetCountsElementsSoFillsContinue(PositiveInt size, PositiveInt split, ulong offset, ulong seed, byte kind, bool isDouble)
    {
        var d = (RandomDistribution)(kind % 3);
        int n = size.Get % 41 + 1;
        int m = split.Get % (n + 1);
        ulong o = offset >> 1; // keep o + n from wrapping
        var (_, whole) = Draw(d, isDouble, n, seed, 3, o);
        var (_, head) = Draw(d, isDouble, m, seed, 3, o);
        var (_, tail) = Draw(d, isDouble, n - m, seed, 3, o + (ulong)m);
        Assert.Equal(whole, head.Concat(tail).ToArray());
    }

    [Fact]
    public void FillsOnlyTheView()
    {
        using var buf = B.Allocate<float>(20);
        B.RandomUniform(buf.Slice(5, 9), 1, 2, 3);
        var a = buf.ToArray();
        for (int i = 0; i < 20; i++)
            if (i < 5 || i >= 14) Assert.Equal(0f, a[i]);
        // The view's first element is stream element 3 (offset), independent of where the view sits.
        var (expected, _) = Draw(RandomDistribution.Uniform, false, 9, 1, 2, 3);
        Assert.Equal(expected, a[5..14].Select(v => (double)v).ToArray());
    }

    [Fact]
    public void SeedsAndStreamsGiveDifferentValues()
    {
        var (a, _) = Draw(RandomDistribution.Uniform, false, 64, 1, 0, 0);
        var (b, _) = Draw(RandomDistribution.Uniform, false, 64, 2, 0, 0);
        var (c, _) = Draw(RandomDistribution.Uniform, false, 64, 1, 1, 0);
        // Independent uniforms on a 2^-24 grid coincide with probability 2^-24 per element.
        Assert.True(a.Zip(b).Count(p => p.First == p.Second) <= 1, "seeds 1 and 2 agree");
        Assert.True(a.Zip(c).Count(p => p.First == p.Second) <= 1, "streams 0 and 1 agree");
    }

    [Fact]
    public void RejectsIntegerBuffers()
    {
        using var buf = B.Allocate<int>(4);
        var e = Assert.Throws<NotSupportedException>(() => B.RandomUniform(buf.View, 1, 0, 0));
        Assert.Contains("Int32", e.Message);
    }

    // ------------------------------------------------------------------ statistics

    /// <summary>Draws for the moment checks; every bound below is 5 standard errors at this n.</summary>
    protected virtual int StatCount => 1 << 16;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UniformMomentsAndRange(bool isDouble)
    {
        int n = StatCount;
        var (v, _) = Draw(RandomDistribution.Uniform, isDouble, n, 11, 5, 0);
        Assert.All(v, x => Assert.InRange(x, 0.0, Math.BitDecrement(1.0)));
        Assert.True(v.Max() < 1.0 && v.Min() >= 0.0);
        double mean = v.Average();
        double var = v.Sum(x => (x - mean) * (x - mean)) / (n - 1);
        // Var(mean) = (1/12)/n; Var(s²) ≈ (μ₄ − σ⁴)/n with μ₄ = 1/80, σ⁴ = 1/144.
        Assert.InRange(mean, 0.5 - 5 * Math.Sqrt(1.0 / 12 / n), 0.5 + 5 * Math.Sqrt(1.0 / 12 / n));
        double seVar = Math.Sqrt((1.0 / 80 - 1.0 / 144) / n);
        Assert.InRange(var, 1.0 / 12 - 5 * seVar, 1.0 / 12 + 5 * seVar);
        // Each tenth of [0, 1) holds n/10 ± 5·√(n·0.1·0.9).
        double se = Math.Sqrt(n * 0.09);
        for (int k = 0; k < 10; k++)
        {
            int count = v.Count(x => x >= k / 10.0 && x < (k + 1) / 10.0);
            Assert.InRange(count, n / 10.0 - 5 * se, n / 10.0 + 5 * se);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NormalMoments(bool isDouble)
    {
        int n = StatCount;
        var (v, _) = Draw(RandomDistribution.Normal, isDouble, n, 12, 5, 0);
        Assert.All(v, x => Assert.True(double.IsFinite(x)));
        double mean = v.Average();
        double var = v.Sum(x => (x - mean) * (x - mean)) / (n - 1);
        // Var(mean) = 1/n; Var(s²) ≈ (μ₄ − 1)/n = 2/n.
        Assert.InRange(mean, -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
        Assert.InRange(var, 1 - 5 * Math.Sqrt(2.0 / n), 1 + 5 * Math.Sqrt(2.0 / n));
        // P(|z| < 1) = erf(1/√2) = 0.682689…; binomial standard error.
        const double p = 0.6826894921370859;
        double frac = v.Count(x => Math.Abs(x) < 1) / (double)n;
        Assert.InRange(frac, p - 5 * Math.Sqrt(p * (1 - p) / n), p + 5 * Math.Sqrt(p * (1 - p) / n));
        // Skewness 0 with standard error √(6/n); the cos and sin halves of a pair are uncorrelated.
        double skew = v.Sum(x => Math.Pow(x - mean, 3)) / n / Math.Pow(var, 1.5);
        Assert.InRange(skew, -5 * Math.Sqrt(6.0 / n), 5 * Math.Sqrt(6.0 / n));
        double pairCorrelation = Enumerable.Range(0, n / 2).Sum(i => v[2 * i] * v[2 * i + 1]) / (n / 2);
        Assert.InRange(pairCorrelation, -5 / Math.Sqrt(n / 2), 5 / Math.Sqrt(n / 2));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RademacherBalance(bool isDouble)
    {
        int n = StatCount;
        var (v, _) = Draw(RandomDistribution.Rademacher, isDouble, n, 13, 5, 0);
        Assert.All(v, x => Assert.True(x == 1.0 || x == -1.0, $"value {x}"));
        // Sum of n independent ±1: standard deviation √n.
        double sum = v.Sum();
        Assert.InRange(sum, -5 * Math.Sqrt(n), 5 * Math.Sqrt(n));
        double lag1 = Enumerable.Range(0, n - 1).Sum(i => v[i] * v[i + 1]);
        Assert.InRange(lag1, -5 * Math.Sqrt(n), 5 * Math.Sqrt(n));
    }

    [Fact]
    public void StreamsAreUncorrelated()
    {
        int n = StatCount;
        var (a, _) = Draw(RandomDistribution.Normal, false, n, 14, 0, 0);
        var (b, _) = Draw(RandomDistribution.Normal, false, n, 14, 1, 0);
        double dot = a.Zip(b).Sum(p => p.First * p.Second) / n;
        Assert.InRange(dot, -5 / Math.Sqrt(n), 5 / Math.Sqrt(n));
    }
}

public sealed class RandomTestsCpu() : RandomTests(TestBackends.Cpu);

[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class RandomTestsIlgpuCpu() : RandomTests(TestBackends.IlgpuCpu)
{
    // ILGPU's CPU accelerator simulates one OS-thread-scheduled GPU thread per block: keep it small.
    protected override int LargeCount => 5_003;
    protected override int StatCount => 1 << 14;
}

[Collection(TestBackends.OpenCLCollection)]
public sealed class RandomTestsOpenCL() : RandomTests(TestBackends.OpenCL)
{
    // PoCL runs on the same 2 cores as everything else: keep it small too.
    protected override int LargeCount => 5_003;
    protected override int StatCount => 1 << 14;
}

/// <summary>The same (seed, stream, offset) on cpu and on an ILGPU backend: the same bits.</summary>
public abstract class RandomCrossBackendTests(Backend other)
{
    [Theory]
    [MemberData(nameof(RandomTests.Cases), MemberType = typeof(RandomTests))]
    public void CpuAndIlgpuAgreeBitForBit(RandomDistribution d, bool isDouble)
    {
        foreach (var (seed, stream, offset) in new (ulong, ulong, ulong)[] { (0, 0, 0), (ulong.MaxValue, 9, 5), (77, ulong.MaxValue, 0xffff_ffff_0000_0001UL) })
        {
            var cpu = Bits(TestBackends.Cpu, d, isDouble, 1001, seed, stream, offset);
            var ilgpu = Bits(other, d, isDouble, 1001, seed, stream, offset);
            Assert.Equal(cpu, ilgpu);
        }
    }

    private static long[] Bits(Backend b, RandomDistribution d, bool isDouble, int n, ulong seed, ulong stream, ulong offset)
    {
        if (isDouble)
        {
            using var buf = b.Allocate<double>(n);
            Run(b, d, buf.View, seed, stream, offset);
            return buf.ToArray().Select(BitConverter.DoubleToInt64Bits).ToArray();
        }
        using var fbuf = b.Allocate<float>(n);
        Run(b, d, fbuf.View, seed, stream, offset);
        return fbuf.ToArray().Select(v => (long)BitConverter.SingleToInt32Bits(v)).ToArray();
    }

    private static void Run<T>(Backend b, RandomDistribution d, BufferView<T> y, ulong seed, ulong stream, ulong offset) where T : unmanaged
    {
        if (d == RandomDistribution.Uniform) b.RandomUniform(y, seed, stream, offset);
        else if (d == RandomDistribution.Normal) b.RandomNormal(y, seed, stream, offset);
        else b.RandomRademacher(y, seed, stream, offset);
    }
}

[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class RandomCrossBackendTestsIlgpuCpu() : RandomCrossBackendTests(TestBackends.IlgpuCpu);

[Collection(TestBackends.OpenCLCollection)]
public sealed class RandomCrossBackendTestsOpenCL() : RandomCrossBackendTests(TestBackends.OpenCL);
