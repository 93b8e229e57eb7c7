using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Primitives;

/// <summary>A pooling window: size, stride and padding.</summary>
public readonly record struct PoolWindow(int WindowH, int WindowW, int StrideH, int StrideW, int PadH = 0, int PadW = 0)
{
    internal Pool2dGeometry Geometry(Shape x)
    {
        try
        {
            return new Pool2dGeometry(x.Take(x.Rank - 3).Length, x[-3], x[-2], x[-1], WindowH, WindowW, StrideH, StrideW, PadH, PadW);
        }
        catch (ArgumentException e)
        {
            throw new ShapeError(e.Message);
        }
    }

    internal Shape Output(Shape x)
    {
        var g = Geometry(x);
        return new Shape(g.C, g.OutH, g.OutW).Prepend(x.Take(x.Rank - 3));
    }
}

/// <summary>
/// Max pooling over the last two dimensions (any leading dimensions are batch): results (y, argmax). The argmax is
/// the residual both derivative rules use. JVP: ẏ = ẋ gathered at argmax (<see cref="MaxPoolGather"/>, K tangents
/// as repeats); VJP: x̄ = ȳ scattered to argmax (<see cref="MaxPoolScatter"/>).
/// </summary>
public sealed record MaxPool(PoolWindow Window) : Primitive
{
    /// <inheritdoc />
    public override string Name => "max_pool2d";

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        if (inputs[0].Shape.Rank < 3) throw Bad("input needs at least [C, H, W]");
        var y = Window.Output(inputs[0].Shape);
        return [new(y), new(y, DType.Int32)];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) => new MaxPoolStep<T>(c, Window.Geometry(c.InShape(0)));

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) =>
        [p[0].Builder.Apply1(new MaxPoolGather(Window, p[0].Shape[-2], p[0].Shape[-1]), t[0]!, r[1]), null];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) =>
        [p[0].Builder.Apply1(new MaxPoolScatter(Window, p[0].Shape[-2], p[0].Shape[-1]), ct[0]!, r[1])];
}

internal sealed class MaxPoolStep<T>(StepContext<T> c, Pool2dGeometry g) : Step where T : unmanaged
{
    private readonly Backend _be = c.Backend;
    private readonly Slot<T> _x = c.In(0), _y = c.Out(0);
    private readonly Slot<int> _arg = c.IndexOut(1);

    public override void Run() => _be.MaxPool2dForward(g, _x.View, _y.View, _arg.View);
}

/// <summary>
/// ẏ = ẋ at the argmax positions (the JVP of max pooling); ẋ may hold several stacked batches sharing one argmax.
/// Linear in ẋ: JVP is itself, VJP is <see cref="MaxPoolScatter"/>.
/// </summary>
public sealed record MaxPoolGather(PoolWindow Window, int H, int W) : Primitive
{
    /// <inheritdoc />
    public override string Name => "max_pool2d_gather";

    internal static (Pool2dGeometry G, int Repeats) Resolve(PoolWindow window, int h, int w, Shape dense, Shape indices)
    {
        if (indices.Rank < 3) throw new ShapeError($"argmax {indices} needs at least [C, OH, OW]");
        var baseShape = new Shape(indices[-3], h, w).Prepend(indices.Take(indices.Rank - 3));
        var g = window.Geometry(baseShape);
        if (g.OutH != indices[-2] || g.OutW != indices[-1]) throw new ShapeError($"argmax is {indices[-2]}×{indices[-1]}, the window gives {g.OutH}×{g.OutW}");
        if (!dense.EndsWith(baseShape)) throw new ShapeError($"dense operand {dense} does not match the pooled input {baseShape}");
        return (g, dense.Length / g.InputLength);
    }

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        var (g, rep) = Resolve(Window, H, W, inputs[0].Shape, inputs[1].Shape);
        var lead = inputs[0].Shape.Take(inputs[0].Shape.Rank - inputs[1].Shape.Rank);
        return [new(inputs[1].Shape.Prepend(lead))];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c)
    {
        var (g, rep) = Resolve(Window, H, W, c.InShape(0), c.InShape(1));
        return new PoolIndexStep<T>(c, g, rep, gather: true);
    }

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) => [t[0] == null ? null : p[0].Builder.Apply1(this, t[0]!, p[1])];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) => [p[0].Builder.Apply1(new MaxPoolScatter(Window, H, W), ct[0]!, p[1]), null];
}

