using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Tangent.Engine;

namespace Tangent.Models.Checkpoints;

/// <summary>Element types Tangent reads and writes in safetensors files (the spec's dtype strings).</summary>
public enum TensorDType
{
    /// <summary>IEEE-754 binary32, little-endian ("F32").</summary>
    F32,
    /// <summary>IEEE-754 binary64, little-endian ("F64").</summary>
    F64,
}

/// <summary>
/// One named tensor of a safetensors file: dtype, row-major shape and the raw little-endian bytes. Values can be read
/// back as float or double whatever the stored dtype (F64 → float rounds to nearest, and a finite value beyond
/// float's range is an error rather than ±∞; F32 → double is exact).
/// </summary>
public sealed class SafeTensor
{
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly string _source;

    private SafeTensor(string name, TensorDType dtype, Shape shape, ReadOnlyMemory<byte> bytes, string source = "(memory)")
    {
        Name = name;
        DType = dtype;
        Shape = shape;
        _bytes = bytes;
        _source = source;
    }

    /// <summary>Name (for parameters: the layout's name, e.g. <c>conv1.weight</c>).</summary>
    public string Name { get; }

    /// <summary>Stored element type.</summary>
    public TensorDType DType { get; }

    /// <summary>Row-major shape (rank 0 = a scalar of one element).</summary>
    public Shape Shape { get; }

    /// <summary>Number of elements.</summary>
    public int ElementCount => Shape.Length;

    /// <summary>The stored bytes, little-endian.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes.Span;

    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    public static int SizeOf(TensorDType dtype) => dtype == TensorDType.F32 ? 4 : 8;

    /// <summary>The spec's dtype string ("F32", "F64").</summary>
    public static string DTypeName(TensorDType dtype) => dtype == TensorDType.F32 ? "F32" : "F64";

    /// <summary>A float32 tensor holding a copy of <paramref name="values"/> (length must equal the shape's element count).</summary>
    public static SafeTensor FromSingles(string name, Shape shape, ReadOnlySpan<float> values)
    {
        CheckCount(name, shape, values.Length);
        var bytes = new byte[values.Length * sizeof(float)];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(values).CopyTo(bytes);
        else for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return new SafeTensor(name, TensorDType.F32, shape, bytes);
    }

    /// <summary>A float64 tensor holding a copy of <paramref name="values"/> (length must equal the shape's element count).</summary>
    public static SafeTensor FromDoubles(string name, Shape shape, ReadOnlySpan<double> values)
    {
        CheckCount(name, shape, values.Length);
        var bytes = new byte[values.Length * sizeof(double)];
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(values).CopyTo(bytes);
        else for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(8 * i), values[i]);
        return new SafeTensor(name, TensorDType.F64, shape, bytes);
    }

    /// <summary>A tensor of <typeparamref name="T"/> (float → F32, double → F64) holding a copy of <paramref name="values"/>.</summary>
    public static SafeTensor From<T>(string name, Shape shape, ReadOnlySpan<T> values) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return FromSingles(name, shape, MemoryMarshal.Cast<T, float>(values));
        if (typeof(T) == typeof(double)) return FromDoubles(name, shape, MemoryMarshal.Cast<T, double>(values));
        throw new NotSupportedException($"tensor '{name}': element type {typeof(T).Name} is not supported (float, double).");
    }

    /// <summary>A tensor over bytes already validated by the reader (no copy); <paramref name="source"/> names the file in errors.</summary>
    internal static SafeTensor Wrap(string name, TensorDType dtype, Shape shape, ReadOnlyMemory<byte> bytes, string source) =>
        new(name, dtype, shape, bytes, source);

    /// <summary>
    /// Writes the values into <paramref name="destination"/> (length = element count) as <typeparamref name="T"/>
    /// (float or double). An F64 value too large for float is a <see cref="CheckpointFormatException"/> naming the
    /// tensor and the element (±∞ and NaN stay what they are).
    /// </summary>
    public void CopyTo<T>(Span<T> destination) where T : unmanaged
    {
        if (destination.Length != ElementCount)
            throw new ArgumentException($"tensor '{Name}' has {ElementCount} elements; the destination has {destination.Length}.");
        var src = Bytes;
        if (typeof(T) == typeof(float))
        {
            var d = MemoryMarshal.Cast<T, float>(destination);
            if (DType == TensorDType.F32)
            {
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(src).CopyTo(d);
                else for (int i = 0; i < d.Length; i++) d[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
            }
            else
            {
                CheckConvertible<T>();
                for (int i = 0; i < d.Length; i++) d[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
            }
        }
        else if (typeof(T) == typeof(double))
        {
            var d = MemoryMarshal.Cast<T, double>(destination);
            if (DType == TensorDType.F64)
            {
                if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, double>(src).CopyTo(d);
                else for (int i = 0; i < d.Length; i++) d[i] = BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
            }
            else for (int i = 0; i < d.Length; i++) d[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
        }
        else throw new NotSupportedException($"tensor '{Name}': element type {typeof(T).Name} is not supported (float, double).");
    }

    /// <summary>
    /// Throws a <see cref="CheckpointFormatException"/> naming the tensor and the element when a finite F64 value
    /// rounds to ±∞ as <typeparamref name="T"/> (float); nothing else can fail to convert.
    /// </summary>
    internal void CheckConvertible<T>() where T : unmanaged
    {
        if (typeof(T) != typeof(float) || DType != TensorDType.F64) return;
        var src = Bytes;
        for (int i = 0; i < ElementCount; i++)
        {
            double v = BinaryPrimitives.ReadDoubleLittleEndian(src[(8 * i)..]);
            if (double.IsFinite(v) && float.IsInfinity((float)v))
                throw new CheckpointFormatException(
                    $"{_source}: tensor '{Name}': element {i} = {v:R} (F64) is beyond float32's range (±{float.MaxValue:R}).");
        }
    }

    /// <summary>The values as a new float array.</summary>
    public float[] ToSingleArray()
    {
        var a = new float[ElementCount];
        CopyTo<float>(a);
        return a;
    }

    /// <summary>The values as a new double array.</summary>
    public double[] ToDoubleArray()
    {
        var a = new double[ElementCount];
        CopyTo<double>(a);
        return a;
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {DTypeName(DType)} {Shape}";

    private static void CheckCount(string name, Shape shape, int count)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (shape.Length != count)
            throw new ArgumentException($"tensor '{name}': shape {shape} has {shape.Length} elements but {count} values were given.");
    }
}
