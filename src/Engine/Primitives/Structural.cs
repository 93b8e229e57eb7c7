using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Engine.Primitives;

/// <summary>Helpers the rules share: symbolic-zero arithmetic and aligning stacked tangents for broadcasting.</summary>
internal static class Rules
{
    /// <summary>a + b where null is a symbolic zero.</summary>
    public static Var? Sum(Var? a, Var? b) => a == null ? b : b == null ? a : Fn.Add(a, b);

    /// <summary>
    /// Reshapes a tangent <c>[L…, primal…]</c> to <c>[L…, 1…, primal…]</c> so that it broadcasts like its primal
    /// against a result of higher rank.
    /// </summary>
    public static Var? Align(Var? t, Var primal, Var result)
    {
        if (t == null) return null;
        int lead = t.Shape.Rank - primal.Shape.Rank;
        int pad = result.Shape.Rank - primal.Shape.Rank;
        return pad == 0 ? t : Fn.Reshape(t, t.Shape.InsertOnes(lead, pad));
    }

    /// <summary>Expands a tangent to the full <c>[L…, result…]</c> shape where broadcasting left it smaller.</summary>
    public static Var? BroadcastTangent(Var? t, Var result)
    {
        if (t == null) return null;
        int lead = t.Shape.Rank - result.Shape.Rank;
        var full = result.Shape.Prepend(t.Shape.Take(lead));
        return t.Shape == full ? t : Fn.BroadcastTo(t, full);
    }

    /// <summary>Stacked leading dimensions of a tangent relative to its primal.</summary>
    public static Shape Lead(Var t, Var primal) => t.Shape.Take(t.Shape.Rank - primal.Shape.Rank);
}

/// <summary>y = x with another shape of the same length: a view, no kernel. Linear: JVP and VJP are reshapes.</summary>
public sealed record Reshape(Shape Target) : Primitive
{
    /// <inheritdoc />
    public override string Name => "reshape";

    /// <inheritdoc />
    public override int AliasedInput => 0;

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        if (inputs[0].Shape.Length != Target.Length)
            throw Bad($"cannot reshape {inputs[0].Shape.Length} elements to {Target}");
        return [new(Target, inputs[0].DType)];
    }

    /// <inheritdoc />
    public override Step? Compile<T>(StepContext<T> c) => null;

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) => [Fn.Reshape(t[0]!, Target.Prepend(Rules.Lead(t[0]!, p[0])))];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) => [Fn.Reshape(ct[0]!, p[0].Shape)];
}

/// <summary>
/// y = x summed over the dimensions where <see cref="Target"/> (right-aligned, missing leading dimensions count as
/// 1) has 1: the transpose of broadcasting. JVP: sum of the tangent; VJP: ȳ broadcast back.
/// </summary>
public sealed record SumTo(Shape Target) : Primitive
{
    /// <inheritdoc />
    public override string Name => "sum_to";

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        var s = inputs[0].Shape;
        if (Target.Rank > s.Rank) throw Bad($"cannot sum to {Target}: more dimensions than the operand");
        for (int i = 0; i < Target.Rank; i++)
        {
            int d = s[s.Rank - Target.Rank + i];
            if (Target[i] != d && Target[i] != 1) throw Bad($"cannot sum to {Target}: dimension {i} is {Target[i]}, operand has {d}");
        }
        return [new(Target)];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) => new SumToStep<T>(c, c.InShape(0), Target);

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t)
    {
        var lead = Rules.Lead(t[0]!, p[0]);
        var target = Target.InsertOnes(0, p[0].Shape.Rank - Target.Rank).Prepend(lead);
        return [Fn.Reshape(Fn.SumTo(t[0]!, target), Target.Prepend(lead))];
    }

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) => [Fn.BroadcastTo(ct[0]!, p[0].Shape)];
}

/// <summary>
/// Sum-to-shape as a few axis reductions: dimensions are grouped into runs that are kept or summed, and each summed
/// run is one <c>Reduce</c> over [outer, run, inner] (usually one or two launches).
/// </summary>
internal sealed class SumToStep<T> : Step where T : unmanaged
{
    private readonly Backend _be;
    private readonly Slot<T> _x, _y;
    private readonly Slot<T>? _s0, _s1;
    private readonly (int Outer, int Axis, int Inner)[] _passes;
    private readonly bool _copy;

