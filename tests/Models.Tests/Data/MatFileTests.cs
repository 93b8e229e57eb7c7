using System.Buffers.Binary;
using Tangent.Models.Data;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests.Data;

public class MatFileTests
{
    private static MatWriter Sample(bool bigEndian) => new MatWriter(bigEndian)
        .AddChars("note", "hello")
        .AddBytes("X", [2, 3], [1, 2, 3, 4, 5, 250])
        .Add("y", MatClass.Double, [3, 1], MatDataType.Double, [0.5, -2, 1e300])
        .Add("packed", MatClass.Double, [1, 4], MatDataType.UInt8, [10, 0, 255, 7])
        .Add("i16", MatClass.Int16, [2, 2], MatDataType.Int16, [-32768, 32767, -1, 0])
        .Add("f", MatClass.Single, [1, 1], MatDataType.Single, [0.25])
        .Add("u64", MatClass.UInt64, [1, 2], MatDataType.UInt64, [0, 1UL << 40]);

    private static void AssertSample(MatFile m)
    {
        Assert.Equal(["note", "X", "y", "packed", "i16", "f", "u64"], m.Variables.Select(v => v.Name));
        Assert.Equal(MatClass.Char, m["note"].Class);
        Assert.False(m["note"].IsNumeric);
        var x = m["X"];
        Assert.Equal((MatClass.UInt8, MatDataType.UInt8), (x.Class, x.StorageType));
        Assert.Equal([2, 3], x.Dimensions);
        Assert.Equal([1, 2, 3, 4, 5, 250], x.UInt8Data.ToArray());
        Assert.Equal([0.5, -2, 1e300], m["y"].ToDoubleArray());
        Assert.Equal([10.0, 0, 255, 7], m["packed"].ToDoubleArray());
        Assert.Equal(MatClass.Double, m["packed"].Class);
        Assert.Equal([-32768.0, 32767, -1, 0], m["i16"].ToDoubleArray());
        Assert.Equal([0.25], m["f"].ToDoubleArray());
        Assert.Equal([0.0, 1UL << 40], m["u64"].ToDoubleArray());
        Assert.StartsWith("MATLAB 5.0 MAT-file", m.HeaderText);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void ReadsUncompressedAndCompressedInBothByteOrders(bool bigEndian, bool compressed)
    {
        var m = MatFile.Parse(Sample(bigEndian).ToBytes(compressAll: compressed), "sample.mat");
        Assert.Equal(bigEndian, m.BigEndian);
        AssertSample(m);
    }

    [Fact]
    public void ReadsAFileMixingCompressedAndPlainElements()
    {
        var w = new MatWriter()
            .AddBytes("a", [1, 3], [9, 8, 7], compress: true)
            .AddBytes("b", [1, 1], [6])
            .Add("c", MatClass.Double, [1, 2], MatDataType.Double, [1.5, 2.5], compress: true);
        string dir = TestPaths.NewTempDirectory();
        string path = Path.Combine(dir, "mixed.mat");
        File.WriteAllBytes(path, w.ToBytes());
        var m = MatFile.Read(path);
        Assert.Equal([9, 8, 7], m["a"].UInt8Data.ToArray());
        Assert.Equal([6], m["b"].UInt8Data.ToArray());
        Assert.Equal([1.5, 2.5], m["c"].ToDoubleArray());
        Assert.Contains("variables: a, b, c", Assert.Throws<DataFormatException>(() => m["X"]).Message);
    }

    private static string Error(byte[] bytes) =>
        Assert.Throws<DataFormatException>(() => MatFile.Parse(bytes, "bad.mat")).Message;

    [Fact]
    public void RejectsBadHeaders()
    {
        byte[] good = Sample(false).ToBytes();
        Assert.Contains("too short for the 128-byte MAT-file header", Error(good[..100]));
        Assert.Contains("HDF5", Error(new MatWriter().AddBytes("a", [1, 1], [1]).ToBytes(headerText: "MATLAB 7.3 MAT-file, Platform: GLNXA64")));
        Assert.Contains("not a Level 5 MAT-file", Error(new MatWriter().AddBytes("a", [1, 1], [1]).ToBytes(headerText: "hello")));
        byte[] endian = (byte[])good.Clone();
        endian[126] = (byte)'X';
        Assert.Contains("endian indicator 0x584D is neither 'IM' nor 'MI'", Error(endian));
        byte[] version = (byte[])good.Clone();
        version[125] = 2;
        Assert.Contains("version 0x0200", Error(version));
    }

    [Fact]
    public void RejectsTruncatedFiles()
    {
        byte[] good = Sample(false).ToBytes();
        string m = Error(good[..(good.Length - 12)]);
        Assert.Contains("bad.mat: ", m);
        Assert.Contains("remain (file truncated?)", m);
        byte[] packed = Sample(false).ToBytes(compressAll: true);
        Assert.Contains("bad.mat: ", Error(packed[..(packed.Length - 5)]));
        Assert.Contains("truncated element tag", Error(good[..(128 + 4)]));
    }

    [Fact]
    public void RejectsCorruptZlibData()
    {
        byte[] bytes = new MatWriter().AddBytes("X", [1, 64], Enumerable.Range(0, 64).Select(i => (byte)i).ToArray()).ToBytes(compressAll: true);
        // Overwrite the compressed payload after its 2-byte zlib header with garbage.
        for (int i = 128 + 8 + 2; i < bytes.Length - 4; i++) bytes[i] = 0xFF;
        string m = Error(bytes);
        Assert.Contains("bad.mat: compressed element at byte 0: the zlib stream is corrupt", m);
    }

    [Fact]
    public void RejectsDataSizesThatDisagreeWithTheDimensions()
    {
        // Declare 2×3 but store only 5 bytes: the writer writes what it is given, the reader must notice.
        byte[] bytes = new MatWriter().AddBytes("X", [2, 3], [1, 2, 3, 4, 5]).ToBytes();
        Assert.Contains("variable 'X': dimensions [2×3] need 6 × 1 = 6 bytes of type 2, the real part has 5", Error(bytes));
        byte[] neg = new MatWriter().AddBytes("X", [-1, 3], [1, 2, 3]).ToBytes();
        Assert.Contains("dimension 0 is negative (-1)", Error(neg));
    }

    [Fact]
    public void RejectsUnexpectedTopLevelElementsAndDuplicates()
    {
        byte[] good = new MatWriter().AddBytes("a", [1, 1], [1]).ToBytes();
        byte[] wrongType = (byte[])good.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(wrongType.AsSpan(128), 7);
        Assert.Contains("top-level element at byte 0 has type 7", Error(wrongType));
        byte[] twice = new MatWriter().AddBytes("a", [1, 1], [1]).AddBytes("a", [1, 1], [2]).ToBytes();
        Assert.Contains("variable 'a' appears twice", Error(twice));
    }

    [Fact]
    public void ComplexAndNonNumericArraysRefuseToGiveValues()
    {
        byte[] bytes = new MatWriter().AddChars("s", "ab").ToBytes();
        // Set the complex bit on a numeric array by hand: flags word is the first data word of the matrix body.
        byte[] cplx = new MatWriter().Add("z", MatClass.Double, [1, 1], MatDataType.Double, [1]).ToBytes();
        BinaryPrimitives.WriteUInt32LittleEndian(cplx.AsSpan(128 + 8 + 8), (uint)MatClass.Double | 0x800);
        var m = MatFile.Parse(bytes, "s.mat");
        Assert.Contains("'s' is a Char array, not a numeric one", Assert.Throws<DataFormatException>(() => m["s"].ToDoubleArray()).Message);
        var c = MatFile.Parse(cplx, "z.mat");
        Assert.True(c["z"].IsComplex);
        Assert.Contains("'z' is complex", Assert.Throws<DataFormatException>(() => c["z"].ToDoubleArray()).Message);
    }
}
