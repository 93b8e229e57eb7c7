using System.Text;

namespace Tangent.Engine;

/// <summary>
/// The static shape of a tensor: row-major dimensions, rank 0 for a scalar. Immutable; equality is by dimensions.
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    private readonly int[]? _dims;

    /// <summary>Creates a shape, rejecting negative dimensions.</summary>
    public Shape(params ReadOnlySpan<int> dims)
    {
        foreach (int d in dims)
            if (d < 0) throw new ArgumentException($"shape {Format(dims)} has a negative dimension.");
        _dims = dims.Length == 0 ? null : dims.ToArray();
    }

    /// <summary>The scalar shape <c>[]</c>.</summary>
    public static Shape Scalar => default;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _dims?.Length ?? 0;

    /// <summary>Dimension <paramref name="axis"/> (negative counts from the end).</summary>
    public int this[int axis] => _dims![axis < 0 ? axis + Rank : axis];

    /// <summary>The dimensions.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Number of elements (1 for a scalar).</summary>
    public int Length
    {
        get
        {
            long n = 1;
            if (_dims != null) foreach (int d in _dims) n *= d;
            return checked((int)n);
        }
    }

    /// <summary>The dimensions <c>[start, start + count)</c> as a shape.</summary>
    public Shape Slice(int start, int count) => new(Dims.Slice(start, count));

    /// <summary>The first <paramref name="count"/> dimensions.</summary>
    public Shape Take(int count) => Slice(0, count);

    /// <summary>All but the first <paramref name="count"/> dimensions.</summary>
    public Shape Skip(int count) => Slice(count, Rank - count);

    /// <summary>Product of the dimensions <c>[start, start + count)</c>.</summary>
    public int Product(int start, int count)
    {
        long n = 1;
        for (int i = start; i < start + count; i++) n *= _dims![i];
        return checked((int)n);
    }

    /// <summary>This shape with <paramref name="lead"/> prepended.</summary>
    public Shape Prepend(Shape lead) => Concat(lead, this);

    /// <summary>The dimensions of <paramref name="a"/> followed by those of <paramref name="b"/>.</summary>
    public static Shape Concat(Shape a, Shape b)
    {
        var d = new int[a.Rank + b.Rank];
        a.Dims.CopyTo(d);
        b.Dims.CopyTo(d.AsSpan(a.Rank));
        return new Shape(d);
    }

    /// <summary>This shape with <paramref name="count"/> ones inserted at <paramref name="axis"/>.</summary>
    public Shape InsertOnes(int axis, int count)
    {
        if (count == 0) return this;
        var d = new int[Rank + count];
        Dims[..axis].CopyTo(d);
        for (int i = 0; i < count; i++) d[axis + i] = 1;
        Dims[axis..].CopyTo(d.AsSpan(axis + count));
        return new Shape(d);
    }

    /// <summary>Whether the last dimensions of this shape equal <paramref name="suffix"/>.</summary>
    public bool EndsWith(Shape suffix) => Rank >= suffix.Rank && Dims[(Rank - suffix.Rank)..].SequenceEqual(suffix.Dims);

    /// <summary>The dimensions as a new array.</summary>
    public int[] ToArray() => Dims.ToArray();

    /// <inheritdoc />
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (int d in Dims) h.Add(d);
        return h.ToHashCode();
    }

    /// <summary>Equality by dimensions.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    /// <summary>Inequality by dimensions.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>A shape from an array of dimensions.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);

    /// <inheritdoc />
    public override string ToString() => Format(Dims);

    private static string Format(ReadOnlySpan<int> dims)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < dims.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(dims[i]);
        }
        return sb.Append(']').ToString();
    }
}

/// <summary>Element type of a traced value: the plan's floating type, or 32-bit integers (labels, argmax indices).</summary>
public enum DType
{
    /// <summary>The floating-point type the tape is planned for (float or double).</summary>
    Float,
    /// <summary>32-bit integers.</summary>
    Int32,
}
