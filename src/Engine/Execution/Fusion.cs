using Tangent.Engine.Primitives;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Execution;

/// <summary>
/// Plan-time fusions: patterns of equations a plan runs as one step when its backend has a kernel for them. They
/// change no tape (tapes stay what the transformations made, so they can be transformed again); the plan compiles a
/// pattern's last equation into the fused step and skips the others, whose results nothing else reads.
/// <para>
/// One pattern so far, the forward-mode tangent through convolution (+ bias) → activation → max pooling with E stacked
/// tangents: <c>gather(f′(a) ⊙ (conv(ẋ, w) + conv(x, ẇ) + ḃ), argmax)</c> for f = ReLU, tanh or σ (the input and
/// bias terms optional). Max pooling reads one position of each window, so the dense tangent convolutions mostly
/// compute values that the gather drops; the fused kernel (<see cref="Backend.ConvActivationMaxPoolTangent{T}"/>)
/// computes only the kept ones.
/// </para>
/// </summary>
internal static class Fusion
{
    /// <summary>A matched pattern: its last equation's index, the fused equation to run there, and the equations to skip.</summary>
    internal sealed record Match(int Root, Equation Fused, int[] Skipped);

    /// <summary>The patterns of <paramref name="tape"/> that <paramref name="backend"/> fuses for element type <typeparamref name="T"/>.</summary>
    public static List<Match> Find<T>(Tape tape, Backend backend) where T : unmanaged
    {
        var result = new List<Match>();
        if (Environment.GetEnvironmentVariable("TANGENT_NO_FUSION") == "1") return result;
        var eqs = tape.Equations;
        var producer = new Dictionary<int, int>();
        var uses = new int[tape.VarCount];
        for (int e = 0; e < eqs.Count; e++)
        {
            foreach (var o in eqs[e].Outputs) producer[o.Id] = e;
            foreach (var i in eqs[e].Inputs) uses[i.Id]++;
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
            TangentActivation activation;
            switch (derivative.Kind)
            {
                case DerivativeKind.Relu: activation = TangentActivation.Relu; break;
                case DerivativeKind.TanhFromOutput: activation = TangentActivation.TanhFromOutput; break;
                case DerivativeKind.SigmoidFromOutput: activation = TangentActivation.SigmoidFromOutput; break;
                default: continue;
            }
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
        return result;
    }

    private static bool IsConv(Equation e, out Conv conv)
    {
        conv = (e.Primitive as Conv)!;
        return conv is { Product: ConvProduct.Forward, SumBatch: false };
    }
}

/// <summary>
/// The fused tangent of <see cref="Fusion"/>: inputs x, ẇ [E, K, C, R, S], a (what the activation derivative reads),
/// argmax, then — when the input has a tangent — ẋ [E, N, C, H, W] and w, then — when the bias has one — ḃ
/// [E, 1, K, 1, 1]; output the pooled tangent [E, N, K, PH, PW]. It exists only inside plans (made by
/// <see cref="Fusion.Find{T}"/>), so it has no differentiation rules.
/// </summary>
internal sealed record ConvActivationMaxPoolTangent(ConvWindow Window, PoolWindow Pool, int H, int W, TangentActivation Activation,
    bool InputTangent, bool BiasTangent) : Primitive
{
    /// <inheritdoc />
    public override string Name => Activation switch
    {
        TangentActivation.Relu => "conv_relu_max_pool_tangent",
        TangentActivation.TanhFromOutput => "conv_tanh_max_pool_tangent",
        _ => "conv_sigmoid_max_pool_tangent",
    };

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs) =>
        throw new InvalidOperationException($"{Name} is made by plans only, not traced.");

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c)
    {
        var conv = new Conv(ConvProduct.Forward, Window);
        var (g, e, _, _) = conv.Resolve(c.InShape(0), c.InShape(1));
        var (pool, _) = MaxPoolGather.Resolve(Pool, H, W, new Shape(e, g.N, g.K, g.OutH, g.OutW), c.InShape(3));
        return new ConvActivationMaxPoolTangentStep<T>(c, g, pool, e, Activation, InputTangent, BiasTangent);
    }

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] primals, Var[] results, Var?[] tangents) =>
        throw new InvalidOperationException($"{Name} exists only inside plans; transform the unfused tape.");

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] primals, Var[] results, Var?[] cotangents) =>
        throw new InvalidOperationException($"{Name} exists only inside plans; transform the unfused tape.");
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
