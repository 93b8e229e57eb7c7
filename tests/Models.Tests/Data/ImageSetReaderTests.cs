using System.IO.Compression;
using Tangent.Models.Data;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests.Data;

/// <summary>CIFAR binary and SVHN .mat readers on small synthetic files written in the real formats.</summary>
public class ImageSetReaderTests
{
    /// <summary>A pixel value that identifies (image, channel, row, column), so any reordering is caught.</summary>
    private static byte Pixel(int n, int c, int i, int j) => (byte)((n * 37 + c * 101 + i * 7 + j * 3) % 256);

    /// <summary>CIFAR records: label byte(s), then channel planes row-major (CHW).</summary>
    private static byte[] CifarRecords(int first, int count, Func<int, byte[]> labels)
    {
        var bytes = new List<byte>();
        for (int n = first; n < first + count; n++)
        {
            bytes.AddRange(labels(n));
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 32; i++)
                    for (int j = 0; j < 32; j++)
                        bytes.Add(Pixel(n, c, i, j));
        }
        return bytes.ToArray();
    }

    private static void AssertImages(DataSet d, int count)
    {
        Assert.Equal(count, d.Count);
        Assert.Equal((3, 32, 32), (d.Channels, d.Height, d.Width));
        for (int n = 0; n < count; n++)
            for (int c = 0; c < 3; c++)
                for (int i = 0; i < 32; i += 5)
                    for (int j = 0; j < 32; j += 3)
                        Assert.Equal(Pixel(n, c, i, j) / 255f, d.Inputs[((n * 3 + c) * 32 + i) * 32 + j]);
    }

    [Fact]
    public void ReadsCifar10BatchesInOrder()
    {
        string dir = TestPaths.NewTempDirectory();
        string a = Path.Combine(dir, "data_batch_1.bin"), b = Path.Combine(dir, "data_batch_2.bin");
        File.WriteAllBytes(a, CifarRecords(0, 3, n => [(byte)(n % 10)]));
        File.WriteAllBytes(b, CifarRecords(3, 2, n => [(byte)(9 - n)]));
        var d = CifarReader.Read("c10", CifarLabels.Cifar10, a, b);
        AssertImages(d, 5);
        Assert.Equal([0, 1, 2, 6, 5], d.Labels);
        Assert.Equal(10, d.ClassCount);
    }

    [Fact]
    public void ReadsCifar100FineAndCoarseLabels()
    {
        string dir = TestPaths.NewTempDirectory();
        string path = Path.Combine(dir, "train.bin");
        File.WriteAllBytes(path, CifarRecords(0, 4, n => [(byte)(19 - n), (byte)(99 - 7 * n)]));
        var fine = CifarReader.Read("f", CifarLabels.Cifar100Fine, path);
        var coarse = CifarReader.Read("c", CifarLabels.Cifar100Coarse, path);
        AssertImages(fine, 4);
        Assert.Equal([99, 92, 85, 78], fine.Labels);
        Assert.Equal([19, 18, 17, 16], coarse.Labels);
        Assert.Equal((100, 20), (fine.ClassCount, coarse.ClassCount));
        // Gzipped copies read the same.
        string gz = path + ".gz";
        using (var f = File.Create(gz))
        using (var z = new GZipStream(f, CompressionLevel.Fastest))
            z.Write(File.ReadAllBytes(path));
        Assert.Equal(fine.Inputs, CifarReader.Read("g", CifarLabels.Cifar100Fine, gz).Inputs);
    }

    [Fact]
    public void RejectsPartialRecordsAndOutOfRangeLabels()
    {
        string dir = TestPaths.NewTempDirectory();
        string path = Path.Combine(dir, "test_batch.bin");
        File.WriteAllBytes(path, [.. CifarRecords(0, 2, _ => [1]), 42]);
        var e = Assert.Throws<DataFormatException>(() => CifarReader.Read("c", CifarLabels.Cifar10, path));
        Assert.Contains($"{path}: 6147 bytes is not a whole number of 3073-byte CIFAR-10 records", e.Message);
        Assert.Contains("2 records and 1 bytes left over", e.Message);

        File.WriteAllBytes(path, CifarRecords(0, 3, n => [(byte)(n == 2 ? 10 : 0)]));
        Assert.Contains($"{path}, record 2: label 10 is not below the class count 10",
            Assert.Throws<DataFormatException>(() => CifarReader.Read("c", CifarLabels.Cifar10, path)).Message);

        File.WriteAllBytes(path, CifarRecords(0, 1, _ => [3, 100]));
        Assert.Contains("record 0: fine label 100 is not below 100",
            Assert.Throws<DataFormatException>(() => CifarReader.Read("c", CifarLabels.Cifar100Fine, path)).Message);
        File.WriteAllBytes(path, CifarRecords(0, 1, _ => [20, 5]));
        Assert.Contains("record 0: coarse label 20 is not below 20",
            Assert.Throws<DataFormatException>(() => CifarReader.Read("c", CifarLabels.Cifar100Fine, path)).Message);

        File.WriteAllBytes(path, []);
        Assert.Contains("0 bytes is not a whole number", Assert.Throws<DataFormatException>(() => CifarReader.Read("c", CifarLabels.Cifar10, path)).Message);
        // A CIFAR-10 file read as CIFAR-100 (records one byte shorter) is caught by the length check.
        File.WriteAllBytes(path, CifarRecords(0, 2, _ => [1]));
        Assert.Contains("3074-byte CIFAR-100 records", Assert.Throws<DataFormatException>(() => CifarReader.Read("c", CifarLabels.Cifar100Fine, path)).Message);
    }

    // ------------------------------------------------------------------ SVHN

    /// <summary>X as MATLAB stores it: 32×32×3×N column-major, element (i, j, c, n) at i + 32 j + 1024 c + 3072 n.</summary>
    private static byte[] SvhnX(int count)
    {
        var x = new byte[32 * 32 * 3 * count];
        for (int n = 0; n < count; n++)
            for (int c = 0; c < 3; c++)
                for (int j = 0; j < 32; j++)
                    for (int i = 0; i < 32; i++)
                        x[i + 32 * j + 1024 * c + 3072 * n] = Pixel(n, c, i, j);
        return x;
    }

    private static string WriteSvhn(MatWriter w, bool compress)
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "train_32x32.mat");
        File.WriteAllBytes(path, w.ToBytes(compressAll: compress));
        return path;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsSvhnMatFilesMappingLabelTenToZero(bool compressed)
    {
        double[] y = [10, 1, 5, 9, 10];
        var w = new MatWriter()
            .AddBytes("X", [32, 32, 3, 5], SvhnX(5))
            .Add("y", MatClass.Double, [5, 1], MatDataType.Double, y);
        var d = SvhnReader.Read(WriteSvhn(w, compressed));
        AssertImages(d, 5);
        Assert.Equal([0, 1, 5, 9, 0], d.Labels);
        Assert.Equal(10, d.ClassCount);
    }

    [Fact]
    public void ReadsSvhnWithCompactedStorageTypes()
    {
        // MATLAB stores a double array whose values fit in bytes as miUINT8; X given as double class here too.
        var w = new MatWriter()
            .Add("X", MatClass.Double, [32, 32, 3, 2], MatDataType.UInt8, SvhnX(2).Select(b => (double)b).ToArray())
            .Add("y", MatClass.Double, [2, 1], MatDataType.UInt8, [3, 10]);
        var d = SvhnReader.Read(WriteSvhn(w, compress: true));
        AssertImages(d, 2);
        Assert.Equal([3, 0], d.Labels);
        var w16 = new MatWriter()
            .Add("X", MatClass.Double, [32, 32, 3, 1], MatDataType.Int16, SvhnX(1).Select(b => (double)b).ToArray())
            .Add("y", MatClass.Double, [1, 1], MatDataType.Double, [4]);
        AssertImages(SvhnReader.Read(WriteSvhn(w16, compress: false)), 1);
    }

    [Fact]
    public void RejectsMalformedSvhnFiles()
    {
        static string Err(MatWriter w) => Assert.Throws<DataFormatException>(() => SvhnReader.Read(WriteSvhn(w, compress: true))).Message;
        Assert.Contains("X has size 32×32×1×2; SVHN images are 32×32×3×N",
            Err(new MatWriter().AddBytes("X", [32, 32, 1, 2], new byte[2048]).Add("y", MatClass.Double, [2, 1], MatDataType.Double, [1, 2])));
        Assert.Contains("y has size 3×1 but X holds 2 images",
            Err(new MatWriter().AddBytes("X", [32, 32, 3, 2], SvhnX(2)).Add("y", MatClass.Double, [3, 1], MatDataType.Double, [1, 2, 3])));
        Assert.Contains("y(2) = 11; SVHN labels are integers 1–10",
            Err(new MatWriter().AddBytes("X", [32, 32, 3, 2], SvhnX(2)).Add("y", MatClass.Double, [2, 1], MatDataType.Double, [1, 11])));
        Assert.Contains("y(1) = 0",
            Err(new MatWriter().AddBytes("X", [32, 32, 3, 2], SvhnX(2)).Add("y", MatClass.Double, [2, 1], MatDataType.Double, [0, 1])));
        Assert.Contains("no variable 'y' (variables: X)",
            Err(new MatWriter().AddBytes("X", [32, 32, 3, 2], SvhnX(2))));
        Assert.Contains("X element 0 = 300 is not a pixel value",
            Err(new MatWriter().Add("X", MatClass.Double, [32, 32, 3, 1], MatDataType.Int16, [300, .. new double[3071]]).Add("y", MatClass.Double, [1, 1], MatDataType.Double, [1])));
    }
}
