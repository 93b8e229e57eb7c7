using Tangent.Engine.Primitives;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Engine.Execution;

/// <summary>
/// The reverse pattern of <see cref="Fusion"/>, with E stacked cotangents (the transpose of a K-tangent JVP, as in the
/// JJᵀ tapes of many-vector projections): <c>g = f′(a) ⊙ scatter(c̄, argmax)</c> read only by
/// <c>conv_backward_weight(x, g)</c> and optionally <c>conv_backward_input(g, w)</c> and the bias sum
/// <c>sum_to(g)</c>, run as one step at the scatter that writes those consumers' results
/// (<see cref="IConvActivationMaxPoolCotangent"/>).
/// </summary>
internal static class ConvActivationMaxPoolCotangentFusion
{
    /// <summary>Adds the matches of <paramref name="graph"/> that <paramref name="backend"/> serves for <typeparamref name="T"/>.</summary>
    public static void Find<T>(FusionGraph graph, IConvActivationMaxPoolCotangent backend, List<Fusion.Match> result) where T : unmanaged
    {
        var eqs = graph.Equations;
        for (int root = 0; root < eqs.Count; root++)
        {
            if (eqs[root].Primitive is not MaxPoolScatter scatter) continue;
            var ct = eqs[root].Inputs[0];
            var argmax = eqs[root].Inputs[1];
            var dense = eqs[root].Outputs[0];
            if (ct.Shape.Rank != 5 || argmax.Shape.Rank != 4 || graph.Uses[dense.Id] != 1) continue;
            int actEq = graph.Consumers[dense.Id][0];
            if (eqs[actEq].Primitive is not DerivativeMul derivative || !ReferenceEquals(eqs[actEq].Inputs[1], dense)) continue;
            var activation = derivative.Kind;
            var a = eqs[actEq].Inputs[0];
            var g = eqs[actEq].Outputs[0];
            if (a.Shape.Rank != 4 || g.Shape != dense.Shape || !graph.Consumers.TryGetValue(g.Id, out var readers)) continue;
            int sets = g.Shape[0];
            int weightEq = -1, inputEq = -1, biasEq = -1;
            bool ok = graph.Uses[g.Id] == readers.Count;
            foreach (int r in readers)
            {
                var eq = eqs[r];
                if (eq.Primitive is Conv { Product: ConvProduct.BackwardWeight, SumBatch: false } && ReferenceEquals(eq.Inputs[1], g)
                    && eq.Inputs[0].Shape.Rank == 4 && weightEq < 0) weightEq = r;
                else if (eq.Primitive is Conv { Product: ConvProduct.BackwardInput, SumBatch: false } && ReferenceEquals(eq.Inputs[0], g)
                         && eq.Inputs[1].Shape.Rank == 4 && inputEq < 0) inputEq = r;
                else if (eq.Primitive is SumTo && eq.Outputs[0].Shape == new Shape(sets, 1, g.Shape[2], 1, 1) && biasEq < 0) biasEq = r;
                else ok = false;
            }
            if (!ok || weightEq < 0) continue;
            var wc = eqs[weightEq];
            var wconv = (Conv)wc.Primitive;
            var (geometry, e2, _, _) = wconv.Resolve(wc.Inputs[0].Shape, g.Shape);
            if (e2 != sets || a.Shape != new Shape(geometry.N, geometry.K, geometry.OutH, geometry.OutW)) continue;
            Var? w = null;
            if (inputEq >= 0)
            {
                var ic = eqs[inputEq];
                var iconv = (Conv)ic.Primitive;
                if (iconv.Window != wconv.Window) continue;
                var (gi, _, _, _) = iconv.Resolve(g.Shape, ic.Inputs[1].Shape);
                if (gi != geometry) continue;
                w = ic.Inputs[1];
            }
            Pool2dGeometry pool;
            try
            {
                (pool, int repeats) = MaxPoolGather.Resolve(scatter.Window, scatter.H, scatter.W, dense.Shape, argmax.Shape);
                if (repeats != sets) continue;
            }
            catch (ShapeError)
            {
                continue;
            }
            if (!backend.SupportsConvActivationMaxPoolCotangent<T>(geometry, pool, sets, activation)) continue;

            var prim = new ConvActivationMaxPoolCotangent(wconv.Window, scatter.Window, scatter.H, scatter.W, wconv.Extent,
                activation, inputEq >= 0, biasEq >= 0);
            var inputs = new List<Var> { ct, argmax, a, wc.Inputs[0] };
            if (w != null) inputs.Add(w);
            var outputs = new List<Var> { wc.Outputs[0] };
            if (inputEq >= 0) outputs.Add(eqs[inputEq].Outputs[0]);
            if (biasEq >= 0) outputs.Add(eqs[biasEq].Outputs[0]);
            var fused = new Equation(prim, inputs.ToArray(), outputs.ToArray(), eqs[root].Scope);
            var skipped = new List<int> { actEq, weightEq };
            if (inputEq >= 0) skipped.Add(inputEq);
            if (biasEq >= 0) skipped.Add(biasEq);
            result.Add(new Fusion.Match(root, fused, skipped.ToArray()));
        }
    }
}

