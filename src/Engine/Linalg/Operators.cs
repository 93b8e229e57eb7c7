using System.Numerics;
using System.Runtime.CompilerServices;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Engine.Linalg;

/// <summary>A vector map input → output on device views (the "matvec" closure of matfree).</summary>
public delegate void VectorMap<T>(BufferView<T> input, BufferView<T> output) where T : unmanaged;

/// <summary>A map of <c>count</c> stacked vectors, input [count, n] → output [count, m].</summary>
public delegate void BatchedVectorMap<T>(BufferView<T> input, BufferView<T> output, int count) where T : unmanaged;

/// <summary>Which Gram operator of A to form.</summary>
public enum GramKind
{
    /// <summary>AᵀA (Columns × Columns).</summary>
    ATransposeA,
    /// <summary>AAᵀ (Rows × Rows); for A = J this is the B×B system of the kernel projection.</summary>
    AATranspose,
}

/// <summary>Constructors of <see cref="ILinearOperator{T}"/>s; none copies its operands.</summary>
public static class LinearOperator
{
    /// <summary>A dense row-major matrix [rows, columns] already on the device; products are GEMMs.</summary>
    public static LinearOperator<T> Dense<T>(Backend backend, BufferView<T> matrix, int rows, int columns)
        where T : unmanaged, IFloatingPointIeee754<T> => new DenseOperator<T>(backend, matrix, rows, columns);

    /// <summary>diag(d): y = d ⊙ x (symmetric).</summary>
    public static LinearOperator<T> Diagonal<T>(Backend backend, BufferView<T> diagonal)
        where T : unmanaged, IFloatingPointIeee754<T> => new DiagonalOperator<T>(backend, diagonal);

    /// <summary>s·I on R^n.</summary>
    public static LinearOperator<T> ScaledIdentity<T>(Backend backend, int n, T scale)
        where T : unmanaged, IFloatingPointIeee754<T> => new ScaledIdentityOperator<T>(backend, n, scale);

    /// <summary>I on R^n.</summary>
    public static LinearOperator<T> Identity<T>(Backend backend, int n)
        where T : unmanaged, IFloatingPointIeee754<T> => new ScaledIdentityOperator<T>(backend, n, T.One);

    /// <summary>s·A.</summary>
    public static LinearOperator<T> Scaled<T>(ILinearOperator<T> a, T scale)
        where T : unmanaged, IFloatingPointIeee754<T> => new ScaledOperator<T>(a, scale);

    /// <summary>A₁ + A₂ + … (all of the same shape).</summary>
    public static LinearOperator<T> Sum<T>(params ILinearOperator<T>[] terms)
        where T : unmanaged, IFloatingPointIeee754<T> => new SumOperator<T>(terms);

    /// <summary>The composition A·B (B applied first); A.Columns must equal B.Rows.</summary>
    public static LinearOperator<T> Product<T>(ILinearOperator<T> a, ILinearOperator<T> b)
        where T : unmanaged, IFloatingPointIeee754<T> => new ProductOperator<T>(a, b);

    /// <summary>Aᵀ.</summary>
    public static LinearOperator<T> Transpose<T>(ILinearOperator<T> a)
        where T : unmanaged, IFloatingPointIeee754<T> => new TransposeOperator<T>(a);

    /// <summary>AᵀA or AAᵀ (symmetric positive semi-definite), one product with A and one with Aᵀ per vector.</summary>
    public static LinearOperator<T> Gram<T>(ILinearOperator<T> a, GramKind kind)
        where T : unmanaged, IFloatingPointIeee754<T> => new GramOperator<T>(a, kind);

    /// <summary>A + αI for square A.</summary>
    public static LinearOperator<T> Shifted<T>(ILinearOperator<T> a, T shift)
        where T : unmanaged, IFloatingPointIeee754<T> => new ShiftedOperator<T>(a, shift);

