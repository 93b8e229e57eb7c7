using System.Buffers.Binary;
using System.IO.Compression;
using Tangent.Models.Data;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests.Data;

public class IdxReaderTests
{
    private static string FmnistImages => Path.Combine(TestPaths.Fixtures, "fmnist", "t10k-images-idx3-ubyte");
    private static string FmnistLabels => Path.Combine(TestPaths.Fixtures, "fmnist", "t10k-labels-idx1-ubyte");

    [Fact]
    public void ReadsFixtureImagesAndLabels()
    {
        var images = IdxReader.ReadImages(FmnistImages);
        Assert.Equal((256, 28, 28), (images.Count, images.Rows, images.Columns));
        Assert.Equal(256 * 784, images.Pixels.Length);
        byte[] labels = IdxReader.ReadLabels(FmnistLabels);
        Assert.Equal(256, labels.Length);
        // The first Fashion-MNIST test item is an ankle boot (9), then a pullover (2); the first MNIST test digit is a 7, then 2, 1.
        Assert.Equal([9, 2, 1], labels[..3]);
        Assert.Equal([7, 2, 1], IdxReader.ReadLabels(Path.Combine(TestPaths.Fixtures, "mnist", "t10k-labels-idx1-ubyte"))[..3]);
        // The raw file's bytes after the 16-byte header are the pixels.
        byte[] raw = File.ReadAllBytes(FmnistImages);
        Assert.Equal(raw.AsSpan(16).ToArray(), images.Pixels);
    }

    [Fact]
    public void DataSetScalesPixelsAndKeepsLabels()
    {
        var ds = IdxReader.ReadDataSet("fmnist/test", FmnistImages, FmnistLabels, 10);
        Assert.Equal(256, ds.Count);
        Assert.Equal((1, 28, 28), (ds.Channels, ds.Height, ds.Width));
        byte[] raw = File.ReadAllBytes(FmnistImages);
        for (int i = 0; i < ds.Inputs.Length; i += 97)
            Assert.Equal(raw[16 + i] / 255.0, ds.Inputs[i], 6e-8); // float32 rounding of k/255: half an ulp of 1 is 6e-8
        Assert.Equal(1f, ds.Inputs.Max());
        Assert.Equal(0f, ds.Inputs.Min());
        Assert.Equal(256, ds.ClassCounts().Sum());
    }

    [Fact]
    public void ReadsGzippedFilesLikeRawOnes()
    {
        string dir = TestPaths.NewTempDirectory();
        string gz = Path.Combine(dir, "images.gz");
        using (var f = File.Create(gz))
        using (var z = new GZipStream(f, CompressionLevel.Fastest))
            z.Write(File.ReadAllBytes(FmnistImages));
        Assert.Equal(IdxReader.ReadImages(FmnistImages).Pixels, IdxReader.ReadImages(gz).Pixels);
    }

    [Fact]
    public void RejectsBadMagicNamingFileAndValues()
    {
        string dir = TestPaths.NewTempDirectory();
        string path = Path.Combine(dir, "labels-as-images");
        File.Copy(FmnistLabels, path);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("0x00000801", e.Message);
        Assert.Contains("0x00000803", e.Message);
    }

    [Fact]
    public void RejectsTruncationAndTrailingBytes()
    {
        string dir = TestPaths.NewTempDirectory();
        byte[] raw = File.ReadAllBytes(FmnistImages);
        string cut = Path.Combine(dir, "cut");
        File.WriteAllBytes(cut, raw[..^100]);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(cut));
        Assert.Contains(cut, e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.Contains((256 * 784).ToString(), e.Message);
        Assert.Contains((256 * 784 - 100).ToString(), e.Message);

        string longer = Path.Combine(dir, "long");
        File.WriteAllBytes(longer, [.. raw, 1, 2, 3]);
        Assert.Contains("3 bytes after", Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(longer)).Message);

