using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Tangent.Models.Data;

namespace Tangent.Models.Tests.Support;

/// <summary>
/// A minimal Level 5 MAT-file writer for tests, written from MathWorks' "MAT-File Format" document (independently of
/// the reader): 128-byte header, then one miMATRIX element per variable (array flags, dimensions, name, real part),
/// each optionally wrapped in an miCOMPRESSED zlib element; little- or big-endian; short names in the small-element
/// form as MATLAB writes them.
/// </summary>
public sealed class MatWriter(bool bigEndian = false)
{
    private readonly List<(string Name, MatClass Class, int[] Dims, MatDataType Storage, byte[] Data, bool Compress)> _vars = [];

    /// <summary>Adds a variable whose real part is <paramref name="values"/> (column-major) stored as <paramref name="storage"/>.</summary>
    public MatWriter Add(string name, MatClass cls, int[] dims, MatDataType storage, double[] values, bool? compress = null)
    {
        int size = storage switch
        {
            MatDataType.Int8 or MatDataType.UInt8 => 1,
            MatDataType.Int16 or MatDataType.UInt16 => 2,
            MatDataType.Int32 or MatDataType.UInt32 or MatDataType.Single => 4,
            _ => 8,
        };
        var data = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            var s = data.AsSpan(i * size);
            double v = values[i];
            switch (storage)
            {
                case MatDataType.Int8: s[0] = (byte)(sbyte)v; break;
                case MatDataType.UInt8: s[0] = (byte)v; break;
                case MatDataType.Int16: if (bigEndian) BinaryPrimitives.WriteInt16BigEndian(s, (short)v); else BinaryPrimitives.WriteInt16LittleEndian(s, (short)v); break;
                case MatDataType.UInt16: if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(s, (ushort)v); else BinaryPrimitives.WriteUInt16LittleEndian(s, (ushort)v); break;
                case MatDataType.Int32: if (bigEndian) BinaryPrimitives.WriteInt32BigEndian(s, (int)v); else BinaryPrimitives.WriteInt32LittleEndian(s, (int)v); break;
                case MatDataType.UInt32: if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(s, (uint)v); else BinaryPrimitives.WriteUInt32LittleEndian(s, (uint)v); break;
                case MatDataType.Single: if (bigEndian) BinaryPrimitives.WriteSingleBigEndian(s, (float)v); else BinaryPrimitives.WriteSingleLittleEndian(s, (float)v); break;
                case MatDataType.Double: if (bigEndian) BinaryPrimitives.WriteDoubleBigEndian(s, v); else BinaryPrimitives.WriteDoubleLittleEndian(s, v); break;
                case MatDataType.Int64: if (bigEndian) BinaryPrimitives.WriteInt64BigEndian(s, (long)v); else BinaryPrimitives.WriteInt64LittleEndian(s, (long)v); break;
                case MatDataType.UInt64: if (bigEndian) BinaryPrimitives.WriteUInt64BigEndian(s, (ulong)v); else BinaryPrimitives.WriteUInt64LittleEndian(s, (ulong)v); break;
                default: throw new ArgumentException($"storage {storage} is not numeric.");
            }
        }
        _vars.Add((name, cls, dims, storage, data, compress ?? false));
        return this;
    }

    /// <summary>Adds uint8 bytes stored as miUINT8 (SVHN's X).</summary>
    public MatWriter AddBytes(string name, int[] dims, byte[] values, bool? compress = null)
    {
        _vars.Add((name, MatClass.UInt8, dims, MatDataType.UInt8, values, compress ?? false));
        return this;
    }

    /// <summary>Adds a char array (stored as miUINT16), which readers of numeric data must skip.</summary>
    public MatWriter AddChars(string name, string text, bool? compress = null) =>
        Add(name, MatClass.Char, [1, text.Length], MatDataType.UInt16, text.Select(c => (double)c).ToArray(), compress);

    /// <summary>The file's bytes; <paramref name="compressAll"/> wraps every variable in miCOMPRESSED.</summary>
    public byte[] ToBytes(bool compressAll = false, string headerText = "MATLAB 5.0 MAT-file, Platform: GLNXA64, Created by: Tangent tests")
    {
        using var ms = new MemoryStream();
        var text = Encoding.ASCII.GetBytes(headerText.PadRight(116));
        ms.Write(text, 0, 116);
        ms.Write(new byte[8]);                                   // subsystem data offset: none
        ms.Write(bigEndian ? [0x01, 0x00] : [0x00, 0x01]);       // version 0x0100
        ms.Write(bigEndian ? "MI"u8 : "IM"u8);                    // 'M' 'I' as a 16-bit value in the file's byte order
        foreach (var v in _vars)
        {
            byte[] matrix = Element((int)MatDataType.Matrix, MatrixBody(v.Name, v.Class, v.Dims, v.Storage, v.Data));
            if (compressAll || v.Compress)
            {
                using var zms = new MemoryStream();
                using (var z = new ZLibStream(zms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(matrix);
                byte[] packed = zms.ToArray();
                ms.Write(Tag((int)MatDataType.Compressed, packed.Length));
                ms.Write(packed);                                  // miCOMPRESSED data is not padded
            }
            else ms.Write(matrix);
        }
        return ms.ToArray();
    }

    private byte[] MatrixBody(string name, MatClass cls, int[] dims, MatDataType storage, byte[] data)
    {
        using var ms = new MemoryStream();
        var flags = new byte[8];
        WriteU32(flags, (uint)cls);
        ms.Write(Element((int)MatDataType.UInt32, flags));
        var d = new byte[4 * dims.Length];
        for (int i = 0; i < dims.Length; i++) WriteU32(d.AsSpan(4 * i), (uint)dims[i]);
        ms.Write(Element((int)MatDataType.Int32, d));
        ms.Write(Element((int)MatDataType.Int8, Encoding.ASCII.GetBytes(name), allowSmall: true));
        ms.Write(Element((int)storage, data, allowSmall: true));
        return ms.ToArray();
    }

    /// <summary>A tagged element padded to 8 bytes; up to 4 data bytes in the small-element form when allowed.</summary>
    private byte[] Element(int type, byte[] data, bool allowSmall = false)
    {
        if (allowSmall && data.Length <= 4 && data.Length > 0)
        {
            var small = new byte[8];
            WriteU32(small, ((uint)data.Length << 16) | (uint)type);
            data.CopyTo(small, 4);
            return small;
        }
        int padded = (data.Length + 7) & ~7;
        var e = new byte[8 + padded];
        Tag(type, data.Length).CopyTo(e, 0);
        data.CopyTo(e, 8);
        return e;
    }

    private byte[] Tag(int type, int count)
    {
        var t = new byte[8];
        WriteU32(t, (uint)type);
        WriteU32(t.AsSpan(4), (uint)count);
        return t;
    }

    private void WriteU32(Span<byte> s, uint v)
    {
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(s, v);
        else BinaryPrimitives.WriteUInt32LittleEndian(s, v);
    }
}
