using Tangent.Engine.Execution;

namespace Tangent.Engine.Tracing;

/// <summary>Shape and element type of one primitive output.</summary>
public readonly record struct OutputSpec(Shape Shape, DType DType = DType.Float);

/// <summary>
/// A primitive operation, declared once with everything the engine needs (the JAX <c>lax</c> habit): shape rule,
/// forward kernel call, JVP rule and VJP rule side by side. A primitive is a record: its static parameters are its
/// fields, so equal primitives are interchangeable. Rules are written in terms of traceable primitives (the functions
/// of <see cref="Fn"/>), so the tapes they produce can be transformed again: <c>Vjp(Jvp(f))</c> is two transformations.
/// <para>
/// Tangents carry leading stacked dimensions in front of the primal shape (K tangents: <c>[K, …primal]</c>); a
/// tangent or cotangent of <c>null</c> is a symbolic zero. Primitives accept such leading dimensions on their operands
/// wherever a rule can produce them.
/// </para>
/// </summary>
public abstract record Primitive
{
    /// <summary>Name used in error messages and tape listings.</summary>
    public abstract string Name { get; }

    /// <summary>Checks operand shapes and returns the outputs' shapes; throws <see cref="ShapeError"/> on a mismatch.</summary>
    public abstract OutputSpec[] Infer(IReadOnlyList<Var> inputs);

    /// <summary>When non-negative, output 0 is a view of this input (reshape): no kernel runs and no memory is planned.</summary>
    public virtual int AliasedInput => -1;

    /// <summary>Creates the forward step for plan element type <typeparamref name="T"/> (null when nothing runs).</summary>
    public abstract Step? Compile<T>(StepContext<T> c) where T : unmanaged;

    /// <summary>
    /// Forward mode: given the primal operands and results (already on the new tape) and operand tangents, emits and
    /// returns the result tangents.
    /// </summary>
    public abstract Var?[] Jvp(Var[] primals, Var[] results, Var?[] tangents);

    /// <summary>
    /// Reverse mode: given the primal operands and results and the results' cotangents, emits and returns the
    /// operands' cotangents (null for non-differentiable operands such as labels and indices).
    /// </summary>
    public abstract Var?[] Vjp(Var[] primals, Var[] results, Var?[] cotangents);

    /// <summary>A shape error with a message.</summary>
    protected static ShapeError Bad(string message) => new(message);

    /// <summary>The tangent's stacked leading dimensions: its shape minus the primal's trailing shape.</summary>
    protected static Shape Lead(Var tangent, Var primal) => tangent.Shape.Take(tangent.Shape.Rank - primal.Shape.Rank);
}
