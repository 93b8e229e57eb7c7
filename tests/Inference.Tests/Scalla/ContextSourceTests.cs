using Tangent.Engine;
using Tangent.Inference.Scalla;
using Tangent.Models.Data;
using static Tangent.Inference.Tests.Scalla.ScallaTestSupport;

namespace Tangent.Inference.Tests.Scalla;

/// <summary>Context sources: the generators' defining properties and determinism, the affine augmentation, and how a <c>--context</c> value resolves.</summary>
public sealed class ContextSourceTests
{
    private const int Count = 6, Size = 784;
    private const ulong Seed = 9;

    private static readonly DataSet Train = IdxReader.ReadDataSet("fmnist/fixture", Path.Combine(Fixtures, "fmnist", "t10k-images-idx3-ubyte"),
        Path.Combine(Fixtures, "fmnist", "t10k-labels-idx1-ubyte"), 10);

    private static float[] Draw(IContextSource source, long step)
    {
        var y = new float[Count * Size];
        source.Fill(step, Count, y);
        return y;
    }

    /// <summary>The training image generator point i of step <paramref name="step"/> starts from (the generators' own sampler).</summary>
    private static float[] SourceImage(long step, int i) =>
        Train.Sample(new EpochSampler(Train.Count, Seed, ContextSources.ContextStream).Index(step * Count + i)).ToArray();

    public static TheoryData<string> Generators() => new(ContextGenerators.Names);

    [Theory]
    [MemberData(nameof(Generators))]
    public void GeneratorsAreDeterministicPerStepAndStayInTheUnitInterval(string name)
    {
        var a = ContextGenerators.Create(name, Train, Seed);
        var b = ContextGenerators.Create(name, Train, Seed);
        var first = Draw(a, 4);
        Assert.Equal(first, Draw(b, 4));
        Assert.Equal(first, Draw(a, 4));
        Assert.NotEqual(first, Draw(a, 5));
        Assert.All(first, v => Assert.InRange(v, 0f, 1f));
    }

    [Fact]
    public void PermutationsKeepThePixelsAndPatches()
    {
        var perm = Draw(ContextGenerators.Create("pixel-permutation", Train, Seed), 2);
        var patches = Draw(ContextGenerators.Create("patch-shuffle", Train, Seed), 2);
        for (int i = 0; i < Count; i++)
        {
            var x = SourceImage(2, i);
            Assert.Equal(x.Order(), perm.AsSpan(i * Size, Size).ToArray().Order());
            Assert.False(x.SequenceEqual(perm.AsSpan(i * Size, Size).ToArray()));
            Assert.Equal(Patches(x).Order(), Patches(patches.AsSpan(i * Size, Size).ToArray()).Order());
        }
    }

    /// <summary>The 16 7×7 patches of a 28×28 image, each as text so that multisets compare.</summary>
    private static IEnumerable<string> Patches(float[] x) =>
        Enumerable.Range(0, 16).Select(p => string.Join(",", Enumerable.Range(0, 49).Select(k => x[(p / 4 * 7 + k / 7) * 28 + p % 4 * 7 + k % 7])));

    [Fact]
    public void InvertAndRotateAreTheirTransformsOfTheSourceImage()
    {
        var inverted = Draw(ContextGenerators.Create("invert", Train, Seed), 1);
        var rotated = Draw(ContextGenerators.Create("rotate", Train, Seed), 1);
        for (int i = 0; i < Count; i++)
        {
            var x = SourceImage(1, i);
            for (int p = 0; p < Size; p++) Assert.Equal(1 - x[p], inverted[i * Size + p]);
            // One of the seven non-identity symmetries of the square: transpose and/or flips of rows and columns.
            var y = rotated.AsSpan(i * Size, Size).ToArray();
            int matches = 0;
            for (int k = 1; k < 8; k++)
            {
                bool transpose = (k & 1) != 0, flipRows = (k & 2) != 0, flipColumns = (k & 4) != 0;
                bool all = true;
                for (int r = 0; r < 28 && all; r++)
                    for (int q = 0; q < 28 && all; q++)
                    {
                        int sr = transpose ? q : r, sq = transpose ? r : q;
                        if (flipRows) sr = 27 - sr;
                        if (flipColumns) sq = 27 - sq;
                        all = y[r * 28 + q] == x[sr * 28 + sq];
                    }
                if (all) matches++;
            }
            Assert.True(matches >= 1, $"point {i} is no dihedral transform of its source");
        }
    }