    /// <summary>
    /// An operator from closures. Without <paramref name="applyTranspose"/> the operator is taken to be symmetric
    /// (square, Aᵀ = A). Without the batched closures the products loop over the vectors.
    /// </summary>
    public static LinearOperator<T> FromClosures<T>(Backend backend, int rows, int columns, VectorMap<T> apply,
        VectorMap<T>? applyTranspose = null, BatchedVectorMap<T>? applyMany = null, BatchedVectorMap<T>? applyTransposeMany = null)
        where T : unmanaged, IFloatingPointIeee754<T>
        => new ClosureOperator<T>(backend, rows, columns, apply, applyTranspose, applyMany, applyTransposeMany);
}

internal sealed class DenseOperator<T> : LinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly BufferView<T> _a;

    public DenseOperator(Backend backend, BufferView<T> matrix, int rows, int columns) : base(backend, rows, columns)
    {
        if (matrix.IsNull || matrix.Length < (long)rows * columns)
            throw new ArgumentException($"dense operator: the matrix view has {matrix.Length} elements, {(long)rows * columns} needed ({rows}×{columns}).");
        _a = matrix.Slice(0, rows * columns);
    }

    // y = A x as a column: (rows×cols)(cols×1).
    protected override void ApplyCore(BufferView<T> x, BufferView<T> y) =>
        Backend.Gemm(Transpose.No, Transpose.No, Rows, 1, Columns, T.One, _a, Columns, x, 1, T.Zero, y, 1);

    // xᵀ = yᵀ A as a row: (1×rows)(rows×cols).
    protected override void ApplyTransposeCore(BufferView<T> y, BufferView<T> x) =>
        Backend.Gemm(Transpose.No, Transpose.No, 1, Columns, Rows, T.One, y, Rows, _a, Columns, T.Zero, x, Columns);

    // Y[k,rows] = X[k,cols] Aᵀ.
    protected override void ApplyManyCore(BufferView<T> x, BufferView<T> y, int count) =>
        Backend.Gemm(Transpose.No, Transpose.Yes, count, Rows, Columns, T.One, x, Columns, _a, Columns, T.Zero, y, Rows);

    // X[k,cols] = Y[k,rows] A.
    protected override void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count) =>
        Backend.Gemm(Transpose.No, Transpose.No, count, Columns, Rows, T.One, y, Rows, _a, Columns, T.Zero, x, Columns);
}

internal sealed class DiagonalOperator<T> : LinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly BufferView<T> _d;

    public DiagonalOperator(Backend backend, BufferView<T> diagonal) : base(backend, diagonal.Length, diagonal.Length) => _d = diagonal;

    // The kernel library's Mul functor is defined for float and double separately; T is one of them.
    protected override void ApplyCore(BufferView<T> x, BufferView<T> y)
    {
        if (typeof(T) == typeof(float))
            Backend.Map2(default(Mul), As<float>(_d), As<float>(x), As<float>(y));
        else
            Backend.Map2(default(Mul), As<double>(_d), As<double>(x), As<double>(y));
    }

    private static BufferView<TTo> As<TTo>(BufferView<T> view) where TTo : unmanaged => Unsafe.As<BufferView<T>, BufferView<TTo>>(ref view);

    protected override void ApplyTransposeCore(BufferView<T> y, BufferView<T> x) => ApplyCore(y, x);

    protected override void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count) => ApplyManyCore(y, x, count);
}

internal sealed class ScaledIdentityOperator<T>(Backend backend, int n, T scale) : LinearOperator<T>(backend, n, n)
    where T : unmanaged, IFloatingPointIeee754<T>
{
    protected override void ApplyCore(BufferView<T> x, BufferView<T> y) => ApplyManyCore(x, y, 1);

    protected override void ApplyTransposeCore(BufferView<T> y, BufferView<T> x) => ApplyManyCore(y, x, 1);

    // The block [count, n] is contiguous, so the whole batch is one copy and one scaling.
    protected override void ApplyManyCore(BufferView<T> x, BufferView<T> y, int count)
    {
        Backend.Copy(x, y);
        if (scale != T.One) Backend.Scal(scale, y);
    }

    protected override void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count) => ApplyManyCore(y, x, count);
}

