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

    /// <summary>
    /// Largest size a gzip-compressed data file may inflate to (1 GiB): reading stops there with a
    /// <see cref="DataFormatException"/> instead of filling memory with a decompression bomb. IDX files are held
    /// tighter, to the size their header announces.
    /// </summary>
    public const long MaxInflatedBytes = 1L << 30;

    /// <summary>Reads an image file, checking the magic and that the data are exactly count·rows·columns bytes.</summary>
    public static IdxImages ReadImages(string path)
    {
        var (dims, pixels) = Read(path, ImageMagic, 3, "image", d => $"{d[0]} images of {d[1]}×{d[2]}");
        return new IdxImages(path, dims[0], dims[1], dims[2], pixels);
    }

    /// <summary>Reads a label file, checking the magic and that the data are exactly count bytes.</summary>
    public static byte[] ReadLabels(string path) => Read(path, LabelMagic, 1, "label", d => $"{d[0]} labels").Data;

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

    /// <summary>
    /// The file's bytes, decompressed when it starts with the gzip magic; a gzip stream that inflates to more than
    /// <paramref name="limit"/> bytes is refused before more than that is held.
    /// </summary>
    internal static byte[] ReadAllBytes(string path, long limit = MaxInflatedBytes)
    {
        using var file = Open(path, out var stream);
        using (stream)
        {
            if (ReferenceEquals(stream, file))
            {
                if (file.Length > Array.MaxLength)
                    throw new DataFormatException($"{path}: {file.Length} bytes is more than an array can hold ({Array.MaxLength} bytes).");
                var raw = new byte[file.Length];
                file.ReadExactly(raw);
                return raw;
            }
            var data = ReadUpTo(path, stream, limit + 1);
            if (data.Length > limit)
                throw new DataFormatException($"{path}: the gzip stream inflates to more than {limit} bytes (the limit for a data file here).");
            return data;
        }
    }

    /// <summary>Opens <paramref name="path"/>: <paramref name="stream"/> is the file itself, or a gzip decompressor over it.</summary>
    private static FileStream Open(string path, out Stream stream)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        var file = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[2];
        bool gzip = file.ReadAtLeast(magic, 2, throwOnEndOfStream: false) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
        file.Position = 0;
        stream = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
        return file;
    }

    /// <summary>
    /// Up to <paramref name="count"/> bytes of <paramref name="stream"/> (fewer at its end); memory grows only with
    /// what the stream yields. A corrupt compressed stream throws <see cref="InvalidDataException"/>.
    /// </summary>
    internal static byte[] ReadUpTo(Stream stream, long count)
    {
        using var ms = new MemoryStream();
        var buffer = new byte[1 << 16];
        while (ms.Length < count)
        {
            int n = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, count - ms.Length));
            if (n == 0) break;
            ms.Write(buffer, 0, n);
        }
        return ms.ToArray();
    }

    /// <summary><see cref="ReadUpTo(Stream, long)"/> of a gzip or raw file, a corrupt gzip stream named as such.</summary>
    private static byte[] ReadUpTo(string path, Stream stream, long count)
    {
        try
        {
            return ReadUpTo(stream, count);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException($"{path}: gzip stream is corrupt or truncated ({e.Message}).");
        }
    }

    /// <summary>
    /// Reads an IDX file: the header (magic, <paramref name="rank"/> dimensions), then exactly the product of the
    /// dimensions in bytes. The product is checked against what an array can hold before anything is allocated, a
    /// raw file's length before its data are read, and a gzip stream is inflated no further than the header announces.
    /// </summary>
    private static (int[] Dims, byte[] Data) Read(string path, int magic, int rank, string kind, Func<int[], string> what)
    {
        using var file = Open(path, out var stream);
        using (stream)
        {
            int headerLength = 4 + 4 * rank;
            byte[] header = ReadUpTo(path, stream, headerLength);
            if (header.Length < headerLength)
                throw new DataFormatException($"{path}: {header.Length} bytes is too short for an IDX {kind} header ({headerLength} bytes).");
            int found = BinaryPrimitives.ReadInt32BigEndian(header);
            if (found != magic)
                throw new DataFormatException($"{path}: magic number 0x{found:X8} is not an IDX {kind} file (expected 0x{magic:X8}).");
            var dims = new int[rank];
            for (int d = 0; d < rank; d++)
            {
                dims[d] = BinaryPrimitives.ReadInt32BigEndian(header.AsSpan(4 + 4 * d));
                if (dims[d] < 0) throw new DataFormatException($"{path}: dimension {d} is negative ({dims[d]}).");
            }
            // Saturated at Array.MaxLength + 1: each factor is below 2³¹, so no step can overflow.
            long expected = 1;
            foreach (int d in dims) expected = Math.Min(expected * d, Array.MaxLength + 1L);
            if (expected > Array.MaxLength)
                throw new DataFormatException(
                    $"{path}: the header announces {what(dims)}, {string.Join(" × ", dims)} bytes, more than an array can hold ({Array.MaxLength} bytes).");
            if (ReferenceEquals(stream, file))
            {
                CheckSize(path, file.Length - headerLength, expected, what(dims));
                var data = new byte[expected];
                file.ReadExactly(data);
                return (dims, data);
            }
            // One byte more than announced tells a longer stream from an exact one.
            var inflated = ReadUpTo(path, stream, expected + 1);
            CheckSize(path, inflated.Length, expected, what(dims), inflated: true);
            return (dims, inflated);
        }
    }

    /// <summary>Compares the data bytes present (<paramref name="have"/>) with the header's count.</summary>
    private static void CheckSize(string path, long have, long expected, string what, bool inflated = false)
    {
        if (have < expected)
            throw new DataFormatException($"{path} is truncated: the header announces {what} = {expected} bytes of data, the file has {have}.");
        if (have > expected)
            throw new DataFormatException(inflated
                ? $"{path} inflates to more than the {expected} bytes of data the header announces ({what})."
                : $"{path} has {have - expected} bytes after the {expected} bytes of data the header announces ({what}).");
    }
}
