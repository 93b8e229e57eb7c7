namespace Tangent.Engine.Tracing;

/// <summary>
/// A traced value: a node of the tape under construction with a static shape and element type. Vars are created by
/// <see cref="TapeBuilder"/> inputs and by primitive applications (the functions of <see cref="Fn"/>); arithmetic
/// operators trace the corresponding primitives.
/// </summary>
public sealed class Var
{
    internal Var(TapeBuilder builder, int id, Shape shape, DType dtype)
    {
        Builder = builder;
        Id = id;
        Shape = shape;
        DType = dtype;
    }

    /// <summary>The builder (tracer) this value belongs to.</summary>
    public TapeBuilder Builder { get; }

    /// <summary>Index of the value inside its builder.</summary>
    public int Id { get; }

    /// <summary>Static shape.</summary>
    public Shape Shape { get; }

    /// <summary>Element type.</summary>
    public DType DType { get; }

    /// <summary>The equation that produced this value, or null for an input.</summary>
    public Equation? Producer { get; internal set; }

    /// <summary>Elementwise sum with broadcasting.</summary>
    public static Var operator +(Var a, Var b) => Fn.Add(a, b);

    /// <summary>Elementwise difference with broadcasting.</summary>
    public static Var operator -(Var a, Var b) => Fn.Sub(a, b);

    /// <summary>Elementwise product with broadcasting.</summary>
    public static Var operator *(Var a, Var b) => Fn.Mul(a, b);

    /// <summary>Multiplication by a constant.</summary>
    public static Var operator *(double c, Var a) => Fn.Scale(a, c);

    /// <summary>Negation.</summary>
    public static Var operator -(Var a) => Fn.Scale(a, -1);

    /// <inheritdoc />
    public override string ToString() => $"%{Id}:{(DType == DType.Int32 ? "i32" : "f")}{Shape}";
}

/// <summary>One primitive application on the tape: <c>outputs = primitive(inputs)</c>, with the layer scope it was traced in.</summary>
public sealed class Equation
{
    internal Equation(Primitive primitive, Var[] inputs, Var[] outputs, string scope)
    {
        Primitive = primitive;
        Inputs = inputs;
        Outputs = outputs;
        Scope = scope;
    }

    /// <summary>The primitive with its static parameters.</summary>
    public Primitive Primitive { get; }

    /// <summary>Operands.</summary>
    public Var[] Inputs { get; }

    /// <summary>Results.</summary>
    public Var[] Outputs { get; }

    /// <summary>The name scope (layer) active when the equation was traced, e.g. <c>conv2</c>; empty at top level.</summary>
    public string Scope { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{string.Join(", ", Outputs.Select(o => o.ToString()))} = {Primitive.Name}({string.Join(", ", Inputs.Select(i => i.ToString()))})"
        + (Scope.Length > 0 ? $"  @{Scope}" : "");
}

/// <summary>
/// A named group of tape inputs or outputs that the caller binds as ONE flat vector: e.g. all parameters as θ ∈ R^P
/// (<c>conv1.weight</c>, <c>fc2.bias</c>, … at fixed offsets), or K stacked tangents as a [K, P] matrix. With
/// <see cref="Repeat"/> = r &gt; 0 every member has shape <c>[r, …base]</c> and the flat layout is row-major
/// <c>[r, Length]</c>: element (k, offset_i + j) is member i's element (k, j).
/// </summary>
public sealed class VarGroup
{
    internal VarGroup(string name, IReadOnlyList<Var> vars, IReadOnlyList<string> memberNames, int repeat)
    {
        Name = name;
        Vars = vars;
        MemberNames = memberNames;
        Repeat = repeat;
        var offsets = new int[vars.Count];
        int off = 0;
        for (int i = 0; i < vars.Count; i++)
        {
            offsets[i] = off;
            off += BaseLength(vars[i]);
        }
        Offsets = offsets;
        Length = off;
        DType = vars.Count > 0 ? vars[0].DType : DType.Float;
    }

    /// <summary>Group name (e.g. <c>theta</c>, <c>x</c>, <c>theta:tangent</c>).</summary>
    public string Name { get; }

    /// <summary>Members in layout order.</summary>
    public IReadOnlyList<Var> Vars { get; }

    /// <summary>Member names (parameter names for a parameter group).</summary>
    public IReadOnlyList<string> MemberNames { get; }

    /// <summary>Leading stacked dimension shared by all members (K tangents), or 0 for none.</summary>
    public int Repeat { get; }

    /// <summary>Offset of each member inside one row of the flat layout.</summary>
    public IReadOnlyList<int> Offsets { get; }

    /// <summary>Elements of one row (P for a parameter group).</summary>
    public int Length { get; }

    /// <summary>Elements of the whole flat vector: <c>max(Repeat, 1) · Length</c>.</summary>
    public int TotalLength => Math.Max(Repeat, 1) * Length;

    /// <summary>Element type shared by the members.</summary>
    public DType DType { get; }

    internal int BaseLength(Var v) => Repeat > 0 ? v.Shape.Skip(1).Length : v.Shape.Length;

    /// <summary>The member called <paramref name="name"/>.</summary>
    public Var this[string name]
    {
        get
        {
            for (int i = 0; i < MemberNames.Count; i++)
                if (MemberNames[i] == name) return Vars[i];
            throw new KeyNotFoundException($"group '{Name}' has no member '{name}' (members: {string.Join(", ", MemberNames)}).");
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}{(Repeat > 0 ? $"[{Repeat}×{Length}]" : $"[{Length}]")}";
}
