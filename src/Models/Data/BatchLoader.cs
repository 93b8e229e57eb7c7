using Tangent.Kernels.Backends;

namespace Tangent.Models.Data;

/// <summary>
/// Iterates a <see cref="DataSet"/> in mini-batches, writing each batch into reusable host arrays
/// (<see cref="Inputs"/>, <see cref="Labels"/> or <see cref="Targets"/>) without allocating per batch.
/// The order of epoch e is a Fisher–Yates permutation drawn from <see cref="SplitMix64"/> keyed by (seed, e),
/// so a run is reproducible and any epoch can be regenerated on its own.
/// </summary>
/// <example>
/// <code>
/// var loader = new BatchLoader(train, batchSize: 64, seed: 1);
/// for (int epoch = 0; epoch &lt; 40; epoch++)
/// {
///     loader.BeginEpoch(epoch);
///     for (int b = 0; b &lt; loader.BatchesPerEpoch; b++)
///     {
///         int n = loader.Fill(b);           // loader.Inputs[0 .. n·SampleSize), loader.Labels[0 .. n)
///         loader.Upload(xBuffer, yBuffer); // or read the host arrays directly
///     }
/// }
/// </code>
/// </example>
public sealed class BatchLoader
{
    private readonly int[] _order;
    private int _epoch = -1;

    /// <summary>Creates a loader.</summary>
    /// <param name="data">The data set.</param>
    /// <param name="batchSize">Samples per batch B.</param>
    /// <param name="seed">Seed of the shuffling and augmentation streams.</param>
    /// <param name="shuffle">Whether each epoch is permuted (false: data order, e.g. for evaluation).</param>
    /// <param name="dropLast">Whether a final batch smaller than B is skipped.</param>
    /// <param name="augmentation">Image augmentation (images only), or null for none.</param>
    public BatchLoader(DataSet data, int batchSize, ulong seed = 0, bool shuffle = true, bool dropLast = false, Augmentation? augmentation = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        augmentation ??= Augmentation.None;
        if (!augmentation.IsIdentity && data.SampleShape.Rank != 3)
            throw new ArgumentException($"augmentation needs image samples [C, H, W]; data set '{data.Name}' has samples of shape {data.SampleShape}.");
        if (augmentation.CropPadding < 0)
            throw new ArgumentOutOfRangeException(nameof(augmentation), $"crop padding {augmentation.CropPadding} is negative.");
        Data = data;
        BatchSize = batchSize;
        Seed = seed;
        Shuffle = shuffle;
        DropLast = dropLast;
        Augmentation = augmentation;
        _order = new int[data.Count];
        Inputs = new float[(long)batchSize * data.SampleSize];
        Labels = data.IsClassification ? new int[batchSize] : [];
        Targets = data.IsClassification ? [] : new float[(long)batchSize * data.TargetSize];
    }

    /// <summary>The data set.</summary>
    public DataSet Data { get; }

    /// <summary>Samples per full batch.</summary>
    public int BatchSize { get; }

    /// <summary>Seed of the shuffling and augmentation.</summary>
    public ulong Seed { get; }

    /// <summary>Whether epochs are shuffled.</summary>
    public bool Shuffle { get; }

    /// <summary>Whether a final partial batch is skipped.</summary>
    public bool DropLast { get; }

    /// <summary>The augmentation applied while filling.</summary>
    public Augmentation Augmentation { get; }

    /// <summary>Batches in one epoch: ⌊N/B⌋ with <see cref="DropLast"/>, else ⌈N/B⌉.</summary>
    public int BatchesPerEpoch => DropLast ? Data.Count / BatchSize : (Data.Count + BatchSize - 1) / BatchSize;

    /// <summary>Samples visited in one epoch.</summary>
    public int SamplesPerEpoch => DropLast ? BatchesPerEpoch * BatchSize : Data.Count;

    /// <summary>Input buffer: B·SampleSize values, of which the first n·SampleSize are the current batch.</summary>
    public float[] Inputs { get; }

    /// <summary>Label buffer (classification): B entries, the first n valid.</summary>
    public int[] Labels { get; }

    /// <summary>Target buffer (regression): B·TargetSize entries, the first n·TargetSize valid.</summary>
    public float[] Targets { get; }

    /// <summary>The current epoch's order of sample indices.</summary>
    public ReadOnlySpan<int> Order => _order;

    /// <summary>Samples in the last filled batch.</summary>
    public int CurrentCount { get; private set; }

    /// <summary>Prepares epoch <paramref name="epoch"/>'s order (a permutation drawn from (seed, epoch), or 0..N−1 without shuffling).</summary>
    public void BeginEpoch(int epoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        _epoch = epoch;
        EpochOrder(Data.Count, Seed, epoch, Shuffle, _order);
    }

    /// <summary>The sample order of one epoch, as <see cref="BeginEpoch"/> computes it.</summary>
    public static void EpochOrder(int count, ulong seed, int epoch, bool shuffle, Span<int> destination)
    {
        if (destination.Length != count) throw new ArgumentException($"destination has {destination.Length} entries, {count} needed.");
        if (shuffle) SplitMix64.For(seed, (ulong)(uint)epoch).Permutation(destination);
        else for (int i = 0; i < count; i++) destination[i] = i;
    }

    /// <summary>Writes batch <paramref name="batch"/> of the current epoch into the host buffers and returns its size n.</summary>
    public int Fill(int batch)
    {
        if (_epoch < 0) throw new InvalidOperationException("call BeginEpoch before Fill.");
        if ((uint)batch >= (uint)BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(batch), $"batch {batch} is outside [0, {BatchesPerEpoch}) for {Data.Count} samples in batches of {BatchSize}.");
        int start = batch * BatchSize;
        int n = Math.Min(BatchSize, Data.Count - start);
        int s = Data.SampleSize;
        bool augment = !Augmentation.IsIdentity;
        int c = augment ? Data.Channels : 0, h = augment ? Data.Height : 0, w = augment ? Data.Width : 0;
        for (int i = 0; i < n; i++)
        {
            int j = _order[start + i];
            var src = Data.Inputs.AsSpan(j * s, s);
            var dst = Inputs.AsSpan(i * s, s);
            if (augment)
            {
                var (flip, dy, dx) = Augmentation.Draw(Seed, _epoch, j);
                Augmentation.Apply(src, dst, c, h, w, flip, dy, dx);
            }
            else src.CopyTo(dst);
            if (Data.IsClassification) Labels[i] = Data.Labels[j];
            else Data.Targets.AsSpan(j * Data.TargetSize, Data.TargetSize).CopyTo(Targets.AsSpan(i * Data.TargetSize));
        }
        CurrentCount = n;
        return n;
    }

    /// <summary>
    /// Copies the current batch's inputs to the start of <paramref name="inputs"/> and, for a classification set,
    /// its labels to the start of <paramref name="labels"/> (both buffers at least batch-sized; no allocation).
    /// </summary>
    public void Upload(DeviceBuffer<float> inputs, DeviceBuffer<int>? labels)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        int n = CurrentCount;
        inputs.CopyFrom(Inputs.AsSpan(0, n * Data.SampleSize));
        if (labels is not null && Data.IsClassification) labels.CopyFrom(Labels.AsSpan(0, n));
    }

    /// <summary>Copies the current batch's regression targets to the start of <paramref name="targets"/>.</summary>
    public void UploadTargets(DeviceBuffer<float> targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (Data.IsClassification) throw new InvalidOperationException($"data set '{Data.Name}' has labels, not targets.");
        targets.CopyFrom(Targets.AsSpan(0, CurrentCount * Data.TargetSize));
    }
}
