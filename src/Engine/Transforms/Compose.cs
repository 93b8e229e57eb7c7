using Tangent.Engine.Tracing;

namespace Tangent.Engine.Transforms;

/// <summary>
/// Second-order products built from the two transformations and inlining; identical forward equations of the
/// inlined tapes are recorded once.
/// </summary>
public static class Compose
{
    /// <summary>
    /// Hessian-vector product of the scalar output <paramref name="loss"/> with respect to input group
    /// <paramref name="wrt"/>: reverse over forward, Hv = ∇⟨∇L, v⟩. Inputs: the tape's inputs and <c>WRT:tangent</c>
    /// ([1, P]); output <c>WRT:hvp</c> ([P]).
    /// </summary>
    public static Tape HessianVectorProduct(Tape tape, string wrt, string loss)
    {
        if (tape.Output(loss).Vars is not [{ Shape.Rank: 0 }])
            throw new ArgumentException($"HessianVectorProduct: output '{loss}' must be one scalar.");
        var jvp = tape.Jvp(1, wrt);
        var vjp = jvp.Vjp([wrt], [loss + Transform.TangentSuffix], keepPrimal: false);
        var b = new TapeBuilder();
        var inputs = DeclareInputs(b, jvp);
        inputs[loss + Transform.TangentSuffix + Transform.CotangentSuffix] = [Fn.Full(b, new Shape(1), 1)];
        var r = b.Inline(vjp, inputs);
        b.OutputGroup(wrt + ":hvp", r[wrt + Transform.CotangentSuffix], tape.Input(wrt).MemberNames);
        return b.Build();
    }

    /// <summary>
    /// Generalised Gauss–Newton vector product Gv = Jᵀ H J v of the network output <paramref name="output"/>
    /// ([B, C]) with respect to <paramref name="wrt"/>, where <paramref name="lossHessianProduct"/>(z, ż) applies
    /// the loss Hessian with respect to the outputs (e.g. <see cref="Fn.SoftmaxCrossEntropyHessianProduct"/>; ż is
    /// [1, B, C]). Inputs: the tape's inputs and <c>WRT:tangent</c> ([1, P]); output <c>WRT:ggn</c> ([P]).
    /// </summary>
    public static Tape GgnVectorProduct(Tape tape, string wrt, string output, Func<Var, Var, Var> lossHessianProduct)
    {
        var jvp = tape.Jvp(1, wrt);
        var vjp = tape.Vjp([wrt], [output], keepPrimal: false);
        var b = new TapeBuilder();
        var inputs = DeclareInputs(b, jvp);
        var r = b.Inline(jvp, inputs);
        var z = r[output];
        var zdot = r[output + Transform.TangentSuffix];
        var cot = z.Select((zi, i) => Fn.Reshape(lossHessianProduct(zi, zdot[i]), zi.Shape)).ToList();
        var vjpInputs = tape.Inputs.ToDictionary(g => g.Name, g => inputs[g.Name]);
        vjpInputs[output + Transform.CotangentSuffix] = cot;
        var r2 = b.Inline(vjp, vjpInputs);
        b.OutputGroup(wrt + ":ggn", r2[wrt + Transform.CotangentSuffix], tape.Input(wrt).MemberNames);
        return b.Build();
    }

    /// <summary>
    /// Gradient with respect to <paramref name="wrt"/> of ⟨ξ, J z⟩, J the Jacobian of output <paramref name="output"/>
    /// (reverse over forward, VIKING's adjoint): inputs are the tape's inputs, <c>WRT:tangent</c> (z, [k, P]) and
    /// <c>OUTPUT:tangent:cotangent</c> (ξ, [k, …output]); output <c>WRT:cotangent</c>. With k &gt; 1 the k
    /// objectives are summed.
    /// </summary>
    public static Tape VjpOfJvp(Tape tape, string wrt, string output, int k = 1) =>
        tape.Jvp(k, wrt).Vjp([wrt], [output + Transform.TangentSuffix], keepPrimal: false);

    private static Dictionary<string, IReadOnlyList<Var>> DeclareInputs(TapeBuilder b, Tape like)
    {
        var d = new Dictionary<string, IReadOnlyList<Var>>();
        foreach (var g in like.Inputs)
        {
            var members = g.MemberNames.Select((m, i) => (m, g.Repeat > 0 ? g.Vars[i].Shape.Skip(1) : g.Vars[i].Shape)).ToList();
            d[g.Name] = b.InputGroup(g.Name, members, g.Repeat, g.DType).Vars;
        }
        return d;
    }
}
