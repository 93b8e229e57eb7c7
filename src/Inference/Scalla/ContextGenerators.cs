using Tangent.Engine;
using Tangent.Models.Data;

namespace Tangent.Inference.Scalla;

/// <summary>
/// Context points made from the training inputs alone, with no knowledge of any out-of-distribution set: each point
/// transforms one training image (or mixes a few) so that it keeps some of the training data's low-level statistics
/// (intensity range, ink amount, stroke width, texture) while leaving its manifold. Why and how each one is meant to
/// help is in docs/scalla.md. Every point is a function of (seed, step, position), so resumed runs see the same ones.
/// </summary>
public static class ContextGenerators
{
    private delegate void Transform(in Source source, ref SplitMix64 rng, Span<float> destination);

    private static readonly (string Name, string Description, Transform Apply)[] Registry =
    [
        ("pixel-permutation", "the pixels of a training image in random order (intensity histogram kept, all spatial structure gone)", PixelPermutation),
        ("patch-shuffle", "a training image cut into a 4×4 grid of patches, the patches shuffled (local strokes and texture kept, global shape gone)", PatchShuffle),
        ("noise", "independent Gaussian pixels with the training set's per-pixel mean and standard deviation, clipped to [0, 1]", Noise),
        ("mixup", "λ·a + (1 − λ)·b of two training images of different classes, λ ~ U(0.3, 0.7) (between the classes)", Mixup),
        ("edges", "the Sobel gradient magnitude of a training image, scaled to a maximum of 1 (outlines: thin strokes on a dark background)", Edges),
        ("invert", "1 − x of a training image (dark object on a bright background)", Invert),
        ("mosaic", "the four quadrants of four different training images", Mosaic),
        ("rotate", "a training image turned by 90°, 180° or 270°, mirrored or not (shapes in orientations the data never has)", Rotate),
        ("mix", "each point from one of the generators above, chosen uniformly", Mix),
    ];

    /// <summary>The generator names.</summary>
    public static IReadOnlyList<string> Names { get; } = Registry.Select(r => r.Name).ToArray();

    /// <summary>One line per generator: name and what it makes.</summary>
    public static IReadOnlyList<(string Name, string Description)> Descriptions { get; } = Registry.Select(r => (r.Name, r.Description)).ToArray();

    /// <summary>The generator <paramref name="name"/> over the training inputs of <paramref name="train"/> (images [C, H, W]).</summary>
    public static IContextSource Create(string name, DataSet train, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(train);
        foreach (var r in Registry)
            if (r.Name == name) return new GeneratedContext(r.Name, r.Apply, train, seed);
        throw new ArgumentException($"unknown context generator '{name}'; generators: {string.Join(", ", Names)}.");
    }

    /// <summary>What a transform reads: the training set, the image drawn for this point, and the per-pixel statistics.</summary>
    private readonly ref struct Source(DataSet train, int index, float[] mean, float[] deviation)
    {
        public readonly DataSet Train = train;
        public readonly ReadOnlySpan<float> Image = train.Sample(index);
        public readonly int Label = train.IsClassification ? train.Labels[index] : 0;
        public readonly float[] Mean = mean;
        public readonly float[] Deviation = deviation;
        public int Channels => Train.Channels;
        public int Height => Train.Height;
        public int Width => Train.Width;
        public ReadOnlySpan<float> Random(ref SplitMix64 rng) => Train.Sample(rng.NextBelow(Train.Count));
    }

    private sealed class GeneratedContext : IContextSource
    {
        private readonly Transform _apply;
        private readonly DataSet _train;
        private readonly EpochSampler _sampler;
        private readonly ulong _seed;
        private readonly float[] _mean, _deviation;