internal sealed class ScaledOperator<T> : LinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ILinearOperator<T> _a;
    private readonly T _s;

    public ScaledOperator(ILinearOperator<T> a, T scale) : base(a.Backend, a.Rows, a.Columns) { _a = a; _s = scale; }

    protected override void ApplyCore(BufferView<T> x, BufferView<T> y) { _a.Apply(x, y); Backend.Scal(_s, y); }

    protected override void ApplyTransposeCore(BufferView<T> y, BufferView<T> x) { _a.ApplyTranspose(y, x); Backend.Scal(_s, x); }

    protected override void ApplyManyCore(BufferView<T> x, BufferView<T> y, int count) { _a.ApplyMany(x, y, count); Backend.Scal(_s, y); }

    protected override void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count) { _a.ApplyTransposeMany(y, x, count); Backend.Scal(_s, x); }
}

internal sealed class SumOperator<T> : LinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ILinearOperator<T>[] _terms;

    public SumOperator(ILinearOperator<T>[] terms) : base(First(terms).Backend, terms[0].Rows, terms[0].Columns)
    {
        _terms = (ILinearOperator<T>[])terms.Clone();
        foreach (var t in _terms)
        {
            if (t.Rows != Rows || t.Columns != Columns)
                throw new ArgumentException($"sum operator: term of shape {t.Rows}×{t.Columns} does not match {Rows}×{Columns}.");
            RequireSameBackend(t, "a term");
        }
    }

    private static ILinearOperator<T> First(ILinearOperator<T>[] terms) =>
        terms is { Length: > 0 } ? terms[0] : throw new ArgumentException("sum operator: at least one term is needed.");

    protected override void ApplyCore(BufferView<T> x, BufferView<T> y) => ApplyManyCore(x, y, 1);

    protected override void ApplyTransposeCore(BufferView<T> y, BufferView<T> x) => ApplyTransposeManyCore(y, x, 1);

    protected override void ApplyManyCore(BufferView<T> x, BufferView<T> y, int count)
    {
        _terms[0].ApplyMany(x, y, count);
        if (_terms.Length == 1) return;
        var tmp = Scratch(0, count * Rows);
        for (int i = 1; i < _terms.Length; i++)
        {
            _terms[i].ApplyMany(x, tmp, count);
            Backend.Axpy(T.One, tmp, y);
        }
    }

    protected override void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count)
    {
        _terms[0].ApplyTransposeMany(y, x, count);
        if (_terms.Length == 1) return;
        var tmp = Scratch(0, count * Columns);
        for (int i = 1; i < _terms.Length; i++)
        {
            _terms[i].ApplyTransposeMany(y, tmp, count);
            Backend.Axpy(T.One, tmp, x);
        }
    }
}

internal sealed class ProductOperator<T> : LinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ILinearOperator<T> _a, _b;

    public ProductOperator(ILinearOperator<T> a, ILinearOperator<T> b) : base(a.Backend, a.Rows, b.Columns)
    {
        if (a.Columns != b.Rows)
            throw new ArgumentException($"product operator: A is {a.Rows}×{a.Columns} but B is {b.Rows}×{b.Columns}.");
        RequireSameBackend(b, "B");
        _a = a;
        _b = b;
    }

    protected override void ApplyCore(BufferView<T> x, BufferView<T> y) => ApplyManyCore(x, y, 1);

    protected override void ApplyTransposeCore(BufferView<T> y, BufferView<T> x) => ApplyTransposeManyCore(y, x, 1);

    protected override void ApplyManyCore(BufferView<T> x, BufferView<T> y, int count)
    {
        var mid = Scratch(0, count * _b.Rows);
        _b.ApplyMany(x, mid, count);
        _a.ApplyMany(mid, y, count);
    }

    protected override void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count)
    {
        var mid = Scratch(0, count * _b.Rows);
        _a.ApplyTransposeMany(y, mid, count);
        _b.ApplyTransposeMany(mid, x, count);
    }
}

internal sealed class TransposeOperator<T> : LinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ILinearOperator<T> _a;

    public TransposeOperator(ILinearOperator<T> a) : base(a.Backend, a.Columns, a.Rows) => _a = a;

    protected override void ApplyCore(BufferView<T> x, BufferView<T> y) => _a.ApplyTranspose(x, y);

    protected override void ApplyTransposeCore(BufferView<T> y, BufferView<T> x) => _a.Apply(y, x);

    protected override void ApplyManyCore(BufferView<T> x, BufferView<T> y, int count) => _a.ApplyTransposeMany(x, y, count);

    protected override void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count) => _a.ApplyMany(y, x, count);
}

