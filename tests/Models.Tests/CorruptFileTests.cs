using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Tangent.Engine;
using Tangent.Models.Checkpoints;
using Tangent.Models.Data;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests;

/// <summary>
/// Generated corruptions of valid IDX (raw and gzip) and safetensors files: random byte flips, truncations, appended
/// bytes, overwritten header fields and edited JSON headers. Every corrupted file is either refused with the reader's
/// own exception (<see cref="DataFormatException"/>, <see cref="CheckpointFormatException"/>) whose message names the
/// file, or — where the bytes still form a valid file — loads with consistent sizes and finite values. Any other
/// exception (an index out of range, an overflow, an out-of-memory) fails the property.
/// </summary>
public class CorruptFileTests
{
    /// <summary>One corruption; positions are taken modulo the length of the bytes it applies to.</summary>
    public sealed record Corruption(string Kind, int[] Positions, byte[] Values, long Number, string Text)
    {
        public override string ToString() =>
            $"{Kind} at [{string.Join(",", Positions)}] values [{string.Join(",", Values)}] number {Number} text '{Text}'";
    }

    /// <summary>Numbers that break size arithmetic: 0, ±1, powers of two around 2³¹ and 2⁶³, and random ones.</summary>
    private static Gen<long> Numbers =>
        Gen.OneOf(
            Gen.Elements(0L, 1L, -1L, 255L, 1L << 21, 1L << 22, int.MaxValue, 1L << 31, uint.MaxValue, 1L << 32, 1L << 40, long.MaxValue),
            Gen.Choose(-1000, 100_000).Select(i => (long)i));

    private static Gen<int[]> Positions(int max) => Gen.ArrayOf(Gen.Choose(0, int.MaxValue), max).Select(a => a.Length == 0 ? [0] : a);

    private static Gen<Corruption> Binary =>
        from kind in Gen.Elements("flip", "truncate", "append", "int32", "dims", "uint64")
        from positions in Gen.Choose(1, 4).SelectMany(Positions)
        from values in Gen.ArrayOf(Gen.Choose(1, 255).Select(v => (byte)v), 4)
        from number in kind == "dims" ? Gen.Elements(0L, 1L << 16, 1L << 21, 1L << 22, 1L << 22, int.MaxValue) : Numbers
        select new Corruption(kind, positions, values.Length == 0 ? [1] : values, number, "");

    private static Gen<Corruption> JsonEdits =>
        from kind in Gen.Elements("number", "dtype", "delete", "insert")
        from positions in Positions(2)
        from number in Numbers
        from text in Gen.Elements("0", "-1", "1.5", "1e3", "18446744073709551616", "F16", "F64", "F32", "I32", "", "{", "]", ",", "\"", " ")
        from keepLength in Gen.Elements(true, false)
        select new Corruption(keepLength ? kind + "/old-length" : kind, positions, [], number, text);

