using Tangent.Engine.Transforms;
using Tangent.Inference.Scalla;
using Tangent.Models.Layers;
using static Tangent.Inference.Tests.Scalla.ScallaTestSupport;

namespace Tangent.Inference.Tests.Scalla;

/// <summary>
/// The Gram-form loss against the direct mean over the (2B·C)² kernel entries, the biased masking, and the engine's
/// gradient of it against central differences; all in float64, where the two forms agree to rounding (~1e-13
/// relative: a few hundred products and sums) and central differences to O(ε²) + rounding/ε ≈ 1e-8 relative.
/// </summary>
public sealed class SurrogateKernelLossTests
{
    private const int Inputs = 5, Features = 3, Classes = 4, Train = 3, Context = 2, Points = Train + Context, Probes = 3;
    private const double Scale = 1.7;

    private static readonly Network SurrogateNet = Surrogate(Inputs, [6], Features, Classes);

    /// <summary>φ, x and raw JVP tangents [K, n, C] for one case.</summary>
    private static (double[] Phi, double[] X, double[] Tangents) Case(int seed)
    {
        var rng = new Random(seed);
        return (Uniform(rng, SurrogateNet.ParameterCount, 0.8), Uniform(rng, Points * Inputs), Uniform(rng, Probes * Points * Classes, 2));
    }

    /// <summary>The targets input gathered from the raw tangents plus a zero row, as the trainer's GatherRows does.</summary>
    private static double[] Gather(double[] tangents, bool biased)
    {
        var rows = SurrogateKernelLoss.GatherIndices(Points, Train, Probes, biased);
        var padded = tangents.Concat(new double[Classes]).ToArray();
        return rows.SelectMany(r => padded.Skip(r * Classes).Take(Classes)).ToArray();
    }

    private static double GramLoss(double[] phi, double[] x, double[] tangents, bool biased)
    {
        var tape = SurrogateKernelLoss.Trace(SurrogateNet, Points, Probes, biased ? 2 * Probes : Probes, Scale);
        return Run(tape, new Dictionary<string, double[]> { ["phi"] = phi, ["x"] = x, ["targets"] = Gather(tangents, biased) })["loss"][0];
    }

    /// <summary>mean over (i,a),(j,b) of (Σ_κ z_κia z_κjb / K · mask − Σ_k g_ika g_jkb)², g the scaled surrogate outputs.</summary>
    private static double DirectLoss(double[] phi, double[] x, double[] tangents, bool biased)
    {
        var s = Run(SurrogateNet.TraceLogits(Points), new Dictionary<string, double[]> { ["theta"] = phi, ["x"] = x })["logits"];
        double G(int i, int k, int a) => Scale * s[(i * Features + k) * Classes + a];
        double Z(int p, int i, int a) => tangents[(p * Points + i) * Classes + a];
        double sum = 0;
        for (int i = 0; i < Points; i++)
            for (int a = 0; a < Classes; a++)
                for (int j = 0; j < Points; j++)
                    for (int b = 0; b < Classes; b++)
                    {
                        double target = 0, q = 0;
                        for (int p = 0; p < Probes; p++) target += Z(p, i, a) * Z(p, j, b) / Probes;
                        if (biased && (i < Train) != (j < Train)) target = 0;
                        for (int k = 0; k < Features; k++) q += G(i, k, a) * G(j, k, b);
                        sum += (target - q) * (target - q);
                    }
        int n = Points * Classes;
        return sum / ((double)n * n);
    }

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(3, true)]
    [InlineData(4, true)]
    public void GramFormEqualsTheDirectMeanOverAllKernelEntries(int seed, bool biased)
    {
        var (phi, x, z) = Case(seed);
        double gram = GramLoss(phi, x, z, biased), direct = DirectLoss(phi, x, z, biased);
        Assert.True(direct > 0);
        Assert.Equal(direct, gram, direct * 1e-11);
    }

    [Fact]
    public void BiasedTargetsZeroExactlyTheTrainContextBlocks()
    {
        var (phi, x, z) = Case(5);
        // The masked direct form is what the biased Gram form matches; the unmasked one differs by far more than
        // rounding, so the masking is what the match tests.
        double biased = GramLoss(phi, x, z, biased: true);
        Assert.Equal(DirectLoss(phi, x, z, biased: true), biased, biased * 1e-11);
        Assert.True(Math.Abs(DirectLoss(phi, x, z, biased: false) - biased) > 1e-3 * biased);
        // Each point's columns: the first K carry its probes if it is a training point, the last K if it is context.
        var rows = SurrogateKernelLoss.GatherIndices(Points, Train, Probes, biased: true);
        int zero = Probes * Points;
        for (int i = 0; i < Points; i++)
            for (int j = 0; j < 2 * Probes; j++)
            {
                bool kept = (j < Probes) == (i < Train);
                Assert.Equal(kept ? j % Probes * Points + i : zero, rows[i * 2 * Probes + j]);
            }
    }

    [Theory]
    [InlineData(6, false)]
    [InlineData(7, true)]
    public void EngineGradientMatchesCentralDifferences(int seed, bool biased)
    {
        var (phi, x, z) = Case(seed);
        var tape = SurrogateKernelLoss.Trace(SurrogateNet, Points, Probes, biased ? 2 * Probes : Probes, Scale)
            .Vjp(["phi"], [SurrogateKernelLoss.LossOutput]);
        var grad = Run(tape, new Dictionary<string, double[]>
        {
            ["phi"] = phi, ["x"] = x, ["targets"] = Gather(z, biased), ["loss" + Transform.CotangentSuffix] = [1.0],
        })["phi" + Transform.CotangentSuffix];
        var rng = new Random(seed + 100);
        const double eps = 1e-5;
        for (int trial = 0; trial < 3; trial++)
        {
            var d = Uniform(rng, phi.Length);
            double plus = DirectLoss(phi.Select((p, i) => p + eps * d[i]).ToArray(), x, z, biased);
            double minus = DirectLoss(phi.Select((p, i) => p - eps * d[i]).ToArray(), x, z, biased);
            double numeric = (plus - minus) / (2 * eps), analytic = grad.Select((g, i) => g * d[i]).Sum();
            Assert.Equal(numeric, analytic, Math.Abs(numeric) * 1e-6 + 1e-12);
        }
    }
}