    [Fact]
    public void EdgesVanishOnFlatRegionsAndPeakAtOne()
    {
        var edges = Draw(ContextGenerators.Create("edges", Train, Seed), 3);
        for (int i = 0; i < Count; i++)
        {
            var x = SourceImage(3, i);
            var y = edges.AsSpan(i * Size, Size);
            Assert.Equal(1f, y.ToArray().Max());
            for (int r = 1; r < 27; r++)
                for (int q = 1; q < 27; q++)
                {
                    bool flat = true;
                    for (int dr = -1; dr <= 1; dr++)
                        for (int dq = -1; dq <= 1; dq++) flat &= x[(r + dr) * 28 + q + dq] == x[r * 28 + q];
                    if (flat) Assert.Equal(0f, y[r * 28 + q]);
                }
        }
    }

    [Fact]
    public void AffineAugmentationIsDeterministicAndShrinksTheInk()
    {
        // A bright centred square of 12×12 pixels: scaling by s ∈ [0.55, 1] keeps between s² of its ink (bilinear
        // sampling keeps the mass of a scaled image up to edge effects of a pixel around its border).
        var square = new float[10 * Size];
        for (int n = 0; n < 10; n++)
            for (int r = 8; r < 20; r++)
                for (int q = 8; q < 20; q++) square[n * Size + r * 28 + q] = 1;
        var inner = new ContextSet("square", square, new Shape(1, 28, 28), 0);
        var augmented = new ContextAugmentation(inner, 5);
        var y = Draw(augmented, 7);
        Assert.Equal(y, Draw(new ContextAugmentation(inner, 5), 7));
        Assert.NotEqual(y, Draw(augmented, 8));
        for (int i = 0; i < Count; i++)
        {
            double ink = y.AsSpan(i * Size, Size).ToArray().Sum(v => (double)v);
            Assert.InRange(ink, 0.55 * 0.55 * 144 - 14, 144 + 14);
        }
    }

    [Fact]
    public void ResolveNamesIdxFilesAndGeneratorsAndRefusesTheRest()
    {
        string root = Path.Combine(Path.GetTempPath(), $"scalla-context-{Guid.NewGuid():N}");
        Directory.CreateDirectory(Path.Combine(root, "mnist"));
        try
        {
            foreach (var kind in new[] { "images-idx3", "labels-idx1" })
                File.Copy(Path.Combine(Fixtures, "mnist", $"t10k-{kind}-ubyte"), Path.Combine(root, "mnist", $"train-{kind}-ubyte"));
            var shape = new Shape(1, 28, 28);
            var named = Assert.IsType<ContextSet>(ContextSources.Resolve("mnist", Train, shape, 0, root));
            Assert.Equal(256, named.Count);
            var idx = Assert.IsType<ContextSet>(ContextSources.Resolve(Path.Combine(Fixtures, "mnist", "t10k-images-idx3-ubyte"), Train, shape, 0));
            Assert.Equal(256, idx.Count);
            Assert.Equal("edges", ContextSources.Resolve("EDGES", Train, shape, 0).Name);
            var unknown = Assert.Throws<ArgumentException>(() => ContextSources.Resolve("clouds", Train, shape, 0));
            Assert.Contains("digits28", unknown.Message);
            Assert.Contains("mixup", unknown.Message);
            var size = Assert.Throws<ArgumentException>(() => ContextSources.Resolve("mnist", Train, new Shape(1, 32, 32), 0, root));
            Assert.Contains("[1, 28, 28]", size.Message);
            Assert.Contains("[1, 32, 32]", size.Message);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
