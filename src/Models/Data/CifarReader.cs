using Tangent.Engine;

namespace Tangent.Models.Data;

/// <summary>Which label of a CIFAR record to use.</summary>
public enum CifarLabels
{
    /// <summary>CIFAR-10: one label byte per record, 10 classes.</summary>
    Cifar10,
    /// <summary>CIFAR-100 fine labels (the second label byte), 100 classes.</summary>
    Cifar100Fine,
    /// <summary>CIFAR-100 coarse labels (the first label byte), 20 superclasses.</summary>
    Cifar100Coarse,
}

/// <summary>
/// Reader for the CIFAR "binary version" files (Krizhevsky 2009): fixed-size records, each its label byte(s) then
/// 3072 pixel bytes, the 1024 red values of the 32×32 image row-major, then green, then blue, i.e. already in CHW
/// order. CIFAR-10 records have one label byte (<c>data_batch_1.bin</c> … <c>data_batch_5.bin</c>,
/// <c>test_batch.bin</c>); CIFAR-100 records have two, coarse then fine (<c>train.bin</c>, <c>test.bin</c>).
/// </summary>
public static class CifarReader
{
    /// <summary>Image side.</summary>
    public const int Side = 32;

    /// <summary>Pixel bytes per record: 3 × 32 × 32.</summary>
    public const int PixelBytes = 3 * Side * Side;

    /// <summary>Label bytes per record of this variant.</summary>
    public static int LabelBytes(CifarLabels labels) => labels == CifarLabels.Cifar10 ? 1 : 2;

    /// <summary>Number of classes of this variant.</summary>
    public static int ClassCount(CifarLabels labels) => labels switch
    {
        CifarLabels.Cifar10 => 10,
        CifarLabels.Cifar100Fine => 100,
        _ => 20,
    };

    /// <summary>
    /// Reads and concatenates <paramref name="paths"/> into one data set [N, 3, 32, 32] with pixels/255. Each file
    /// must hold a whole, non-zero number of records and every label must be below the class count; the errors name
    /// the file, the record and the values.
    /// </summary>
    public static DataSet Read(string name, CifarLabels labels, params IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        if (paths.Count == 0) throw new ArgumentException("no CIFAR files given.", nameof(paths));
        int labelBytes = LabelBytes(labels), record = labelBytes + PixelBytes, classes = ClassCount(labels);
        int labelIndex = labels == CifarLabels.Cifar100Fine ? 1 : 0;
        var contents = new List<byte[]>(paths.Count);
        long total = 0;
        foreach (string path in paths)
        {
            byte[] bytes = IdxReader.ReadAllBytes(path);
            if (bytes.Length == 0 || bytes.Length % record != 0)
                throw new DataFormatException(
                    $"{path}: {bytes.Length} bytes is not a whole number of {record}-byte {Variant(labels)} records " +
                    $"({labelBytes} label byte{(labelBytes == 1 ? "" : "s")} + {PixelBytes} pixels; {bytes.Length / record} records and {bytes.Length % record} bytes left over).");
            contents.Add(bytes);
            total += bytes.Length / record;
        }
        if (total * PixelBytes > Array.MaxLength)
            throw new DataFormatException($"{string.Join(", ", paths)}: {total} images are too many to hold in one array.");
        var x = new float[total * PixelBytes];
        var y = new int[total];
        int n = 0;
        for (int f = 0; f < contents.Count; f++)
        {
            byte[] bytes = contents[f];
            int count = bytes.Length / record;
            for (int r = 0; r < count; r++, n++)
            {
                var rec = bytes.AsSpan(r * record, record);
                if (labels != CifarLabels.Cifar10 && rec[0] >= 20)
                    throw new DataFormatException($"{paths[f]}, record {r}: coarse label {rec[0]} is not below 20.");
                if (labels == CifarLabels.Cifar100Fine && rec[1] >= 100)
                    throw new DataFormatException($"{paths[f]}, record {r}: fine label {rec[1]} is not below 100.");
                int label = rec[labelIndex];
                if (label >= classes)
                    throw new DataFormatException($"{paths[f]}, record {r}: label {label} is not below the class count {classes} of {Variant(labels)}.");
                y[n] = label;
                var px = rec[labelBytes..];
                var dst = x.AsSpan(n * PixelBytes, PixelBytes);
                for (int i = 0; i < PixelBytes; i++) dst[i] = px[i] / 255f;
            }
        }
        return new DataSet(name, x, new Shape(3, Side, Side), y, classes);
    }

    private static string Variant(CifarLabels labels) => labels == CifarLabels.Cifar10 ? "CIFAR-10" : "CIFAR-100";
}
