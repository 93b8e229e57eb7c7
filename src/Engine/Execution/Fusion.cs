using Tangent.Engine.Primitives;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Execution;

/// <summary>
/// Plan-time fusions: patterns of equations a plan runs as one step when its backend has a kernel for them. They
/// change no tape (tapes stay what the transformations made, so they can be transformed again); the plan compiles a
/// pattern's last equation into the fused step and skips the others, whose results nothing else reads.
/// <para>
/// One pattern so far, the forward-mode tangent through convolution → ReLU → max pooling with E stacked tangents:
/// <c>gather(relu_grad(z, conv(ẋ, w) + conv(x, ẇ)), argmax)</c> (or <c>conv(x, ẇ)</c> alone when the input has no
/// tangent). Max pooling reads one position of each window, so the dense tangent convolutions compute mostly values
/// that the gather drops; the fused kernel (<see cref="Backend.ConvReluMaxPoolTangent{T}"/>) computes only the kept
/// ones.
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
            int reluEq = Private(dense);
            if (reluEq < 0 || eqs[reluEq].Primitive is not DerivativeMul { Kind: DerivativeKind.Relu }) continue;
            var z = eqs[reluEq].Inputs[0];
            var sum = eqs[reluEq].Inputs[1];
            if (z.Shape.Rank != 4 || sum.Shape != dense.Shape) continue;
            int sumEq = Private(sum);
            if (sumEq < 0) continue;

            // The convolution terms: conv(x, ẇ) (image shared, weights stacked), optionally + conv(ẋ, w).
            int weightConv = -1, inputConv = -1, addEq = -1;
            if (IsConv(eqs[sumEq], out _)) weightConv = sumEq;
            else if (eqs[sumEq].Primitive is Binary { Kind: BinaryKind.Add } && eqs[sumEq].Inputs[0].Shape == sum.Shape
                     && eqs[sumEq].Inputs[1].Shape == sum.Shape)
            {
                addEq = sumEq;
                foreach (var term in eqs[sumEq].Inputs)
                {
                    int t = Private(term);
                    if (t < 0 || !IsConv(eqs[t], out _)) { weightConv = inputConv = -1; break; }
                    bool imageStacked = eqs[t].Inputs[0].Shape.Rank == 5, weightStacked = eqs[t].Inputs[1].Shape.Rank == 5;
                    if (!imageStacked && weightStacked && weightConv < 0) weightConv = t;
                    else if (imageStacked && !weightStacked && inputConv < 0) inputConv = t;
                }
                if (inputConv < 0) continue;
            }
            if (weightConv < 0) continue;
            var wc = eqs[weightConv];
            if (wc.Inputs[0].Shape.Rank != 4 || wc.Inputs[1].Shape.Rank != 5) continue;
            var conv = (Conv)wc.Primitive;
            var (geometry, tangents, _, _) = conv.Resolve(wc.Inputs[0].Shape, wc.Inputs[1].Shape);
            if (z.Shape != new Shape(geometry.N, geometry.K, geometry.OutH, geometry.OutW)) continue;
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
            if (!backend.SupportsConvReluMaxPoolTangent<T>(geometry, pool, tangents)) continue;

            var prim = new ConvReluMaxPoolTangent(conv.Window, gather.Window, gather.H, gather.W, xdot != null);
            Var[] inputs = xdot == null ? [wc.Inputs[0], wc.Inputs[1], z, argmax] : [wc.Inputs[0], wc.Inputs[1], z, argmax, xdot, w!];
            var fused = new Equation(prim, inputs, eqs[root].Outputs, eqs[root].Scope);
            int[] skipped = addEq < 0 ? [weightConv, reluEq] : [weightConv, inputConv, addEq, reluEq];
            result.Add(new Match(root, fused, skipped));
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
/// The fused tangent of <see cref="Fusion"/>: inputs x, ẇ [E, K, C, R, S], z (pre-activation), argmax, then — when
/// the input has a tangent — ẋ [E, N, C, H, W] and w; output the pooled tangent [E, N, K, PH, PW]. It exists only
/// inside plans (made by <see cref="Fusion.Find{T}"/>), so it has no differentiation rules.
/// </summary>
internal sealed record ConvReluMaxPoolTangent(ConvWindow Window, PoolWindow Pool, int H, int W, bool InputTangent) : Primitive
{
    /// <inheritdoc />
    public override string Name => "conv_relu_max_pool_tangent";

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs) =>
        throw new InvalidOperationException("conv_relu_max_pool_tangent is made by plans only, not traced.");

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c)
    {
        var conv = new Conv(ConvProduct.Forward, Window);
        var (g, e, _, _) = conv.Resolve(c.InShape(0), c.InShape(1));
        var (pool, _) = MaxPoolGather.Resolve(Pool, H, W, new Shape(e, g.N, g.K, g.OutH, g.OutW), c.InShape(3));
        return new ConvReluMaxPoolTangentStep<T>(c, g, pool, e, InputTangent);
    }

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] primals, Var[] results, Var?[] tangents) =>
        throw new InvalidOperationException("conv_relu_max_pool_tangent exists only inside plans; transform the unfused tape.");

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] primals, Var[] results, Var?[] cotangents) =>
        throw new InvalidOperationException("conv_relu_max_pool_tangent exists only inside plans; transform the unfused tape.");
}

internal sealed class ConvReluMaxPoolTangentStep<T> : Step where T : unmanaged
{
    private readonly Backend _be;
    private readonly Conv2dGeometry _g;
    private readonly Pool2dGeometry _pool;
    private readonly int _e;
    private readonly Slot<T> _x, _wdot, _z, _out;
    private readonly Slot<T>? _xdot, _w;
    private readonly Slot<int> _arg;

    public ConvReluMaxPoolTangentStep(StepContext<T> c, Conv2dGeometry g, Pool2dGeometry pool, int e, bool inputTangent)
    {
        _be = c.Backend;
        _g = g;
        _pool = pool;
        _e = e;
        _x = c.In(0);
        _wdot = c.In(1);
        _z = c.In(2);
        _arg = c.IndexIn(3);
        if (inputTangent)
        {
            _xdot = c.In(4);
            _w = c.In(5);
        }
        _out = c.Out(0);
    }

    public override void Run() =>
        _be.ConvReluMaxPoolTangent(_g, _pool, _e, _x.View, _w?.View ?? default, _xdot?.View ?? default, _wdot.View, _z.View, _arg.View, _out.View);
}
