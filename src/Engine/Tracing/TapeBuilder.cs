namespace Tangent.Engine.Tracing;

/// <summary>
/// The tracer: records primitive applications with static shapes into a <see cref="Tape"/>. Inputs and outputs are
/// declared as named groups (each bound later as one flat vector); <see cref="Scope"/> names the layer that shape
/// errors and non-finite checks report. Identical applications (same primitive, parameters and operands) are recorded
/// once, so composed transformations do not repeat a forward pass.
/// </summary>
public sealed class TapeBuilder
{
    private readonly List<Var> _vars = [];
    private readonly List<Equation> _equations = [];
    private readonly List<VarGroup> _inputs = [];
    private readonly List<VarGroup> _outputs = [];
    private readonly List<string> _scopes = [];
    private readonly Dictionary<EquationKey, Equation> _seen = [];

    /// <summary>The scope path active now (<c>block1/conv2</c>), empty at top level.</summary>
    public string CurrentScope { get; private set; } = "";

    /// <summary>Pushes a name scope (a layer name) until the returned handle is disposed.</summary>
    public IDisposable Scope(string name)
    {
        _scopes.Add(name);
        CurrentScope = string.Join("/", _scopes);
        return new ScopeHandle(this);
    }

    internal void SetScope(string scope)
    {
        _scopes.Clear();
        if (scope.Length > 0) _scopes.AddRange(scope.Split('/'));
        CurrentScope = scope;
    }

    private sealed class ScopeHandle(TapeBuilder b) : IDisposable
    {
        private bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            b._scopes.RemoveAt(b._scopes.Count - 1);
            b.CurrentScope = string.Join("/", b._scopes);
        }
    }

    /// <summary>Declares a single-tensor input group.</summary>
    public Var Input(string name, Shape shape, DType dtype = DType.Float) =>
        InputGroup(name, [(name, shape)], 0, dtype).Vars[0];

    /// <summary>Declares the parameter vector θ: one input group laid out as <paramref name="layout"/> describes.</summary>
    public VarGroup Parameters(ParameterLayout layout) =>
        InputGroup(layout.GroupName, layout.Entries.Select(e => (e.Name, e.Shape)).ToList(), 0, DType.Float);

    /// <summary>
    /// Declares an input group of several members bound as one flat vector; with <paramref name="repeat"/> &gt; 0 every
    /// member gets a leading dimension of that size (stacked tangents).
    /// </summary>
    public VarGroup InputGroup(string name, IReadOnlyList<(string Name, Shape Shape)> members, int repeat = 0, DType dtype = DType.Float)
    {
        if (_inputs.Any(g => g.Name == name)) throw new ArgumentException($"input group '{name}' is declared twice.");
        var vars = members.Select(m => NewVar(repeat > 0 ? m.Shape.Prepend(new Shape(repeat)) : m.Shape, dtype)).ToList();
        var g = new VarGroup(name, vars, members.Select(m => m.Name).ToList(), repeat);
        _inputs.Add(g);
        return g;
    }

    /// <summary>Declares <paramref name="value"/> as a single-tensor output group.</summary>
    public void Output(string name, Var value) => OutputGroup(name, [value], [name], 0);

    /// <summary>Declares an output group bound as one flat vector (see <see cref="VarGroup"/>).</summary>
    public VarGroup OutputGroup(string name, IReadOnlyList<Var> vars, IReadOnlyList<string> memberNames, int repeat = 0)
    {
        if (_outputs.Any(g => g.Name == name)) throw new ArgumentException($"output group '{name}' is declared twice.");
        foreach (var v in vars) Own(v, "output");
        if (vars.Count > 0 && vars.Any(v => v.DType != vars[0].DType))
            throw new ArgumentException($"output group '{name}' mixes element types.");
        var g = new VarGroup(name, vars, memberNames, repeat);
        _outputs.Add(g);
        return g;
    }

    /// <summary>Records <paramref name="primitive"/> applied to <paramref name="inputs"/> and returns its outputs.</summary>
    public Var[] Apply(Primitive primitive, params Var[] inputs)
    {
        foreach (var v in inputs) Own(v, primitive.Name);
        var key = new EquationKey(primitive, inputs.Select(v => v.Id).ToArray());
        if (_seen.TryGetValue(key, out var existing)) return existing.Outputs;
        OutputSpec[] specs;
        try
        {
            specs = primitive.Infer(inputs);
        }
        catch (ShapeError e)
        {
            throw new TraceShapeException(primitive.Name, CurrentScope, inputs.Select(v => v.Shape).ToArray(), e.Message);
        }
        var outs = specs.Select(s => NewVar(s.Shape, s.DType)).ToArray();
        var eq = new Equation(primitive, inputs, outs, CurrentScope);
        foreach (var o in outs) o.Producer = eq;
        _equations.Add(eq);
        _seen[key] = eq;
        return outs;
    }

    /// <summary>Records a single-output primitive.</summary>
    public Var Apply1(Primitive primitive, params Var[] inputs) => Apply(primitive, inputs)[0];

    /// <summary>
    /// Copies <paramref name="tape"/>'s equations into this builder with its input groups replaced by
    /// <paramref name="inputs"/> (one list of vars per input group, by group name); returns its output groups' vars.
    /// </summary>
    public IReadOnlyDictionary<string, Var[]> Inline(Tape tape, IReadOnlyDictionary<string, IReadOnlyList<Var>> inputs)
    {
        var map = new Var?[tape.VarCount];
        foreach (var g in tape.Inputs)
        {
            if (!inputs.TryGetValue(g.Name, out var given))
                throw new ArgumentException($"inline: no values given for input group '{g.Name}'.");
            if (given.Count != g.Vars.Count)
                throw new ArgumentException($"inline: group '{g.Name}' has {g.Vars.Count} members, {given.Count} given.");
            for (int i = 0; i < given.Count; i++)
            {
                if (given[i].Shape != g.Vars[i].Shape || given[i].DType != g.Vars[i].DType)
                    throw new ArgumentException($"inline: member {g.MemberNames[i]} of '{g.Name}' is {g.Vars[i]} but {given[i]} was given.");
                map[g.Vars[i].Id] = given[i];
            }
        }
        string saved = CurrentScope;
        foreach (var eq in tape.Equations)
        {
            SetScope(eq.Scope);
            var outs = Apply(eq.Primitive, eq.Inputs.Select(v => map[v.Id]!).ToArray());
            for (int i = 0; i < outs.Length; i++) map[eq.Outputs[i].Id] = outs[i];
        }
        SetScope(saved);
        return tape.Outputs.ToDictionary(g => g.Name, g => g.Vars.Select(v => map[v.Id]!).ToArray());
    }

    /// <summary>Finishes tracing: keeps only the equations the outputs depend on.</summary>
    public Tape Build()
    {
        var needed = new bool[_vars.Count];
        foreach (var g in _outputs)
            foreach (var v in g.Vars) needed[v.Id] = true;
        var keep = new List<Equation>();
        for (int e = _equations.Count - 1; e >= 0; e--)
        {
            var eq = _equations[e];
            if (!eq.Outputs.Any(o => needed[o.Id])) continue;
            keep.Add(eq);
            foreach (var i in eq.Inputs) needed[i.Id] = true;
        }
        keep.Reverse();
        return new Tape(keep, _inputs.ToList(), _outputs.ToList(), _vars.Count);
    }

    internal Var NewVar(Shape shape, DType dtype)
    {
        var v = new Var(this, _vars.Count, shape, dtype);
        _vars.Add(v);
        return v;
    }

    private void Own(Var v, string what)
    {
        ArgumentNullException.ThrowIfNull(v);
        if (!ReferenceEquals(v.Builder, this))
            throw new ArgumentException($"{what}: value {v} belongs to another tape builder.");
    }

    private readonly record struct EquationKey(Primitive Primitive, int[] Inputs)
    {
        public bool Equals(EquationKey other) => Primitive.Equals(other.Primitive) && Inputs.AsSpan().SequenceEqual(other.Inputs);
        public override int GetHashCode()
        {
            var h = new HashCode();
            h.Add(Primitive);
            foreach (int i in Inputs) h.Add(i);
            return h.ToHashCode();
        }
    }
}