        string header = Path.Combine(dir, "header");
        File.WriteAllBytes(header, raw[..10]);
        Assert.Contains("too short", Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(header)).Message);
    }

    [Fact]
    public void RejectsCountMismatchBetweenImagesAndLabels()
    {
        string dir = TestPaths.NewTempDirectory();
        byte[] labels = File.ReadAllBytes(FmnistLabels);
        var shorter = new byte[8 + 255];
        labels.AsSpan(0, 8 + 255).CopyTo(shorter);
        BinaryPrimitives.WriteInt32BigEndian(shorter.AsSpan(4), 255);
        string path = Path.Combine(dir, "labels");
        File.WriteAllBytes(path, shorter);
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadDataSet("x", FmnistImages, path, 10));
        Assert.Contains("256 images", e.Message);
        Assert.Contains("255 labels", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void RejectsLabelsOutsideTheClassCount()
    {
        var e = Assert.Throws<DataFormatException>(() => IdxReader.ReadDataSet("x", FmnistImages, FmnistLabels, 5));
        Assert.Contains("class count 5", e.Message);
    }

    /// <summary>An IDX image header (magic 0x803) announcing count × rows × columns, followed by <paramref name="data"/>.</summary>
    internal static byte[] ImageFile(int count, int rows, int columns, ReadOnlySpan<byte> data)
    {
        var bytes = new byte[16 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.ImageMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), count);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), rows);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(12), columns);
        data.CopyTo(bytes.AsSpan(16));
        return bytes;
    }

    /// <summary>Bytes gzip-compressed, written in 1 MiB pieces (a long run of zeros compresses about 1000:1).</summary>
    internal static byte[] Gzip(byte[] head, long zeros = 0)
    {
        using var ms = new MemoryStream();
        using (var z = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(head);
            var block = new byte[1 << 20];
            for (long left = zeros; left > 0; left -= block.Length) z.Write(block, 0, (int)Math.Min(block.Length, left));
        }
        return ms.ToArray();
    }

    /// <summary>Bytes allocated on this thread while <paramref name="read"/> throws its <see cref="DataFormatException"/>, and its message.</summary>
    private static (long Bytes, string Message) Refusal(Action read)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<DataFormatException>(read);
        return (GC.GetAllocatedBytesForCurrentThread() - before, e.Message);
    }

    [Fact]
    public void RejectsDimensionsWhoseProductWrapsOrExceedsAnArray()
    {
        string dir = TestPaths.NewTempDirectory();
        // 2²¹ · 2²¹ · 2²² = 2⁶⁴: wraps to 0 in 64-bit arithmetic, which would accept this 16-byte file as 2²¹ empty images.
        string wraps = Path.Combine(dir, "wraps");
        File.WriteAllBytes(wraps, ImageFile(1 << 21, 1 << 21, 1 << 22, []));
        string message = Assert.Throws<DataFormatException>(() => IdxReader.ReadImages(wraps)).Message;
        Assert.Contains($"{wraps}: the header announces 2097152 images of 2097152×4194304", message);
        Assert.Contains("more than an array can hold", message);
        // A product that fits in 64 bits but not in an array, gzipped: refused from the header, before any inflation.
        string big = Path.Combine(dir, "big.gz");
        File.WriteAllBytes(big, Gzip(ImageFile(60000, 28_000, 28_000, [])));
        var (bytes, text) = Refusal(() => IdxReader.ReadImages(big));
        Assert.Contains("60000 images of 28000×28000", text);
        Assert.True(bytes < 1 << 20, $"refusing allocated {bytes} bytes");
    }

    /// <summary>
    /// A gzip stream inflates no further than its header announces: 64 MiB of zeros behind a header announcing one 1×1
    /// image is refused after 2 bytes of data, and a header announcing 2³⁰ bytes over a short stream is a truncation,
    /// each allocating far less than what was announced or compressed.
    /// </summary>
    [Fact]
    public void GzipInflatesNoFurtherThanTheHeaderAnnounces()
    {
        string dir = TestPaths.NewTempDirectory();
        string bomb = Path.Combine(dir, "bomb.gz");
        File.WriteAllBytes(bomb, Gzip(ImageFile(1, 1, 1, [7]), zeros: 64L << 20));
        var (bytes, message) = Refusal(() => IdxReader.ReadImages(bomb));
        Assert.Contains($"{bomb} inflates to more than the 1 bytes of data the header announces (1 images of 1×1)", message);
        Assert.True(bytes < 4 << 20, $"refusing the bomb allocated {bytes} bytes");

        string claims = Path.Combine(dir, "claims.gz");
        File.WriteAllBytes(claims, Gzip(ImageFile(1 << 10, 1 << 10, 1 << 10, new byte[100])));
        (bytes, message) = Refusal(() => IdxReader.ReadImages(claims));
        Assert.Contains($"{claims} is truncated: the header announces 1024 images of 1024×1024 = 1073741824 bytes of data, the file has 100", message);
        Assert.True(bytes < 4 << 20, $"refusing the truncated stream allocated {bytes} bytes");
    }

    /// <summary>Other gzip readers (CSV tables, CIFAR) stop at <see cref="IdxReader.MaxInflatedBytes"/> (here a smaller limit).</summary>
    [Fact]
    public void GzippedDataFilesHaveAnInflationLimit()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "table.csv.gz");
        File.WriteAllBytes(path, Gzip("a,b\n1,2\n"u8.ToArray(), zeros: 32 << 20));
        var (bytes, message) = Refusal(() => IdxReader.ReadAllBytes(path, limit: 1 << 20));
        Assert.Contains($"{path}: the gzip stream inflates to more than 1048576 bytes", message);
        // The growing buffer holds at most a few times the limit; inflating everything would take over 64 MiB.
        Assert.True(bytes < 8 << 20, $"refusing allocated {bytes} bytes");
        // A stream of exactly the limit is read whole.
        File.WriteAllBytes(path, Gzip("a,b\n1,2\n"u8.ToArray(), zeros: 100));
        Assert.Equal(108, IdxReader.ReadAllBytes(path, limit: 108).Length);
    }
}
