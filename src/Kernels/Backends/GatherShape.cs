namespace Tangent.Kernels.Backends;

/// <summary>Argument checks of <see cref="Backend.GatherRows{T}"/> and <see cref="Backend.ScatterAddRows{T}"/>, shared by every backend.</summary>
internal static class GatherShape
{
    /// <summary>
    /// Validates views and returns (rows of the indexed tensor, number of indices). The indexed tensor is src for a
    /// gather and dst for a scatter; the other one must hold indices.Length rows.
    /// </summary>
    public static (int IndexedRows, int Count) Validate<T>(string kernel, BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst, bool gather)
        where T : unmanaged
    {
        if (cols < 0) throw new ArgumentException($"{kernel}: cols is {cols}; it must not be negative.");
        if (src.IsNull) throw new ArgumentException($"{kernel}: src is not set.");
        if (dst.IsNull) throw new ArgumentException($"{kernel}: dst is not set.");
        if (indices.IsNull) throw new ArgumentException($"{kernel}: indices is not set.");
        int count = indices.Length;
        var (dense, denseName, indexed, indexedName) = gather ? (dst, "dst", src, "src") : (src, "src", dst, "dst");
        long needed = (long)count * cols;
        if (dense.Length < needed)
            throw new ArgumentException($"{kernel}: {denseName} has {dense.Length} elements, {needed} needed ({count} rows of {cols}).");
        if (cols > 0 && indexed.Length % cols != 0)
            throw new ArgumentException($"{kernel}: {indexedName} has {indexed.Length} elements, not a whole number of rows of {cols}.");
        return (cols == 0 ? 0 : indexed.Length / cols, count);
    }

    /// <summary>Throws naming the first index outside [0, <paramref name="rows"/>) and its position.</summary>
    public static void CheckIndices(string kernel, ReadOnlySpan<int> indices, int rows, string indexedName)
    {
        for (int i = 0; i < indices.Length; i++)
            if ((uint)indices[i] >= (uint)rows)
                throw new ArgumentOutOfRangeException(nameof(indices),
                    $"{kernel}: indices[{i}] = {indices[i]} is outside [0, {rows}) (the rows of {indexedName}).");
    }
}
