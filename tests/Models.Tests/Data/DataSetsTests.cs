using Tangent.Models.Data;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests.Data;

public class DataSetsTests
{
    [Fact]
    public void LoadsNamedTestSplitsFromTheFixtureRoot()
    {
        var f = DataSets.Load("fmnist", DataSplit.Test, TestPaths.Fixtures);
        var m = DataSets.Load("MNIST", DataSplit.Test, TestPaths.Fixtures);
        Assert.Equal(256, f.Count);
        Assert.Equal(256, m.Count);
        Assert.Equal(10, m.ClassCount);
        Assert.Equal(7, m.Labels[0]);
        Assert.NotEqual(f.Inputs[..784], m.Inputs[..784]);
    }

    [Fact]
    public void MissingSetNamesTheFilesAndTheScript()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DataSets.Load("fmnist", DataSplit.Train, TestPaths.Fixtures));
        Assert.Contains(Path.Combine("fmnist", "train-images-idx3-ubyte"), e.Message);
        Assert.Contains("train-images-idx3-ubyte.gz", e.Message);
        Assert.Contains("tools/get-data.sh", e.Message);
        var k = Assert.Throws<FileNotFoundException>(() => DataSets.Load("kmnist", DataSplit.Test, TestPaths.Fixtures));
        Assert.Contains(Path.Combine("kmnist", "t10k-images-idx3-ubyte"), k.Message);
    }

    [Fact]
    public void UnknownNameListsTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => DataSets.Load("imagenet", DataSplit.Train, TestPaths.Fixtures));
        Assert.Contains("imagenet", e.Message);
        foreach (string n in DataSets.Names) Assert.Contains(n, e.Message);
    }

    [Fact]
    public void DigitsAreScaledBySixteen()
    {
        var d = DataSets.Load("digits", DataSplit.Train, TestPaths.Fixtures);
        Assert.Equal(100, d.Count);
        Assert.Equal((1, 8, 8), (d.Channels, d.Height, d.Width));
        // First row of the fixture: 0,0,5,13,9,1,0,0,... label 0.
        Assert.Equal(0, d.Labels[0]);
        Assert.Equal(5 / 16f, d.Inputs[2]);
        Assert.Equal(13 / 16f, d.Inputs[3]);
        Assert.Throws<ArgumentException>(() => DataSets.Load("digits", DataSplit.Test, TestPaths.Fixtures));
    }

    [Fact]
    public void Digits28IsTheBilinearUpscale()
    {
        var d8 = DataSets.Load("digits", DataSplit.Train, TestPaths.Fixtures);
        var d28 = DataSets.Load("digits28", DataSplit.Train, TestPaths.Fixtures);
        Assert.Equal((100, 1, 28, 28), (d28.Count, d28.Channels, d28.Height, d28.Width));
        Assert.Equal(d8.Labels, d28.Labels);
        // Bilinear interpolation with PyTorch's align_corners=False map s = (o + ½)·8/28 − ½, clamped to [0, 7], written
        // here from its definition in float64: a nearest-neighbour or differently aligned upscale differs by up to a
        // pixel step (1/16), while storing the result as float32 rounds it by at most 6e-8 (values lie in [0, 1]).
        static (int Lo, int Hi, double Frac) Source(int o)
        {
            double s = Math.Clamp((o + 0.5) * 8 / 28 - 0.5, 0, 7);
            int lo = (int)Math.Floor(s);
            return (lo, Math.Min(lo + 1, 7), s - lo);
        }
        for (int i = 0; i < 100; i++)
        {
            var s = d8.Sample(i).ToArray();
            var t = d28.Sample(i).ToArray();
            for (int r = 0; r < 28; r++)
                for (int c = 0; c < 28; c++)
                {
                    var (r0, r1, fr) = Source(r);
                    var (c0, c1, fc) = Source(c);
                    double top = s[r0 * 8 + c0] * (1 - fc) + s[r0 * 8 + c1] * fc;
                    double bottom = s[r1 * 8 + c0] * (1 - fc) + s[r1 * 8 + c1] * fc;
                    Assert.Equal(top * (1 - fr) + bottom * fr, t[r * 28 + c], 1e-6);
                }
        }
    }

    [Fact]
    public void BilinearResizeOfARampFollowsTheAlignCornersFalseMap()
    {
        // f(x, y) = x + 10·y on 8×8; bilinear interpolation reproduces an affine function exactly, so the output at
        // (i, j) is clamp(sx, 0, 7) + 10·clamp(sy, 0, 7) with s = (o + ½)·8/28 − ½ (PyTorch align_corners=False).
        var x = new float[64];
        for (int r = 0; r < 8; r++) for (int c = 0; c < 8; c++) x[r * 8 + c] = c + 10 * r;
        var y = Image.ResizeBilinear(x, 1, 1, 8, 8, 28, 28);
        static double Map(int o) => Math.Clamp((o + 0.5) * 8 / 28 - 0.5, 0, 7);
        for (int i = 0; i < 28; i++)
            for (int j = 0; j < 28; j++)
                Assert.Equal(Map(j) + 10 * Map(i), y[i * 28 + j], 4);
    }

    [Fact]
    public void SplitIsContiguousOrSeededAndDisjoint()
    {
        var d = DataSets.Load("mnist", DataSplit.Test, TestPaths.Fixtures);
        var (a, b) = d.Split(200);
        Assert.Equal((200, 56), (a.Count, b.Count));
        Assert.Equal(d.Inputs[..(200 * 784)], a.Inputs);
        Assert.Equal(d.Labels[200..], b.Labels);

        var (c, e) = d.Split(200, seed: 9);
        var (c2, _) = d.Split(200, seed: 9);
        Assert.Equal(c.Inputs, c2.Inputs);
        Assert.NotEqual(a.Labels, c.Labels);
        // Same multiset of labels overall.
        var all = c.Labels.Concat(e.Labels).Order().ToArray();
        Assert.Equal(d.Labels.Order().ToArray(), all);
    }

    [Fact]
    public void DataRootPrefersExplicitThenEnvironmentThenTheNearestDataDirectory()
    {
        string root = TestPaths.NewTempDirectory();
        string start = Path.Combine(root, "a", "b");
        Directory.CreateDirectory(start);
        string explicitRoot = Path.Combine(root, "explicit"), environment = Path.Combine(root, "environment");
        Assert.Equal(explicitRoot, DataRoot.Resolve(explicitRoot, environment, start));
        Assert.Equal(environment, DataRoot.Resolve(null, environment, start));
        Assert.Equal(environment, DataRoot.Resolve("", environment, start));

        // Neither given: the nearest data/ at or above the start directory.
        Assert.All(AncestorsOf(root), d => Assert.False(Directory.Exists(Path.Combine(d, "data")), $"{d}/data exists: the test needs a temp dir without one above it"));
        var e = Assert.Throws<DirectoryNotFoundException>(() => DataRoot.Resolve(null, "", start));
        Assert.Contains(start, e.Message);
        Assert.Contains(DataRoot.EnvironmentVariable, e.Message);
        Directory.CreateDirectory(Path.Combine(root, "data"));
        Assert.Equal(Path.Combine(root, "data"), DataRoot.Resolve(null, null, start));
        Directory.CreateDirectory(Path.Combine(root, "a", "data"));
        Assert.Equal(Path.Combine(root, "a", "data"), DataRoot.Resolve(null, null, start));
        Directory.CreateDirectory(Path.Combine(start, "data"));
        Assert.Equal(Path.Combine(start, "data"), DataRoot.Resolve(null, null, start));
    }

    private static IEnumerable<string> AncestorsOf(string dir)
    {
        for (var d = new DirectoryInfo(dir); d is not null; d = d.Parent) yield return d.FullName;
    }
}
