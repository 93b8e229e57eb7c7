using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Models.Layers;

namespace Tangent.Inference.Scalla;

/// <summary>
/// The surrogate's features g(x) = √(P/m)·g_φ(x) ∈ R^{m×C} traced onto a tape beside other networks: φ is its own input
/// group <see cref="PhiGroup"/> (in the surrogate's layout), so the MAP network's <c>theta</c> can share the tape.
/// </summary>
public static class SurrogateFeatures
{
    /// <summary>Name of the input group holding φ.</summary>
    public const string PhiGroup = "phi";

    /// <summary>
    /// √(P/m): the factor the surrogate's outputs are multiplied by (the reference's), so that m features of unit scale
    /// can match an NTK that sums over P parameters.
    /// </summary>
    public static double OutputScale(int mapParameters, int features)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mapParameters);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        return Math.Sqrt((double)mapParameters / features);
    }

    /// <summary>
    /// Declares <see cref="PhiGroup"/> on <paramref name="t"/> and traces the scaled features of the inputs
    /// <paramref name="x"/> [n, …input]: returns [n, m, C]. The surrogate must output [m, C] per example and have no state.
    /// </summary>
    public static Var Trace(TapeBuilder t, Network surrogate, Var x, double scale)
    {
        if (surrogate.OutputShape.Rank != 2)
            throw new ArgumentException($"a ScaLLA surrogate outputs [m, C] per example; this network outputs {surrogate.OutputShape}.");
        if (surrogate.State.Count > 0) throw new ArgumentException("a ScaLLA surrogate has no state (batch norm).");
        var layout = new ParameterLayout(PhiGroup);
        foreach (var e in surrogate.Parameters.Entries) layout.Add(e.Name, e.Shape);
        var phi = t.Parameters(layout);
        var body = surrogate.TraceLogits(x.Shape[0]);
        var outputs = t.Inline(body, new Dictionary<string, IReadOnlyList<Var>> { [Network.ThetaGroup] = phi.Vars, ["x"] = [x] });
        return Fn.Scale(outputs["logits"][0], scale);
    }

    /// <summary>
    /// Declares the MAP network's <c>theta</c> (and <c>state</c>, if it has any) on <paramref name="t"/> and traces its
    /// logits [n, C] on <paramref name="x"/> (evaluation mode), so that features and logits share one input.
    /// </summary>
    public static Var MapLogits(TapeBuilder t, Network map, Var x)
    {
        var inputs = new Dictionary<string, IReadOnlyList<Var>> { [Network.ThetaGroup] = t.Parameters(map.Parameters).Vars, ["x"] = [x] };
        if (map.State.Count > 0) inputs[Network.StateGroup] = t.Parameters(map.State).Vars;
        return t.Inline(map.TraceLogits(x.Shape[0]), inputs)["logits"][0];
    }
}
