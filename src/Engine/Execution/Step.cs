using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Execution;

/// <summary>
/// Device memory for one planned value. Steps read <see cref="View"/> when they run (not when they are compiled),
/// so a plan can point an input or output at the caller's buffer without recompiling anything.
/// </summary>
public sealed class Slot<TE> where TE : unmanaged
{
    internal Slot(int length, SlotKind kind)
    {
        Length = length;
        Kind = kind;
    }

    /// <summary>Where the value lives now.</summary>
    public BufferView<TE> View { get; internal set; }

    /// <summary>Number of elements.</summary>
    public int Length { get; }

    internal SlotKind Kind { get; set; }
    internal int First { get; set; } = int.MaxValue;
    internal int Last { get; set; } = -1;
    internal double ConstantValue { get; set; }

    internal void Touch(int step)
    {
        if (step < First) First = step;
        if (step > Last) Last = step;
    }
}

internal enum SlotKind
{
    /// <summary>Written by a step; planned in the arena by liveness.</summary>
    Intermediate,
    /// <summary>Plan input: a view of the caller's buffer, or a permanent arena region filled by copies.</summary>
    Input,
    /// <summary>Filled once when the plan is made; permanent.</summary>
    Constant,
    /// <summary>Lives inside one step.</summary>
    Scratch,
    /// <summary>Points into an output group's storage; not planned.</summary>
    External,
}

/// <summary>One kernel launch (or a few) of a planned tape, with its operands resolved. Running it allocates nothing.</summary>
public abstract class Step
{
    /// <summary>Runs the step's kernels.</summary>
    public abstract void Run();
}

/// <summary>
/// What a primitive's <see cref="Primitive.Compile{T}"/> sees: the backend, the equation, and the slots of its
/// operands and results; it can ask for scratch memory (live during this step only) and constants.
/// </summary>
public sealed class StepContext<T> where T : unmanaged
{
    private readonly Plan<T> _plan;
    private readonly int _index;

    internal StepContext(Plan<T> plan, Equation equation, int index)
    {
        _plan = plan;
        Equation = equation;
        _index = index;
    }

    /// <summary>The device the step runs on.</summary>
    public Backend Backend => _plan.Backend;

    /// <summary>The equation being compiled.</summary>
    public Equation Equation { get; }

    /// <summary>Shape of operand <paramref name="i"/>.</summary>
    public Shape InShape(int i) => Equation.Inputs[i].Shape;

    /// <summary>Shape of result <paramref name="i"/>.</summary>
    public Shape OutShape(int i) => Equation.Outputs[i].Shape;

    /// <summary>The slot of floating operand <paramref name="i"/>.</summary>
    public Slot<T> In(int i) => Touch(_plan.FloatSlot(Equation.Inputs[i]));

    /// <summary>The slot of integer operand <paramref name="i"/>.</summary>
    public Slot<int> IndexIn(int i) => Touch(_plan.IntSlot(Equation.Inputs[i]));

    /// <summary>The slot of floating result <paramref name="i"/>.</summary>
    public Slot<T> Out(int i) => Touch(_plan.FloatSlot(Equation.Outputs[i]));

    /// <summary>The slot of integer result <paramref name="i"/>.</summary>
    public Slot<int> IndexOut(int i) => Touch(_plan.IntSlot(Equation.Outputs[i]));

    /// <summary>Floating scratch memory valid while this step runs.</summary>
    public Slot<T> Scratch(int length) => Touch(_plan.NewFloatSlot(length, SlotKind.Scratch));

    /// <summary>A permanent floating buffer filled with <paramref name="value"/> when the plan is made.</summary>
    public Slot<T> Constant(int length, double value) => _plan.ConstantSlot(length, value);

    /// <summary>Makes result <paramref name="output"/> a permanent buffer filled with <paramref name="value"/> when the plan is made.</summary>
    public void MarkConstant(int output, double value) => _plan.MarkConstant(_plan.FloatSlot(Equation.Outputs[output]), value);

    /// <summary><paramref name="value"/> converted to the plan's element type.</summary>
    public static T Scalar(double value) => Plan<T>.FromDouble(value);

    private Slot<TE> Touch<TE>(Slot<TE> s) where TE : unmanaged
    {
        s.Touch(_index);
        return s;
    }
}
