using Tangent.Engine.Primitives;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Execution;

/// <summary>
/// Plan-time fusions: patterns of equations a plan runs as one step when its backend has a kernel for them. They
/// change no tape (tapes stay what the transformations made, so they can be transformed again); the plan compiles the
/// fused step at one equation of the pattern and skips the others, whose results nothing else reads.
/// <para>
/// Two patterns so far, both around convolution (+ bias) → activation → max pooling with E stacked tangents or
/// cotangents (f = ReLU, tanh or σ). Forward: <c>gather(f′(a) ⊙ (conv(ẋ, w) + conv(x, ẇ) + ḃ), argmax)</c> (the input
/// and bias terms optional), run at the gather. Reverse: <c>g = f′(a) ⊙ scatter(c̄, argmax)</c> read only by the weight
/// product, and optionally the input product and the bias sum, run at the scatter. Max pooling reads (and passes
/// back) one position of each window, so the dense products mostly compute values that are zero or dropped; the
/// fused kernels (<see cref="Backend.ConvActivationMaxPoolTangent{T}"/>,
/// <see cref="Backend.ConvActivationMaxPoolCotangent{T}"/>) visit only the kept positions.
/// </para>
/// </summary>
internal static class Fusion
{
    /// <summary>A matched pattern: the index of the equation whose place the fused step takes, the fused equation, and the equations to skip.</summary>
    internal sealed record Match(int Root, Equation Fused, int[] Skipped);

    /// <summary>The patterns of <paramref name="tape"/> that <paramref name="backend"/> fuses for element type <typeparamref name="T"/>.</summary>
    public static List<Match> Find<T>(Tape tape, Backend backend) where T : unmanaged
    {
        var result = new List<Match>();
        if (Environment.GetEnvironmentVariable("TANGENT_NO_FUSION") == "1") return result;
        var eqs = tape.Equations;
        var producer = new Dictionary<int, int>();
        var consumers = new Dictionary<int, List<int>>();
        var uses = new int[tape.VarCount];
        for (int e = 0; e < eqs.Count; e++)
        {
            foreach (var o in eqs[e].Outputs) producer[o.Id] = e;
            foreach (var i in eqs[e].Inputs)
            {
                uses[i.Id]++;
                if (!consumers.TryGetValue(i.Id, out var list)) consumers[i.Id] = list = [];
                if (list.Count == 0 || list[^1] != e) list.Add(e);
            }
        }
        foreach (var g in tape.Outputs)
            foreach (var v in g.Vars) uses[v.Id] += 2;

        // An intermediate read once, by the pattern's next equation, and produced by an equation of the tape.
        int Private(Var v) => uses[v.Id] == 1 && producer.TryGetValue(v.Id, out int e) ? e : -1;

        for (int root = 0; root < eqs.Count; root++)
        {
            if (eqs[root].Primitive is not MaxPoolGather gather) continue;
            var dense = eqs[root].Inputs[0];
            var argmax = eqs[root].Inputs[1];
            if (dense.Shape.Rank != 5 || argmax.Shape.Rank != 4) continue;
            int actEq = Private(dense);
            if (actEq < 0 || eqs[actEq].Primitive is not DerivativeMul derivative) continue;
            if (ActivationOf(derivative.Kind) is not { } activation) continue;
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
                int e = Private(v);
                var eq = e >= 0 && v.Shape == sum.Shape ? eqs[e] : null;
                if (eq?.Primitive is Binary { Kind: BinaryKind.Add } && adds.Count < 3)
                {
                    adds.Add(e);
                    pending.Push(eq.Inputs[0]);
                    pending.Push(eq.Inputs[1]);
                }
                else if (eq != null && IsConv(eq, out _) && eq.Inputs[0].Shape.Rank == 4 && eq.Inputs[1].Shape.Rank == 5 && weightConv < 0) weightConv = e;
                else if (eq != null && IsConv(eq, out _) && eq.Inputs[0].Shape.Rank == 5 && eq.Inputs[1].Shape.Rank == 4 && inputConv < 0) inputConv = e;
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
            if (!backend.SupportsConvActivationMaxPoolTangent<T>(geometry, pool, tangents)) continue;

            var prim = new ConvActivationMaxPoolTangent(conv.Window, gather.Window, gather.H, gather.W, activation, xdot != null, bias != null);
            var inputs = new List<Var> { wc.Inputs[0], wc.Inputs[1], a, argmax };
            if (xdot != null) inputs.AddRange([xdot, w!]);
            if (bias != null) inputs.Add(bias);
            var fused = new Equation(prim, inputs.ToArray(), eqs[root].Outputs, eqs[root].Scope);
            var skipped = new List<int>(adds) { weightConv, actEq };
            if (inputConv >= 0) skipped.Add(inputConv);
            result.Add(new Match(root, fused, skipped.ToArray()));
        }
        FindReverse<T>(eqs, backend, uses, consumers, result);
        return result;
    }

