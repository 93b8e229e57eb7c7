using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Models.Layers;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Tests.Scalla;

/// <summary>Small networks and a float64 tape runner for the ScaLLA tests.</summary>
internal static class ScallaTestSupport
{
    /// <summary>A tanh MLP on [inputs] with hidden <paramref name="widths"/> and C outputs (a MAP network small enough for exact Jacobians).</summary>
    public static Network Mlp(int inputs, int[] widths, int classes) =>
        new(ModelZoo.Mlp(inputs, widths, classes, ActivationKind.Tanh), new Shape(inputs));

    /// <summary>A surrogate MLP on [inputs]: hidden <paramref name="widths"/>, then m·C outputs reshaped to [m, C].</summary>
    public static Network Surrogate(int inputs, int[] widths, int features, int classes) =>
        new(ModelZoo.Mlp(inputs, widths, features * classes, ActivationKind.Tanh).Add("reshape", new Reshape(new Shape(features, classes))), new Shape(inputs));

    /// <summary>The repository's <c>tests/data</c> directory (committed fixtures), found above the test binary.</summary>
    public static string Fixtures { get; } = FindFixtures();

    private static string FindFixtures()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "data");
            if (Directory.Exists(Path.Combine(candidate, "fmnist"))) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/data not found above {AppContext.BaseDirectory}.");
    }

    /// <summary>Gaussian blobs in R^inputs, class c centred at 1.5·e_c (classes ≤ inputs), a classification set.</summary>
    public static Tangent.Models.Data.DataSet Blobs(int count, int inputs, int classes, int seed)
    {
        var rng = new Random(seed);
        var labels = Enumerable.Range(0, count).Select(i => i % classes).ToArray();
        var x = labels.SelectMany(c => Enumerable.Range(0, inputs).Select(d => (float)((d == c ? 1.5 : 0) + 0.7 * (2 * rng.NextDouble() - 1)))).ToArray();
        return new Tangent.Models.Data.DataSet("blobs", x, new Shape(inputs), labels, classes);
    }

    /// <summary>Uniform values in [−scale, scale].</summary>
    public static double[] Uniform(Random rng, int n, double scale = 1) => Enumerable.Range(0, n).Select(_ => scale * (2 * rng.NextDouble() - 1)).ToArray();

    /// <summary>Runs <paramref name="tape"/> once in float64 on the cpu backend with host inputs by group name; returns every floating output.</summary>
    public static Dictionary<string, double[]> Run(Tape tape, IReadOnlyDictionary<string, double[]> inputs, Backend? backend = null)
    {
        backend ??= CpuBackend.Instance;
        using var plan = tape.Plan<double>(backend);
        var keep = new List<IDisposable>();
        try
        {
            foreach (var g in tape.Inputs)
            {
                var buffer = backend.Upload<double>(inputs[g.Name]);
                keep.Add(buffer);
                plan.Bind(g.Name, buffer.View);
            }
            plan.Run();
            return tape.Outputs.Where(g => g.DType == DType.Float).ToDictionary(g => g.Name, g => plan.ReadOutput(g.Name));
        }
        finally
        {
            foreach (var k in keep) k.Dispose();
        }
    }
}
