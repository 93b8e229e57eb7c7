using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Engine.Primitives;

/// <summary>Elementwise binary arithmetic.</summary>
public enum BinaryKind
{
    /// <summary>a + b.</summary>
    Add,
    /// <summary>a − b.</summary>
    Sub,
    /// <summary>a ⊙ b.</summary>
    Mul,
}

/// <summary>
/// c = a ∘ b for ∘ ∈ {+, −, ⊙} with NumPy broadcasting.
/// JVP: ċ = ȧ ∘ ḃ for ±, ȧ⊙b + a⊙ḃ for ⊙. VJP: ā = sum-to-shape(c̄ or c̄⊙b), likewise b̄ (negated for −).
/// </summary>
public sealed record Binary(BinaryKind Kind) : Primitive
{
    /// <inheritdoc />
    public override string Name => Kind.ToString().ToLowerInvariant();

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs) => [new(Broadcast(inputs[0].Shape, inputs[1].Shape))];

    internal static Shape Broadcast(Shape a, Shape b)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var d = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int ia = i - (rank - a.Rank), ib = i - (rank - b.Rank);
            int da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
            if (da != db && da != 1 && db != 1) throw Bad($"shapes do not broadcast at dimension {i} ({da} vs {db})");
            d[i] = Math.Max(da, db);
        }
        return new Shape(d);
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) => Kind switch
    {
        BinaryKind.Add => new BinaryStep<T, Add>(c),
        BinaryKind.Sub => new BinaryStep<T, Sub>(c),
        _ => new BinaryStep<T, Mul>(c),
    };

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t)
    {
        var y = r[0];
        switch (Kind)
        {
            case BinaryKind.Add:
            case BinaryKind.Sub:
                {
                    var ta = Rules.Align(t[0], p[0], y);
                    var tb = Rules.Align(t[1], p[1], y);
                    if (tb != null && Kind == BinaryKind.Sub) tb = Fn.Scale(tb, -1);
                    return [Rules.BroadcastTangent(Rules.Sum(ta, tb), y)];
                }
            default:
                {
                    var ta = Rules.Align(t[0], p[0], y);
                    var tb = Rules.Align(t[1], p[1], y);
                    return [Rules.BroadcastTangent(Rules.Sum(ta == null ? null : Fn.Mul(ta, p[1]), tb == null ? null : Fn.Mul(p[0], tb)), y)];
                }
        }
    }

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct)
    {
        var g = ct[0]!;
        return Kind switch
        {
            BinaryKind.Add => [Fn.SumTo(g, p[0].Shape), Fn.SumTo(g, p[1].Shape)],
            BinaryKind.Sub => [Fn.SumTo(g, p[0].Shape), Fn.Scale(Fn.SumTo(g, p[1].Shape), -1)],
            _ => [Fn.SumTo(Fn.Mul(g, p[1]), p[0].Shape), Fn.SumTo(Fn.Mul(g, p[0]), p[1].Shape)],
        };
    }
}

/// <summary>A binary functor step: same-shape operands use <c>Map2</c>, broadcasting ones <c>Map2Broadcast</c>.</summary>
internal sealed class BinaryStep<T, TOp> : Step where T : unmanaged where TOp : struct, IBinaryOp<float>, IBinaryOp<double>
{
    private readonly Backend _be;
    private readonly Slot<T> _a, _b, _c;
    private readonly BroadcastLayout _layout;
    private readonly bool _same;
    private readonly TOp _op;

    public BinaryStep(StepContext<T> c, TOp op = default)
    {
        _be = c.Backend;
        _a = c.In(0);
        _b = c.In(1);
        _c = c.Out(0);
        _op = op;
        _same = c.InShape(0) == c.InShape(1);
        if (!_same) _layout = BroadcastLayout.Create(c.InShape(0).Dims, c.InShape(1).Dims);
    }

    public override void Run()
    {
        if (_same) Dispatch.Map2(_be, _op, _a.View, _b.View, _c.View);
        else Dispatch.Map2Broadcast(_be, _op, _layout, _a.View, _b.View, _c.View);
    }
}

/// <summary>Elementwise functions of one argument.</summary>
public enum UnaryKind
{
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>tanh x.</summary>
    Tanh,
    /// <summary>σ(x) = 1/(1 + e^(−x)).</summary>
    Sigmoid,
    /// <summary>e^x.</summary>
    Exp,
    /// <summary>log x.</summary>
    Log,
    /// <summary>√x.</summary>
    Sqrt,
    /// <summary>1/x.</summary>
    Reciprocal,
    /// <summary>c·x (c = the parameter).</summary>
    Scale,
    /// <summary>x + c (c = the parameter).</summary>
    AddScalar,
}

