using Tangent.Engine.Tracing;

namespace Tangent.Engine.Transforms;

/// <summary>
/// Tape-to-tape transformations. They walk equations and call each primitive's rules; they never name a primitive.
/// Because results are tapes, they compose: <c>tape.Jvp(1, "theta").Vjp(["theta"], ["loss:tangent"])</c> is a
/// Hessian-vector product, and <see cref="Compose"/> builds the usual compositions.
/// </summary>
public static class Transform
{
    /// <summary>Suffix of tangent groups.</summary>
    public const string TangentSuffix = ":tangent";

    /// <summary>Suffix of cotangent groups.</summary>
    public const string CotangentSuffix = ":cotangent";

    /// <summary>
    /// Forward mode: the new tape has the original inputs plus <c>NAME:tangent</c> for each group in
    /// <paramref name="wrt"/> (members shaped [k, …member]), and the original outputs plus <c>OUT:tangent</c>
    /// ([k, …]) for every floating output. The k tangents travel as a leading dimension, so a dense or conv layer's
    /// tangent work is one GEMM or one folded convolution.
    /// </summary>
    public static Tape Jvp(Tape tape, int k, IReadOnlyList<string> wrt)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), $"Jvp needs at least one tangent, got {k}.");
        var b = new TapeBuilder();
        var map = new Var?[tape.VarCount];
        var tan = new Var?[tape.VarCount];
        CopyInputs(tape, b, map);
        foreach (var name in wrt)
        {
            var g = tape.Input(name);
            if (g.DType != DType.Float) throw new ArgumentException($"Jvp: input group '{name}' holds integers and has no tangent.");
            var tg = b.InputGroup(name + TangentSuffix, g.MemberNames.Select((m, i) => (m, g.Vars[i].Shape)).ToList(), k);
            for (int i = 0; i < g.Vars.Count; i++) tan[g.Vars[i].Id] = tg.Vars[i];
        }
        var kShape = new Shape(k);
        foreach (var eq in tape.Equations)
        {
            b.SetScope(eq.Scope);
            var ins = eq.Inputs.Select(v => map[v.Id]!).ToArray();
            var outs = b.Apply(eq.Primitive, ins);
            for (int i = 0; i < outs.Length; i++) map[eq.Outputs[i].Id] = outs[i];
            var tin = eq.Inputs.Select(v => tan[v.Id]).ToArray();
            if (tin.All(t => t == null)) continue;
            var tout = eq.Primitive.Jvp(ins, outs, tin);
            for (int i = 0; i < outs.Length && i < tout.Length; i++)
            {
                if (tout[i] is not { } t) continue;
                var expected = outs[i].Shape.Prepend(kShape);
                if (t.Shape != expected)
                    throw new InvalidOperationException($"the JVP rule of {eq.Primitive.Name} returned a tangent of shape {t.Shape}, expected {expected}.");
                tan[eq.Outputs[i].Id] = t;
            }
        }
        b.SetScope("");
        CopyOutputs(tape, b, map);
        foreach (var g in tape.Outputs)
        {
            if (g.DType != DType.Float) continue;
            var vars = g.Vars.Select(v => tan[v.Id] ?? Fn.Full(b, map[v.Id]!.Shape.Prepend(kShape), 0)).ToList();
            b.OutputGroup(g.Name + TangentSuffix, vars, g.MemberNames, k);
        }
        return b.Build();
    }

    /// <summary>
    /// Reverse mode: the new tape has the original inputs plus <c>OUT:cotangent</c> for each output group in
    /// <paramref name="of"/> (default: every floating output), and outputs <c>IN:cotangent</c> for each group in
    /// <paramref name="wrt"/> (plus the original outputs when <paramref name="keepPrimal"/>). The forward equations
    /// are kept as residuals; equations whose cotangents no output needs are dropped when the tape is built.
    /// </summary>
    public static Tape Vjp(Tape tape, IReadOnlyList<string> wrt, IReadOnlyList<string>? of = null, bool keepPrimal = true)
    {
        var b = new TapeBuilder();
        var map = new Var?[tape.VarCount];
        var ct = new Var?[tape.VarCount];
        CopyInputs(tape, b, map);
        var seeds = of ?? tape.Outputs.Where(g => g.DType == DType.Float).Select(g => g.Name).ToList();
        var seedVars = new List<(Var Old, Var Seed)>();
        foreach (var name in seeds)
        {
            var g = tape.Output(name);
            if (g.DType != DType.Float) throw new ArgumentException($"Vjp: output group '{name}' holds integers and has no cotangent.");
            var cg = b.InputGroup(name + CotangentSuffix,
                g.MemberNames.Select((m, i) => (m, g.Repeat > 0 ? g.Vars[i].Shape.Skip(1) : g.Vars[i].Shape)).ToList(), g.Repeat);
            for (int i = 0; i < g.Vars.Count; i++) seedVars.Add((g.Vars[i], cg.Vars[i]));
        }
        foreach (var eq in tape.Equations)
        {
            b.SetScope(eq.Scope);
            var outs = b.Apply(eq.Primitive, eq.Inputs.Select(v => map[v.Id]!).ToArray());
            for (int i = 0; i < outs.Length; i++) map[eq.Outputs[i].Id] = outs[i];
        }
        b.SetScope("");
        foreach (var (old, seed) in seedVars) ct[old.Id] = Accumulate(ct[old.Id], seed);
        for (int e = tape.Equations.Count - 1; e >= 0; e--)
        {
            var eq = tape.Equations[e];
            var cts = eq.Outputs.Select(o => ct[o.Id]).ToArray();
            if (cts.All(c => c == null)) continue;
            b.SetScope(eq.Scope);
            var ins = eq.Inputs.Select(v => map[v.Id]!).ToArray();
            var outs = eq.Outputs.Select(v => map[v.Id]!).ToArray();
            var res = eq.Primitive.Vjp(ins, outs, cts);
            for (int i = 0; i < ins.Length && i < res.Length; i++)
            {
                if (res[i] is not { } r || eq.Inputs[i].DType != DType.Float) continue;
                if (r.Shape != ins[i].Shape)
                    throw new InvalidOperationException($"the VJP rule of {eq.Primitive.Name} returned a cotangent of shape {r.Shape} for an operand of shape {ins[i].Shape}.");
                ct[eq.Inputs[i].Id] = Accumulate(ct[eq.Inputs[i].Id], r);
            }
        }
        b.SetScope("");
        if (keepPrimal) CopyOutputs(tape, b, map);
        foreach (var name in wrt)
        {
            var g = tape.Input(name);
            if (g.DType != DType.Float) throw new ArgumentException($"Vjp: input group '{name}' holds integers and has no cotangent.");
            var vars = g.Vars.Select(v => ct[v.Id] ?? Fn.Full(b, v.Shape, 0)).ToList();
            b.OutputGroup(name + CotangentSuffix, vars, g.MemberNames, g.Repeat);
        }
        return b.Build();
    }

    private static Var Accumulate(Var? acc, Var x) => acc == null ? x : Fn.Add(acc, x);

    private static void CopyInputs(Tape tape, TapeBuilder b, Var?[] map)
    {
        foreach (var g in tape.Inputs)
        {
            var members = g.MemberNames.Select((m, i) => (m, g.Repeat > 0 ? g.Vars[i].Shape.Skip(1) : g.Vars[i].Shape)).ToList();
            var ng = b.InputGroup(g.Name, members, g.Repeat, g.DType);
            for (int i = 0; i < g.Vars.Count; i++) map[g.Vars[i].Id] = ng.Vars[i];
        }
    }

    private static void CopyOutputs(Tape tape, TapeBuilder b, Var?[] map)
    {
        foreach (var g in tape.Outputs)
            b.OutputGroup(g.Name, g.Vars.Select(v => map[v.Id]!).ToList(), g.MemberNames, g.Repeat);
    }
}