        public GeneratedContext(string name, Transform apply, DataSet train, ulong seed)
        {
            if (train.SampleShape.Rank != 3)
                throw new ArgumentException($"context generator '{name}' needs image inputs [C, H, W]; '{train.Name}' has samples of shape {train.SampleShape}.");
            Name = name;
            SampleShape = train.SampleShape;
            _apply = apply;
            _train = train;
            _seed = seed;
            _sampler = new EpochSampler(train.Count, seed, ContextSources.ContextStream);
            (_mean, _deviation) = PixelStatistics(train);
        }

        public string Name { get; }

        public Shape SampleShape { get; }

        public void Fill(long step, int count, Span<float> destination)
        {
            int s = SampleShape.Length;
            for (int i = 0; i < count; i++)
            {
                var rng = SplitMix64.For(_seed, (ulong)step, (ulong)i);
                var source = new Source(_train, _sampler.Index(step * count + i), _mean, _deviation);
                _apply(source, ref rng, destination.Slice(i * s, s));
            }
        }

        private static (float[] Mean, float[] Deviation) PixelStatistics(DataSet train)
        {
            int s = train.SampleSize;
            var sum = new double[s];
            var squares = new double[s];
            for (int n = 0; n < train.Count; n++)
            {
                var x = train.Sample(n);
                for (int p = 0; p < s; p++)
                {
                    sum[p] += x[p];
                    squares[p] += (double)x[p] * x[p];
                }
            }
            var mean = new float[s];
            var deviation = new float[s];
            for (int p = 0; p < s; p++)
            {
                double m = sum[p] / train.Count;
                mean[p] = (float)m;
                deviation[p] = (float)Math.Sqrt(Math.Max(squares[p] / train.Count - m * m, 0));
            }
            return (mean, deviation);
        }
    }

    private static float Uniform(ref SplitMix64 rng) => (rng.Next() >> 40) * (1f / (1 << 24));

    private static void PixelPermutation(in Source s, ref SplitMix64 rng, Span<float> y)
    {
        int plane = s.Height * s.Width;
        s.Image.CopyTo(y);
        for (int c = 0; c < s.Channels; c++)
        {
            var p = y.Slice(c * plane, plane);
            for (int i = plane - 1; i > 0; i--)
            {
                int j = rng.NextBelow(i + 1);
                (p[i], p[j]) = (p[j], p[i]);
            }
        }
    }

    private static void PatchShuffle(in Source s, ref SplitMix64 rng, Span<float> y)
    {
        const int grid = 4;
        int ph = s.Height / grid, pw = s.Width / grid;
        Span<int> order = stackalloc int[grid * grid];
        rng.Permutation(order);
        s.Image.CopyTo(y);
        for (int c = 0; c < s.Channels; c++)
            for (int to = 0; to < grid * grid; to++)
            {
                int from = order[to];
                int fr = from / grid * ph, fc = from % grid * pw, tr = to / grid * ph, tc = to % grid * pw;
                for (int r = 0; r < ph; r++)
                    s.Image.Slice((c * s.Height + fr + r) * s.Width + fc, pw).CopyTo(y.Slice((c * s.Height + tr + r) * s.Width + tc, pw));
            }
    }

    private static void Noise(in Source s, ref SplitMix64 rng, Span<float> y)
    {
        for (int p = 0; p < y.Length; p++)
        {
            // Box–Muller from two uniforms in (0, 1].
            float u1 = 1 - Uniform(ref rng), u2 = Uniform(ref rng);
            float z = MathF.Sqrt(-2 * MathF.Log(u1)) * MathF.Cos(2 * MathF.PI * u2);
            y[p] = Math.Clamp(s.Mean[p] + s.Deviation[p] * z, 0f, 1f);
        }
    }

    private static void Mixup(in Source s, ref SplitMix64 rng, Span<float> y)
    {
        var other = s.Random(ref rng);
        // A partner of another class (a few tries; a one-class set falls back to any image).
        for (int tries = 0; tries < 16 && s.Train.IsClassification; tries++)
        {
            int j = rng.NextBelow(s.Train.Count);
            other = s.Train.Sample(j);
            if (s.Train.Labels[j] != s.Label) break;
        }
        float lambda = 0.3f + 0.4f * Uniform(ref rng);
        for (int p = 0; p < y.Length; p++) y[p] = lambda * s.Image[p] + (1 - lambda) * other[p];
    }

