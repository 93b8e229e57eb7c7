using Tangent.Engine.Primitives;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Engine.Execution;

/// <summary>
/// Plan-time fusions: patterns of equations a plan runs as one step when its backend has a kernel for them — an
/// optional capability interface the backend implements besides <see cref="Backend"/>. They change no tape (tapes stay
/// what the transformations made, so they can be transformed again); the plan compiles the fused step at one equation
/// of the pattern and skips the others, whose results nothing else reads. One file per pattern:
/// <see cref="ConvActivationMaxPoolTangentFusion"/> and <see cref="ConvActivationMaxPoolCotangentFusion"/>, both around
/// convolution (+ bias) → activation → max pooling with E stacked tangents or cotangents, where max pooling reads (and
/// passes back) one position of each window, so the dense products mostly compute values that are zero or dropped.
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
        var graph = new FusionGraph(tape);
        if (backend is IConvActivationMaxPoolTangent tangent) ConvActivationMaxPoolTangentFusion.Find<T>(graph, tangent, result);
        if (backend is IConvActivationMaxPoolCotangent cotangent) ConvActivationMaxPoolCotangentFusion.Find<T>(graph, cotangent, result);
        return result;
    }

    /// <summary>Whether <paramref name="e"/> is a plain forward convolution (the products a tangent pattern sums).</summary>
    internal static bool IsForwardConv(Equation e) => e.Primitive is Conv { Product: ConvProduct.Forward, SumBatch: false };
}

/// <summary>A tape's data flow, as the pattern matchers read it: who produces and who reads each variable, and how often.</summary>
internal sealed class FusionGraph
{
    public FusionGraph(Tape tape)
    {
        Equations = tape.Equations;
        Uses = new int[tape.VarCount];
        for (int e = 0; e < Equations.Count; e++)
        {
            foreach (var o in Equations[e].Outputs) Producer[o.Id] = e;
            foreach (var i in Equations[e].Inputs)
            {
                Uses[i.Id]++;
                if (!Consumers.TryGetValue(i.Id, out var list)) Consumers[i.Id] = list = [];
                if (list.Count == 0 || list[^1] != e) list.Add(e);
            }
        }
        // A tape output is read from outside: never private to a pattern.
        foreach (var g in tape.Outputs)
            foreach (var v in g.Vars) Uses[v.Id] += 2;
    }

    /// <summary>The tape's equations.</summary>
    public IReadOnlyList<Equation> Equations { get; }

    /// <summary>Equation index producing each variable id.</summary>
    public Dictionary<int, int> Producer { get; } = new();

    /// <summary>Equations reading each variable id, in tape order, each once.</summary>
    public Dictionary<int, List<int>> Consumers { get; } = new();

    /// <summary>Reads of each variable id (a tape output counts as two).</summary>
    public int[] Uses { get; }

    /// <summary>The equation producing <paramref name="v"/> when v is an intermediate read exactly once (by the pattern's next equation), else −1.</summary>
    public int Private(Var v) => Uses[v.Id] == 1 && Producer.TryGetValue(v.Id, out int e) ? e : -1;
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
    protected static string ActivationName(DerivativeKind a) => a switch
    {
        DerivativeKind.Relu => "relu",
        DerivativeKind.TanhFromOutput => "tanh",
        DerivativeKind.SigmoidFromOutput => "sigmoid",
        _ => a.ToString(),
    };
}
