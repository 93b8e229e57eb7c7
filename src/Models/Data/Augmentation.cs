namespace Tangent.Models.Data;

/// <summary>
/// Image augmentation applied by <see cref="BatchLoader"/> while it fills a batch: a horizontal flip with
/// probability ½ and a random crop of the original size from the image zero-padded by <see cref="CropPadding"/>
/// pixels on every side (the CIFAR recipe: flip + crop with padding 4). Each choice is a function of
/// (seed, epoch, sample index in the data set) only, so it does not depend on the batch size or the order.
/// </summary>
/// <param name="HorizontalFlip">Mirror left–right with probability ½.</param>
/// <param name="CropPadding">Zero padding p of the random crop; the crop offset is uniform in [0, 2p]² (0 = no crop).</param>
public sealed record Augmentation(bool HorizontalFlip = false, int CropPadding = 0)
{
    /// <summary>No augmentation.</summary>
    public static Augmentation None { get; } = new();

    /// <summary>Whether this augmentation changes anything.</summary>
    public bool IsIdentity => !HorizontalFlip && CropPadding == 0;

    /// <summary>The choices for one sample: flip, and the crop shift (dy, dx) ∈ [−p, p]² of the source window.</summary>
    public (bool Flip, int ShiftY, int ShiftX) Draw(ulong seed, int epoch, int sampleIndex)
    {
        // A stream distinct from the shuffling one (tag 0xA06 in the top bits of the epoch key).
        var rng = SplitMix64.For(seed, 0xA060_0000_0000_0000UL ^ (ulong)(uint)epoch, (ulong)(uint)sampleIndex);
        bool flip = HorizontalFlip && (rng.Next() >> 63) != 0;
        int dy = 0, dx = 0;
        if (CropPadding > 0)
        {
            dy = rng.NextBelow(2 * CropPadding + 1) - CropPadding;
            dx = rng.NextBelow(2 * CropPadding + 1) - CropPadding;
        }
        return (flip, dy, dx);
    }

    /// <summary>
    /// Writes the augmented image: dst[c, y, x] = src[c, y + dy, x' + dx] with x' = W−1−x when flipped, else x, and
    /// 0 where the source index falls outside the image (the zero padding). Flip is applied after the crop, as in
    /// torchvision's RandomCrop → RandomHorizontalFlip.
    /// </summary>
    public static void Apply(ReadOnlySpan<float> src, Span<float> dst, int channels, int height, int width, bool flip, int shiftY, int shiftX)
    {
        for (int c = 0; c < channels; c++)
        {
            var s = src.Slice(c * height * width, height * width);
            var d = dst.Slice(c * height * width, height * width);
            for (int y = 0; y < height; y++)
            {
                int sy = y + shiftY;
                var row = d.Slice(y * width, width);
                if ((uint)sy >= (uint)height) { row.Clear(); continue; }
                var srow = s.Slice(sy * width, width);
                for (int x = 0; x < width; x++)
                {
                    int sx = (flip ? width - 1 - x : x) + shiftX;
                    row[x] = (uint)sx < (uint)width ? srow[sx] : 0f;
                }
            }
        }
    }
}
