using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Tangent.Models.Data;

/// <summary>MATLAB array classes (the <c>mxCLASS</c> codes of the MAT-file format).</summary>
public enum MatClass
{
    /// <summary>Cell array.</summary>
    Cell = 1,
    /// <summary>Structure.</summary>
    Struct = 2,
    /// <summary>Object.</summary>
    Object = 3,
    /// <summary>Character array.</summary>
    Char = 4,
    /// <summary>Sparse matrix.</summary>
    Sparse = 5,
    /// <summary>double.</summary>
    Double = 6,
    /// <summary>single.</summary>
    Single = 7,
    /// <summary>int8.</summary>
    Int8 = 8,
    /// <summary>uint8.</summary>
    UInt8 = 9,
    /// <summary>int16.</summary>
    Int16 = 10,
    /// <summary>uint16.</summary>
    UInt16 = 11,
    /// <summary>int32.</summary>
    Int32 = 12,
    /// <summary>uint32.</summary>
    UInt32 = 13,
    /// <summary>int64.</summary>
    Int64 = 14,
    /// <summary>uint64.</summary>
    UInt64 = 15,
}

/// <summary>MAT-file v5 data element types (<c>miINT8</c> …); the storage type of a numeric array may be narrower than its class.</summary>
public enum MatDataType
{
    /// <summary>miINT8.</summary>
    Int8 = 1,
    /// <summary>miUINT8.</summary>
    UInt8 = 2,
    /// <summary>miINT16.</summary>
    Int16 = 3,
    /// <summary>miUINT16.</summary>
    UInt16 = 4,
    /// <summary>miINT32.</summary>
    Int32 = 5,
    /// <summary>miUINT32.</summary>
    UInt32 = 6,
    /// <summary>miSINGLE.</summary>
    Single = 7,
    /// <summary>miDOUBLE.</summary>
    Double = 9,
    /// <summary>miINT64.</summary>
    Int64 = 12,
    /// <summary>miUINT64.</summary>
    UInt64 = 13,
    /// <summary>miMATRIX: an array (flags, dimensions, name, data sub-elements).</summary>
    Matrix = 14,
    /// <summary>miCOMPRESSED: a zlib stream holding further elements.</summary>
    Compressed = 15,
    /// <summary>miUTF8.</summary>
    Utf8 = 16,
    /// <summary>miUTF16.</summary>
    Utf16 = 17,
    /// <summary>miUTF32.</summary>
    Utf32 = 18,
}

/// <summary>
/// One variable of a MAT-file: its class, dimensions (MATLAB order, column-major data) and, for real numeric
/// arrays, the stored bytes of the real part in their storage type and the file's byte order.
/// </summary>
public sealed class MatArray
{
    internal MatArray(string source, string name, MatClass @class, int[] dimensions, bool isComplex, MatDataType storage,
        ReadOnlyMemory<byte> data, bool bigEndian)
    {
        Source = source;
        Name = name;
        Class = @class;
        Dimensions = dimensions;
        IsComplex = isComplex;
        StorageType = storage;
        _data = data;
        _bigEndian = bigEndian;
    }

    private readonly ReadOnlyMemory<byte> _data;
    private readonly bool _bigEndian;

    /// <summary>The file it came from.</summary>
    public string Source { get; }

    /// <summary>Variable name.</summary>
    public string Name { get; }

    /// <summary>MATLAB class.</summary>
    public MatClass Class { get; }

    /// <summary>Dimensions in MATLAB order (at least two).</summary>
    public IReadOnlyList<int> Dimensions { get; }

    /// <summary>Whether the array has an imaginary part (not loaded).</summary>
    public bool IsComplex { get; }

    /// <summary>Whether this is a numeric array whose values can be read.</summary>
    public bool IsNumeric => Class >= MatClass.Double && Class <= MatClass.UInt64;

    /// <summary>How the real part is stored (meaningful for numeric arrays).</summary>
    public MatDataType StorageType { get; }

