using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Cpu;
using Tangent.Models.Checkpoints;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests.Checkpoints;

public class SafeTensorsTests
{
    /// <summary>A file built byte by byte from the spec: u64 LE header length, the JSON, the data section.</summary>
    private static byte[] Build(string json, byte[] data, int? headerLengthOverride = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)(headerLengthOverride ?? header.Length));
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    private static byte[] F32Bytes(params float[] v)
    {
        var b = new byte[4 * v.Length];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(4 * i), v[i]);
        return b;
    }

    private static byte[] F64Bytes(params double[] v)
    {
        var b = new byte[8 * v.Length];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(8 * i), v[i]);
        return b;
    }

    private static string Error(byte[] bytes) =>
        Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Parse(bytes, "bad.safetensors")).Message;

    // ------------------------------------------------------------------ round trips

    private static Gen<int[]> Shapes =>
        from rank in Gen.Choose(0, 4)
        from dims in Gen.ArrayOf(Gen.Choose(0, 5), rank)
        select dims;

    private static Gen<(int[] Shape, bool Double, ulong Seed)[]> TensorSets =>
        Gen.ArrayOf(from s in Shapes from d in Gen.Elements(false, true) from seed in Gen.Choose(0, int.MaxValue) select (s, d, (ulong)seed))
           .Where(a => a.Length <= 6);

    /// <summary>Values of every class (normal, subnormal, ±0, ∞, NaN with a payload), so the round trip is checked bit for bit.</summary>
    private static double[] Values(int n, ulong seed)
    {
        var rng = new Tangent.Models.Data.SplitMix64(seed);
        var v = new double[n];
        for (int i = 0; i < n; i++)
            v[i] = (rng.Next() % 8) switch
            {
                0 => 0.0,
                1 => -0.0,
                2 => double.Epsilon * (1 + (long)(rng.Next() % 100)),
                3 => double.PositiveInfinity,
                4 => BitConverter.Int64BitsToDouble(0x7FF8_0000_0000_1234L),
                _ => BitConverter.Int64BitsToDouble((long)(rng.Next() & 0x3FFF_FFFF_FFFF_FFFFUL)) * ((rng.Next() & 1) == 0 ? 1 : -1),
            };
        return v;
    }

    [Fact]
    public void RoundTripsF32AndF64BitExactlyWithMetadata()
    {
        string dir = TestPaths.NewTempDirectory();
        int run = 0;
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), Prop.ForAll(TensorSets.ToArbitrary(), set =>
        {
            var tensors = new List<SafeTensor>();
            var expected = new List<(string, bool, int[], byte[])>();
            for (int i = 0; i < set.Length; i++)
            {
                var (dims, isDouble, seed) = set[i];
                var shape = new Shape(dims);
                double[] v = Values(shape.Length, seed);
                string name = $"layer{i}.{(isDouble ? "w64" : "w32")}";
                if (isDouble)
                {
                    tensors.Add(SafeTensor.FromDoubles(name, shape, v));
                    expected.Add((name, true, dims, F64Bytes(v)));
                }
                else
                {
                    float[] f = v.Select(x => (float)x).ToArray();
                    tensors.Add(SafeTensor.FromSingles(name, shape, f));
                    expected.Add((name, false, dims, F32Bytes(f)));
                }
            }
            var meta = Checkpoint.Metadata("model-π", """{"m": 100, "name": "ünïcode \"quoted\""}""", [new("format", "pt")]);
            string path = Path.Combine(dir, $"r{run++}.safetensors");
            SafeTensorsFile.Write(path, tensors, meta);
            var back = SafeTensorsFile.Read(path, allowNonFinite: true);
            Assert.Equal(set.Length, back.Tensors.Count);
            foreach (var (name, isDouble, dims, bytes) in expected)
            {
                var t = back[name];
                Assert.Equal(isDouble ? TensorDType.F64 : TensorDType.F32, t.DType);
                Assert.Equal(dims, t.Shape.ToArray());
                Assert.Equal(bytes, t.Bytes.ToArray());
            }
            Assert.Equal(meta.OrderBy(p => p.Key), back.Metadata.OrderBy(p => p.Key));
        }));
    }

    [Fact]
    public void DataSectionStartsAtAMultipleOfEightAndHeaderIsCompactJson()
    {
        var f = new SafeTensorsFile([SafeTensor.FromSingles("a", new Shape(3), [1, 2, 3])], new Dictionary<string, string> { ["k"] = "v" });
        byte[] bytes = f.ToBytes();
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, (8 + n) % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal("""{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""", header.TrimEnd(' '));
        Assert.Equal(F32Bytes(1, 2, 3), bytes[(8 + (int)n)..]);
    }

    [Fact]
    public void ConvertsBetweenPrecisionsOnRead()
    {
        // float32's largest value, and one just below the midpoint to the next power of two, round to float.MaxValue.
        double belowOverflow = float.MaxValue + Math.ScaleB(1.0, 103) * 0.99;
        var t64 = SafeTensor.FromDoubles("d", new Shape(4), [0.1, double.NegativeInfinity, double.NaN, belowOverflow]);
        Assert.Equal([0.1f, float.NegativeInfinity, float.NaN, float.MaxValue], t64.ToSingleArray());
        var t32 = SafeTensor.FromSingles("s", new Shape(2), [0.1f, 3f]);
        Assert.Equal([(double)0.1f, 3.0], t32.ToDoubleArray());
    }

    [Fact]
    public void RefusesF64ValuesBeyondFloatRangeNamingTheTensorAndWritesNothing()
    {
        var t64 = SafeTensor.FromDoubles("fc.weight", new Shape(3), [0.5, -1e300, 2]);
        var e = Assert.Throws<CheckpointFormatException>(() => t64.ToSingleArray());
        Assert.Contains("tensor 'fc.weight': element 1 = -1E+300", e.Message);
        Assert.Equal([0.5, -1e300, 2], t64.ToDoubleArray());

        var layout = new ParameterLayout().Add("fc.bias", new Shape(1)).Add("fc.weight", new Shape(3));
        var file = SafeTensorsFile.Parse(new SafeTensorsFile([SafeTensor.FromDoubles("fc.bias", new Shape(1), [7]), t64]).ToBytes(), "big.safetensors");
        var theta = new float[] { -1, -1, -1, -1 };
        e = Assert.Throws<CheckpointFormatException>(() => Checkpoint.Load(file, layout, theta));
        Assert.StartsWith("big.safetensors: tensor 'fc.weight': element 1", e.Message);
        Assert.Equal([-1f, -1f, -1f, -1f], theta);
    }

    [Fact]
    public void RefusesNonFiniteWeightsNamingTheTensorUnlessAllowed()
    {
        byte[] bytes = new SafeTensorsFile(
        [
            SafeTensor.FromSingles("conv1.weight", new Shape(4), [1, 2, 3, 4]),
            SafeTensor.FromSingles("fc.weight", new Shape(5), [0, 1, float.NaN, float.PositiveInfinity, float.NaN]),
            SafeTensor.FromDoubles("fc.bias", new Shape(1), [double.NegativeInfinity]),
        ]).ToBytes();
        Assert.Contains("bad.safetensors: tensor 'fc.weight' holds 3 non-finite values (the first, element 2, is NaN)", Error(bytes));
        var loaded = SafeTensorsFile.Parse(bytes, "ok.safetensors", allowNonFinite: true);
        Assert.Equal(BitConverter.SingleToInt32Bits(float.PositiveInfinity), BitConverter.SingleToInt32Bits(loaded["fc.weight"].ToSingleArray()[3]));

        string path = Path.Combine(TestPaths.NewTempDirectory(), "nan.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => SafeTensorsFile.Read(path));
        Assert.Contains($"{path}: tensor 'fc.weight' holds 3 non-finite values", e.Message);
        Assert.Equal(3, SafeTensorsFile.Read(path, allowNonFinite: true).Tensors.Count);
    }

    /// <summary>
    /// A file whose header length field is larger than the file is refused from its first 8 bytes: reading a 64 MiB
    /// file allocates far less than the file (the whole file would be 64 MiB).
    /// </summary>
    [Fact]
    public void ChecksTheHeaderLengthBeforeReadingTheFile()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "huge.safetensors");
        using (var f = File.Create(path))
        {
            var prefix = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(prefix, 1UL << 40);
            f.Write(prefix);
            f.SetLength(64L << 20);
        }
        CheckpointFormatException? error = null;
        long before = GC.GetAllocatedBytesForCurrentThread();
        try { SafeTensorsFile.Read(path); }
        catch (CheckpointFormatException e) { error = e; }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.NotNull(error);
        Assert.Contains($"{path}: the header length field says {1UL << 40} bytes but only {(64L << 20) - 8} bytes follow it", error.Message);
        Assert.True(allocated < 1 << 20, $"refusing the file allocated {allocated} bytes");
    }

    // ------------------------------------------------------------------ interoperability: a file laid out by hand per the spec

    [Fact]
    public void ReadsAFileBuiltByHandInTheReferenceLayout()
    {
        // What the reference writer produces for {"a": F32 [[1,2],[3,4]], "b": F64 [0.5]} with metadata {"format": "pt"}:
        // tensors ordered by alignment (F64 first), header padded with spaces to a multiple of 8.
        string json = """{"__metadata__":{"format":"pt"},"b":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}""";
        while ((8 + json.Length) % 8 != 0) json += " ";
        byte[] data = [.. F64Bytes(0.5), .. F32Bytes(1, 2, 3, 4)];
        byte[] bytes = Build(json, data);
        var f = SafeTensorsFile.Parse(bytes, "hand.safetensors");
        Assert.Equal(["b", "a"], f.Tensors.Select(t => t.Name));
        Assert.Equal([0.5], f["b"].ToDoubleArray());
        Assert.Equal([2, 2], f["a"].Shape.ToArray());
        Assert.Equal([1f, 2f, 3f, 4f], f["a"].ToSingleArray());
        Assert.Equal("pt", f.Metadata["format"]);
        // Writing the same tensors in the same order reproduces the reference bytes exactly.
        Assert.Equal(bytes, new SafeTensorsFile(f.Tensors, f.Metadata).ToBytes());
    }

    [Fact]
    public void AcceptsOffsetsListedOutOfOrderScalarsAndEmptyTensors()
    {
        string json = """{"z":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"y":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""";
        var f = SafeTensorsFile.Parse(Build(json, F32Bytes(7f)));
        Assert.Equal(Shape.Scalar, f["y"].Shape);
        Assert.Equal([7f], f["y"].ToSingleArray());
        Assert.Empty(f["z"].ToSingleArray());
        Assert.Empty(f.Metadata);
    }

    // ------------------------------------------------------------------ corrupt files

    private static byte[] Good() => new SafeTensorsFile(
        [SafeTensor.FromSingles("w", new Shape(2, 2), [1, 2, 3, 4]), SafeTensor.FromDoubles("b", new Shape(2), [5, 6])],
        new Dictionary<string, string> { ["model"] = "m" }).ToBytes();

    [Fact]
    public void RejectsTruncatedFiles()
    {
        byte[] good = Good();
        Assert.Contains("too short", Error(good[..5]));
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(good);
        string inHeader = Error(good[..(headerEnd - 3)]);
        Assert.Contains("header length field says", inHeader);
        Assert.Contains("bad.safetensors", inHeader);
        string inData = Error(good[..^5]);
        Assert.Contains("'b'", inData);
        Assert.Contains("reach past the 27-byte data section", inData);
    }

    [Fact]
    public void RejectsAHeaderLengthLargerThanTheFile()
    {
        byte[] bytes = Good();
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)bytes.Length);
        Assert.Contains($"says {bytes.Length} bytes but only {bytes.Length - 8} bytes follow", Error(bytes));
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue);
        Assert.Contains($"says {ulong.MaxValue} bytes", Error(bytes));
    }

    [Theory]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}", "not valid JSON")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],}}", "not valid JSON")]
    [InlineData("[1, 2]", "JSON Array, not an object")]
    [InlineData("{\"w\":[0,4]}", "'w': its entry is a JSON Array")]
    [InlineData("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", "'w': missing or non-string 'dtype'")]
    [InlineData("{\"w\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", "'w': unknown dtype 'F33'")]
    [InlineData("{\"w\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[0,4]}}", "'w': dtype BF16 is not supported here")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", "shape entry -1 is not a non-negative integer")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}", "shape entry 1.5 is not")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", "'data_offsets' must be an array [begin, end]")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", "data_offsets [4, 0] end before they begin")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,4]}}", "shape [3] of F32 needs 3 × 4 = 12 bytes, but data_offsets [0, 4] span 4")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[65536,65536],\"data_offsets\":[0,4]}}", "more than 2147483647 elements")]
    [InlineData("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "names 'w' twice")]
    [InlineData("{\"__metadata__\":{\"epochs\":40},\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "metadata entry 'epochs' is a JSON Number")]
    [InlineData("{\"__metadata__\":\"x\",\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "'__metadata__' is a JSON String")]
    public void RejectsMalformedHeaders(string json, string expected)
    {
        string message = Error(Build(json, F32Bytes(1f)));
        Assert.Contains(expected, message);
        Assert.StartsWith("bad.safetensors: ", message);
    }

    [Fact]
    public void RejectsInvalidUtf8InTheHeader()
    {
        byte[] bytes = Build("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", F32Bytes(1f));
        bytes[10] = 0xFF; // inside the name "w": not a UTF-8 lead byte
        Assert.Contains("bad.safetensors: the 54-byte header is not valid UTF-8", Error(bytes));
    }

    [Fact]
    public void RejectsOffsetsOutOfBoundsOverlappingGapsAndTrailingBytes()
    {
        string outOfBounds = Error(Build("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", F32Bytes(1, 2)));
        Assert.Contains("'w': data_offsets [4, 12] reach past the 8-byte data section", outOfBounds);

        string overlap = Error(Build(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", F32Bytes(1, 2, 3)));
        Assert.Contains("tensor 'b' at [4, 12) overlaps tensor 'a', which ends at 8", overlap);

        string gap = Error(Build(
            """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", F32Bytes(1, 2, 3)));
        Assert.Contains("bytes [4, 8) of the data section belong to no tensor (gap before 'b')", gap);

        string firstGap = Error(Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", F32Bytes(1, 2)));
        Assert.Contains("bytes [0, 4)", firstGap);

        string trailing = Error(Build("""{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", F32Bytes(1, 2)));
        Assert.Contains("the data section has 8 bytes but the tensors cover only [0, 4): 4 trailing bytes", trailing);
    }

    // ------------------------------------------------------------------ writing

    [Fact]
    public void WritesAtomicallyReplacingTheOldFileAndLeavingNoTemporaries()
    {
        string dir = TestPaths.NewTempDirectory();
        string path = Path.Combine(dir, "map.safetensors");
        SafeTensorsFile.Write(path, [SafeTensor.FromSingles("a", new Shape(1), [1f])]);
        SafeTensorsFile.Write(path, [SafeTensor.FromSingles("a", new Shape(2), [2f, 3f])]);
        Assert.Equal([2f, 3f], SafeTensorsFile.Read(path)["a"].ToSingleArray());
        Assert.Equal(["map.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName));

        // A target that cannot be replaced (a directory of that name): the write fails and removes its temporary file.
        string blocked = Path.Combine(dir, "blocked.safetensors");
        Directory.CreateDirectory(blocked);
        Assert.ThrowsAny<IOException>(() => SafeTensorsFile.Write(blocked, [SafeTensor.FromSingles("a", new Shape(1), [1f])]));
        Assert.Equal(["map.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName));
    }

    [Fact]
    public void RejectsDuplicateOrReservedNamesAndWrongValueCounts()
    {
        Assert.Contains("appears twice", Assert.Throws<ArgumentException>(() =>
            new SafeTensorsFile([SafeTensor.FromSingles("a", new Shape(1), [1f]), SafeTensor.FromSingles("a", new Shape(1), [1f])])).Message);
        Assert.Contains("__metadata__", Assert.Throws<ArgumentException>(() =>
            new SafeTensorsFile([SafeTensor.FromSingles("__metadata__", new Shape(1), [1f])])).Message);
        Assert.Contains("shape [2, 3] has 6 elements but 5 values", Assert.Throws<ArgumentException>(() =>
            SafeTensor.FromSingles("w", new Shape(2, 3), new float[5])).Message);
    }

    // ------------------------------------------------------------------ parameter layouts

    private static ParameterLayout Layout(int hidden = 3) => new ParameterLayout()
        .Add("fc1.weight", new Shape(hidden, 2)).Add("fc1.bias", new Shape(hidden))
        .Add("fc2.weight", new Shape(1, hidden)).Add("fc2.bias", new Shape(1));

    [Fact]
    public void SavesAndLoadsAFlatParameterVectorByName()
    {
        var layout = Layout();
        double[] theta = Enumerable.Range(0, layout.Count).Select(i => Math.Sin(i + 1)).ToArray();
        string path = Path.Combine(TestPaths.NewTempDirectory(), "mlp.safetensors");
        Checkpoint.Save(path, layout, (ReadOnlyMemory<double>)theta, Checkpoint.Metadata("mlp", """{"hidden":3}"""));
        var file = SafeTensorsFile.Read(path);
        Assert.Equal("mlp", file.Metadata[Checkpoint.ModelKey]);
        Assert.Equal("""{"hidden":3}""", file.Metadata[Checkpoint.ConfigKey]);
        Assert.Equal([theta[6], theta[7], theta[8]], file["fc1.bias"].ToDoubleArray()); // fc1.weight is 3×2 = 6 values first
        var back = new double[layout.Count];
        Checkpoint.Load(file, layout, back);
        Assert.Equal(theta, back);
        var single = new float[layout.Count];
        Checkpoint.Load(file, layout, single);
        Assert.Equal(theta.Select(x => (float)x), single);
    }

    [Fact]
    public void SavesAndLoadsDeviceViewsAndSeveralGroups()
    {
        var backend = CpuBackend.Instance;
        var layout = Layout();
        var state = new ParameterLayout("state").Add("bn.running_mean", new Shape(2));
        float[] theta = Enumerable.Range(0, layout.Count).Select(i => i * 0.25f).ToArray();
        string dir = TestPaths.NewTempDirectory();
        using (var buf = backend.Upload<float>([-1f, .. theta, -2f]))
            Checkpoint.Save(Path.Combine(dir, "v.safetensors"), layout, buf.Slice(1, layout.Count));
        using (var dst = backend.Allocate<float>(layout.Count + 2))
        {
            Checkpoint.Load(Path.Combine(dir, "v.safetensors"), layout, dst.Slice(2, layout.Count));
            Assert.Equal([0f, 0f, .. theta], dst.ToArray());
        }
        Checkpoint.Save(Path.Combine(dir, "g.safetensors"), [(layout, theta), (state, new float[] { 7, 8 })]);
        var t2 = new float[layout.Count];
        var s2 = new float[2];
        Checkpoint.Load(SafeTensorsFile.Read(Path.Combine(dir, "g.safetensors")), [(layout, t2), (state, s2)]);
        Assert.Equal(theta, t2);
        Assert.Equal([7f, 8f], s2);
    }

    [Fact]
    public void AMismatchedCheckpointNamesTheTensorAndBothShapesAndLoadsNothing()
    {
        string dir = TestPaths.NewTempDirectory();
        string path = Path.Combine(dir, "h4.safetensors");
        var saved = Layout(hidden: 4);
        Checkpoint.Save(path, saved, (ReadOnlyMemory<float>)new float[saved.Count]);
        var file = SafeTensorsFile.Read(path);

        var model = Layout(hidden: 3);
        var mismatches = Checkpoint.Compare(file, model.Entries.Select(e => (e.Name, e.Shape)));
        Assert.Equal(["fc1.weight", "fc1.bias", "fc2.weight"], mismatches.Select(m => m.Name));
        Assert.Equal(new Shape(3, 2), mismatches[0].Expected);
        Assert.Equal(new Shape(4, 2), mismatches[0].Found);

        var theta = Enumerable.Repeat(42f, model.Count).ToArray();
        var e = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.Load(file, model, theta));
        Assert.Contains("'fc1.weight' has shape [4, 2] in the file but [3, 2] in the model", e.Message);
        Assert.Contains(path, e.Message);
        Assert.All(theta, v => Assert.Equal(42f, v)); // nothing written: fc2.bias matched but was not loaded either

        var missing = new ParameterLayout().Add("fc1.weight", new Shape(4, 2)).Add("fc3.bias", new Shape(1));
        var e2 = Assert.Throws<CheckpointMismatchException>(() => Checkpoint.Load(file, missing, new float[missing.Count]));
        Assert.Contains("'fc3.bias' is missing from the file (model shape [1])", e2.Message);
        Assert.Contains("'fc2.weight' [1, 4] is in the file but not in the model", e2.Message);
        Checkpoint.Load(file, new ParameterLayout().Add("fc2.bias", new Shape(1)), new float[1], allowUnexpected: true);
    }
}