/// <summary>Named parameter tensors laid out back to back in one flat vector θ ∈ R^P (in order of addition).</summary>
public sealed class ParameterLayout
{
    private readonly List<(string Name, Shape Shape, int Offset)> _entries = [];

    /// <summary>Creates an empty layout whose tape input group will be called <paramref name="groupName"/>.</summary>
    public ParameterLayout(string groupName = "theta") => GroupName = groupName;

    /// <summary>Name of the input group θ is bound to.</summary>
    public string GroupName { get; }

    /// <summary>Parameters in layout order with their offsets.</summary>
    public IReadOnlyList<(string Name, Shape Shape, int Offset)> Entries => _entries;

    /// <summary>Total number of parameters P.</summary>
    public int Count { get; private set; }

    /// <summary>Appends a parameter tensor; names must be unique.</summary>
    public ParameterLayout Add(string name, Shape shape)
    {
        if (_entries.Any(e => e.Name == name)) throw new ArgumentException($"parameter '{name}' is declared twice.");
        _entries.Add((name, shape, Count));
        Count = checked(Count + shape.Length);
        return this;
    }

    /// <summary>Offset and shape of the parameter called <paramref name="name"/>.</summary>
    public (int Offset, Shape Shape) this[string name]
    {
        get
        {
            foreach (var e in _entries)
                if (e.Name == name) return (e.Offset, e.Shape);
            throw new KeyNotFoundException($"no parameter '{name}' (parameters: {string.Join(", ", _entries.Select(e => e.Name))}).");
        }
    }
}

/// <summary>Thrown at trace time when a primitive's operand shapes do not fit: names the primitive, the layer and the shapes.</summary>
public sealed class TraceShapeException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public TraceShapeException(string primitive, string scope, Shape[] shapes, string detail)
        : base($"{primitive}{(scope.Length > 0 ? $" in layer '{scope}'" : "")}: {detail} (operand shapes {string.Join(" and ", shapes.Select(s => s.ToString()))}).")
    {
        Primitive = primitive;
        Scope = scope;
        Shapes = shapes;
    }

    /// <summary>The primitive whose operands did not fit.</summary>
    public string Primitive { get; }

    /// <summary>The layer scope.</summary>
    public string Scope { get; }

    /// <summary>The operand shapes.</summary>
    public IReadOnlyList<Shape> Shapes { get; }
}

/// <summary>Thrown by <see cref="Primitive.Infer"/>; the tracer adds the primitive, layer and shapes.</summary>
public sealed class ShapeError(string message) : Exception(message);