    /// <summary>Number of elements: the product of the dimensions.</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in Dimensions) n *= d;
            return n;
        }
    }

    /// <summary>The stored bytes when they are unsigned 8-bit values (no conversion needed); else an error.</summary>
    public ReadOnlySpan<byte> UInt8Data
    {
        get
        {
            RequireReal();
            if (StorageType != MatDataType.UInt8)
                throw new DataFormatException($"{Source}: variable '{Name}' is stored as mi{StorageType.ToString().ToUpperInvariant()}, not as unsigned bytes.");
            return _data.Span;
        }
    }

    /// <summary>The values in column-major order, converted to double.</summary>
    public double[] ToDoubleArray()
    {
        RequireReal();
        var s = _data.Span;
        long count = ElementCount;
        var v = new double[count];
        bool be = _bigEndian;
        for (int i = 0; i < v.Length; i++)
            v[i] = StorageType switch
            {
                MatDataType.Int8 => (sbyte)s[i],
                MatDataType.UInt8 => s[i],
                MatDataType.Int16 => be ? BinaryPrimitives.ReadInt16BigEndian(s[(2 * i)..]) : BinaryPrimitives.ReadInt16LittleEndian(s[(2 * i)..]),
                MatDataType.UInt16 => be ? BinaryPrimitives.ReadUInt16BigEndian(s[(2 * i)..]) : BinaryPrimitives.ReadUInt16LittleEndian(s[(2 * i)..]),
                MatDataType.Int32 => be ? BinaryPrimitives.ReadInt32BigEndian(s[(4 * i)..]) : BinaryPrimitives.ReadInt32LittleEndian(s[(4 * i)..]),
                MatDataType.UInt32 => be ? BinaryPrimitives.ReadUInt32BigEndian(s[(4 * i)..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[(4 * i)..]),
                MatDataType.Single => be ? BinaryPrimitives.ReadSingleBigEndian(s[(4 * i)..]) : BinaryPrimitives.ReadSingleLittleEndian(s[(4 * i)..]),
                MatDataType.Double => be ? BinaryPrimitives.ReadDoubleBigEndian(s[(8 * i)..]) : BinaryPrimitives.ReadDoubleLittleEndian(s[(8 * i)..]),
                MatDataType.Int64 => be ? BinaryPrimitives.ReadInt64BigEndian(s[(8 * i)..]) : BinaryPrimitives.ReadInt64LittleEndian(s[(8 * i)..]),
                MatDataType.UInt64 => be ? BinaryPrimitives.ReadUInt64BigEndian(s[(8 * i)..]) : BinaryPrimitives.ReadUInt64LittleEndian(s[(8 * i)..]),
                _ => throw new DataFormatException($"{Source}: variable '{Name}' has storage type {StorageType}."),
            };
        return v;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Class} [{string.Join("×", Dimensions)}]{(IsComplex ? " complex" : "")}";

    private void RequireReal()
    {
        if (!IsNumeric) throw new DataFormatException($"{Source}: variable '{Name}' is a {Class} array, not a numeric one.");
        if (IsComplex) throw new DataFormatException($"{Source}: variable '{Name}' is complex; only real arrays are supported.");
    }
}

/// <summary>
/// Reader for MATLAB's Level 5 MAT-file format (MATLAB 5 – 7.x; what <c>save -v7</c> and SciPy's <c>savemat</c>
/// write; not the HDF5-based v7.3). Layout: a 128-byte header (116 bytes of text starting "MATLAB 5.0 MAT-file", 8
/// bytes of subsystem offset, version 0x0100, and the endian indicator "IM" for little-endian / "MI" for big), then
/// data elements, each an 8-byte tag (uint32 type, uint32 byte count) or a 4-byte "small element" tag (byte count
/// in the upper 16 bits) and its data padded to 8 bytes. A variable is an miMATRIX element holding sub-elements:
/// array flags (class in the low byte, complex bit 0x800), dimensions (int32), name (int8), real part, imaginary
/// part. miCOMPRESSED elements hold a zlib stream that inflates to further elements; they are not padded.
/// </summary>
public sealed class MatFile
{
    private readonly Dictionary<string, MatArray> _variables;

    private MatFile(string source, string headerText, bool bigEndian, Dictionary<string, MatArray> variables)
    {
        Source = source;
        HeaderText = headerText;
        BigEndian = bigEndian;
        _variables = variables;
    }

    /// <summary>The file read.</summary>
    public string Source { get; }

    /// <summary>The descriptive text of the header (trailing spaces and NULs removed).</summary>
    public string HeaderText { get; }

    /// <summary>Whether the file was written big-endian ("MI").</summary>
    public bool BigEndian { get; }

    /// <summary>The variables by name, in file order.</summary>
    public IReadOnlyCollection<MatArray> Variables => _variables.Values;

    /// <summary>The variable called <paramref name="name"/>; a missing one is an error listing the file's variables.</summary>
    public MatArray this[string name] => _variables.TryGetValue(name, out var a) ? a
        : throw new DataFormatException($"{Source} has no variable '{name}' (variables: {(_variables.Count == 0 ? "none" : string.Join(", ", _variables.Keys))}).");

