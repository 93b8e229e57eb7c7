using Tangent.Engine;

namespace Tangent.Models.Data;

/// <summary>
/// Reader for the cropped-digits SVHN files (Netzer et al. 2011: <c>train_32x32.mat</c>, <c>test_32x32.mat</c>,
/// <c>extra_32x32.mat</c>): Level 5 MAT-files holding <c>X</c>, uint8 of MATLAB size 32×32×3×N (row, column,
/// channel, image; column-major, so element (i, j, c, n) is at i + 32·j + 1024·c + 3072·n), and <c>y</c>, N×1 with
/// labels 1–10 where 10 stands for the digit 0.
/// </summary>
public static class SvhnReader
{
    /// <summary>Image side.</summary>
    public const int Side = 32;

    /// <summary>Reads the file as [N, 3, 32, 32] images with pixels/255 and labels 0–9.</summary>
    public static DataSet Read(string path, string name = "svhn")
    {
        var mat = MatFile.Read(path);
        var x = mat["X"];
        var y = mat["y"];
        var d = x.Dimensions;
        if (d.Count != 4 || d[0] != Side || d[1] != Side || d[2] != 3)
            throw new DataFormatException($"{path}: X has size {string.Join("×", d)}; SVHN images are 32×32×3×N.");
        int n = d[3];
        if (y.ElementCount != n || (y.Dimensions.Count == 2 && y.Dimensions[0] != n && y.Dimensions[1] != n))
            throw new DataFormatException($"{path}: y has size {string.Join("×", y.Dimensions)} but X holds {n} images; y must be {n}×1.");

        double[] labelsRaw = y.ToDoubleArray();
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            double v = labelsRaw[i];
            if (v < 1 || v > 10 || v != Math.Floor(v))
                throw new DataFormatException($"{path}: y({i + 1}) = {v}; SVHN labels are integers 1–10 (10 meaning the digit 0).");
            labels[i] = v == 10 ? 0 : (int)v;
        }

        const int plane = Side * Side, image = 3 * plane;
        var pixels = new float[(long)n * image];
        if (x.StorageType == MatDataType.UInt8)
        {
            var src = x.UInt8Data;
            for (int k = 0; k < n; k++)
                for (int c = 0; c < 3; c++)
                    for (int j = 0; j < Side; j++)
                    {
                        // Column j of channel c: 32 consecutive bytes in the file, a strided column in CHW.
                        var col = src.Slice(k * image + c * plane + j * Side, Side);
                        int dst = k * image + c * plane + j;
                        for (int i = 0; i < Side; i++) pixels[dst + i * Side] = col[i] / 255f;
                    }
        }
        else
        {
            double[] src = x.ToDoubleArray();
            for (long e = 0; e < src.Length; e++)
            {
                double v = src[e];
                if (v < 0 || v > 255 || v != Math.Floor(v))
                    throw new DataFormatException($"{path}: X element {e} = {v} is not a pixel value 0–255.");
                long k = e / image;
                int r = (int)(e % image), c = r / plane, j = r % plane / Side, i = r % Side;
                pixels[k * image + c * plane + i * Side + j] = (float)(v / 255.0);
            }
        }
        return new DataSet(name, pixels, new Shape(3, Side, Side), labels, 10);
    }
}