    private static void Edges(in Source s, ref SplitMix64 rng, Span<float> y)
    {
        int h = s.Height, w = s.Width;
        float max = 0;
        for (int c = 0; c < s.Channels; c++)
        {
            var x = s.Image.Slice(c * h * w, h * w);
            for (int r = 0; r < h; r++)
                for (int q = 0; q < w; q++)
                {
                    float gx = At(x, h, w, r - 1, q + 1) + 2 * At(x, h, w, r, q + 1) + At(x, h, w, r + 1, q + 1)
                             - At(x, h, w, r - 1, q - 1) - 2 * At(x, h, w, r, q - 1) - At(x, h, w, r + 1, q - 1);
                    float gy = At(x, h, w, r + 1, q - 1) + 2 * At(x, h, w, r + 1, q) + At(x, h, w, r + 1, q + 1)
                             - At(x, h, w, r - 1, q - 1) - 2 * At(x, h, w, r - 1, q) - At(x, h, w, r - 1, q + 1);
                    float g = MathF.Sqrt(gx * gx + gy * gy);
                    y[(c * h + r) * w + q] = g;
                    max = Math.Max(max, g);
                }
        }
        if (max > 0)
            for (int p = 0; p < y.Length; p++) y[p] /= max;
    }

    /// <summary>Pixel (r, q) of an h×w plane, zero outside.</summary>
    private static float At(ReadOnlySpan<float> plane, int h, int w, int r, int q) => r < 0 || r >= h || q < 0 || q >= w ? 0 : plane[r * w + q];

    private static void Invert(in Source s, ref SplitMix64 rng, Span<float> y)
    {
        for (int p = 0; p < y.Length; p++) y[p] = 1 - s.Image[p];
    }

    private static void Mosaic(in Source s, ref SplitMix64 rng, Span<float> y)
    {
        int h = s.Height, w = s.Width, hh = h / 2, hw = w / 2;
        s.Image.CopyTo(y);
        for (int quadrant = 1; quadrant < 4; quadrant++)
        {
            var other = s.Random(ref rng);
            int r0 = quadrant / 2 * hh, q0 = quadrant % 2 * hw, r1 = quadrant / 2 == 0 ? hh : h, q1 = quadrant % 2 == 0 ? hw : w;
            for (int c = 0; c < s.Channels; c++)
                for (int r = r0; r < r1; r++)
                    other.Slice((c * h + r) * w + q0, q1 - q0).CopyTo(y.Slice((c * h + r) * w + q0, q1 - q0));
        }
    }

    private static void Rotate(in Source s, ref SplitMix64 rng, Span<float> y)
    {
        int h = s.Height, w = s.Width;
        if (h != w) throw new InvalidOperationException($"context generator 'rotate' needs square images, got {h}×{w}.");
        // One of the seven dihedral transforms other than the identity: quarter turns t ∈ {0..3}, mirrored or not.
        int k = 1 + rng.NextBelow(7), turns = k % 4;
        bool mirror = k >= 4;
        for (int c = 0; c < s.Channels; c++)
            for (int r = 0; r < h; r++)
                for (int q = 0; q < w; q++)
                {
                    int sr = r, sq = mirror ? w - 1 - q : q;
                    for (int t = 0; t < turns; t++) (sr, sq) = (w - 1 - sq, sr);
                    y[(c * h + r) * w + q] = s.Image[(c * h + sr) * w + sq];
                }
    }

    private static void Mix(in Source s, ref SplitMix64 rng, Span<float> y) =>
        Registry[rng.NextBelow(Registry.Length - 1)].Apply(s, ref rng, y);
}
