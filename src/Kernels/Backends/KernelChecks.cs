namespace Tangent.Kernels.Backends;

/// <summary>Argument checks shared by the backends' elementwise, reduction and softmax families.</summary>
internal static class KernelChecks
{
    /// <summary>Throws unless both views are set and have the same length (the message names both).</summary>
    public static void SameLength<T>(string kernel, string nameA, BufferView<T> a, string nameB, BufferView<T> b) where T : unmanaged
    {
        if (a.IsNull) throw new ArgumentException($"{kernel}: {nameA} is not set.");
        if (b.IsNull) throw new ArgumentException($"{kernel}: {nameB} is not set.");
        if (a.Length != b.Length)
            throw new ArgumentException($"{kernel}: {nameA} has {a.Length} elements but {nameB} has {b.Length}; they must be equal.");
    }

    /// <summary>Throws when two views share elements of one buffer (for kernels whose output must not alias an input).</summary>
    public static void Disjoint<T>(string kernel, string nameA, BufferView<T> a, string nameB, BufferView<T> b) where T : unmanaged
    {
        if (ReferenceEquals(a.Buffer, b.Buffer) && a.Length > 0 && b.Length > 0 && a.Offset < b.Offset + b.Length && b.Offset < a.Offset + a.Length)
            throw new ArgumentException($"{kernel}: {nameA} ({a}) and {nameB} ({b}) overlap; the output must not alias an input.");
    }

    /// <summary>Throws on a negative dimension of an [outer, axis, inner] view.</summary>
    public static void ReduceShape(string kernel, int outer, int axis, int inner)
    {
        if (outer < 0 || axis < 0 || inner < 0)
            throw new ArgumentException($"{kernel}: shape [outer={outer}, axis={axis}, inner={inner}] has a negative dimension.");
    }

    /// <summary>Throws on a negative dimension or on rows of zero columns.</summary>
    public static void Rows(string kernel, int rows, int cols)
    {
        if (rows < 0 || cols < 0) throw new ArgumentException($"{kernel}: shape [{rows}, {cols}] has a negative dimension.");
        if (cols == 0 && rows > 0) throw new ArgumentException($"{kernel}: rows of 0 columns have no softmax.");
    }
}
