using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Primitives;

/// <summary>Stride and zero padding of a 2-D convolution.</summary>
public readonly record struct ConvWindow(int StrideH = 1, int StrideW = 1, int PadH = 0, int PadW = 0);

/// <summary>
/// The three bilinear maps of a convolution — y = conv(x, w), the input product dx = convᵀ(dy, w) and the weight
/// product dw = ∇_w⟨dy, conv(x, w)⟩ — are each other's transposes, so the family is closed under JVP and VJP:
/// <list type="bullet">
/// <item>conv(x, w): JVP conv(ẋ, w) + conv(x, ẇ); VJP x̄ = convᵀ(ȳ, w), w̄ = conv_w(x, ȳ).</item>
/// <item>convᵀ(dy, w): JVP convᵀ(ḋy, w) + convᵀ(dy, ẇ); VJP dy‾ = conv(x̄, w), w̄ = conv_w(x̄, dy).</item>
/// <item>conv_w(x, dy): JVP conv_w(ẋ, dy) + conv_w(x, ḋy); VJP x̄ = convᵀ(dy, w̄), dy‾ = conv(x, w̄).</item>
/// </list>
/// Operands may carry one extra leading dimension E (K tangents): a batched image operand with a shared weight folds E
/// into the batch (one kernel call, <see cref="Conv2dGeometry.WithBatch"/>); other combinations loop over E.
/// With <c>SumBatch</c> the E results are summed (the transpose of sharing).
/// </summary>
public enum ConvProduct
{
    /// <summary>y[N,K,OH,OW] = conv(x[N,C,H,W], w[K,C,R,S]).</summary>
    Forward,
    /// <summary>dx[N,C,H,W] = convᵀ(dy[N,K,OH,OW], w[K,C,R,S]).</summary>
    BackwardInput,
    /// <summary>dw[K,C,R,S] = conv_w(x[N,C,H,W], dy[N,K,OH,OW]).</summary>
    BackwardWeight,
}

/// <summary>One of the three convolution products (see <see cref="ConvProduct"/>).</summary>
/// <param name="Product">Which product.</param>
/// <param name="Window">Stride and padding.</param>
/// <param name="Extent">The dimensions the operands do not determine: (H, W) of the input for
/// <see cref="ConvProduct.BackwardInput"/>, (R, S) of the kernel for <see cref="ConvProduct.BackwardWeight"/>.</param>
/// <param name="SumBatch">Sum over the leading E dimension.</param>
public sealed record Conv(ConvProduct Product, ConvWindow Window, (int, int) Extent = default, bool SumBatch = false) : Primitive
{
    /// <inheritdoc />
    public override string Name => Product switch
    {
        ConvProduct.Forward => "conv2d",
        ConvProduct.BackwardInput => "conv2d_backward_input",
        _ => "conv2d_backward_weight",
    } + (SumBatch ? "_sum" : "");

    /// <summary>The geometry and the batch structure from the operand shapes.</summary>
    internal (Conv2dGeometry G, int E, bool FirstBatched, bool SecondBatched) Resolve(Shape first, Shape second)
    {
        bool fb = first.Rank == 5, sb = second.Rank == 5;
        if (first.Rank is < 4 or > 5 || second.Rank is < 4 or > 5) throw Bad("operands must be 4-D (or 5-D with a leading stacked dimension)");
        if (fb && sb && first[0] != second[0]) throw Bad($"stacked dimensions differ ({first[0]} vs {second[0]})");
        int e = fb ? first[0] : sb ? second[0] : 1;
        var f = fb ? first.Skip(1) : first;
        var s = sb ? second.Skip(1) : second;
        var win = Window;
        Conv2dGeometry g;
        try
        {
            switch (Product)
            {
                case ConvProduct.Forward:
                    if (f[1] != s[1]) throw Bad($"input has {f[1]} channels, weight expects {s[1]}");
                    g = new Conv2dGeometry(f[0], f[1], f[2], f[3], s[0], s[2], s[3], win.StrideH, win.StrideW, win.PadH, win.PadW);
                    break;
                case ConvProduct.BackwardInput:
                    if (f[1] != s[0]) throw Bad($"output gradient has {f[1]} channels, weight has {s[0]} filters");
                    g = new Conv2dGeometry(f[0], s[1], Extent.Item1, Extent.Item2, s[0], s[2], s[3], win.StrideH, win.StrideW, win.PadH, win.PadW);
                    if (g.OutH != f[2] || g.OutW != f[3]) throw Bad($"output gradient is {f[2]}×{f[3]}, the geometry gives {g.OutH}×{g.OutW}");
                    break;
                default:
                    if (f[0] != s[0]) throw Bad($"input batch {f[0]} differs from output-gradient batch {s[0]}");
                    g = new Conv2dGeometry(f[0], f[1], f[2], f[3], s[1], Extent.Item1, Extent.Item2, win.StrideH, win.StrideW, win.PadH, win.PadW);
                    if (g.OutH != s[2] || g.OutW != s[3]) throw Bad($"output gradient is {s[2]}×{s[3]}, the geometry gives {g.OutH}×{g.OutW}");
                    break;
            }
        }
        catch (ArgumentException ex)
        {
            throw Bad(ex.Message);
        }
        return (g, e, fb, sb);
    }

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        var (g, e, fb, sb) = Resolve(inputs[0].Shape, inputs[1].Shape);
        if (SumBatch && !(fb || sb)) throw Bad("a batch sum needs a stacked operand");
        Shape result = Product switch
        {
            ConvProduct.Forward => new Shape(g.N, g.K, g.OutH, g.OutW),
            ConvProduct.BackwardInput => new Shape(g.N, g.C, g.H, g.W),
            _ => new Shape(g.K, g.C, g.R, g.S),
        };
        return [new((fb || sb) && !SumBatch ? result.Prepend(new Shape(e)) : result)];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c)
    {
        var (g, e, fb, sb) = Resolve(c.InShape(0), c.InShape(1));
        return new ConvStep<T>(c, Product, g, e, fb, sb, SumBatch);
    }

    private Conv With(ConvProduct p, (int, int) extent, bool sum) => new(p, Window, extent, sum);

    /// <summary>Applies a product to two operands, batch-summing when the operand being differentiated has no E.</summary>
    private Var Apply(ConvProduct p, Var first, Var second, Var operand, (int, int) extent)
    {
        bool batched = first.Shape.Rank == 5 || second.Shape.Rank == 5;
        bool sum = batched && operand.Shape.Rank == 4;
        return first.Builder.Apply1(With(p, extent, sum), first, second);
    }

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t)
    {
        var b = p[0].Builder;
        var prim = this with { SumBatch = false };
        return [Rules.Sum(t[0] == null ? null : b.Apply1(prim, t[0]!, p[1]), t[1] == null ? null : b.Apply1(prim, p[0], t[1]!))];
    }

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct)
    {
        var g = ct[0]!;
        Shape s0 = p[0].Shape, s1 = p[1].Shape;
        switch (Product)
        {
            case ConvProduct.Forward:
                {
                    var x = p[0]; var w = p[1];
                    return [Apply(ConvProduct.BackwardInput, g, w, x, (s0[-2], s0[-1])),
                            Apply(ConvProduct.BackwardWeight, x, g, w, (s1[-2], s1[-1]))];
                }
            case ConvProduct.BackwardInput:
                {
                    var dy = p[0]; var w = p[1];
                    return [Apply(ConvProduct.Forward, g, w, dy, default),
                            Apply(ConvProduct.BackwardWeight, g, dy, w, (s1[-2], s1[-1]))];
                }
            default:
                {
                    var x = p[0]; var dy = p[1];
                    return [Apply(ConvProduct.BackwardInput, dy, g, x, (s0[-2], s0[-1])),
                            Apply(ConvProduct.Forward, x, g, dy, default)];
                }
        }
    }
}

