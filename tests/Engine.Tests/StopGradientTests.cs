using Tangent.Engine.Tests.Support;
using Tangent.Engine.Tracing;
using Tangent.Engine.Transforms;

namespace Tangent.Engine.Tests;

/// <summary>
/// <see cref="StopGradient"/> against its definition: f(θ, stop(θ)) must differentiate exactly like f(θ, c) with c a
/// constant input set to θ, in every transformation and their compositions; and its derivative rules are symbolic
/// zeros (no equation of a derivative tape reads through it). float64 on the cpu backend.
/// </summary>
public sealed class StopGradientTests
{
    private static readonly Shape S = new(2, 3);
    private readonly Runner _r = new(TestBackends.Cpu);

    /// <summary>f(v, c) = tanh(v) ⊙ c + c ⊙ c ⊙ v: c enters to first and second order, so dropping its derivative shows.</summary>
    private static Var F(Var v, Var c) => Fn.Add(Fn.Mul(Fn.Tanh(v), c), Fn.Mul(Fn.Square(c), v));

    private static ParameterLayout Layout => new ParameterLayout().Add("v", S);

    private static Tape Stopped() => Tape.Trace(t =>
    {
        var v = t.Parameters(Layout)["v"];
        var y = F(v, Fn.StopGradient(v));
        t.Output("out", y);
        t.Output("sum", Fn.Sum(y));
    });

    private static Tape WithConstant() => Tape.Trace(t =>
    {
        var v = t.Parameters(Layout)["v"];
        var y = F(v, t.Input("c", S));
        t.Output("out", y);
        t.Output("sum", Fn.Sum(y));
    });

    private static Tape Unstopped() => Tape.Trace(t =>
    {
        var v = t.Parameters(Layout)["v"];
        var y = F(v, v);
        t.Output("out", y);
        t.Output("sum", Fn.Sum(y));
    });

    private static Inputs At(double[] theta, params (string Name, double[] Value)[] more)
    {
        var x = new Inputs();
        x.Floats["theta"] = theta;
        x.Floats["c"] = theta;
        foreach (var (n, v) in more) x.Floats[n] = v;
        return x;
    }

    /// <summary>
    /// Runs the same transformation of the stopped and the constant-input tapes (the latter also reads c = θ) and
    /// requires equal outputs (same arithmetic, so 1e-14 relative); the unstopped tape must differ by more than 1e-3.
    /// </summary>
    private void Agree(Func<Tape, Tape> transform, Inputs x, string output)
    {
        var stopped = _r.Run(transform(Stopped()), x)[output];
        var constant = _r.Run(transform(WithConstant()), x)[output];
        var unstopped = _r.Run(transform(Unstopped()), x)[output];
        double err = Check.RelErr(stopped, constant);
        Assert.True(err <= 1e-14, $"{output}: stop_gradient differs from a constant input by {err:E2}");
        double gap = Check.RelErr(unstopped, constant);
        Assert.True(gap > 1e-3, $"{output}: the check cannot fail, the unstopped function agrees to {gap:E2}");
    }

    [Fact]
    public void ForwardIsTheIdentity()
    {
        var theta = Inputs.Vec(new Random(1), S.Length);
        var stopped = _r.Run(Stopped(), At(theta))["out"];
        var constant = _r.Run(WithConstant(), At(theta))["out"];
        Assert.Equal(constant, stopped);
    }

    [Fact]
    public void JvpAndVjpTreatTheStoppedValueAsAConstant()
    {
        var rng = new Random(2);
        var theta = Inputs.Vec(rng, S.Length);
        Agree(t => t.Jvp(3, "theta"), At(theta, ("theta:tangent", Inputs.Vec(rng, 3 * S.Length))), "out:tangent");
        Agree(t => t.Vjp(["theta"], ["out"]), At(theta, ("out:cotangent", Inputs.Vec(rng, S.Length))), "theta:cotangent");
    }

    [Fact]
    public void SecondOrderCompositionsTreatTheStoppedValueAsAConstant()
    {
        var rng = new Random(3);
        var theta = Inputs.Vec(rng, S.Length);
        var z = Inputs.Vec(rng, 2 * S.Length);
        var xi = Inputs.Vec(rng, 2 * S.Length);
        Agree(t => Compose.VjpOfJvp(t, "theta", "out", 2), At(theta, ("theta:tangent", z), ("out:tangent:cotangent", xi)), "theta:cotangent");
        Agree(t => Compose.HessianVectorProduct(t, "theta", "sum"), At(theta, ("theta:tangent", Inputs.Vec(rng, S.Length))), "theta:hvp");
    }

    [Fact]
    public void DerivativeRulesAreSymbolicZeros()
    {
        var tape = Tape.Trace(t =>
        {
            var v = t.Parameters(Layout)["v"];
            t.Output("out", Fn.Mul(Fn.Tanh(Fn.StopGradient(v)), Fn.StopGradient(v)));
        });
        var jvp = tape.Jvp(2, "theta");
        var vjp = tape.Vjp(["theta"], ["out"]);
        var tangentIn = jvp.Input("theta:tangent").Vars[0];
        var cotangentIn = vjp.Input("out:cotangent").Vars[0];
        Assert.DoesNotContain(jvp.Equations, e => e.Inputs.Contains(tangentIn));
        Assert.DoesNotContain(vjp.Equations, e => e.Inputs.Contains(cotangentIn));
        Assert.IsType<Constant>(jvp.Output("out:tangent").Vars[0].Producer!.Primitive);
        Assert.IsType<Constant>(vjp.Output("theta:cotangent").Vars[0].Producer!.Primitive);
        var rng = new Random(4);
        var x = new Inputs();
        x.Floats["theta"] = Inputs.Vec(rng, S.Length);
        x.Floats["theta:tangent"] = Inputs.Vec(rng, 2 * S.Length);
        Assert.All(_r.Run(jvp, x)["out:tangent"], v => Assert.Equal(0.0, v));
    }
}
