using Tangent.Engine;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Tests.Support;

/// <summary>Committed fixtures (tests/data), small models and a scratch directory.</summary>
public static class TestData
{
    /// <summary>The repository's <c>tests/data</c>, found by walking up from the test binary.</summary>
    public static string Fixtures { get; } = FindFixtures();

    /// <summary>The 256 MNIST test images of the fixtures.</summary>
    public static DataSet Mnist => IdxReader.ReadDataSet("mnist/fixture", Path.Combine(Fixtures, "mnist/t10k-images-idx3-ubyte"),
        Path.Combine(Fixtures, "mnist/t10k-labels-idx1-ubyte"), 10);

    /// <summary>The 256 Fashion-MNIST test images of the fixtures.</summary>
    public static DataSet Fmnist => IdxReader.ReadDataSet("fmnist/fixture", Path.Combine(Fixtures, "fmnist/t10k-images-idx3-ubyte"),
        Path.Combine(Fixtures, "fmnist/t10k-labels-idx1-ubyte"), 10);

    /// <summary>A small MLP zoo model on 28×28 inputs: one hidden layer of <paramref name="hidden"/> tanh units, 10 classes.</summary>
    public static ZooModel SmallMlp(int hidden = 16) =>
        ModelZoo.Create("mlp", ModelConfig.Parse($"input=1x28x28;widths={hidden};activation=tanh;classes=10"));

    /// <summary>A fresh empty directory under the system temp directory.</summary>
    public static string NewTempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tangent-inference-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>n values uniform in [lo, hi) from a seeded generator.</summary>
    public static double[] Uniform(Random rng, int n, double lo, double hi) => Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * rng.NextDouble()).ToArray();

    private static string FindFixtures()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "data");
            if (Directory.Exists(Path.Combine(candidate, "mnist"))) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/data not found above {AppContext.BaseDirectory}.");
    }
}