    /// <summary>
    /// Applies a binary corruption: the int32 edit writes big-endian at a multiple of 4 (an IDX field), the dims edit
    /// writes every IDX dimension field (bytes 4 to 16 of an image file) and drops the data for odd values, the uint64
    /// one little-endian at 0 (a safetensors header length).
    /// </summary>
    private static byte[] Apply(Corruption c, byte[] valid)
    {
        var b = (byte[])valid.Clone();
        int At(int i) => b.Length == 0 ? 0 : c.Positions[i % c.Positions.Length] % b.Length;
        switch (c.Kind)
        {
            case "flip":
                for (int i = 0; i < c.Positions.Length && b.Length > 0; i++) b[At(i)] ^= c.Values[i % c.Values.Length];
                return b;
            case "truncate":
                return b[..At(0)];
            case "append":
                return [.. b, .. c.Values];
            case "int32":
                int at = At(0) / 4 * 4;
                if (at + 4 <= b.Length) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(at), (int)c.Number);
                return b;
            case "dims":
                for (int field = 4; field + 4 <= Math.Min(16, b.Length); field += 4) BinaryPrimitives.WriteInt32BigEndian(b.AsSpan(field), (int)c.Number);
                return c.Values[0] % 2 == 0 ? b : b[..Math.Min(16, b.Length)];
            default:
                if (b.Length >= 8) BinaryPrimitives.WriteUInt64LittleEndian(b, (ulong)c.Number);
                return b;
        }
    }

    /// <summary>Applies a JSON edit to a safetensors header, rewriting the length field unless the kind says to keep the old one.</summary>
    private static byte[] ApplyToHeader(Corruption c, byte[] valid)
    {
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        string json = Encoding.UTF8.GetString(valid, 8, n);
        int At(int i) => c.Positions[i % c.Positions.Length] % Math.Max(1, json.Length);
        string edited = c.Kind.Split('/')[0] switch
        {
            "number" => ReplaceNth(json, @"-?\d+", At(0), c.Text.Length > 0 && char.IsDigit(c.Text[^1]) ? c.Text : c.Number.ToString()),
            "dtype" => ReplaceNth(json, "F(32|64)", At(0), c.Text),
            "delete" => json.Remove(At(0), 1),
            _ => json.Insert(At(0), c.Text),
        };
        byte[] header = Encoding.UTF8.GetBytes(edited);
        var bytes = new byte[8 + header.Length + valid.Length - 8 - n];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, c.Kind.EndsWith("/old-length") ? (ulong)n : (ulong)header.Length);
        header.CopyTo(bytes, 8);
        valid.AsSpan(8 + n).CopyTo(bytes.AsSpan(8 + header.Length));
        return bytes;
    }

    private static string ReplaceNth(string s, string pattern, int pick, string replacement)
    {
        var matches = System.Text.RegularExpressions.Regex.Matches(s, pattern);
        if (matches.Count == 0) return s;
        var m = matches[pick % matches.Count];
        return s[..m.Index] + replacement + s[(m.Index + m.Length)..];
    }

    // ------------------------------------------------------------------ IDX

    private static byte[] ValidImages()
    {
        var pixels = Enumerable.Range(0, 3 * 4 * 5).Select(i => (byte)(i * 37)).ToArray();
        return Data.IdxReaderTests.ImageFile(3, 4, 5, pixels);
    }

    private static byte[] ValidLabels()
    {
        var bytes = new byte[8 + 7];
        BinaryPrimitives.WriteInt32BigEndian(bytes, IdxReader.LabelMagic);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), 7);
        for (int i = 0; i < 7; i++) bytes[8 + i] = (byte)(i % 10);
        return bytes;
    }

    [Fact]
    public void CorruptIdxFilesAreRefusedWithAMessageOrLoadConsistently()
    {
        string dir = TestPaths.NewTempDirectory();
        int run = 0;
        var cases = from c in Binary
                    from labels in Gen.Elements(false, true)
                    from gzip in Gen.Elements("raw", "gzip-outside", "gzip-inside")
                    select (c, labels, gzip);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(cases.ToArbitrary(), t =>
        {
            var (c, labels, gzip) = t;
            byte[] valid = labels ? ValidLabels() : ValidImages();
            byte[] bytes = gzip switch
            {
                "raw" => Apply(c, valid),
                "gzip-inside" => Data.IdxReaderTests.Gzip(Apply(c, valid)),
                _ => Apply(c, Data.IdxReaderTests.Gzip(valid)),
            };
            string path = Path.Combine(dir, $"case{run++}-{(labels ? "labels" : "images")}-{gzip}");
            File.WriteAllBytes(path, bytes);
            try
            {
                if (labels)
                {
                    byte[] y = IdxReader.ReadLabels(path);
                    Assert.True(y.Length >= 0);
                }
                else
                {
                    var images = IdxReader.ReadImages(path);
                    Assert.Equal((System.Numerics.BigInteger)images.Count * images.Rows * images.Columns, images.Pixels.Length);
                }
            }
            catch (DataFormatException e)
            {
                Assert.Contains(path, e.Message);
            }
        }));
    }

    // ------------------------------------------------------------------ safetensors

    private static byte[] ValidSafeTensors() => new SafeTensorsFile(
    [
        SafeTensor.FromSingles("conv1.weight", new Shape(2, 3), [1, -2, 3, -4, 5, -6]),
        SafeTensor.FromDoubles("conv1.bias", new Shape(4), [0.5, -0.25, 1e-300, 3e38]),
        SafeTensor.FromSingles("scale", Shape.Scalar, [7]),
    ], new Dictionary<string, string> { ["model"] = "lenet", ["config"] = """{"classes": 10}""" }).ToBytes();

    [Fact]
    public void CorruptSafeTensorsFilesAreRefusedWithAMessageOrLoadConsistently()
    {
        string dir = TestPaths.NewTempDirectory();
        int run = 0;
        var cases = from c in Gen.OneOf(Binary, JsonEdits)
                    from fromFile in Gen.Elements(false, true)
                    select (c, fromFile);
        byte[] valid = ValidSafeTensors();
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(400), Prop.ForAll(cases.ToArbitrary(), t =>
        {
            var (c, fromFile) = t;
            byte[] bytes = c.Text.Length > 0 || c.Kind.Contains('/') || c.Kind is "number" or "dtype" or "delete" or "insert"
                ? ApplyToHeader(c, valid) : Apply(c, valid);
            string source = $"case{run++}.safetensors";
            try
            {
                SafeTensorsFile file;
                if (fromFile)
                {
                    source = Path.Combine(dir, source);
                    File.WriteAllBytes(source, bytes);
                    file = SafeTensorsFile.Read(source);
                }
                else file = SafeTensorsFile.Parse(bytes, source);
                foreach (var tensor in file.Tensors)
                {
                    Assert.Equal((long)tensor.ElementCount * SafeTensor.SizeOf(tensor.DType), tensor.Bytes.Length);
                    Assert.All(tensor.ToDoubleArray(), v => Assert.True(double.IsFinite(v), $"{tensor.Name} holds {v}"));
                    try { tensor.ToSingleArray(); }
                    catch (CheckpointFormatException e) { Assert.Contains(tensor.Name, e.Message); }
                }
            }
            catch (CheckpointFormatException e)
            {
                Assert.Contains(source, e.Message);
            }
        }));
    }
}
