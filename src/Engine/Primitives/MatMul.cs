using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Primitives;

/// <summary>
/// c = op(a)·op(b) on the last two dimensions, op = transpose when flagged. Leading (batch) dimensions may be on
/// either operand or both (then equal); an operand without them is shared across the batch (stride 0). With
/// <see cref="SumBatch"/> the batch is summed: c = Σₑ op(aₑ)·op(bₑ) (what the transpose of sharing needs).
/// A batched a times a shared b is ONE GEMM with the batch folded into the rows — the K-tangent case ẋW.
/// Bilinear: JVP ċ = ȧ·b + a·ḃ; VJP ā = c̄·op(b)ᵀ, b̄ = op(a)ᵀ·c̄ (transposed as the flags say).
/// </summary>
public sealed record MatMul(bool TransA = false, bool TransB = false, bool SumBatch = false) : Primitive
{
    /// <inheritdoc />
    public override string Name => $"matmul{(TransA ? "_ta" : "")}{(TransB ? "_tb" : "")}{(SumBatch ? "_sum" : "")}";

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        var a = inputs[0].Shape;
        var b = inputs[1].Shape;
        if (a.Rank < 2 || b.Rank < 2) throw Bad("operands must have at least 2 dimensions");
        int m = TransA ? a[-1] : a[-2], ka = TransA ? a[-2] : a[-1];
        int kb = TransB ? b[-1] : b[-2], n = TransB ? b[-2] : b[-1];
        if (ka != kb) throw Bad($"inner dimensions differ: op(a) is {m}×{ka}, op(b) is {kb}×{n}");
        var ba = a.Take(a.Rank - 2);
        var bb = b.Take(b.Rank - 2);
        if (ba.Rank > 0 && bb.Rank > 0 && ba != bb) throw Bad($"batch dimensions differ: {ba} vs {bb}");
        var batch = ba.Rank > 0 ? ba : bb;
        if (SumBatch && batch.Rank == 0) throw Bad("a batch sum needs a batched operand");
        return [new(SumBatch ? new Shape(m, n) : new Shape(m, n).Prepend(batch))];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) => new MatMulStep<T>(c, TransA, TransB, SumBatch);

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) =>
        [Rules.Sum(t[0] == null ? null : Fn.MatMul(t[0]!, p[1], TransA, TransB),
                   t[1] == null ? null : Fn.MatMul(p[0], t[1]!, TransA, TransB))];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct)
    {
        var g = ct[0]!;
        var a = p[0];
        var b = p[1];
        var aBar = TransA ? Product(b, g, TransB, true, a) : Product(g, b, false, !TransB, a);
        var bBar = TransB ? Product(g, a, true, TransA, b) : Product(a, g, !TransA, false, b);
        return [aBar, bBar];
    }

    /// <summary>x·y with flags, batch-summed when the operand whose cotangent this is has no batch dimensions.</summary>
    private static Var Product(Var x, Var y, bool tx, bool ty, Var operand)
    {
        bool xb = x.Shape.Rank > 2, yb = y.Shape.Rank > 2;
        bool wantBatch = operand.Shape.Rank > 2;
        if (!wantBatch && (xb || yb))
        {
            // Σₑ xₑ·y = (Σₑ xₑ)·y when only one side is batched: sum first, then one small GEMM.
            if (xb && !yb) return Fn.MatMul(Fn.SumTo(x, x.Shape.Skip(x.Shape.Rank - 2)), y, tx, ty);
            if (yb && !xb) return Fn.MatMul(x, Fn.SumTo(y, y.Shape.Skip(y.Shape.Rank - 2)), tx, ty);
            return Fn.MatMul(x, y, tx, ty, sumBatch: true);
        }
        return Fn.MatMul(x, y, tx, ty);
    }
}

internal sealed class MatMulStep<T> : Step where T : unmanaged
{
    private enum Mode { Single, FoldRows, StackColumns, Strided, FoldInner, Accumulate }

