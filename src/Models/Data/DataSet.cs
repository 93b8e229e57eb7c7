using Tangent.Engine;

namespace Tangent.Models.Data;

/// <summary>
/// An in-memory data set on the host: <see cref="Count"/> samples of <see cref="SampleShape"/> float32 inputs
/// (images [C, H, W] with pixels/255 in [0, 1], or feature rows [F]) and either class labels (classification,
/// <see cref="ClassCount"/> &gt; 0) or float targets (regression, <see cref="TargetSize"/> values per sample).
/// </summary>
public sealed class DataSet
{
    /// <summary>Creates a data set from arrays it takes ownership of, checking that the sizes agree.</summary>
    /// <param name="name">A display name (e.g. "fmnist/train").</param>
    /// <param name="inputs">Count·SampleShape.Length values, sample-major.</param>
    /// <param name="sampleShape">Shape of one sample: [C, H, W] for images, [F] for tabular rows.</param>
    /// <param name="labels">Count class indices in [0, classCount) for classification, or empty for regression.</param>
    /// <param name="classCount">Number of classes (0 for regression).</param>
    /// <param name="targets">Count·targetSize regression targets, or null for classification.</param>
    /// <param name="targetSize">Targets per sample (regression only).</param>
    public DataSet(string name, float[] inputs, Shape sampleShape, int[] labels, int classCount, float[]? targets = null, int targetSize = 0)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(labels);
        int sample = sampleShape.Length;
        if (sample == 0) throw new ArgumentException($"data set '{name}': sample shape {sampleShape} is empty.");
        if (inputs.Length % sample != 0)
            throw new ArgumentException($"data set '{name}': {inputs.Length} input values are not a whole number of samples of shape {sampleShape}.");
        int count = inputs.Length / sample;
        if (targets is null)
        {
            if (classCount <= 0) throw new ArgumentException($"data set '{name}': a classification set needs a positive class count, got {classCount}.");
            if (labels.Length != count)
                throw new ArgumentException($"data set '{name}': {count} samples but {labels.Length} labels.");
            for (int i = 0; i < labels.Length; i++)
                if ((uint)labels[i] >= (uint)classCount)
                    throw new ArgumentException($"data set '{name}': label {labels[i]} of sample {i} is outside [0, {classCount}).");
        }
        else
        {
            if (labels.Length != 0 || classCount != 0)
                throw new ArgumentException($"data set '{name}': a regression set has targets and no labels or classes.");
            if (targetSize <= 0 || targets.Length != (long)count * targetSize)
                throw new ArgumentException($"data set '{name}': {count} samples need {count}×{targetSize} targets, got {targets.Length}.");
        }
        Name = name;
        Inputs = inputs;
        SampleShape = sampleShape;
        Labels = labels;
        ClassCount = classCount;
        Targets = targets;
        TargetSize = targets is null ? 0 : targetSize;
        Count = count;
    }

    /// <summary>Builds a classification set from unsigned byte pixels, scaling them to pixels/255.</summary>
    public static DataSet FromBytes(string name, ReadOnlySpan<byte> pixels, Shape sampleShape, int[] labels, int classCount)
    {
        var x = new float[pixels.Length];
        for (int i = 0; i < pixels.Length; i++) x[i] = pixels[i] / 255f;
        return new DataSet(name, x, sampleShape, labels, classCount);
    }

    /// <summary>Display name.</summary>
    public string Name { get; }

    /// <summary>Inputs, sample-major: sample i occupies [i·SampleSize, (i+1)·SampleSize).</summary>
    public float[] Inputs { get; }

    /// <summary>Shape of one sample ([C, H, W] or [F]).</summary>
    public Shape SampleShape { get; }

    /// <summary>Values per sample.</summary>
    public int SampleSize => SampleShape.Length;

    /// <summary>Class labels (empty for regression).</summary>
    public int[] Labels { get; }

    /// <summary>Number of classes (0 for regression).</summary>
    public int ClassCount { get; }

    /// <summary>Regression targets, sample-major (null for classification).</summary>
    public float[]? Targets { get; }

    /// <summary>Targets per sample (0 for classification).</summary>
    public int TargetSize { get; }

    /// <summary>Whether this is a classification set (labels) rather than regression (targets).</summary>
    public bool IsClassification => Targets is null;

    /// <summary>Number of samples N.</summary>
    public int Count { get; }

    /// <summary>Channels C of an image set ([C, H, W] samples).</summary>
    public int Channels => RequireImage()[0];

    /// <summary>Height H of an image set.</summary>
    public int Height => RequireImage()[1];

    /// <summary>Width W of an image set.</summary>
    public int Width => RequireImage()[2];

    /// <summary>The inputs of sample <paramref name="index"/>.</summary>
    public ReadOnlySpan<float> Sample(int index) => Inputs.AsSpan(checked(index * SampleSize), SampleSize);

    /// <summary>The samples at <paramref name="indices"/>, in that order (copies).</summary>
    public DataSet Subset(ReadOnlySpan<int> indices, string? name = null)
    {
        int s = SampleSize;
        var x = new float[(long)indices.Length * s];
        var y = IsClassification ? new int[indices.Length] : [];
        var t = IsClassification ? null : new float[(long)indices.Length * TargetSize];
        for (int i = 0; i < indices.Length; i++)
        {
            int j = indices[i];
            if ((uint)j >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(indices), $"data set '{Name}': index {j} at position {i} is outside [0, {Count}).");
            Array.Copy(Inputs, (long)j * s, x, (long)i * s, s);
            if (t is null) y[i] = Labels[j];
            else Array.Copy(Targets!, (long)j * TargetSize, t, (long)i * TargetSize, TargetSize);
        }
        return new DataSet(name ?? $"{Name}[subset {indices.Length}]", x, SampleShape, y, ClassCount, t, TargetSize);
    }

    /// <summary>The contiguous samples [start, start + count).</summary>
    public DataSet Range(int start, int count, string? name = null)
    {
        if (start < 0 || count < 0 || (long)start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(start), $"data set '{Name}': range [{start}, {(long)start + count}) is outside [0, {Count}).");
        var idx = new int[count];
        for (int i = 0; i < count; i++) idx[i] = start + i;
        return Subset(idx, name ?? $"{Name}[{start}..{start + count})");
    }

    /// <summary>
    /// Splits into the first <paramref name="firstCount"/> samples and the rest (e.g. 55,000 training and 5,000
    /// validation images of MNIST's 60,000). With a <paramref name="seed"/>, the samples are first permuted by
    /// <see cref="SplitMix64"/> from that seed, so the two parts are random but reproducible.
    /// </summary>
    public (DataSet First, DataSet Second) Split(int firstCount, ulong? seed = null)
    {
        if (firstCount < 0 || firstCount > Count)
            throw new ArgumentOutOfRangeException(nameof(firstCount), $"data set '{Name}': cannot take {firstCount} of {Count} samples.");
        var order = new int[Count];
        if (seed is ulong s) new SplitMix64(s).Permutation(order);
        else for (int i = 0; i < Count; i++) order[i] = i;
        return (Subset(order.AsSpan(0, firstCount), $"{Name}[:{firstCount}]"),
                Subset(order.AsSpan(firstCount), $"{Name}[{firstCount}:]"));
    }

    /// <summary>Number of samples of each class (classification only).</summary>
    public int[] ClassCounts()
    {
        if (!IsClassification) throw new InvalidOperationException($"data set '{Name}' is a regression set: it has no classes.");
        var c = new int[ClassCount];
        foreach (int y in Labels) c[y]++;
        return c;
    }

    /// <inheritdoc />
    public override string ToString() =>
        IsClassification ? $"{Name}: {Count} × {SampleShape}, {ClassCount} classes" : $"{Name}: {Count} × {SampleShape}, {TargetSize} targets";

    private ReadOnlySpan<int> RequireImage()
    {
        if (SampleShape.Rank != 3) throw new InvalidOperationException($"data set '{Name}' has samples of shape {SampleShape}, not images [C, H, W].");
        return SampleShape.Dims;
    }
}
