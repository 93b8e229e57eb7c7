using System.Globalization;

namespace Tangent.Models.Data;

/// <summary>
/// Reader for scikit-learn's 8×8 optical digits (<c>digits.csv</c>: no header, one row per image of 64 pixel
/// counts 0–16 then the label 0–9). Pixels are scaled to [0, 1] by /16.
/// </summary>
public static class DigitsReader
{
    /// <summary>Side of the original images.</summary>
    public const int Side = 8;

    /// <summary>Reads the file as [N, 1, 8, 8] images, or bilinearly upscaled to [N, 1, <paramref name="side"/>, <paramref name="side"/>] when side ≠ 8.</summary>
    public static DataSet Read(string path, int side = Side, string? name = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(side);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        var pixels = new List<float>();
        var labels = new List<int>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0) continue;
            string[] cells = line.Split(',');
            if (cells.Length != Side * Side + 1)
                throw new DataFormatException($"{path}, line {lineNo}: {cells.Length} columns, expected {Side * Side + 1} (64 pixels and the label).");
            for (int c = 0; c <= Side * Side; c++)
            {
                if (!double.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    throw new DataFormatException($"{path}, line {lineNo}, column {c + 1}: '{cells[c]}' is not a number.");
                bool label = c == Side * Side;
                double hi = label ? 9 : 16;
                if (v < 0 || v > hi || v != Math.Floor(v))
                    throw new DataFormatException($"{path}, line {lineNo}, column {c + 1}: {(label ? "label" : "pixel")} {cells[c]} is not an integer in [0, {hi}].");
                if (label) labels.Add((int)v);
                else pixels.Add((float)(v / 16.0));
            }
        }
        if (labels.Count == 0) throw new DataFormatException($"{path} has no rows.");
        float[] x = pixels.ToArray();
        if (side != Side) x = Image.ResizeBilinear(x, labels.Count, 1, Side, Side, side, side);
        return new DataSet(name ?? "digits", x, new Tangent.Engine.Shape(1, side, side), labels.ToArray(), 10);
    }
}

/// <summary>Image resampling on the host.</summary>
public static class Image
{
    /// <summary>
    /// Bilinear resize of [N, C, H, W] images to [N, C, OH, OW] with PyTorch's <c>interpolate(mode="bilinear",
    /// align_corners=False)</c> convention: output pixel centre o maps to source coordinate
    /// s = (o + ½)·(in/out) − ½, clamped at 0, blending the two neighbours ⌊s⌋ and min(⌊s⌋+1, in−1).
    /// </summary>
    public static float[] ResizeBilinear(ReadOnlySpan<float> x, int n, int c, int h, int w, int oh, int ow)
    {
        if (x.Length != (long)n * c * h * w) throw new ArgumentException($"{x.Length} values are not [{n}, {c}, {h}, {w}] images.");
        var (y0, y1, fy) = Taps(h, oh);
        var (x0, x1, fx) = Taps(w, ow);
        var y = new float[(long)n * c * oh * ow];
        for (int p = 0; p < n * c; p++)
        {
            var src = x.Slice(p * h * w, h * w);
            var dst = y.AsSpan(p * oh * ow, oh * ow);
            for (int i = 0; i < oh; i++)
            {
                double a = fy[i];
                for (int j = 0; j < ow; j++)
                {
                    double b = fx[j];
                    double top = (1 - b) * src[y0[i] * w + x0[j]] + b * src[y0[i] * w + x1[j]];
                    double bottom = (1 - b) * src[y1[i] * w + x0[j]] + b * src[y1[i] * w + x1[j]];
                    dst[i * ow + j] = (float)((1 - a) * top + a * bottom);
                }
            }
        }
        return y;
    }

    private static (int[] Lo, int[] Hi, double[] Frac) Taps(int inSize, int outSize)
    {
        var lo = new int[outSize];
        var hi = new int[outSize];
        var frac = new double[outSize];
        double scale = (double)inSize / outSize;
        for (int o = 0; o < outSize; o++)
        {
            double s = Math.Max((o + 0.5) * scale - 0.5, 0.0);
            int l = Math.Min((int)Math.Floor(s), inSize - 1);
            lo[o] = l;
            hi[o] = Math.Min(l + 1, inSize - 1);
            frac[o] = s - l;
        }
        return (lo, hi, frac);
    }
}
