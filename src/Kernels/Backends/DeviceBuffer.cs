namespace Tangent.Kernels.Backends;

/// <summary>
/// A contiguous block of elements owned by one <see cref="Backend"/>. Host code reads and writes it only
/// through <see cref="CopyFrom"/> and <see cref="CopyTo"/>; kernels receive it as a <see cref="BufferView{T}"/>.
/// </summary>
/// <typeparam name="T">Element type: <see cref="float"/>, <see cref="double"/> or <see cref="int"/>.</typeparam>
public abstract class DeviceBuffer<T> : IDisposable where T : unmanaged
{
    /// <summary>Creates the bookkeeping for a buffer of <paramref name="length"/> elements on <paramref name="backend"/>.</summary>
    protected DeviceBuffer(Backend backend, int length)
    {
        Backend = backend;
        Length = length;
    }

    /// <summary>The backend that owns the memory.</summary>
    public Backend Backend { get; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>The whole buffer as a view.</summary>
    public BufferView<T> View => new(this, 0, Length);

    /// <summary>A view of <paramref name="length"/> elements starting at <paramref name="offset"/>.</summary>
    public BufferView<T> Slice(int offset, int length) => View.Slice(offset, length);

    /// <summary>Copies host data into the buffer starting at element <paramref name="offset"/>.</summary>
    public void CopyFrom(ReadOnlySpan<T> source, int offset = 0)
    {
        CheckRange(offset, source.Length, nameof(CopyFrom));
        CopyFromCore(source, offset);
    }

    /// <summary>Copies elements starting at <paramref name="offset"/> into host memory (waits for pending kernels).</summary>
    public void CopyTo(Span<T> destination, int offset = 0)
    {
        CheckRange(offset, destination.Length, nameof(CopyTo));
        CopyToCore(destination, offset);
    }

    /// <summary>Copies the whole buffer into a new host array.</summary>
    public T[] ToArray()
    {
        var a = new T[Length];
        CopyTo(a);
        return a;
    }

    /// <summary>Backend-specific host-to-device copy; arguments are already validated.</summary>
    protected abstract void CopyFromCore(ReadOnlySpan<T> source, int offset);

    /// <summary>Backend-specific device-to-host copy; arguments are already validated.</summary>
    protected abstract void CopyToCore(Span<T> destination, int offset);

    /// <summary>Releases backend memory.</summary>
    protected abstract void Release();

    /// <inheritdoc />
    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    private void CheckRange(int offset, int count, string op)
    {
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        if (offset < 0 || count < 0 || (long)offset + count > Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"{op}: range [{offset}, {(long)offset + count}) is outside a buffer of {Length} elements.");
    }
}

/// <summary>A window <c>[Offset, Offset + Length)</c> of a <see cref="DeviceBuffer{T}"/>; what kernels take.</summary>
/// <typeparam name="T">Element type.</typeparam>
public readonly struct BufferView<T> where T : unmanaged
{
    /// <summary>Creates a view, checking that it lies inside the buffer.</summary>
    public BufferView(DeviceBuffer<T> buffer, int offset, int length)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        if (offset < 0 || length < 0 || (long)offset + length > buffer.Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"view [{offset}, {(long)offset + length}) is outside a buffer of {buffer.Length} elements.");
        Buffer = buffer;
        Offset = offset;
        Length = length;
    }

    /// <summary>The underlying buffer.</summary>
    public DeviceBuffer<T> Buffer { get; }

    /// <summary>First element of the view inside <see cref="Buffer"/>.</summary>
    public int Offset { get; }

    /// <summary>Number of elements in the view.</summary>
    public int Length { get; }

    /// <summary>Whether this view refers to no buffer (the default value).</summary>
    public bool IsNull => Buffer is null;

    /// <summary>A sub-view relative to this one.</summary>
    public BufferView<T> Slice(int offset, int length)
    {
        if (offset < 0 || length < 0 || (long)offset + length > Length)
            throw new ArgumentOutOfRangeException(nameof(offset),
                $"slice [{offset}, {(long)offset + length}) is outside a view of {Length} elements.");
        return new BufferView<T>(Buffer, Offset + offset, length);
    }

    /// <summary>A view of the whole buffer.</summary>
    public static implicit operator BufferView<T>(DeviceBuffer<T> buffer) => buffer.View;

    /// <inheritdoc />
    public override string ToString() => $"view[{Offset}..{Offset + Length}) of {typeof(T).Name}[{Buffer?.Length}]";
}
