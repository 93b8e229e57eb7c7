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
}
