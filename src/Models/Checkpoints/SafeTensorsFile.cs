using System.Buffers.Binary;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Tangent.Engine;

namespace Tangent.Models.Checkpoints;

/// <summary>Thrown when a safetensors file is malformed; the message names the file, the tensor and the values involved.</summary>
public sealed class CheckpointFormatException(string message) : Exception(message);

/// <summary>
/// A safetensors file (the format of Hugging Face's <c>safetensors</c> library): an 8-byte little-endian unsigned
/// header length N, N bytes of UTF-8 JSON
/// <c>{"__metadata__": {string: string}, NAME: {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, …}</c>
/// (possibly padded with trailing spaces), then the data section: every tensor's row-major little-endian bytes at
/// <c>[begin, end)</c> relative to the start of the section. The tensors must tile the section exactly: no gaps, no
/// overlaps, nothing after the last one. Reading validates all of that before returning anything, so a bad file
/// never yields a partial result.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>The JSON key of the string-to-string metadata map.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Largest header accepted (the reference implementation's limit: 100 MB).</summary>
    public const long MaxHeaderLength = 100_000_000;

    private static readonly string[] OtherSpecDTypes =
        ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "I64", "U64", "F8_E5M2", "F8_E4M3", "C64"];

    private readonly Dictionary<string, SafeTensor> _byName;

    /// <summary>Creates an in-memory file from tensors (names must be unique) and metadata.</summary>
    public SafeTensorsFile(IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null, string source = "(memory)")
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var list = tensors.ToList();
        _byName = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
        foreach (var t in list)
        {
            if (t.Name == MetadataKey) throw new ArgumentException($"a tensor cannot be called '{MetadataKey}' (that key holds the metadata).");
            if (!_byName.TryAdd(t.Name, t)) throw new ArgumentException($"tensor name '{t.Name}' appears twice.");
        }
        Tensors = list;
        Metadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        Source = source;
    }

    /// <summary>Where the file was read from (or "(memory)").</summary>
    public string Source { get; }

    /// <summary>The tensors (in data order when read from a file).</summary>
    public IReadOnlyList<SafeTensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>; a missing name is an error listing the file's tensors.</summary>
    public SafeTensor this[string name] => _byName.TryGetValue(name, out var t) ? t
        : throw new KeyNotFoundException($"{Source} has no tensor '{name}' (it has: {string.Join(", ", Tensors.Select(x => x.Name))}).");

    /// <summary>Looks a tensor up by name.</summary>
    public bool TryGet(string name, out SafeTensor tensor) => _byName.TryGetValue(name, out tensor!);

    // ------------------------------------------------------------------ reading

    /// <summary>
    /// Reads and validates <paramref name="path"/>. The header length is checked against the file's size before the
    /// file is read. Tensors holding NaN or ±∞ are refused, naming the tensor, unless <paramref name="allowNonFinite"/>
    /// (a diverged training writes such weights; nothing computed from them means anything).
    /// </summary>
    public static SafeTensorsFile Read(string path, bool allowNonFinite = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint {path} does not exist.", path);
        using var file = File.OpenRead(path);
        Span<byte> prefix = stackalloc byte[8];
        int got = file.ReadAtLeast(prefix, 8, throwOnEndOfStream: false);
        CheckHeaderLength(path, prefix[..got], file.Length);
        if (file.Length > Array.MaxLength)
            throw Bad(path, $"{file.Length} bytes is more than an array can hold ({Array.MaxLength} bytes).");
        var bytes = new byte[file.Length];
        file.Position = 0;
        file.ReadExactly(bytes);
        return Parse(bytes, path, allowNonFinite);
    }

    /// <summary>
    /// Parses and validates a whole file held in <paramref name="bytes"/>; <paramref name="source"/> names it in
    /// errors. Non-finite values as in <see cref="Read"/>.
    /// </summary>
    public static SafeTensorsFile Parse(byte[] bytes, string source = "(memory)", bool allowNonFinite = false)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ulong headerLength = CheckHeaderLength(source, bytes, bytes.Length);
        int n = (int)headerLength;
        var header = bytes.AsMemory(8, n);
        var data = bytes.AsMemory(8 + n);

        if (!System.Text.Unicode.Utf8.IsValid(header.Span))
            throw Bad(source, $"the {n}-byte header is not valid UTF-8.");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(header, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Bad(source, $"the {n}-byte header is not valid JSON: {e.Message}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad(source, $"the header is a JSON {root.ValueKind}, not an object of tensors.");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var infos = new List<(string Name, TensorDType DType, Shape Shape, long Begin, long End)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var prop in root.EnumerateObject())
            {
                if (!seen.Add(prop.Name)) throw Bad(source, $"the header names '{prop.Name}' twice.");
                if (prop.Name == MetadataKey) ReadMetadata(source, prop.Value, metadata);
                else infos.Add(ReadInfo(source, prop.Name, prop.Value));
            }
            CheckLayout(source, infos, data.Length);
            var tensors = infos
                .OrderBy(i => i.Begin).ThenBy(i => i.End)
                .Select(i => SafeTensor.Wrap(i.Name, i.DType, i.Shape, data.Slice((int)i.Begin, (int)(i.End - i.Begin)), source))
                .ToList();
            if (!allowNonFinite)
                foreach (var t in tensors) CheckFinite(source, t);
            return new SafeTensorsFile(tensors, metadata, source);
        }
    }

    /// <summary>
    /// The header length field of a file of <paramref name="fileLength"/> bytes starting with <paramref name="prefix"/>
    /// (at least its first 8 bytes), checked against the bytes that follow it and <see cref="MaxHeaderLength"/>.
    /// </summary>
    private static ulong CheckHeaderLength(string source, ReadOnlySpan<byte> prefix, long fileLength)
    {
        if (prefix.Length < 8)
            throw Bad(source, $"{fileLength} bytes is too short: a safetensors file starts with an 8-byte header length.");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        long rest = fileLength - 8L;
        if (headerLength > (ulong)rest)
            throw Bad(source, $"the header length field says {headerLength} bytes but only {rest} bytes follow it (file truncated, or not a safetensors file).");
        if (headerLength > MaxHeaderLength)
            throw Bad(source, $"header length {headerLength} exceeds the limit of {MaxHeaderLength} bytes.");
        return headerLength;
    }

    /// <summary>Refuses a tensor holding NaN or ±∞, naming it, the first such element and how many there are.</summary>
    private static void CheckFinite(string source, SafeTensor t)
    {
        var bytes = t.Bytes;
        int count = 0, first = -1;
        double firstValue = 0;
        for (int i = 0; i < t.ElementCount; i++)
        {
            double v = t.DType == TensorDType.F32
                ? BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..])
                : BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]);
            if (double.IsFinite(v)) continue;
            if (count++ == 0) (first, firstValue) = (i, v);
        }
        if (count > 0)
            throw Bad(source, $"tensor '{t.Name}' holds {count} non-finite value{(count == 1 ? "" : "s")} (the first, element {first}, is {firstValue}): " +
                              "weights from a diverged training? Pass allowNonFinite to read it anyway.");
    }

    private static void ReadMetadata(string source, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(source, $"'{MetadataKey}' is a JSON {value.ValueKind}; it must be an object of string values.");
        foreach (var p in value.EnumerateObject())
        {
            if (p.Value.ValueKind != JsonValueKind.String)
                throw Bad(source, $"metadata entry '{p.Name}' is a JSON {p.Value.ValueKind}; metadata values must be strings.");
            if (!metadata.TryAdd(p.Name, p.Value.GetString()!))
                throw Bad(source, $"metadata entry '{p.Name}' appears twice.");
        }
    }

    private static (string, TensorDType, Shape, long, long) ReadInfo(string source, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw Bad(source, $"tensor '{name}': its entry is a JSON {value.ValueKind}, not an object with dtype, shape and data_offsets.");
        if (!value.TryGetProperty("dtype", out var dtypeEl) || dtypeEl.ValueKind != JsonValueKind.String)
            throw Bad(source, $"tensor '{name}': missing or non-string 'dtype'.");
        string dtypeName = dtypeEl.GetString()!;
        TensorDType dtype = dtypeName switch
        {
            "F32" => TensorDType.F32,
            "F64" => TensorDType.F64,
            _ when OtherSpecDTypes.Contains(dtypeName) =>
                throw Bad(source, $"tensor '{name}': dtype {dtypeName} is not supported here (F32, F64)."),
            _ => throw Bad(source, $"tensor '{name}': unknown dtype '{dtypeName}' (supported: F32, F64)."),
        };

        if (!value.TryGetProperty("shape", out var shapeEl) || shapeEl.ValueKind != JsonValueKind.Array)
            throw Bad(source, $"tensor '{name}': missing 'shape' array.");
        var dims = new int[shapeEl.GetArrayLength()];
        long count = 1;
        int k = 0;
        foreach (var d in shapeEl.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw Bad(source, $"tensor '{name}': shape entry {d.GetRawText()} is not a non-negative integer.");
            if (v > int.MaxValue || (count = count * v) > int.MaxValue)
                throw Bad(source, $"tensor '{name}': shape {shapeEl.GetRawText()} has more than {int.MaxValue} elements.");
            dims[k++] = (int)v;
        }
        var shape = new Shape(dims);

        if (!value.TryGetProperty("data_offsets", out var offEl) || offEl.ValueKind != JsonValueKind.Array || offEl.GetArrayLength() != 2)
            throw Bad(source, $"tensor '{name}': 'data_offsets' must be an array [begin, end].");
        long begin = Offset(source, name, offEl[0]), end = Offset(source, name, offEl[1]);
        if (end < begin)
            throw Bad(source, $"tensor '{name}': data_offsets [{begin}, {end}] end before they begin.");
        long expected = count * SafeTensor.SizeOf(dtype);
        if (end - begin != expected)
            throw Bad(source, $"tensor '{name}': shape {shape} of {dtypeName} needs {count} × {SafeTensor.SizeOf(dtype)} = {expected} bytes, " +
                              $"but data_offsets [{begin}, {end}] span {end - begin}.");
        return (name, dtype, shape, begin, end);
    }

    private static long Offset(string source, string name, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
            throw Bad(source, $"tensor '{name}': data offset {e.GetRawText()} is not a non-negative integer.");
        return v;
    }

    /// <summary>The tensors must tile [0, dataLength) exactly: sorted by begin, each starts where the previous ended.</summary>
    private static void CheckLayout(string source, List<(string Name, TensorDType, Shape, long Begin, long End)> infos, long dataLength)
    {
        foreach (var t in infos)
            if (t.End > dataLength)
                throw Bad(source, $"tensor '{t.Name}': data_offsets [{t.Begin}, {t.End}] reach past the {dataLength}-byte data section (file truncated?).");
        var sorted = infos.OrderBy(i => i.Begin).ThenBy(i => i.End).ToList();
        long covered = 0;
        string? previous = null;
        foreach (var t in sorted)
        {
            if (t.Begin < covered)
                throw Bad(source, $"tensor '{t.Name}' at [{t.Begin}, {t.End}) overlaps tensor '{previous}', which ends at {covered}.");
            if (t.Begin > covered)
                throw Bad(source, $"bytes [{covered}, {t.Begin}) of the data section belong to no tensor (gap before '{t.Name}').");
            covered = t.End;
            previous = t.Name;
        }
        if (covered != dataLength)
            throw Bad(source, $"the data section has {dataLength} bytes but the tensors cover only [0, {covered}): {dataLength - covered} trailing bytes.");
    }

    private static CheckpointFormatException Bad(string source, string message) => new($"{source}: {message}");

    // ------------------------------------------------------------------ writing

    /// <summary>
    /// Writes <paramref name="tensors"/> and <paramref name="metadata"/> to <paramref name="path"/> atomically: into a
    /// temporary file in the same directory, flushed to disk, then renamed over the target, so a reader sees either
    /// the old file or the complete new one.
    /// </summary>
    public static void Write(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null) =>
        new SafeTensorsFile(tensors, metadata).Write(path);

    /// <summary>Writes this file to <paramref name="path"/> atomically (see <see cref="Write(string, IEnumerable{SafeTensor}, IReadOnlyDictionary{string, string}?)"/>).</summary>
    public void Write(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full) ?? throw new ArgumentException($"{path} has no directory.");
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                WriteTo(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>The file's bytes.</summary>
    public byte[] ToBytes()
    {
        using var ms = new MemoryStream();
        WriteTo(ms);
        return ms.ToArray();
    }

    /// <summary>
    /// Writes the format to a stream: metadata first, tensors in <see cref="Tensors"/> order, contiguous; the header is
    /// padded with spaces so that the data section starts at a multiple of 8 bytes (as the reference writer does).
    /// </summary>
    public void WriteTo(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        byte[] header = HeaderBytes();
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        stream.Write(len);
        stream.Write(header);
        foreach (var t in Tensors) stream.Write(t.Bytes);
    }

    private byte[] HeaderBytes()
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            if (Metadata.Count > 0)
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in Metadata.OrderBy(p => p.Key, StringComparer.Ordinal)) w.WriteString(k, v);
                w.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in Tensors)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", SafeTensor.DTypeName(t.DType));
                w.WriteStartArray("shape");
                foreach (int d in t.Shape.Dims) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += t.Bytes.Length;
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int pad = (int)((8 - (8 + ms.Length) % 8) % 8);
        for (int i = 0; i < pad; i++) ms.WriteByte((byte)' ');
        return ms.ToArray();
    }

    /// <inheritdoc />
    public override string ToString() => $"{Source}: {Tensors.Count} tensors, {Metadata.Count} metadata entries";

    /// <summary>The header as text (for diagnostics).</summary>
    public string HeaderText() => Encoding.UTF8.GetString(HeaderBytes()).TrimEnd(' ');
}