internal sealed class ConvStep<T> : Step where T : unmanaged
{
    private readonly Backend _be;
    private readonly Slot<T> _x, _y, _out;
    private readonly Slot<T>? _tmp;
    private readonly ConvProduct _p;
    private readonly Conv2dGeometry _g, _folded;
    private readonly int _e, _s0, _s1, _so;
    private readonly bool _fold, _sum, _stack;
    private static readonly T One = Plan<T>.FromDouble(1), Zero = Plan<T>.FromDouble(0);

    public ConvStep(StepContext<T> c, ConvProduct p, Conv2dGeometry g, int e, bool fb, bool sb, bool sum)
    {
        _be = c.Backend;
        _x = c.In(0);
        _y = c.In(1);
        _out = c.Out(0);
        _p = p;
        _g = g;
        _e = e;
        _sum = sum;
        int len0 = c.InShape(0).Length / (fb ? e : 1), len1 = c.InShape(1).Length / (sb ? e : 1);
        _s0 = fb ? len0 : 0;
        _s1 = sb ? len1 : 0;
        int outLen = c.OutShape(0).Length / ((fb || sb) && !sum ? e : 1);
        _so = sum ? 0 : outLen;
        // Fold E into the batch N when the weight-like operand is shared (forward / input product), or when the
        // weight product sums over E with both operands stacked (the weight product already sums over N).
        _fold = p switch
        {
            ConvProduct.Forward or ConvProduct.BackwardInput => fb && !sb && !sum,
            _ => fb && sb && sum,
        };
        if (_fold) _folded = g.WithBatch(g.N * e);
        // A shared image with E stacked weights (the tangent x·Ẇ_k, weights contiguous [E, K, C, R, S]): one call, so
        // that the backend can pack the image once for all E (Backend.Conv2dForwardSets).
        _stack = p == ConvProduct.Forward && !fb && sb && !sum && e > 1;
        if (sum && !_fold && p != ConvProduct.BackwardWeight) _tmp = c.Scratch(outLen);
    }

    public override void Run()
    {
        var x = _x.View;
        var y = _y.View;
        var o = _out.View;
        if (_fold)
        {
            Launch(_folded, x, y, o, Zero);
            return;
        }
        if (_stack)
        {
            _be.Conv2dForwardSets(_g, _e, x, y, o);
            return;
        }
        int len0 = _s0 == 0 ? x.Length : _s0, len1 = _s1 == 0 ? y.Length : _s1;
        int lenO = _sum ? o.Length : _so == 0 ? o.Length : _so;
        for (int e = 0; e < _e; e++)
        {
            var xe = x.Slice(e * _s0, len0);
            var ye = y.Slice(e * _s1, len1);
            if (!_sum) Launch(_g, xe, ye, o.Slice(e * _so, lenO), Zero);
            else if (_p == ConvProduct.BackwardWeight) Launch(_g, xe, ye, o, e == 0 ? Zero : One);
            else if (e == 0) Launch(_g, xe, ye, o, Zero);
            else
            {
                Launch(_g, xe, ye, _tmp!.View, Zero);
                _be.Axpy(One, _tmp.View, o);
            }
        }
    }

    private void Launch(in Conv2dGeometry g, BufferView<T> a, BufferView<T> b, BufferView<T> o, T beta)
    {
        switch (_p)
        {
            case ConvProduct.Forward: _be.Conv2dForward(g, a, b, o); break;
            case ConvProduct.BackwardInput: _be.Conv2dBackwardInput(g, a, b, o); break;
            default: _be.Conv2dBackwardWeight(g, a, b, o, beta); break;
        }
    }
}
