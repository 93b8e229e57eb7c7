using Tangent.Engine;
using Tangent.Models.Data;

namespace Tangent.Inference.Scalla;

/// <summary>
/// Random distortions of another source's context points: each image is scaled by s ~ U(0.55, 1), rotated by
/// r ~ U(−20°, 20°) and shifted by up to the margin the scaling leaves, about the image centre (bilinear sampling,
/// zero outside), then its intensities are raised to a power γ, log-uniform in [1/3, 3] (thinner or bolder strokes,
/// darker or brighter mid-tones; 0 and 1 stay). The biased surrogate learns to tell the training inputs from the
/// context inputs; distorting the context keeps that rule from hinging on one size, position, pose or stroke profile
/// of the context images, so it carries over to inputs that resemble the context in kind but not in style
/// (docs/scalla.md).
/// </summary>
public sealed class ContextAugmentation : IContextSource
{
    private const ulong AugmentationStream = 4;
    private readonly IContextSource _inner;
    private readonly ulong _seed;
    private float[] _scratch = [];

    /// <summary>Distorts the points of <paramref name="inner"/> (images [C, H, W]) with draws keyed by <paramref name="seed"/>.</summary>
    public ContextAugmentation(IContextSource inner, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (inner.SampleShape.Rank != 3) throw new ArgumentException($"context augmentation needs images [C, H, W]; '{inner.Name}' has inputs {inner.SampleShape}.");
        _inner = inner;
        _seed = seed;
    }

    /// <inheritdoc />
    public string Name => _inner.Name + "+augmented";

    /// <inheritdoc />
    public Shape SampleShape => _inner.SampleShape;

    /// <inheritdoc />
    public void Fill(long step, int count, Span<float> destination)
    {
        int size = SampleShape.Length;
        if (_scratch.Length < count * size) _scratch = new float[count * size];
        var source = _scratch.AsSpan(0, count * size);
        _inner.Fill(step, count, source);
        for (int i = 0; i < count; i++)
        {
            var rng = SplitMix64.For(SplitMix64.Mix(_seed ^ AugmentationStream), (ulong)step, (ulong)i);
            Distort(source.Slice(i * size, size), destination.Slice(i * size, size), SampleShape[0], SampleShape[1], SampleShape[2], ref rng);
        }
    }

    /// <summary>One random scale, rotation and shift of <paramref name="x"/> into <paramref name="y"/> (inverse mapping, bilinear).</summary>
    private static void Distort(ReadOnlySpan<float> x, Span<float> y, int channels, int h, int w, ref SplitMix64 rng)
    {
        double scale = 0.55 + 0.45 * Unit(ref rng), angle = (Unit(ref rng) - 0.5) * (40 * Math.PI / 180);
        float gamma = (float)Math.Exp((2 * Unit(ref rng) - 1) * Math.Log(3));
        float contrast = (float)Math.Exp(Unit(ref rng) * Math.Log(6)), offset = (float)(0.4 * Unit(ref rng)) * (1 - 1 / contrast);
        double marginY = (1 - scale) * h / 2, marginX = (1 - scale) * w / 2;
        double shiftY = (2 * Unit(ref rng) - 1) * marginY, shiftX = (2 * Unit(ref rng) - 1) * marginX;
        double cos = Math.Cos(angle) / scale, sin = Math.Sin(angle) / scale, cy = (h - 1) / 2.0, cx = (w - 1) / 2.0;
        for (int c = 0; c < channels; c++)
        {
            var plane = x.Slice(c * h * w, h * w);
            for (int r = 0; r < h; r++)
                for (int q = 0; q < w; q++)
                {
                    // Output pixel → source pixel: undo the shift, then rotate by −angle and scale by 1/s about the centre.
                    double dy = r - cy - shiftY, dx = q - cx - shiftX;
                    double sy = cy + cos * dy - sin * dx, sx = cx + sin * dy + cos * dx;
                    float v = Math.Clamp(contrast * (Bilinear(plane, h, w, sy, sx) - offset), 0f, 1f);
                    y[(c * h + r) * w + q] = MathF.Pow(v, gamma);
                }
        }
    }

    private static float Bilinear(ReadOnlySpan<float> plane, int h, int w, double y, double x)
    {
        int y0 = (int)Math.Floor(y), x0 = (int)Math.Floor(x);
        double fy = y - y0, fx = x - x0, sum = 0;
        for (int dy = 0; dy <= 1; dy++)
            for (int dx = 0; dx <= 1; dx++)
            {
                int yy = y0 + dy, xx = x0 + dx;
                if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
                sum += (dy == 1 ? fy : 1 - fy) * (dx == 1 ? fx : 1 - fx) * plane[yy * w + xx];
            }
        return (float)sum;
    }

    private static double Unit(ref SplitMix64 rng) => (rng.Next() >> 11) * (1.0 / (1UL << 53));
}