/// <summary>
/// The fused cotangent of <see cref="Fusion"/>: inputs c̄ [E, N, K, PH, PW], argmax, a, x, and w when dx is wanted;
/// outputs dw [E, K, C, R, S], then dx [E, N, C, H, W] and the bias sum [E, 1, K, 1, 1] where the tape had them. Only
/// inside plans; no differentiation rules.
/// </summary>
internal sealed record ConvActivationMaxPoolCotangent(ConvWindow Window, PoolWindow Pool, int H, int W, (int, int) Kernel,
    DerivativeKind Activation, bool InputCotangent, bool BiasCotangent) : PlanOnlyPrimitive
{
    /// <inheritdoc />
    public override string Name => $"conv_{ActivationName(Activation)}_max_pool_cotangent";

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c)
    {
        var ct = c.InShape(0);
        var conv = new Conv(ConvProduct.BackwardWeight, Window, Kernel);
        var (g, e, _, _) = conv.Resolve(c.InShape(3), new Shape(ct[0], c.InShape(2)[0], c.InShape(2)[1], c.InShape(2)[2], c.InShape(2)[3]));
        var (pool, _) = MaxPoolGather.Resolve(Pool, H, W, new Shape(e, g.N, g.K, g.OutH, g.OutW), c.InShape(1));
        return new ConvActivationMaxPoolCotangentStep<T>(c, g, pool, e, Activation, InputCotangent, BiasCotangent);
    }
}

internal sealed class ConvActivationMaxPoolCotangentStep<T> : Step where T : unmanaged
{
    private readonly IConvActivationMaxPoolCotangent _kernel;
    private readonly Conv2dGeometry _g;
    private readonly Pool2dGeometry _pool;
    private readonly int _e;
    private readonly DerivativeKind _activation;
    private readonly Slot<T> _ct, _a, _x, _dw;
    private readonly Slot<T>? _w, _dx, _db;
    private readonly Slot<int> _arg;

    public ConvActivationMaxPoolCotangentStep(StepContext<T> c, Conv2dGeometry g, Pool2dGeometry pool, int e, DerivativeKind activation,
        bool inputCotangent, bool biasCotangent)
    {
        _kernel = (IConvActivationMaxPoolCotangent)c.Backend;
        _g = g;
        _pool = pool;
        _e = e;
        _activation = activation;
        _ct = c.In(0);
        _arg = c.IndexIn(1);
        _a = c.In(2);
        _x = c.In(3);
        if (inputCotangent) _w = c.In(4);
        _dw = c.Out(0);
        int next = 1;
        if (inputCotangent) _dx = c.Out(next++);
        if (biasCotangent) _db = c.Out(next);
    }

    public override void Run() =>
        _kernel.ConvActivationMaxPoolCotangent(_g, _pool, _e, _activation, _ct.View, _arg.View, _a.View, _x.View, _w?.View ?? default, _dw.View,
            _dx?.View ?? default, _db?.View ?? default);
}
