using System.Globalization;
using Tangent.Engine;
using Tangent.Models.Checkpoints;

namespace Tangent.Inference.Viking;

/// <summary>The phases of a VIKING fit.</summary>
public enum VikingPhase
{
    /// <summary>Phase 1: plain maximum-likelihood training of θ̂.</summary>
    Plain,
    /// <summary>Phase 2: only log α and log σ_im learn.</summary>
    Scales,
    /// <summary>Phase 3: θ̂, log α and log σ_im learn by the full ELBO.</summary>
    Elbo,
    /// <summary>The posterior samples' alternating projections.</summary>
    Posterior,
}

/// <summary>Projection counts carried across a resume (see <see cref="Projection.ProjectionTally"/>).</summary>
/// <param name="Projections">Projections made.</param>
/// <param name="NotConverged">Projections flagged as not converged.</param>
/// <param name="ResidualSum">Sum of the finite relative residuals.</param>
/// <param name="MaxResidual">Largest finite relative residual.</param>
public readonly record struct ProjectionCounts(long Projections, long NotConverged, double ResidualSum, double MaxResidual);

/// <summary>
/// The state of a VIKING fit at an epoch boundary, enough to continue bit-identically: φ = [θ̂, log α, log σ_im],
/// the carried kernel sample, the phase's Adam moments and step count (the data order and every random draw are
/// functions of the seed and the step, so they need no state). Written atomically after phase 1 and after every
/// epoch of phases 2 and 3; a file made under other settings (<see cref="VikingOptions.Fingerprint"/>) is refused.
/// </summary>
/// <param name="Phase">The phase to continue in (<see cref="VikingPhase.Scales"/> or <see cref="VikingPhase.Elbo"/>).</param>
/// <param name="EpochsDone">Epochs of that phase already finished.</param>
/// <param name="Variational">φ, P + 2 values.</param>
/// <param name="Carry">The carried kernel sample, P values.</param>
/// <param name="AdamFirst">The phase optimiser's first moments (empty before its first step).</param>
/// <param name="AdamSecond">Its second moments.</param>
/// <param name="AdamSteps">Its step count.</param>
/// <param name="NoiseVariance">σ² of a Gaussian likelihood (NaN for classification).</param>
/// <param name="Counts">Projection counts so far.</param>
/// <param name="Times">Time spent so far.</param>
public sealed record VikingCheckpoint(VikingPhase Phase, int EpochsDone, float[] Variational, float[] Carry, float[] AdamFirst, float[] AdamSecond,
    long AdamSteps, double NoiseVariance, ProjectionCounts Counts, VikingTimes Times)
{
    /// <summary>Writes the checkpoint for a fit of <paramref name="model"/> under <paramref name="options"/>.</summary>
    public void Save(string path, VikingOptions options, string model)
    {
        var meta = new Dictionary<string, string>
        {
            ["format"] = "tangent-viking-resume",
            [Checkpoint.ModelKey] = model,
            ["options"] = options.Fingerprint(),
            ["phase"] = Phase.ToString(),
            ["epochs_done"] = Text(EpochsDone),
            ["adam_steps"] = Text(AdamSteps),
            ["noise_variance"] = Text(NoiseVariance),
            ["projections"] = Text(Counts.Projections),
            ["not_converged"] = Text(Counts.NotConverged),
            ["residual_sum"] = Text(Counts.ResidualSum),
            ["max_residual"] = Text(Counts.MaxResidual),
        };
        foreach (var (k, v) in Times.Entries()) meta[k] = v;
        var tensors = new List<SafeTensor>
        {
            SafeTensor.FromSingles("variational", new Shape(Variational.Length), Variational),
            SafeTensor.FromSingles("carry", new Shape(Carry.Length), Carry),
        };
        if (AdamFirst.Length > 0)
        {
            tensors.Add(SafeTensor.FromSingles("adam.exp_avg", new Shape(AdamFirst.Length), AdamFirst));
            tensors.Add(SafeTensor.FromSingles("adam.exp_avg_sq", new Shape(AdamSecond.Length), AdamSecond));
        }
        SafeTensorsFile.Write(path, tensors, meta);
    }

    /// <summary>
    /// Reads a checkpoint written by <see cref="Save"/> for <paramref name="model"/> with
    /// <paramref name="parameterCount"/> parameters; throws <see cref="InvalidDataException"/> naming the file and
    /// the disagreement when it was made under other settings or for another model.
    /// </summary>
    public static VikingCheckpoint Load(string path, VikingOptions options, string model, int parameterCount)
    {
        var file = SafeTensorsFile.Read(path);
        var m = file.Metadata;
        string Get(string key) => m.TryGetValue(key, out var v) ? v : throw new InvalidDataException($"{path}: not a VIKING resume file (no '{key}' entry).");
        if (Get("format") != "tangent-viking-resume") throw new InvalidDataException($"{path}: not a VIKING resume file.");
        if (Get(Checkpoint.ModelKey) != model) throw new InvalidDataException($"{path}: written for model '{m[Checkpoint.ModelKey]}', not '{model}'.");
        if (Get("options") != options.Fingerprint())
            throw new InvalidDataException($"{path}: written under other settings ({m["options"]}); this run has {options.Fingerprint()}. Delete it or use the same settings.");
        var variational = Tensor(file, path, "variational", parameterCount + 2);
        var carry = Tensor(file, path, "carry", parameterCount);
        float[] first = [], second = [];
        if (file.TryGet("adam.exp_avg", out var a1))
        {
            first = a1.ToSingleArray();
            second = Tensor(file, path, "adam.exp_avg_sq", first.Length);
        }
        var phase = Enum.TryParse<VikingPhase>(Get("phase"), out var p) && p is VikingPhase.Scales or VikingPhase.Elbo
            ? p : throw new InvalidDataException($"{path}: phase '{m["phase"]}' cannot be resumed.");
        return new VikingCheckpoint(phase, (int)Long(path, Get("epochs_done")), variational, carry, first, second, Long(path, Get("adam_steps")),
            Double(path, Get("noise_variance")),
            new ProjectionCounts(Long(path, Get("projections")), Long(path, Get("not_converged")), Double(path, Get("residual_sum")),
                Double(path, Get("max_residual"))),
            VikingTimes.From(m));
    }

    private static float[] Tensor(SafeTensorsFile file, string path, string name, int length)
    {
        if (!file.TryGet(name, out var t)) throw new InvalidDataException($"{path}: tensor '{name}' is missing.");
        if (t.ElementCount != length) throw new InvalidDataException($"{path}: tensor '{name}' has {t.ElementCount} values, {length} expected.");
        return t.ToSingleArray();
    }

    private static string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);

    private static string Text(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static long Long(string path, string s) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v)
        ? v : throw new InvalidDataException($"{path}: '{s}' is not an integer.");

    private static double Double(string path, string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v)
        ? v : throw new InvalidDataException($"{path}: '{s}' is not a number.");
}
