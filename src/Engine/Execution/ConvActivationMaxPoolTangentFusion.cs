using Tangent.Engine.Primitives;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Engine.Execution;

/// <summary>
/// The forward pattern of <see cref="Fusion"/>, with E stacked tangents through convolution (+ bias) → activation →
/// max pooling: <c>gather(f′(a) ⊙ (conv(x, ẇ) + conv(ẋ, w) + ḃ), argmax)</c>, the input and bias terms optional, run
/// as one step at the gather (<see cref="IConvActivationMaxPoolTangent"/>). The sum's terms are private adds of
/// full-shape values whose leaves are the weight-tangent convolution (required), the input-tangent one and the bias
/// tangent [E, 1, K, 1, 1].
/// </summary>
internal static class ConvActivationMaxPoolTangentFusion
{
    /// <summary>Adds the matches of <paramref name="graph"/> that <paramref name="backend"/> serves for <typeparamref name="T"/>.</summary>
    public static void Find<T>(FusionGraph graph, IConvActivationMaxPoolTangent backend, List<Fusion.Match> result) where T : unmanaged
    {
        var eqs = graph.Equations;
        for (int root = 0; root < eqs.Count; root++)
        {
            if (eqs[root].Primitive is not MaxPoolGather gather) continue;
            var dense = eqs[root].Inputs[0];
            var argmax = eqs[root].Inputs[1];
            if (dense.Shape.Rank != 5 || argmax.Shape.Rank != 4) continue;
            int actEq = graph.Private(dense);
            if (actEq < 0 || eqs[actEq].Primitive is not DerivativeMul derivative) continue;
            var activation = derivative.Kind;
            var a = eqs[actEq].Inputs[0];
            var sum = eqs[actEq].Inputs[1];
            if (a.Shape.Rank != 4 || sum.Shape != dense.Shape) continue;
            int tangents = dense.Shape[0];
            var biasShape = new Shape(tangents, 1, dense.Shape[2], 1, 1);

            // Split the sum into its terms: private adds of full-shape values, whose leaves are the weight-tangent
            // convolution conv(x, ẇ) (required), the input-tangent one conv(ẋ, w) and the bias tangent [E, 1, K, 1, 1].
            var adds = new List<int>();
            int weightConv = -1, inputConv = -1;
            Var? bias = null;
            bool ok = true;
            var pending = new Stack<Var>();
            pending.Push(sum);
            while (ok && pending.Count > 0)
            {
                var v = pending.Pop();
                int e = graph.Private(v);
                var eq = e >= 0 && v.Shape == sum.Shape ? eqs[e] : null;
                if (eq?.Primitive is Binary { Kind: BinaryKind.Add } && adds.Count < 3)
                {
                    adds.Add(e);
                    pending.Push(eq.Inputs[0]);
                    pending.Push(eq.Inputs[1]);
                }
                else if (eq != null && Fusion.IsForwardConv(eq) && eq.Inputs[0].Shape.Rank == 4 && eq.Inputs[1].Shape.Rank == 5 && weightConv < 0) weightConv = e;
                else if (eq != null && Fusion.IsForwardConv(eq) && eq.Inputs[0].Shape.Rank == 5 && eq.Inputs[1].Shape.Rank == 4 && inputConv < 0) inputConv = e;
                else if (v.Shape == biasShape && bias == null && !ReferenceEquals(v, sum)) bias = v;
                else ok = false;
            }
            if (!ok || weightConv < 0) continue;
            var wc = eqs[weightConv];
            var conv = (Conv)wc.Primitive;
            var (geometry, e2, _, _) = conv.Resolve(wc.Inputs[0].Shape, wc.Inputs[1].Shape);
            if (e2 != tangents || a.Shape != new Shape(geometry.N, geometry.K, geometry.OutH, geometry.OutW)) continue;
            Var? xdot = null, w = null;
            if (inputConv >= 0)
            {
                var ic = eqs[inputConv];
                if (!((Conv)ic.Primitive).Equals(conv)) continue;
                if (ic.Inputs[0].Shape != new Shape(tangents, geometry.N, geometry.C, geometry.H, geometry.W)) continue;
                if (ic.Inputs[1].Shape != wc.Inputs[1].Shape.Skip(1)) continue;
                xdot = ic.Inputs[0];
                w = ic.Inputs[1];
            }
            Pool2dGeometry pool;
            try
            {
                (pool, int repeats) = MaxPoolGather.Resolve(gather.Window, gather.H, gather.W, dense.Shape, argmax.Shape);
                if (repeats != tangents) continue;
            }
            catch (ShapeError)
            {
                continue;
            }
            if (!backend.SupportsConvActivationMaxPoolTangent<T>(geometry, pool, tangents, activation)) continue;

            var prim = new ConvActivationMaxPoolTangent(conv.Window, gather.Window, gather.H, gather.W, activation, xdot != null, bias != null);
            var inputs = new List<Var> { wc.Inputs[0], wc.Inputs[1], a, argmax };
            if (xdot != null) inputs.AddRange([xdot, w!]);
            if (bias != null) inputs.Add(bias);
            var fused = new Equation(prim, inputs.ToArray(), eqs[root].Outputs, eqs[root].Scope);
            var skipped = new List<int>(adds) { weightConv, actEq };
            if (inputConv >= 0) skipped.Add(inputConv);
            result.Add(new Fusion.Match(root, fused, skipped.ToArray()));
        }
    }
}

