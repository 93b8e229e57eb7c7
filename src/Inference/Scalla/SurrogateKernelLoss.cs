using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Models.Layers;

namespace Tangent.Inference.Scalla;

/// <summary>
/// ScaLLA's training objective (METHODS.md §2) in Gram form, traced as a tape so that its gradient comes from the
/// engine's VJP. With G the stacked surrogate features [N, m] (one row per point and class, N = n·C, features scaled
/// by <see cref="SurrogateFeatures.OutputScale"/>) and Z the JVP targets [N, K] of K probes,
/// <code>‖ZZᵀ/K − GGᵀ‖²_F = ‖ZᵀZ‖²_F/K² − 2‖GᵀZ‖²_F/K + ‖GᵀG‖²_F</code>
/// divided by N² (the mean over the N² entries of the reference's loss, so that its learning rates carry over). Only
/// m×m, m×K and K×K products are formed, never the N×N kernels.
/// <para>Biased variant: the target's train×context blocks are zero, i.e. the target is (Z_tZ_tᵀ + Z_cZ_cᵀ)/K with Z_t
/// and Z_c the targets with the context rows, respectively the training rows, set to zero. That is Z′Z′ᵀ/K for
/// Z′ = [Z_t, Z_c] (N × 2K), so the same expansion holds with Z′ in place of Z, and one tape serves both variants:
/// only the target columns differ (<see cref="GatherIndices"/>).</para>
/// <para>Tape groups. Inputs: <c>x</c> [n, …input], <c>phi</c> (<see cref="SurrogateFeatures.PhiGroup"/>), <c>targets</c> [n, columns, C]
/// (point-major: row i holds point i's target columns). Outputs: <c>loss</c> (a scalar) and its two φ-dependent terms
/// <c>cross_term</c>, <c>feature_term</c>.</para>
/// </summary>
public static class SurrogateKernelLoss
{
    /// <summary>Name of the targets input group.</summary>
    public const string TargetsGroup = "targets";

    /// <summary>Name of the scalar loss output.</summary>
    public const string LossOutput = "loss";

    /// <summary>
    /// Name of the output ‖GᵀZ‖²_F/K. With the features scaled by c the loss is a − 2c²·(this) + c⁴·(<see cref="FeatureTermOutput"/>),
    /// smallest at c² = this / that: the scale <see cref="ScallaOptions.MatchInitialScale"/> gives the surrogate's output layer.
    /// </summary>
    public const string CrossTermOutput = "cross_term";

    /// <summary>Name of the output ‖GᵀG‖²_F.</summary>
    public const string FeatureTermOutput = "feature_term";

    /// <summary>
    /// The loss tape for <paramref name="points"/> inputs, <paramref name="probes"/> probes and
    /// <paramref name="columns"/> target columns per point (K unbiased, 2K biased; see <see cref="GatherIndices"/>).
    /// </summary>
    public static Tape Trace(Network surrogate, int points, int probes, int columns, double scale)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(points);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(probes);
        if (columns != probes && columns != 2 * probes)
            throw new ArgumentOutOfRangeException(nameof(columns), $"{columns} target columns for {probes} probes: need K (unbiased) or 2K (biased).");
        return Tape.Trace(t =>
        {
            var x = t.Input("x", surrogate.InputShape.Prepend(new Shape(points)));
            var g = SurrogateFeatures.Trace(t, surrogate, x, scale);
            int classes = g.Shape[2];
            var z = t.Input(TargetsGroup, new Shape(points, columns, classes));
            // Σᵢ gᵢgᵢᵀ = GᵀG [m, m], Σᵢ gᵢzᵢᵀ = GᵀZ [m, columns], Σᵢ zᵢzᵢᵀ = ZᵀZ [columns, columns]: each a batch-summed
            // product over the points, contracting the class index.
            var gg = Fn.MatMul(g, g, transB: true, sumBatch: true);
            var gz = Fn.MatMul(g, z, transB: true, sumBatch: true);
            var zz = Fn.MatMul(z, z, transB: true, sumBatch: true);
            double n = (double)points * classes;
            var cross = Fn.Scale(Fn.Sum(Fn.Square(gz)), 1.0 / probes);
            var features = Fn.Sum(Fn.Square(gg));
            var loss = Fn.Add(Fn.Sub(Fn.Scale(Fn.Sum(Fn.Square(zz)), 1.0 / ((double)probes * probes)), Fn.Scale(cross, 2)), features);
            t.Output(LossOutput, Fn.Scale(loss, 1 / (n * n)));
            t.Output(CrossTermOutput, cross);
            t.Output(FeatureTermOutput, features);
        });
    }

    /// <summary>
    /// Rows of the JVP's tangent output to gather into the <c>targets</c> input: the JVP writes [K, n, C] (probe-major)
    /// followed by one row of C zeros (row K·n); the loss wants [n, columns, C]. Unbiased: column κ of point i is row
    /// κ·n + i. Biased (2K columns): columns [0, K) carry the probes for the first <paramref name="trainPoints"/> points
    /// and are zero for the rest, columns [K, 2K) the reverse.
    /// </summary>
    public static int[] GatherIndices(int points, int trainPoints, int probes, bool biased)
    {
        if (trainPoints < 0 || trainPoints > points)
            throw new ArgumentOutOfRangeException(nameof(trainPoints), $"{trainPoints} training points of {points}.");
        int columns = biased ? 2 * probes : probes, zero = probes * points;
        var rows = new int[points * columns];
        for (int i = 0; i < points; i++)
            for (int j = 0; j < columns; j++)
            {
                int probe = j % probes, block = j / probes;
                bool kept = !biased || block == (i < trainPoints ? 0 : 1);
                rows[i * columns + j] = kept ? probe * points + i : zero;
            }
        return rows;
    }
}