    /// <summary>Reads and parses a MAT-file.</summary>
    public static MatFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path} does not exist.", path);
        return Parse(File.ReadAllBytes(path), path);
    }

    /// <summary>Parses a whole MAT-file held in <paramref name="bytes"/>; <paramref name="source"/> names it in errors.</summary>
    public static MatFile Parse(byte[] bytes, string source = "(memory)")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (bytes.Length < 128)
            throw new DataFormatException($"{source}: {bytes.Length} bytes is too short for the 128-byte MAT-file header.");
        string text = Encoding.ASCII.GetString(bytes, 0, 116).TrimEnd('\0', ' ');
        if (text.StartsWith("MATLAB 7.3", StringComparison.Ordinal))
            throw new DataFormatException($"{source} is a MATLAB 7.3 (HDF5) file; only Level 5 MAT-files are supported (re-save it with save -v7).");
        if (!text.StartsWith("MATLAB", StringComparison.Ordinal))
            throw new DataFormatException($"{source}: the header does not start with 'MATLAB' (found '{Printable(text[..Math.Min(20, text.Length)])}'): not a Level 5 MAT-file.");
        bool bigEndian = (bytes[126], bytes[127]) switch
        {
            ((byte)'I', (byte)'M') => false,
            ((byte)'M', (byte)'I') => true,
            var (a, b) => throw new DataFormatException($"{source}: endian indicator 0x{a:X2}{b:X2} is neither 'IM' nor 'MI'."),
        };
        var r = new Reader(source, bigEndian);
        int version = r.U16(bytes, 124);
        if (version != 0x0100)
            throw new DataFormatException($"{source}: MAT-file version 0x{version:X4} is not 0x0100.");
        var variables = new Dictionary<string, MatArray>(StringComparer.Ordinal);
        r.ReadElements(bytes, 128, bytes.Length - 128, variables, "");
        return new MatFile(source, text, bigEndian, variables);
    }

    private static string Printable(string s) => new(s.Select(c => c >= ' ' && c < 127 ? c : '?').ToArray());

    /// <summary>Element parsing with the file's byte order.</summary>
    private readonly struct Reader(string source, bool bigEndian)
    {
        public int U16(ReadOnlySpan<byte> s, int at) => bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s[at..]) : BinaryPrimitives.ReadUInt16LittleEndian(s[at..]);

        public uint U32(ReadOnlySpan<byte> s, int at) => bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s[at..]) : BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);

        public int I32(ReadOnlySpan<byte> s, int at) => bigEndian ? BinaryPrimitives.ReadInt32BigEndian(s[at..]) : BinaryPrimitives.ReadInt32LittleEndian(s[at..]);

        /// <summary>
        /// Reads the tag at <paramref name="at"/> (relative to a region of <paramref name="length"/> bytes starting at
        /// <paramref name="origin"/>): returns the type, data offset and byte count, and the offset of the next element.
        /// </summary>
        public (int Type, int Data, int Count, int Next) Tag(byte[] bytes, int origin, int length, int at, string where)
        {
            if (length - at < 8)
                throw new DataFormatException($"{source}: {where}truncated element tag at byte {at} ({length - at} bytes left, 8 needed).");
            uint first = U32(bytes, origin + at);
            if ((first >> 16) != 0)
            {
                // Small data element: type in the low 16 bits, byte count (≤ 4) in the high 16, data in the next 4 bytes.
                int small = (int)(first >> 16);
                if (small > 4)
                    throw new DataFormatException($"{source}: {where}small element at byte {at} claims {small} bytes (at most 4 fit).");
                return ((int)(first & 0xFFFF), at + 4, small, at + 8);
            }
            uint count = U32(bytes, origin + at + 4);
            long end = at + 8L + count;
            if (end > length)
                throw new DataFormatException(
                    $"{source}: {where}element of type {first} at byte {at} declares {count} bytes but only {length - at - 8} remain (file truncated?).");
            // Padding to 8 bytes is relative to the element's start (a compressed element may leave the next one
            // unaligned in the file); miCOMPRESSED data is not padded at all.
            long next = first == (uint)MatDataType.Compressed ? end : at + 8L + ((count + 7L) & ~7L);
            return ((int)first, at + 8, (int)count, (int)Math.Min(next, length));
        }

        /// <summary>Parses top-level elements (miMATRIX, miCOMPRESSED) in bytes[origin .. origin + length).</summary>
        public void ReadElements(byte[] bytes, int origin, int length, Dictionary<string, MatArray> variables, string where)
        {
            int at = 0;
            while (at < length)
            {
                // Trailing zero padding after the last element is harmless.
                if (length - at < 8 && bytes.AsSpan(origin + at, length - at).IndexOfAnyExcept((byte)0) < 0) break;
                var (type, data, count, next) = Tag(bytes, origin, length, at, where);
                if (type == (int)MatDataType.Compressed)
                {
                    byte[] inflated = Inflate(bytes, origin + data, count, $"{where}compressed element at byte {at}");
                    ReadElements(inflated, 0, inflated.Length, variables, $"{where}compressed element at byte {at}: ");
                }
                else if (type == (int)MatDataType.Matrix)
                {
                    var a = Matrix(bytes, origin + data, count, $"{where}matrix at byte {at}: ");
                    if (a is not null && !variables.TryAdd(a.Name, a))
                        throw new DataFormatException($"{source}: {where}variable '{a.Name}' appears twice.");
                }
                else
                    throw new DataFormatException($"{source}: {where}top-level element at byte {at} has type {type}; expected miMATRIX (14) or miCOMPRESSED (15).");
                at = next;
            }
        }

        /// <summary>The zlib stream of a compressed element, inflated to at most <see cref="IdxReader.MaxInflatedBytes"/>.</summary>
        private byte[] Inflate(byte[] bytes, int at, int count, string where)
        {
            byte[] inflated;
            try
            {
                using var z = new ZLibStream(new MemoryStream(bytes, at, count, writable: false), CompressionMode.Decompress);
                inflated = IdxReader.ReadUpTo(z, IdxReader.MaxInflatedBytes + 1);
            }
            catch (InvalidDataException e)
            {
                throw new DataFormatException($"{source}: {where}: the zlib stream is corrupt ({e.Message}).");
            }
            if (inflated.Length > IdxReader.MaxInflatedBytes)
                throw new DataFormatException($"{source}: {where} inflates to more than {IdxReader.MaxInflatedBytes} bytes (the limit for a data file here).");
            return inflated;
        }

        /// <summary>Parses an miMATRIX body; null for an empty element (count 0).</summary>
        private MatArray? Matrix(byte[] bytes, int origin, int length, string where)
        {
            if (length == 0) return null;
            var (ft, fd, fc, fn) = Tag(bytes, origin, length, 0, where);
            if (ft != (int)MatDataType.UInt32 || fc != 8)
                throw new DataFormatException($"{source}: {where}array flags must be 8 bytes of miUINT32, found type {ft} with {fc} bytes.");
            uint flags = U32(bytes, origin + fd);
            int cls = (int)(flags & 0xFF);
            bool complex = (flags & 0x800) != 0;
            if (cls < 1 || cls > 15)
                throw new DataFormatException($"{source}: {where}unknown array class {cls}.");

            var (dt, dd, dc, dn) = Tag(bytes, origin, length, fn, where);
            if (dt != (int)MatDataType.Int32 || dc % 4 != 0 || dc < 8)
                throw new DataFormatException($"{source}: {where}dimensions must be at least two miINT32 values, found type {dt} with {dc} bytes.");
            var dims = new int[dc / 4];
            long elements = 1;
            for (int i = 0; i < dims.Length; i++)
            {
                dims[i] = I32(bytes, origin + dd + 4 * i);
                if (dims[i] < 0) throw new DataFormatException($"{source}: {where}dimension {i} is negative ({dims[i]}).");
                // Saturated at 2³¹ (more than any element holds): each factor is below 2³¹, so no step can overflow.
                elements = Math.Min(elements * dims[i], 1L << 31);
            }
            if (elements > int.MaxValue)
                throw new DataFormatException($"{source}: {where}dimensions [{string.Join("×", dims)}] have more than {int.MaxValue} elements.");

            var (nt, nd, nc, nn) = Tag(bytes, origin, length, dn, where);
            if (nt != (int)MatDataType.Int8 && nt != (int)MatDataType.UInt8 && nt != (int)MatDataType.Utf8)
                throw new DataFormatException($"{source}: {where}array name has element type {nt}, expected miINT8.");
            string name = Encoding.UTF8.GetString(bytes, origin + nd, nc);
            var cl = (MatClass)cls;
            string w = $"{where}variable '{name}': ";
            if (cl < MatClass.Double || cl > MatClass.UInt64)
                return new MatArray(source, name, cl, dims, complex, 0, ReadOnlyMemory<byte>.Empty, bigEndian);

            var (rt, rd, rc, _) = Tag(bytes, origin, length, nn, w);
            int size = rt switch
            {
                1 or 2 => 1,
                3 or 4 => 2,
                5 or 6 or 7 => 4,
                9 or 12 or 13 => 8,
                _ => throw new DataFormatException($"{source}: {w}real part has element type {rt}, not a numeric type."),
            };
            if (elements * size != rc)
                throw new DataFormatException(
                    $"{source}: {w}dimensions [{string.Join("×", dims)}] need {elements} × {size} = {elements * size} bytes of type {rt}, the real part has {rc}.");
            return new MatArray(source, name, cl, dims, complex, (MatDataType)rt, bytes.AsMemory(origin + rd, rc), bigEndian);
        }
    }
}