/// <summary>
/// The fused tangent of <see cref="Fusion"/>: inputs x, ẇ [E, K, C, R, S], a (what the activation derivative reads),
/// argmax, then — when the input has a tangent — ẋ [E, N, C, H, W] and w, then — when the bias has one — ḃ
/// [E, 1, K, 1, 1]; output the pooled tangent [E, N, K, PH, PW]. It exists only inside plans (made by
/// <see cref="Fusion.Find{T}"/>), so it has no differentiation rules.
/// </summary>
internal sealed record ConvActivationMaxPoolTangent(ConvWindow Window, PoolWindow Pool, int H, int W, DerivativeKind Activation,
    bool InputTangent, bool BiasTangent) : PlanOnlyPrimitive
{
    /// <inheritdoc />
    public override string Name => $"conv_{ActivationName(Activation)}_max_pool_tangent";

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c)
    {
        var conv = new Conv(ConvProduct.Forward, Window);
        var (g, e, _, _) = conv.Resolve(c.InShape(0), c.InShape(1));
        var (pool, _) = MaxPoolGather.Resolve(Pool, H, W, new Shape(e, g.N, g.K, g.OutH, g.OutW), c.InShape(3));
        return new ConvActivationMaxPoolTangentStep<T>(c, g, pool, e, Activation, InputTangent, BiasTangent);
    }
}

internal sealed class ConvActivationMaxPoolTangentStep<T> : Step where T : unmanaged
{
    private readonly IConvActivationMaxPoolTangent _kernel;
    private readonly Conv2dGeometry _g;
    private readonly Pool2dGeometry _pool;
    private readonly int _e;
    private readonly DerivativeKind _activation;
    private readonly Slot<T> _x, _wdot, _a, _out;
    private readonly Slot<T>? _xdot, _w, _bdot;
    private readonly Slot<int> _arg;

    public ConvActivationMaxPoolTangentStep(StepContext<T> c, Conv2dGeometry g, Pool2dGeometry pool, int e, DerivativeKind activation,
        bool inputTangent, bool biasTangent)
    {
        _kernel = (IConvActivationMaxPoolTangent)c.Backend;
        _g = g;
        _pool = pool;
        _e = e;
        _activation = activation;
        _x = c.In(0);
        _wdot = c.In(1);
        _a = c.In(2);
        _arg = c.IndexIn(3);
        int next = 4;
        if (inputTangent)
        {
            _xdot = c.In(next++);
            _w = c.In(next++);
        }
        if (biasTangent) _bdot = c.In(next);
        _out = c.Out(0);
    }

    public override void Run() =>
        _kernel.ConvActivationMaxPoolTangent(_g, _pool, _e, _activation, _x.View, _w?.View ?? default, _xdot?.View ?? default, _wdot.View,
            _bdot?.View ?? default, _a.View, _arg.View, _out.View);
}