/// <summary>
/// y = f(x) elementwise. JVP: ẏ = f′·ẋ through a fused derivative primitive (<see cref="DerivativeMul"/>) or plain
/// arithmetic; VJP: x̄ = f′·ȳ, the same product (f′ is diagonal).
/// </summary>
public sealed record Unary(UnaryKind Kind, double Parameter = 0) : Primitive
{
    /// <inheritdoc />
    public override string Name => Kind switch
    {
        UnaryKind.Scale => $"scale({Parameter})",
        UnaryKind.AddScalar => $"add_scalar({Parameter})",
        _ => Kind.ToString().ToLowerInvariant(),
    };

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs) => [new(inputs[0].Shape)];

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) => Kind switch
    {
        UnaryKind.Relu => new UnaryStep<T, Relu>(c, default),
        UnaryKind.Tanh => new UnaryStep<T, Tanh>(c, default),
        UnaryKind.Sigmoid => new UnaryStep<T, Sigmoid>(c, default),
        UnaryKind.Exp => new UnaryStep<T, Exp>(c, default),
        UnaryKind.Log => new UnaryStep<T, Log>(c, default),
        UnaryKind.Sqrt => new UnaryStep<T, Sqrt>(c, default),
        UnaryKind.Reciprocal => new UnaryStep<T, Reciprocal>(c, default),
        UnaryKind.Scale => new UnaryStep<T, Scale>(c, new Scale(Parameter)),
        _ => new UnaryStep<T, AddScalar>(c, new AddScalar(Parameter)),
    };

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) => [Derivative(p[0], r[0], t[0]!)];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) => [Derivative(p[0], r[0], ct[0]!)];

    /// <summary>f′(x)·v, where v may carry leading stacked dimensions (f′ is diagonal, so JVP and VJP agree).</summary>
    private Var Derivative(Var x, Var y, Var v) => Kind switch
    {
        UnaryKind.Relu => Fn.DerivativeMul(DerivativeKind.Relu, x, v),
        UnaryKind.Tanh => Fn.DerivativeMul(DerivativeKind.TanhFromOutput, y, v),
        UnaryKind.Sigmoid => Fn.DerivativeMul(DerivativeKind.SigmoidFromOutput, y, v),
        UnaryKind.Exp => Fn.Mul(v, y),
        UnaryKind.Log => Fn.Mul(v, Fn.Reciprocal(x)),
        UnaryKind.Sqrt => Fn.DerivativeMul(DerivativeKind.SqrtFromOutput, y, v),
        UnaryKind.Reciprocal => Fn.DerivativeMul(DerivativeKind.ReciprocalFromOutput, y, v),
        UnaryKind.Scale => Fn.Scale(v, Parameter),
        _ => v,
    };
}

internal sealed class UnaryStep<T, TOp>(StepContext<T> c, TOp op) : Step
    where T : unmanaged where TOp : struct, IUnaryOp<float>, IUnaryOp<double>
{
    private readonly Backend _be = c.Backend;
    private readonly Slot<T> _x = c.In(0), _y = c.Out(0);

    public override void Run() => Dispatch.Map(_be, op, _x.View, _y.View);
}

/// <summary>
/// c = g(a)·b: the derivative of an activation, g, evaluated at a (the primal input or output), times the tangent or
/// cotangent b, which may have leading stacked dimensions (one fused broadcasting kernel for K tangents).
/// Linear in b. JVP: ċ = g(a)·ḃ + g′(a)·ȧ·b. VJP: b̄ = g(a)·c̄ summed to b's shape, ā = g′(a)·b·c̄ summed to a's.
/// </summary>
public sealed record DerivativeMul(DerivativeKind Kind) : Primitive
{
    /// <inheritdoc />
    public override string Name => Kind switch
    {
        DerivativeKind.Relu => "relu_grad",
        DerivativeKind.TanhFromOutput => "tanh_grad",
        DerivativeKind.SigmoidFromOutput => "sigmoid_grad",
        DerivativeKind.SqrtFromOutput => "sqrt_grad",
        _ => "reciprocal_grad",
    };

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs) => [new(Binary.Broadcast(inputs[0].Shape, inputs[1].Shape))];

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) => Kind switch
    {
        DerivativeKind.Relu => new BinaryStep<T, ReluGrad>(c),
        DerivativeKind.TanhFromOutput => new BinaryStep<T, TanhGradFromOutput>(c),
        DerivativeKind.SigmoidFromOutput => new BinaryStep<T, SigmoidGradFromOutput>(c),
        DerivativeKind.SqrtFromOutput => new BinaryStep<T, SqrtGradFromOutput>(c),
        _ => new BinaryStep<T, ReciprocalGradFromOutput>(c),
    };

    /// <summary>g′(a), or null where it vanishes (ReLU).</summary>
    private Var? SecondDerivative(Var a) => Kind switch
    {
        DerivativeKind.Relu => null,
        DerivativeKind.TanhFromOutput => Fn.Scale(a, -2),
        DerivativeKind.SigmoidFromOutput => Fn.AddScalar(Fn.Scale(a, -2), 1),
        DerivativeKind.SqrtFromOutput => Fn.Scale(Fn.Mul(Fn.Reciprocal(a), Fn.Reciprocal(a)), -0.5),
        _ => Fn.Scale(a, -2),
    };

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t)
    {
        var c = r[0];
        var linear = t[1] == null ? null : Fn.DerivativeMul(Kind, p[0], Rules.Align(t[1], p[1], c)!);
        Var? second = null;
        if (t[0] != null && SecondDerivative(p[0]) is { } g2)
            second = Fn.Mul(Fn.Mul(g2, p[1]), Rules.Align(t[0], p[0], c)!);
        return [Rules.BroadcastTangent(Rules.Sum(linear, second), c)];
    }

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct)
    {
        var g = ct[0]!;
        var bBar = Fn.SumTo(Fn.DerivativeMul(Kind, p[0], g), p[1].Shape);
        var g2 = SecondDerivative(p[0]);
        var aBar = g2 == null ? null : Fn.SumTo(Fn.Mul(Fn.Mul(g, p[1]), g2), p[0].Shape);
        return [aBar, bBar];
    }
}
