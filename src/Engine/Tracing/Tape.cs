using System.Text;
using Tangent.Engine.Execution;
using Tangent.Engine.Transforms;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Tracing;

/// <summary>
/// A traced program: primitive applications with static shapes, between named input and output groups. Tapes are
/// immutable; transformations (<see cref="Jvp"/>, <see cref="Vjp"/>) return new tapes, and <see cref="Plan{T}"/>
/// compiles one for a device.
/// </summary>
public sealed class Tape
{
    internal Tape(IReadOnlyList<Equation> equations, IReadOnlyList<VarGroup> inputs, IReadOnlyList<VarGroup> outputs, int varCount)
    {
        Equations = equations;
        Inputs = inputs;
        Outputs = outputs;
        VarCount = varCount;
    }

    /// <summary>Traces <paramref name="body"/> on a fresh builder and returns the tape.</summary>
    public static Tape Trace(Action<TapeBuilder> body)
    {
        var b = new TapeBuilder();
        body(b);
        return b.Build();
    }

    /// <summary>The equations in execution order.</summary>
    public IReadOnlyList<Equation> Equations { get; }

    /// <summary>Input groups.</summary>
    public IReadOnlyList<VarGroup> Inputs { get; }

    /// <summary>Output groups.</summary>
    public IReadOnlyList<VarGroup> Outputs { get; }

    /// <summary>Number of vars of the builder the tape came from (ids are below this).</summary>
    public int VarCount { get; }

    /// <summary>The input group called <paramref name="name"/>.</summary>
    public VarGroup Input(string name) => Inputs.FirstOrDefault(g => g.Name == name)
        ?? throw new KeyNotFoundException($"the tape has no input group '{name}' (inputs: {string.Join(", ", Inputs.Select(g => g.Name))}).");

    /// <summary>The output group called <paramref name="name"/>.</summary>
    public VarGroup Output(string name) => Outputs.FirstOrDefault(g => g.Name == name)
        ?? throw new KeyNotFoundException($"the tape has no output group '{name}' (outputs: {string.Join(", ", Outputs.Select(g => g.Name))}).");

    /// <summary>
    /// Forward mode with <paramref name="k"/> tangents pushed at once (see <see cref="Transform.Jvp"/>): new input groups
    /// <c>NAME:tangent</c> ([k, …]) for each group in <paramref name="wrt"/>, new outputs <c>NAME:tangent</c>.
    /// </summary>
    public Tape Jvp(int k, params string[] wrt) => Transform.Jvp(this, k, wrt);

    /// <summary>
    /// Reverse mode (see <see cref="Transform.Vjp"/>): cotangent inputs <c>OUT:cotangent</c> for the outputs
    /// <paramref name="of"/> (all floating outputs when null), cotangent outputs <c>IN:cotangent</c> for <paramref name="wrt"/>.
    /// </summary>
    public Tape Vjp(string[] wrt, string[]? of = null, bool keepPrimal = true) => Transform.Vjp(this, wrt, of, keepPrimal);

    /// <summary>
    /// Compiles the tape for <paramref name="backend"/> in element type <typeparamref name="T"/>. With
    /// <paramref name="fuse"/> (the default) patterns the backend has fused kernels for run as one step (see
    /// <see cref="Execution.Plan{T}.FusedSteps"/>); the environment variable <c>TANGENT_NO_FUSION=1</c> also turns this off.
    /// </summary>
    public Plan<T> Plan<T>(Backend backend, bool fuse = true) where T : unmanaged => new(this, backend, fuse);

    /// <inheritdoc />
    public override string ToString()
    {
        var sb = new StringBuilder();
        foreach (var g in Inputs) sb.AppendLine($"in  {g}: {string.Join(", ", g.Vars)}");
        foreach (var e in Equations) sb.AppendLine("    " + e);
        foreach (var g in Outputs) sb.AppendLine($"out {g}: {string.Join(", ", g.Vars)}");
        return sb.ToString();
    }
}