internal sealed class GramOperator<T> : LinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ILinearOperator<T> _a;
    private readonly GramKind _kind;

    public GramOperator(ILinearOperator<T> a, GramKind kind)
        : base(a.Backend, kind == GramKind.ATransposeA ? a.Columns : a.Rows, kind == GramKind.ATransposeA ? a.Columns : a.Rows)
    {
        _a = a;
        _kind = kind;
    }

    protected override void ApplyCore(BufferView<T> x, BufferView<T> y) => ApplyManyCore(x, y, 1);

    protected override void ApplyTransposeCore(BufferView<T> y, BufferView<T> x) => ApplyManyCore(y, x, 1);

    protected override void ApplyManyCore(BufferView<T> x, BufferView<T> y, int count)
    {
        if (_kind == GramKind.ATransposeA)
        {
            var mid = Scratch(0, count * _a.Rows);
            _a.ApplyMany(x, mid, count);
            _a.ApplyTransposeMany(mid, y, count);
        }
        else
        {
            var mid = Scratch(0, count * _a.Columns);
            _a.ApplyTransposeMany(x, mid, count);
            _a.ApplyMany(mid, y, count);
        }
    }

    protected override void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count) => ApplyManyCore(y, x, count);
}

internal sealed class ShiftedOperator<T> : LinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ILinearOperator<T> _a;
    private readonly T _shift;

    public ShiftedOperator(ILinearOperator<T> a, T shift) : base(a.Backend, a.Rows, a.Columns)
    {
        if (a.Rows != a.Columns)
            throw new ArgumentException($"shifted operator: A + αI needs a square A, not {a.Rows}×{a.Columns}.");
        _a = a;
        _shift = shift;
    }

    protected override void ApplyCore(BufferView<T> x, BufferView<T> y) => ApplyManyCore(x, y, 1);

    protected override void ApplyTransposeCore(BufferView<T> y, BufferView<T> x) => ApplyTransposeManyCore(y, x, 1);

    protected override void ApplyManyCore(BufferView<T> x, BufferView<T> y, int count)
    {
        _a.ApplyMany(x, y, count);
        Backend.Axpy(_shift, x, y);
    }

    protected override void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count)
    {
        _a.ApplyTransposeMany(y, x, count);
        Backend.Axpy(_shift, y, x);
    }
}

internal sealed class ClosureOperator<T> : LinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly VectorMap<T> _apply, _applyT;
    private readonly BatchedVectorMap<T>? _many, _manyT;

    public ClosureOperator(Backend backend, int rows, int columns, VectorMap<T> apply, VectorMap<T>? applyTranspose,
        BatchedVectorMap<T>? applyMany, BatchedVectorMap<T>? applyTransposeMany) : base(backend, rows, columns)
    {
        ArgumentNullException.ThrowIfNull(apply);
        if (applyTranspose is null && rows != columns)
            throw new ArgumentException($"closure operator: a {rows}×{columns} operator needs its transpose closure (only square ones may be taken as symmetric).");
        _apply = apply;
        _applyT = applyTranspose ?? apply;
        _many = applyMany;
        _manyT = applyTranspose is null ? applyMany : applyTransposeMany;
    }

    protected override void ApplyCore(BufferView<T> x, BufferView<T> y) => _apply(x, y);

    protected override void ApplyTransposeCore(BufferView<T> y, BufferView<T> x) => _applyT(y, x);

    protected override void ApplyManyCore(BufferView<T> x, BufferView<T> y, int count)
    {
        if (_many is null) base.ApplyManyCore(x, y, count);
        else _many(x, y, count);
    }

    protected override void ApplyTransposeManyCore(BufferView<T> y, BufferView<T> x, int count)
    {
        if (_manyT is null) base.ApplyTransposeManyCore(y, x, count);
        else _manyT(y, x, count);
    }
}
