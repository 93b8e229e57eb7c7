using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;

namespace Tangent.Engine.Primitives;

/// <summary>
/// y = x in the forward pass, a constant to every transformation (JAX's <c>stop_gradient</c>): the JVP rule returns a
/// symbolic zero tangent and the VJP rule a symbolic zero cotangent, so nothing is recorded downstream of it in a
/// derivative tape. Forward it is a view of its operand, like <see cref="Reshape"/>: no kernel runs. A JVP tape still
/// forwards the primal through it, so <c>Vjp(Jvp(f))</c> treats the stopped value as a constant at second order too.
/// </summary>
public sealed record StopGradient : Primitive
{
    /// <inheritdoc />
    public override string Name => "stop_gradient";

    /// <inheritdoc />
    public override int AliasedInput => 0;

    /// <inheritdoc />
    public override OutputSpec[] Infer(IReadOnlyList<Var> inputs) => [new(inputs[0].Shape, inputs[0].DType)];

    /// <inheritdoc />
    public override Step? Compile<T>(StepContext<T> c) => null;

    /// <inheritdoc />
    public override Var?[] Jvp(Var[] p, Var[] r, Var?[] t) => [null];

    /// <inheritdoc />
    public override Var?[] Vjp(Var[] p, Var[] r, Var?[] ct) => [null];
}
