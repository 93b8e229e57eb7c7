using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Primitives;

/// <summary>
/// Per-example softmax cross-entropy of logits z[B, C] with integer labels: results (ℓ[B], p[B, C]) with
/// ℓᵢ = logsumexp(zᵢ) − zᵢ,yᵢ and p = softmax(z). With g = p − onehot(y) (<see cref="CrossEntropyGradient"/>):
/// JVP ℓ̇ = Σ_c g ⊙ ż, ṗ = p ⊙ (ż − Σ_c p ⊙ ż); VJP z̄ = ℓ̄ g + p ⊙ (p̄ − Σ_c p ⊙ p̄).
/// Both are written with primitives, so second derivatives (GGN, Vjp of Jvp) follow.
/// </summary>
public sealed record SoftmaxCrossEntropy : Primitive
{
    /// <inheritdoc />
    public override string Name => "softmax_cross_entropy";

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        Shape z = inputs[0].Shape, y = inputs[1].Shape;
        if (z.Rank != 2) throw Bad("logits must be [B, C]");
        if (inputs[1].DType != DType.Int32 || y.Rank != 1 || y[0] != z[0]) throw Bad("labels must be integers of shape [B]");
        return [new(new Shape(z[0])), new(z)];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) => new SoftmaxCeStep<T>(c);

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t)
    {
        var zdot = t[0]!;
        var g = Fn.CrossEntropyGradient(r[1], p[1]);
        return [Fn.SumLastAxis(Fn.Mul(g, zdot)), Softmax.Derivative(r[1], zdot)];
    }

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct)
    {
        Var? fromLoss = ct[0] == null ? null
            : Fn.Mul(Fn.CrossEntropyGradient(r[1], p[1]), Fn.Reshape(ct[0]!, new Shape(p[0].Shape[0], 1)));
        Var? fromProbs = ct[1] == null ? null : Softmax.Derivative(r[1], ct[1]!);
        return [Rules.Sum(fromLoss, fromProbs), null];
    }
}

internal sealed class SoftmaxCeStep<T>(StepContext<T> c) : Step where T : unmanaged
{
    private readonly Backend _be = c.Backend;
    private readonly Slot<T> _z = c.In(0), _loss = c.Out(0), _p = c.Out(1);
    private readonly Slot<int> _y = c.IndexIn(1);
    private readonly int _rows = c.InShape(0)[0], _cols = c.InShape(0)[1];

    public override void Run() => _be.SoftmaxCrossEntropy(_z.View, _y.View, _rows, _cols, _loss.View, _p.View);
}

/// <summary>g = p − onehot(y) for probabilities p[B, C] and labels y. Affine in p: JVP ġ = ṗ, VJP p̄ = ḡ.</summary>
public sealed record CrossEntropyGradient : Primitive
{
    /// <inheritdoc />
    public override string Name => "cross_entropy_gradient";

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        Shape p = inputs[0].Shape, y = inputs[1].Shape;
        if (p.Rank != 2 || inputs[1].DType != DType.Int32 || y.Rank != 1 || y[0] != p[0]) throw Bad("expects p[B, C] and integer labels [B]");
        return [new(p)];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) => new CeGradStep<T>(c);

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) => [t[0]];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) => [ct[0], null];
}

internal sealed class CeGradStep<T>(StepContext<T> c) : Step where T : unmanaged
{
    private readonly Backend _be = c.Backend;
    private readonly Slot<T> _p = c.In(0), _g = c.Out(0), _ones = c.Constant(c.InShape(0)[0], 1);
    private readonly Slot<int> _y = c.IndexIn(1);
    private readonly int _rows = c.InShape(0)[0], _cols = c.InShape(0)[1];

    public override void Run() => _be.SoftmaxCrossEntropyBackward(_p.View, _y.View, _ones.View, _rows, _cols, _g.View);
}

/// <summary>
/// Softmax over the last dimension. JVP ṗ = p ⊙ (ż − Σ_c p ⊙ ż); the Jacobian is symmetric, so the VJP is the same
/// expression applied to p̄.
/// </summary>
public sealed record Softmax : Primitive
{
    /// <inheritdoc />
    public override string Name => "softmax";

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        if (inputs[0].Shape.Rank < 1) throw Bad("operand must have a last dimension");
        return [new(inputs[0].Shape)];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) => new SoftmaxStep<T>(c);

    /// <summary>p ⊙ (v − Σ_c p ⊙ v) for v with optional leading stacked dimensions.</summary>
    internal static Var Derivative(Var p, Var v)
    {
        var pv = Fn.Mul(p, v);
        var s = Fn.SumLastAxis(pv, keepDim: true);
        return Fn.Sub(pv, Fn.Mul(p, s));
    }

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) => [Derivative(r[0], t[0]!)];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) => [Derivative(r[0], ct[0]!)];
}

internal sealed class SoftmaxStep<T>(StepContext<T> c) : Step where T : unmanaged
{
    private readonly Backend _be = c.Backend;
    private readonly Slot<T> _x = c.In(0), _y = c.Out(0);
    private readonly int _cols = c.InShape(0)[-1];
    private readonly int _rows = c.InShape(0).Length / c.InShape(0)[-1];

    public override void Run() => _be.Softmax(_x.View, _rows, _cols, _y.View);
}
