using Tangent.Engine;
using Tangent.Models.Data;

namespace Tangent.Inference.Scalla;

/// <summary>
/// Where ScaLLA's context points come from: the inputs that extend the surrogate's kernel beyond the training data
/// (and, in the biased variant, the ones whose covariance with the training data is set to zero).
/// </summary>
public interface IContextSource
{
    /// <summary>The name a fit records (<c>digits28</c>, an IDX path, a generator name).</summary>
    string Name { get; }

    /// <summary>Per-example input shape.</summary>
    Shape SampleShape { get; }

    /// <summary>
    /// Writes the <paramref name="count"/> context points of training step <paramref name="step"/> into
    /// <paramref name="destination"/> (count × sample values). The points depend only on (step, count) and the
    /// source's seed, so a resumed run sees the same ones; nothing is allocated.
    /// </summary>
    void Fill(long step, int count, Span<float> destination);
}

/// <summary>Context points drawn, in epochs without replacement, from a fixed set of inputs (a named data set or an IDX file).</summary>
public sealed class ContextSet : IContextSource
{
    private readonly float[] _inputs;
    private readonly EpochSampler _sampler;

    /// <summary>Creates a source over <paramref name="inputs"/> (samples of <paramref name="sampleShape"/>, sample-major).</summary>
    public ContextSet(string name, float[] inputs, Shape sampleShape, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (sampleShape.Length == 0 || inputs.Length == 0 || inputs.Length % sampleShape.Length != 0)
            throw new ArgumentException($"context set '{name}': {inputs.Length} values are not a positive whole number of samples of shape {sampleShape}.");
        Name = name;
        SampleShape = sampleShape;
        _inputs = inputs;
        _sampler = new EpochSampler(inputs.Length / sampleShape.Length, seed, ContextSources.ContextStream);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public Shape SampleShape { get; }

    /// <summary>Number of inputs in the set.</summary>
    public int Count => _sampler.Count;

    /// <inheritdoc />
    public void Fill(long step, int count, Span<float> destination)
    {
        int s = SampleShape.Length;
        for (int i = 0; i < count; i++)
            _inputs.AsSpan(_sampler.Index(step * count + i) * s, s).CopyTo(destination.Slice(i * s, s));
    }
}

/// <summary>
/// Resolves a <c>--context</c> value: a named data set (<see cref="SetNames"/>, its training split), an IDX image file
/// (pixels/255), or a generator built from the training inputs alone (<see cref="ContextGenerators.Names"/>).
/// </summary>
public static class ContextSources
{
    /// <summary>SplitMix64 stream of the context draws (the training points use <see cref="TrainStream"/>).</summary>
    public const ulong ContextStream = 3;

    /// <summary>SplitMix64 stream of the training-point draws.</summary>
    public const ulong TrainStream = 2;

    /// <summary>The named sets a context may be (training splits; digits28 is sklearn's 8×8 digits upscaled to 28×28).</summary>
    public static IReadOnlyList<string> SetNames { get; } = ["digits28", "mnist", "fmnist", "kmnist"];

    /// <summary>
    /// The source named by <paramref name="spec"/>, for a network whose inputs are <paramref name="inputShape"/>.
    /// A set of another image size is refused with both shapes; an unknown value lists what is accepted.
    /// </summary>
    public static IContextSource Resolve(string spec, DataSet train, Shape inputShape, ulong seed, string? dataRoot = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        IContextSource source;
        if (SetNames.Contains(spec, StringComparer.OrdinalIgnoreCase))
        {
            var set = DataSets.Load(spec, DataSplit.Train, dataRoot);
            source = new ContextSet(spec.ToLowerInvariant(), set.Inputs, set.SampleShape, seed);
        }
        else if (ContextGenerators.Names.Contains(spec, StringComparer.OrdinalIgnoreCase))
            source = ContextGenerators.Create(spec.ToLowerInvariant(), train, seed);
        else if (File.Exists(spec))
        {
            var idx = IdxReader.ReadImages(spec);
            var pixels = new float[idx.Pixels.Length];
            for (int i = 0; i < pixels.Length; i++) pixels[i] = idx.Pixels[i] / 255f;
            source = new ContextSet(spec, pixels, new Shape(1, idx.Rows, idx.Columns), seed);
        }
        else
            throw new ArgumentException($"context '{spec}' is neither a named set ({string.Join(", ", SetNames)}), an existing IDX image file, " +
                                        $"nor a generator ({string.Join(", ", ContextGenerators.Names)}).");
        if (source.SampleShape != inputShape)
            throw new ArgumentException($"context '{spec}' has inputs of shape {source.SampleShape}; the network expects {inputShape}.");
        return source;
    }
}
