using System.Globalization;
using System.Text.Json;
using Tangent.Engine;
using Tangent.Models.Checkpoints;
using Tangent.Models.Layers;

namespace Tangent.Inference.Scalla;

/// <summary>
/// A surrogate-training checkpoint (safetensors): φ as <c>surrogate.NAME</c> tensors in the surrogate's layout, Adam's
/// moments as <c>adam.exp_avg</c> / <c>adam.exp_avg_sq</c>, and in the metadata the step count, the training time,
/// the settings, the context's name and the loss curve so far.
/// </summary>
public static class SurrogateCheckpoint
{
    /// <summary>Prefix of the surrogate's tensors (shared with ScaLLA posterior files).</summary>
    public const string SurrogatePrefix = "surrogate.";

    private const string StepKey = "scalla.step", SecondsKey = "scalla.seconds", OptionsKey = "scalla.options",
        ContextKey = "scalla.context", CurveKey = "scalla.curve", AdamPrefix = "adam.";

    /// <summary>What a checkpoint holds.</summary>
    public sealed record Contents(long Step, double Seconds, IReadOnlyList<LossPoint> Curve, float[] Surrogate, IReadOnlyList<(string Name, float[] Values)> OptimizerState);

    /// <summary>Writes a checkpoint atomically (temporary file, then rename).</summary>
    public static void Write(string path, Network surrogate, ScallaOptions options, string? context, long step, double seconds,
        IReadOnlyList<LossPoint> curve, float[] phi, IReadOnlyList<(string Name, float[] Values)> optimizerState)
    {
        var tensors = SurrogateTensors(surrogate, phi).ToList();
        foreach (var (name, values) in optimizerState)
            tensors.Add(SafeTensor.FromSingles(AdamPrefix + name, new Shape(values.Length), values));
        var metadata = new Dictionary<string, string>
        {
            [StepKey] = step.ToString(CultureInfo.InvariantCulture),
            [SecondsKey] = seconds.ToString("R", CultureInfo.InvariantCulture),
            [OptionsKey] = options.ToJson(),
            [ContextKey] = context ?? "",
            [CurveKey] = JsonSerializer.Serialize(curve),
        };
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>φ's tensors, named <c>surrogate.NAME</c>.</summary>
    public static IEnumerable<SafeTensor> SurrogateTensors(Network surrogate, float[] phi) =>
        surrogate.Parameters.Entries.Select(e => SafeTensor.FromSingles(SurrogatePrefix + e.Name, e.Shape, phi.AsSpan(e.Offset, e.Shape.Length)));

    /// <summary>
    /// φ from the <c>surrogate.NAME</c> tensors among <paramref name="tensors"/> (by name), every one checked first: a
    /// missing or misshapen tensor is an <see cref="InvalidDataException"/> naming it, both shapes and <paramref name="source"/>.
    /// </summary>
    public static float[] ReadSurrogate(IReadOnlyDictionary<string, SafeTensor> tensors, Network surrogate, string source)
    {
        var problems = new List<string>();
        foreach (var e in surrogate.Parameters.Entries)
        {
            if (!tensors.TryGetValue(SurrogatePrefix + e.Name, out var t)) problems.Add($"'{SurrogatePrefix}{e.Name}' is missing (surrogate shape {e.Shape})");
            else if (t.Shape != e.Shape) problems.Add($"'{SurrogatePrefix}{e.Name}' has shape {t.Shape}, the surrogate {e.Shape}");
        }
        if (problems.Count > 0) throw new InvalidDataException($"{source} does not hold the surrogate's parameters: {string.Join("; ", problems)}.");
        var phi = new float[surrogate.ParameterCount];
        foreach (var e in surrogate.Parameters.Entries) tensors[SurrogatePrefix + e.Name].CopyTo(phi.AsSpan(e.Offset, e.Shape.Length));
        return phi;
    }

    /// <summary>
    /// Reads a checkpoint written for the same settings and context; a checkpoint of other settings is refused with
    /// both values, since the schedule and the draws depend on them.
    /// </summary>
    public static Contents Read(string path, Network surrogate, ScallaOptions options, string? context)
    {
        var file = SafeTensorsFile.Read(path);
        string Meta(string key) => file.Metadata.TryGetValue(key, out var v) ? v
            : throw new InvalidDataException($"{path} is not a ScaLLA training checkpoint: its metadata has no '{key}'.");
        var saved = ScallaOptions.FromJson(Meta(OptionsKey));
        if (saved != options)
            throw new ArgumentException($"{path} was written with other settings ({saved}); this run has {options}.");
        if (Meta(ContextKey) != (context ?? ""))
            throw new ArgumentException($"{path} was written with context '{Meta(ContextKey)}'; this run uses '{context}'.");
        if (!long.TryParse(Meta(StepKey), NumberStyles.Integer, CultureInfo.InvariantCulture, out long step) || step < 0 || step > options.Steps)
            throw new InvalidDataException($"{path}: step '{Meta(StepKey)}' is not a step count in [0, {options.Steps}].");
        if (!double.TryParse(Meta(SecondsKey), NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds))
            throw new InvalidDataException($"{path}: training time '{Meta(SecondsKey)}' is not a number.");
        List<LossPoint> curve;
        try
        {
            curve = JsonSerializer.Deserialize<List<LossPoint>>(Meta(CurveKey)) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the loss curve is not valid JSON ({e.Message}).");
        }
        var phi = ReadSurrogate(file.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal), surrogate, path);
        var state = new List<(string, float[])>();
        foreach (var name in new[] { "exp_avg", "exp_avg_sq" })
        {
            if (!file.TryGet(AdamPrefix + name, out var t) || t.Shape != new Shape(surrogate.ParameterCount))
                throw new InvalidDataException($"{path}: '{AdamPrefix}{name}' is missing or not of shape [{surrogate.ParameterCount}].");
            state.Add((name, t.ToSingleArray()));
        }
        return new Contents(step, seconds, curve, phi, state);
    }
}