/// <summary>
/// x̄ = ȳ scattered to the argmax positions (the VJP of max pooling), zero elsewhere; stacked batches allowed.
/// Linear in ȳ: JVP is itself, VJP is <see cref="MaxPoolGather"/>.
/// </summary>
public sealed record MaxPoolScatter(PoolWindow Window, int H, int W) : Primitive
{
    /// <inheritdoc />
    public override string Name => "max_pool2d_scatter";

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        var dy = inputs[0].Shape;
        var idx = inputs[1].Shape;
        if (!dy.EndsWith(idx)) throw Bad($"output gradient {dy} does not end with the argmax shape {idx}");
        var dense = new Shape(idx[-3], H, W).Prepend(dy.Take(dy.Rank - 3));
        MaxPoolGather.Resolve(Window, H, W, dense, idx);
        return [new(dense)];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c)
    {
        var (g, rep) = MaxPoolGather.Resolve(Window, H, W, c.OutShape(0), c.InShape(1));
        return new PoolIndexStep<T>(c, g, rep, gather: false);
    }

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) => [t[0] == null ? null : p[0].Builder.Apply1(this, t[0]!, p[1])];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) => [p[0].Builder.Apply1(new MaxPoolGather(Window, H, W), ct[0]!, p[1]), null];
}

internal sealed class PoolIndexStep<T>(StepContext<T> c, Pool2dGeometry g, int repeats, bool gather) : Step where T : unmanaged
{
    private readonly Backend _be = c.Backend;
    private readonly Slot<T> _src = c.In(0), _dst = c.Out(0);
    private readonly Slot<int> _arg = c.IndexIn(1);

    public override void Run()
    {
        if (gather) _be.MaxPool2dGather(g, _src.View, _arg.View, _dst.View, repeats);
        else _be.MaxPool2dBackward(g, _src.View, _arg.View, _dst.View, repeats);
    }
}

/// <summary>
/// Average pooling (padding excluded from the divisor), or its transpose. Linear: the JVP folds stacked tangents into
/// the batch; the VJP is the other direction.
/// </summary>
/// <param name="Window">The window.</param>
/// <param name="Transposed">False: y = avgpool(x). True: dx = avgpoolᵀ(dy) onto an (H, W) input.</param>
/// <param name="H">Input height (transposed direction only).</param>
/// <param name="W">Input width (transposed direction only).</param>
public sealed record AvgPool(PoolWindow Window, bool Transposed = false, int H = 0, int W = 0) : Primitive
{
    /// <inheritdoc />
    public override string Name => Transposed ? "avg_pool2d_transpose" : "avg_pool2d";

    private Shape DenseShape(Shape pooled) => new Shape(pooled[-3], H, W).Prepend(pooled.Take(pooled.Rank - 3));

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        var s = inputs[0].Shape;
        if (s.Rank < 3) throw Bad("operand needs at least [C, H, W]");
        if (!Transposed) return [new(Window.Output(s))];
        var dense = DenseShape(s);
        if (Window.Output(dense) != s) throw Bad($"pooled shape {s} does not come from {dense}");
        return [new(dense)];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) =>
        new AvgPoolStep<T>(c, Window.Geometry(Transposed ? c.OutShape(0) : c.InShape(0)), Transposed);

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) => [p[0].Builder.Apply1(this, t[0]!)];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) =>
        [p[0].Builder.Apply1(Transposed ? new AvgPool(Window) : new AvgPool(Window, true, p[0].Shape[-2], p[0].Shape[-1]), ct[0]!)];
}

internal sealed class AvgPoolStep<T>(StepContext<T> c, Pool2dGeometry g, bool transposed) : Step where T : unmanaged
{
    private readonly Backend _be = c.Backend;
    private readonly Slot<T> _x = c.In(0), _y = c.Out(0);

    public override void Run()
    {
        if (transposed) _be.AvgPool2dBackward(g, _x.View, _y.View);
        else _be.AvgPool2dForward(g, _x.View, _y.View);
    }
}