    public SumToStep(StepContext<T> c, Shape from, Shape target)
    {
        _be = c.Backend;
        _x = c.In(0);
        _y = c.Out(0);
        var t = target.InsertOnes(0, from.Rank - target.Rank);
        var runs = new List<(int Size, bool Reduce)>();
        for (int i = 0; i < from.Rank; i++)
        {
            if (from[i] == 1) continue;
            bool reduce = t[i] == 1;
            if (runs.Count > 0 && runs[^1].Reduce == reduce) runs[^1] = (runs[^1].Size * from[i], reduce);
            else runs.Add((from[i], reduce));
        }
        var passes = new List<(int, int, int)>();
        while (true)
        {
            int g = runs.FindIndex(r => r.Reduce);
            if (g < 0) break;
            int outer = 1, inner = 1;
            for (int i = 0; i < g; i++) outer *= runs[i].Size;
            for (int i = g + 1; i < runs.Count; i++) inner *= runs[i].Size;
            passes.Add((outer, runs[g].Size, inner));
            runs.RemoveAt(g);
            if (g > 0 && g < runs.Count && !runs[g - 1].Reduce && !runs[g].Reduce)
            {
                runs[g - 1] = (runs[g - 1].Size * runs[g].Size, false);
                runs.RemoveAt(g);
            }
        }
        _passes = passes.ToArray();
        _copy = _passes.Length == 0;
        if (_passes.Length > 1) _s0 = c.Scratch(_passes[0].Outer * _passes[0].Inner);
        if (_passes.Length > 2) _s1 = c.Scratch(_passes[1].Outer * _passes[1].Inner);
    }

    public override void Run()
    {
        if (_copy)
        {
            _be.Copy(_x.View, _y.View);
            return;
        }
        var src = _x.View;
        for (int i = 0; i < _passes.Length; i++)
        {
            var (outer, axis, inner) = _passes[i];
            var dst = i == _passes.Length - 1 ? _y.View : (i % 2 == 0 ? _s0!.View : _s1!.View).Slice(0, outer * inner);
            Dispatch.Sum(_be, src, outer, axis, inner, dst);
            src = dst;
        }
    }
}

/// <summary>y = x broadcast to <see cref="Target"/> (NumPy rules). JVP: broadcast of the tangent; VJP: sum-to-shape.</summary>
public sealed record BroadcastTo(Shape Target) : Primitive
{
    /// <inheritdoc />
    public override string Name => "broadcast_to";

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs)
    {
        var b = Binary.Broadcast(inputs[0].Shape, Target);
        if (b != Target) throw Bad($"cannot broadcast to {Target}");
        return [new(Target)];
    }

    /// <inheritdoc />
    public override Step Compile<T>(StepContext<T> c) => new BroadcastStep<T>(c);

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t)
    {
        var lead = Rules.Lead(t[0]!, p[0]);
        var aligned = Rules.Align(t[0], p[0], r[0])!;
        return [Fn.BroadcastTo(aligned, Target.Prepend(lead))];
    }

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) => [Fn.SumTo(ct[0]!, p[0].Shape)];
}

/// <summary>Broadcast copy as a broadcasting add of a permanent zero buffer (the catalogue has no broadcast copy).</summary>
internal sealed class BroadcastStep<T> : Step where T : unmanaged
{
    private readonly Backend _be;
    private readonly Slot<T> _x, _y, _zero;
    private readonly BroadcastLayout _layout;

    public BroadcastStep(StepContext<T> c)
    {
        _be = c.Backend;
        _x = c.In(0);
        _y = c.Out(0);
        _zero = c.Constant(c.OutShape(0).Length, 0);
        _layout = BroadcastLayout.Create(c.InShape(0).Dims, c.OutShape(0).Dims);
    }

    public override void Run() => Dispatch.Map2Broadcast(_be, default(Add), _layout, _x.View, _zero.View, _y.View);
}

/// <summary>A tensor filled with one value (symbolic zeros made concrete, the ones of a seed). Filled once per plan.</summary>
public sealed record Constant(Shape Target, double Value) : Primitive
{
    /// <inheritdoc />
    public override string Name => $"constant({Value})";

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs) => [new(Target)];

    /// <inheritdoc />
    public override Step? Compile<T>(StepContext<T> c)
    {
        c.MarkConstant(0, Value);
        return null;
    }

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) => [];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) => [];
}
