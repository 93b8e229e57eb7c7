using System.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>
/// Base class for the operators in this namespace: argument checks, the default batched forms (a loop over the
/// vectors; operators with a cheaper batched product override them), and scratch buffers that are allocated on
/// first use and reused afterwards, so that repeated products allocate nothing. Disposing releases the scratch
/// only; operands passed to a constructor stay owned by the caller.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public abstract class LinearOperator<T> : ILinearOperator<T>, IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<DeviceBuffer<T>> _scratch = [];

    /// <summary>Records the shape and device of the operator.</summary>
    protected LinearOperator(Backend backend, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (rows <= 0 || columns <= 0)
            throw new ArgumentException($"linear operator: dimensions must be positive ({rows}×{columns}).");
        Backend = backend;
        Rows = rows;
        Columns = columns;
    }

    /// <inheritdoc />
    public int Rows { get; }

    /// <inheritdoc />
    public int Columns { get; }

    /// <inheritdoc />
    public Backend Backend { get; }

    /// <inheritdoc />
    public void Apply(BufferView<T> x, BufferView<T> y)
    {
        Require(nameof(Apply), "x", x, Columns);
        Require(nameof(Apply), "y", y, Rows);
        ApplyCore(x.Slice(0, Columns), y.Slice(0, Rows));
    }

    /// <inheritdoc />
    public void ApplyTranspose(BufferView<T> y, BufferView<T> x)
    {
        Require(nameof(ApplyTranspose), "y", y, Rows);
        Require(nameof(ApplyTranspose), "x", x, Columns);
        ApplyTransposeCore(y.Slice(0, Rows), x.Slice(0, Columns));
    }

    /// <inheritdoc />
    public void ApplyMany(BufferView<T> x, BufferView<T> y, int count)
    {
        RequireCount(nameof(ApplyMany), count);
        Require(nameof(ApplyMany), "X", x, (long)count * Columns);
        Require(nameof(ApplyMany), "Y", y, (long)count * Rows);
        ApplyManyCore(x.Slice(0, count * Columns), y.Slice(0, count * Rows), count);
    }

    /// <inheritdoc />
    public void ApplyTransposeMany(BufferView<T> y, BufferView<T> x, int count)
    {
        RequireCount(nameof(ApplyTransposeMany), count);
        Require(nameof(ApplyTransposeMany), "Y", y, (long)count * Rows);
        Require(nameof(ApplyTransposeMany), "X", x, (long)count * Columns);
        ApplyTransposeManyCore(y.Slice(0, count * Rows), x.Slice(0, count * Columns), count);
    }

    /// <summary>y ← A x on views of exactly the right lengths.</summary>
    protected abstract void ApplyCore(BufferView<T> x, BufferView<T> y);

    /// <summary>x ← Aᵀ y on views of exactly the right lengths.</summary>
    protected abstract void ApplyTransposeCore(BufferView<T> y, BufferView<T> x);

    /// <summary>Batched product; the default loops over <see cref="ApplyCore"/>.</summary>
    protected virtual void ApplyManyCore(BufferView<T> x, BufferView<T> y, int count)
    {
        for (int i = 0; i < count; i++)
            ApplyCore(x.Slice(i * Columns, Columns), y.Slice(i * Rows, Rows));
    }

    /// <summary>Batched transposed product; the default loops over <see cref="ApplyTransposeCore"/>.</summary>
    protected virtual void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count)
    {
        for (int i = 0; i < count; i++)
            ApplyTransposeCore(y.Slice(i * Rows, Rows), x.Slice(i * Columns, Columns));
    }

    /// <summary>
    /// A scratch view of <paramref name="length"/> elements in slot <paramref name="slot"/>, reallocated only when a
    /// longer one is asked for (so a steady state of equal requests allocates nothing).
    /// </summary>
    protected BufferView<T> Scratch(int slot, int length)
    {
        while (_scratch.Count <= slot) _scratch.Add(null!);
        var b = _scratch[slot];
        if (b is null || b.Length < length)
        {
            b?.Dispose();
            b = Backend.Allocate<T>(length);
            _scratch[slot] = b;
        }
        return b.Slice(0, length);
    }

    /// <summary>Releases the scratch buffers.</summary>
    public void Dispose()
    {
        foreach (var b in _scratch) b?.Dispose();
        _scratch.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>Throws unless <paramref name="other"/> lives on this operator's backend.</summary>
    protected void RequireSameBackend(ILinearOperator<T> other, string what)
    {
        if (!ReferenceEquals(other.Backend, Backend))
            throw new ArgumentException($"{GetType().Name}: {what} lives on {other.Backend.Info.Name}, not on {Backend.Info.Name}.");
    }

    private void Require(string method, string name, BufferView<T> view, long needed)
    {
        if (view.IsNull)
            throw new ArgumentException($"{GetType().Name}.{method}: {name} is not set.");
        if (view.Length < needed)
            throw new ArgumentException($"{GetType().Name}.{method}: {name} has {view.Length} elements, {needed} needed ({Rows}×{Columns} operator).");
        if (!ReferenceEquals(view.Buffer.Backend, Backend))
            throw new ArgumentException($"{GetType().Name}.{method}: {name} lives on {view.Buffer.Backend.Info.Name}, not on {Backend.Info.Name}.");
    }

    private void RequireCount(string method, int count)
    {
        if (count <= 0)
            throw new ArgumentOutOfRangeException(nameof(count), $"{GetType().Name}.{method}: count {count} must be positive.");
    }
}
