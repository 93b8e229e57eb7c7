using System.Buffers.Binary;
using System.IO.Compression;

namespace Tangent.Models.Data;

/// <summary>An IDX image file: <see cref="Count"/> images of <see cref="Rows"/>×<see cref="Columns"/> unsigned bytes, row-major.</summary>
/// <param name="Path">The file it was read from.</param>
/// <param name="Count">Number of images.</param>
/// <param name="Rows">Image height.</param>
/// <param name="Columns">Image width.</param>
/// <param name="Pixels">Count·Rows·Columns bytes.</param>
public sealed record IdxImages(string Path, int Count, int Rows, int Columns, byte[] Pixels);

/// <summary>Thrown when a data file is missing, truncated or not in the expected format; the message names the file and the values found.</summary>
public sealed class DataFormatException(string message) : Exception(message);

/// <summary>
/// Reader for LeCun's IDX format (MNIST, Fashion-MNIST, KMNIST): a big-endian int32 magic <c>0x000008TD</c>
/// (T = 0x08 unsigned byte, D = number of dimensions), D big-endian int32 sizes, then the bytes. Images are
/// <c>0x00000803</c> (count, rows, columns), labels <c>0x00000801</c> (count). Files may be raw or gzip-compressed
/// (detected from the gzip magic bytes 1f 8b, not from the name).
/// </summary>
public static class IdxReader
{
    /// <summary>Magic of an image file: unsigned bytes, 3 dimensions.</summary>
    public const int ImageMagic = 0x00000803;

    /// <summary>Magic of a label file: unsigned bytes, 1 dimension.</summary>
    public const int LabelMagic = 0x00000801;

    /// <summary>Reads an image file, checking the magic and that the data are exactly count·rows·columns bytes.</summary>
    public static IdxImages ReadImages(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        int[] dims = Header(path, bytes, ImageMagic, 3, "image");
        long size = (long)dims[0] * dims[1] * dims[2];
        CheckSize(path, bytes.Length, 16, size, $"{dims[0]} images of {dims[1]}×{dims[2]}");
        return new IdxImages(path, dims[0], dims[1], dims[2], bytes.AsSpan(16, (int)size).ToArray());
    }

    /// <summary>Reads a label file, checking the magic and that the data are exactly count bytes.</summary>
    public static byte[] ReadLabels(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        int[] dims = Header(path, bytes, LabelMagic, 1, "label");
        CheckSize(path, bytes.Length, 8, dims[0], $"{dims[0]} labels");
        return bytes.AsSpan(8, dims[0]).ToArray();
    }

    /// <summary>
    /// Reads an image file and its label file into a <see cref="DataSet"/> ([N, 1, rows, columns], pixels/255),
    /// rejecting a count mismatch and labels ≥ <paramref name="classCount"/>.
    /// </summary>
    public static DataSet ReadDataSet(string name, string imagesPath, string labelsPath, int classCount)
    {
        var images = ReadImages(imagesPath);
        byte[] labels = ReadLabels(labelsPath);
        if (labels.Length != images.Count)
            throw new DataFormatException(
                $"{imagesPath} holds {images.Count} images but {labelsPath} holds {labels.Length} labels; the counts must match.");
        var y = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] >= classCount)
                throw new DataFormatException($"{labelsPath}: label {labels[i]} at index {i} is not below the class count {classCount}.");
            y[i] = labels[i];
        }
        return DataSet.FromBytes(name, images.Pixels, new Tangent.Engine.Shape(1, images.Rows, images.Columns), y, classCount);
    }

    /// <summary>The file's bytes, decompressed when it starts with the gzip magic.</summary>
    internal static byte[] ReadAllBytes(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        byte[] raw = File.ReadAllBytes(path);
        if (raw.Length < 2 || raw[0] != 0x1f || raw[1] != 0x8b) return raw;
        try
        {
            using var gz = new GZipStream(new MemoryStream(raw), CompressionMode.Decompress);
            using var ms = new MemoryStream();
            gz.CopyTo(ms);
            return ms.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{path}: gzip stream is corrupt or truncated ({e.Message}).");
        }
    }

    private static int[] Header(string path, byte[] bytes, int magic, int rank, string kind)
    {
        if (bytes.Length < 4 + 4 * rank)
            throw new DataFormatException($"{path}: {bytes.Length} bytes is too short for an IDX {kind} header ({4 + 4 * rank} bytes).");
        int found = BinaryPrimitives.ReadInt32BigEndian(bytes);
        if (found != magic)
            throw new DataFormatException(
                $"{path}: magic number 0x{found:X8} is not an IDX {kind} file (expected 0x{magic:X8}).");
        var dims = new int[rank];
        for (int d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 + 4 * d));
            if (dims[d] < 0) throw new DataFormatException($"{path}: dimension {d} is negative ({dims[d]}).");
        }
        return dims;
    }

    private static void CheckSize(string path, int length, int header, long expected, string what)
    {
        long have = length - header;
        if (have < expected)
            throw new DataFormatException($"{path} is truncated: the header announces {what} = {expected} bytes of data, the file has {have}.");
        if (have > expected)
            throw new DataFormatException($"{path} has {have - expected} bytes after the {expected} bytes of data the header announces ({what}).");
        if (expected > Array.MaxLength)
            throw new DataFormatException($"{path}: {what} is too large to load ({expected} bytes).");
    }
}