    private readonly Backend _be;
    private readonly Slot<T> _a, _b, _c;
    private readonly Transpose _ta, _tb;
    private readonly int _m, _n, _k, _lda, _ldb, _batch;
    private readonly long _sa, _sb;
    private readonly Mode _mode;
    private readonly Slot<T>? _tmp;
    private static readonly T One = Plan<T>.FromDouble(1), Zero = Plan<T>.FromDouble(0);

    public MatMulStep(StepContext<T> c, bool ta, bool tb, bool sum)
    {
        _be = c.Backend;
        _a = c.In(0);
        _b = c.In(1);
        _c = c.Out(0);
        Shape a = c.InShape(0), b = c.InShape(1);
        _ta = ta ? Transpose.Yes : Transpose.No;
        _tb = tb ? Transpose.Yes : Transpose.No;
        _m = ta ? a[-1] : a[-2];
        _k = ta ? a[-2] : a[-1];
        _n = tb ? b[-2] : b[-1];
        _lda = a[-1];
        _ldb = b[-1];
        bool ab = a.Rank > 2, bb = b.Rank > 2;
        _batch = ab ? a.Take(a.Rank - 2).Length : bb ? b.Take(b.Rank - 2).Length : 1;
        _sa = ab ? (long)a[-2] * a[-1] : 0;
        _sb = bb ? (long)b[-2] * b[-1] : 0;
        if (!ab && !bb) _mode = Mode.Single;
        else if (!sum && ab && !bb && !ta) _mode = Mode.FoldRows;
        else if (!sum && !ab && bb && tb && _batch > 1) _mode = Mode.StackColumns;
        else if (!sum) _mode = Mode.Strided;
        else if (ab && bb && ta && !tb) _mode = Mode.FoldInner;
        else _mode = Mode.Accumulate;
        if (_mode == Mode.StackColumns) _tmp = c.Scratch(_m * _batch * _n);
    }

    public override void Run()
    {
        var a = _a.View;
        var b = _b.View;
        var c = _c.View;
        switch (_mode)
        {
            case Mode.Single:
                _be.Gemm(_ta, _tb, _m, _n, _k, One, a, _lda, b, _ldb, Zero, c, _n);
                break;
            case Mode.FoldRows:
                // [E·m, k] · op(b): the stacked rows of a batched a against one shared b.
                _be.Gemm(_ta, _tb, _batch * _m, _n, _k, One, a, _lda, b, _ldb, Zero, c, _n);
                break;
            case Mode.StackColumns:
            {
                // A shared a against E stacked bₑ stored [E, n, k] (the tangent x·Ẇₑᵀ of a dense layer): one GEMM
                // a·[b₁; …; b_E]ᵀ → [m, E·n], then a block transpose to [E, m, n].
                var t = _tmp!.View;
                _be.Gemm(_ta, Transpose.Yes, _m, _batch * _n, _k, One, a, _lda, b, _ldb, Zero, t, _batch * _n);
                for (int i = 0; i < _m; i++)
                    for (int e = 0; e < _batch; e++)
                        _be.Copy(t.Slice((i * _batch + e) * _n, _n), c.Slice((e * _m + i) * _n, _n));
                break;
            }
            case Mode.Strided:
                _be.GemmStridedBatched(_ta, _tb, _m, _n, _k, One, a, _lda, _sa, b, _ldb, _sb, Zero, c, _n, (long)_m * _n, _batch);
                break;
            case Mode.FoldInner:
                // Σₑ aₑᵀbₑ = [a₁; …; a_E]ᵀ [b₁; …; b_E]: one GEMM with inner dimension E·k.
                _be.Gemm(Transpose.Yes, Transpose.No, _m, _n, _batch * _k, One, a, _lda, b, _ldb, Zero, c, _n);
                break;
            default:
                for (int e = 0; e < _batch; e++)
                    _be.Gemm(_ta, _tb, _m, _n, _k, One, a.Slice((int)(e * _sa), (int)(_sa == 0 ? a.Length : _sa)), _lda,
                        b.Slice((int)(e * _sb), (int)(_sb == 0 ? b.Length : _sb)), _ldb, e == 0 ? Zero : One, c, _n);
                break;
        }
    }
}