    /// <summary>
    /// The reverse sweep of the same pattern with E stacked cotangents (the transpose of a K-tangent JVP, as in the
    /// JJᵀ tapes of many-vector projections): <c>g = f′(a) ⊙ scatter(c̄, argmax)</c> read only by
    /// <c>conv_backward_weight(x, g)</c> and optionally <c>conv_backward_input(g, w)</c> and the bias sum
    /// <c>sum_to(g)</c>. The fused step runs at the scatter and writes those consumers' results.
    /// </summary>
    private static void FindReverse<T>(IReadOnlyList<Equation> eqs, Backend backend, int[] uses, Dictionary<int, List<int>> consumers,
        List<Match> result) where T : unmanaged
    {
        for (int root = 0; root < eqs.Count; root++)
        {
            if (eqs[root].Primitive is not MaxPoolScatter scatter) continue;
            var ct = eqs[root].Inputs[0];
            var argmax = eqs[root].Inputs[1];
            var dense = eqs[root].Outputs[0];
            if (ct.Shape.Rank != 5 || argmax.Shape.Rank != 4 || uses[dense.Id] != 1) continue;
            int actEq = consumers[dense.Id][0];
            if (eqs[actEq].Primitive is not DerivativeMul derivative || !ReferenceEquals(eqs[actEq].Inputs[1], dense)) continue;
            if (ActivationOf(derivative.Kind) is not { } activation) continue;
            var a = eqs[actEq].Inputs[0];
            var g = eqs[actEq].Outputs[0];
            if (a.Shape.Rank != 4 || g.Shape != dense.Shape || !consumers.TryGetValue(g.Id, out var readers)) continue;
            int sets = g.Shape[0];
            int weightEq = -1, inputEq = -1, biasEq = -1;
            bool ok = uses[g.Id] == readers.Count;
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
            if (!backend.SupportsConvActivationMaxPoolCotangent<T>(geometry, pool, sets)) continue;

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
            result.Add(new Match(root, fused, skipped.ToArray()));
        }
    }

    /// <summary>The fused kernels' activation for a derivative kind, or null where they have none.</summary>
    private static TangentActivation? ActivationOf(DerivativeKind kind) => kind switch
    {
        DerivativeKind.Relu => TangentActivation.Relu,
        DerivativeKind.TanhFromOutput => TangentActivation.TanhFromOutput,
        DerivativeKind.SigmoidFromOutput => TangentActivation.SigmoidFromOutput,
        _ => null,
    };

    private static bool IsConv(Equation e, out Conv conv)
    {
        conv = (e.Primitive as Conv)!;
        return conv is { Product: ConvProduct.Forward, SumBatch: false };
    }
}

/// <summary>
/// A primitive that only plans make (fusions): it is never traced, so it has no shape inference and no
/// differentiation rules — transform the unfused tape instead.
/// </summary>
internal abstract record PlanOnlyPrimitive : Primitive
{
    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs) =>
        throw new InvalidOperationException($"{Name} is made by plans only, not traced.");

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] primals, Var[] results, Var?[] tangents) =>
        throw new InvalidOperationException($"{Name} exists only inside plans; transform the unfused tape.");

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] primals, Var[] results, Var?[] cotangents) =>
        throw new InvalidOperationException($"{Name} exists only inside plans; transform the unfused tape.");

    /// <summary>The activation's name in step names.</summary>
    protected static string ActivationName(TangentActivation a) => a switch
    {
        TangentActivation.Relu => "relu",
        TangentActivation.TanhFromOutput => "tanh",
        _ => "sigmoid",
    };
}

/// <summary>
/// The fused tangent of <see cref="Fusion"/>: inputs x, ẇ [E, K, C, R, S], a (what the activation derivative reads),
/// argmax, then — when the input has a tangent — ẋ [E, N, C, H, W] and w, then — when the bias has one — ḃ
/// [E, 1, K, 1, 1]; output the pooled tangent [E, N, K, PH, PW]. It exists only inside plans (made by
/// <see cref="Fusion.Find{T}"/>), so it has no differentiation rules.
/// </summary>
internal sealed record ConvActivationMaxPoolTangent(ConvWindow Window, PoolWindow Pool, int H, int W, TangentActivation Activation,
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
    private readonly Backend _be;
    private readonly Conv2dGeometry _g;
    private readonly Pool2dGeometry _pool;
    private readonly int _e;
    private readonly TangentActivation _activation;
    private readonly Slot<T> _x, _wdot, _a, _out;
    private readonly Slot<T>? _xdot, _w, _bdot;
    private readonly Slot<int> _arg;

    public ConvActivationMaxPoolTangentStep(StepContext<T> c, Conv2dGeometry g, Pool2dGeometry pool, int e, TangentActivation activation,
        bool inputTangent, bool biasTangent)
    {
        _be = c.Backend;
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
        _be.ConvActivationMaxPoolTangent(_g, _pool, _e, _activation, _x.View, _w?.View ?? default, _xdot?.View ?? default, _wdot.View,
            _bdot?.View ?? default, _a.View, _arg.View, _out.View);
}

/// <summary>
/// The fused cotangent of <see cref="Fusion"/>: inputs c̄ [E, N, K, PH, PW], argmax, a, x, and w when dx is wanted;
/// outputs dw [E, K, C, R, S], then dx [E, N, C, H, W] and the bias sum [E, 1, K, 1, 1] where the tape had them. Only
/// inside plans; no differentiation rules.
/// </summary>
internal sealed record ConvActivationMaxPoolCotangent(ConvWindow Window, PoolWindow Pool, int H, int W, (int, int) Kernel,
    TangentActivation Activation, bool InputCotangent, bool BiasCotangent) : PlanOnlyPrimitive
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
    private readonly Backend _be;
    private readonly Conv2dGeometry _g;
    private readonly Pool2dGeometry _pool;
    private readonly int _e;
    private readonly TangentActivation _activation;
    private readonly Slot<T> _ct, _a, _x, _dw;
    private readonly Slot<T>? _w, _dx, _db;
    private readonly Slot<int> _arg;

    public ConvActivationMaxPoolCotangentStep(StepContext<T> c, Conv2dGeometry g, Pool2dGeometry pool, int e, TangentActivation activation,
        bool inputCotangent, bool biasCotangent)
    {
        _be = c.Backend;
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
        _be.ConvActivationMaxPoolCotangent(_g, _pool, _e, _activation, _ct.View, _arg.View, _a.View, _x.View, _w?.View ?? default, _dw.View,
            _dx?.View ?? default, _db?.View ?? default);
}
