using System.Runtime.CompilerServices;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Execution;

/// <summary>
/// A tape compiled for one backend and element type: every value has memory planned once (one arena, regions reused
/// by liveness), every equation is a pre-resolved <see cref="Step"/>. <see cref="Run"/> launches the steps and
/// allocates nothing. Input groups are bound to the caller's flat buffers (zero-copy where the layout allows);
/// output groups are read with <see cref="Output"/> or written straight into a bound buffer.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class Plan<T> : IDisposable where T : unmanaged
{
    private const int Align = 16;
    private readonly Slot<T>?[] _floatSlots;
    private readonly Slot<int>?[] _intSlots;
    private readonly List<Slot<T>> _allFloat = [];
    private readonly List<Slot<int>> _allInt = [];
    private readonly Dictionary<(int, double), Slot<T>> _constants = [];
    private readonly List<Slot<T>> _markedConstants = [];
    private readonly Step?[] _steps;
    private readonly Equation[] _stepEquations;
    private readonly Dictionary<string, GroupBinding<T>> _floatGroups = [];
    private readonly Dictionary<string, GroupBinding<int>> _intGroups = [];
    private readonly List<IGroupCopy> _copyIn = [];
    private readonly List<IGroupCopy> _copyOut = [];
    private readonly DeviceBuffer<T>? _arena;
    private readonly DeviceBuffer<int>? _intArena;
    private readonly List<IDisposable> _owned = [];

    internal Plan(Tape tape, Backend backend, bool fuse = true)
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"plans run on float or double, not {typeof(T).Name}.");
        Tape = tape;
        Backend = backend;
        _floatSlots = new Slot<T>?[tape.VarCount];
        _intSlots = new Slot<int>?[tape.VarCount];

        foreach (var g in tape.Inputs)
            foreach (var v in g.Vars)
                MakeSlot(v, SlotKind.Input);
        foreach (var eq in tape.Equations)
        {
            int alias = eq.Primitive.AliasedInput;
            for (int i = 0; i < eq.Outputs.Length; i++)
            {
                var o = eq.Outputs[i];
                if (i == 0 && alias >= 0)
                {
                    if (o.DType == DType.Float) _floatSlots[o.Id] = FloatSlot(eq.Inputs[alias]);
                    else _intSlots[o.Id] = IntSlot(eq.Inputs[alias]);
                }
                else MakeSlot(o, SlotKind.Intermediate);
            }
        }

        _steps = new Step?[tape.Equations.Count];
        _stepEquations = tape.Equations.ToArray();
        // Plan-time fusions: the pattern's last equation runs the fused step, the others run nothing and their
        // results (read by the pattern only) get no memory.
        var skipped = new bool[_steps.Length];
        foreach (var m in fuse ? Fusion.Find<T>(tape, backend) : [])
        {
            _stepEquations[m.Root] = m.Fused;
            foreach (int e in m.Skipped) skipped[e] = true;
            // Results of the replaced equations that the fused step does not produce are read by nothing: no memory.
            foreach (int e in m.Skipped.Append(m.Root))
                foreach (var o in tape.Equations[e].Outputs)
                    if (o.DType == DType.Float && !m.Fused.Outputs.Contains(o) && _floatSlots[o.Id] is { } slot) slot.Kind = SlotKind.External;
            FusedSteps++;
        }
        for (int e = 0; e < _steps.Length; e++)
            if (!skipped[e]) _steps[e] = _stepEquations[e].Primitive.Compile(new StepContext<T>(this, _stepEquations[e], e));

        int end = _steps.Length;
        foreach (var g in tape.Inputs) BindInputGroup(g);
        foreach (var g in tape.Outputs) PrepareOutputGroup(g, end);

        _arena = PlanArena(_allFloat, end);
        _intArena = PlanArena(_allInt, end);
        foreach (var s in _constants.Values.Concat(_markedConstants)) Backend.Fill(s.View, FromDouble(s.ConstantValue));
        foreach (var b in _floatGroups.Values) b.Apply();
        foreach (var b in _intGroups.Values) b.Apply();
    }

    /// <summary>The tape this plan runs.</summary>
    public Tape Tape { get; }

    /// <summary>The device.</summary>
    public Backend Backend { get; }

    /// <summary>
    /// When set, every step's floating results are checked after it runs (one norm per result, so slower); the first
    /// non-finite value raises <see cref="NonFiniteException"/> naming the primitive and its layer.
    /// </summary>
    public bool CheckFinite { get; set; }

    /// <summary>Elements of device memory planned for intermediates, inputs copied in, constants and scratch.</summary>
    public long ArenaElements => (_arena?.Length ?? 0) + (long)(_intArena?.Length ?? 0);

    /// <summary>Number of fused steps the plan runs in place of several equations (see <c>TANGENT_NO_FUSION</c>).</summary>
    public int FusedSteps { get; }

    /// <summary>Number of kernel steps (equations that launch work).</summary>
    public int StepCount => _steps.Count(s => s != null);

    /// <summary>
    /// Binds the floating input group <paramref name="group"/> to <paramref name="data"/> (flat layout, see
    /// <see cref="VarGroup"/>). Where the layout allows the members are views of <paramref name="data"/> (no copy);
    /// otherwise <see cref="Run"/> copies them in. The buffer must stay alive while the plan uses it.
    /// </summary>
    public void Bind(string group, BufferView<T> data) => FloatGroup(group).Bind(data);

    /// <summary>Binds an integer input group (labels) or directs an integer output group.</summary>
    public void BindIndices(string group, BufferView<int> data) => IntGroup(group).Bind(data);

    /// <summary>
    /// The flat storage of floating output group <paramref name="group"/> (valid after <see cref="Run"/>); a buffer the
    /// plan owns unless one was bound with <see cref="Bind"/>.
    /// </summary>
    public BufferView<T> Output(string group)
    {
        var b = FloatGroup(group);
        if (b.IsInput) throw new ArgumentException($"'{group}' is an input group, not an output group.");
        return b.Current;
    }

    /// <summary>The storage of an integer output group.</summary>
    public BufferView<int> IndexOutput(string group) => IntGroup(group).Current;

    /// <summary>Runs the tape once.</summary>
    public void Run()
    {
        foreach (var g in _floatGroups.Values)
            if (g.IsInput && g.Current.IsNull) throw new InvalidOperationException($"plan input group '{g.Group.Name}' is not bound.");
        foreach (var g in _intGroups.Values)
            if (g.IsInput && g.Current.IsNull) throw new InvalidOperationException($"plan input group '{g.Group.Name}' is not bound.");
        for (int i = 0; i < _copyIn.Count; i++) _copyIn[i].Run();
        var steps = _steps;
        if (!CheckFinite)
        {
            for (int i = 0; i < steps.Length; i++) steps[i]?.Run();
        }
        else
        {
            for (int i = 0; i < steps.Length; i++)
            {
                if (steps[i] == null) continue;
                steps[i]!.Run();
                CheckStep(i);
            }
        }
        for (int i = 0; i < _copyOut.Count; i++) _copyOut[i].Run();
    }

    /// <summary>
    /// Diagnostics: runs each step <paramref name="repeats"/> times on its own (after one full run) and returns the
    /// median milliseconds of one run of it (robust to other processes taking the cores for a while), the managed bytes
    /// one run allocated, its primitive, layer and operand shapes, in execution order.
    /// </summary>
    public IReadOnlyList<(string Primitive, string Scope, string Shapes, double Milliseconds, long AllocatedBytes)> ProfileSteps(int repeats = 20)
    {
        if (repeats < 1) throw new ArgumentOutOfRangeException(nameof(repeats), $"repeats must be at least 1 (got {repeats}).");
        Run();
        var result = new List<(string, string, string, double, long)>();
        var times = new double[repeats];
        double Median(Action run)
        {
            for (int r = 0; r < repeats; r++)
            {
                long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
                run();
                Backend.Synchronize();
                times[r] = (System.Diagnostics.Stopwatch.GetTimestamp() - t0) * 1000.0 / System.Diagnostics.Stopwatch.Frequency;
            }
            Array.Sort(times);
            return repeats % 2 == 1 ? times[repeats / 2] : 0.5 * (times[repeats / 2 - 1] + times[repeats / 2]);
        }
        // Copies of bound inputs into (and outputs out of) per-variable slots, where a group's layout needs them.
        if (_copyIn.Count > 0)
            result.Add(("copy_in", "", $"{_copyIn.Count} group(s)", Median(() => { for (int i = 0; i < _copyIn.Count; i++) _copyIn[i].Run(); }), 0));
        for (int i = 0; i < _steps.Length; i++)
        {
            if (_steps[i] is not { } step) continue;
            step.Run();
            Backend.Synchronize();
            long a0 = GC.GetAllocatedBytesForCurrentThread();
            step.Run();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - a0;
            double ms = Median(step.Run);
            var eq = _stepEquations[i];
            result.Add((eq.Primitive.Name, eq.Scope, string.Join(",", eq.Inputs.Select(v => v.Shape.ToString())), ms, allocated));
        }
        if (_copyOut.Count > 0)
            result.Add(("copy_out", "", $"{_copyOut.Count} group(s)", Median(() => { for (int i = 0; i < _copyOut.Count; i++) _copyOut[i].Run(); }), 0));
        return result;
    }

    /// <summary>Reads a floating output group into a new host array (convenience for tests and tools).</summary>
    public T[] ReadOutput(string group)
    {
        var v = Output(group);
        var host = new T[v.Length];
        v.Buffer.CopyTo(host, v.Offset);
        return host;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _arena?.Dispose();
        _intArena?.Dispose();
        foreach (var d in _owned) d.Dispose();
    }

    private void CheckStep(int i)
    {
        var eq = _stepEquations[i];
        foreach (var o in eq.Outputs)
        {
            if (o.DType != DType.Float) continue;
            var view = FloatSlot(o).View;
            if (view.Length == 0) continue;
            double n = ToDouble(Backend.Nrm2(view));
            if (!double.IsFinite(n))
                throw new NonFiniteException(eq.Primitive.Name, eq.Scope, o.Shape);
        }
    }

    // ------------------------------------------------------------------ slots

    internal Slot<T> FloatSlot(Var v) =>
        _floatSlots[v.Id] ?? throw new InvalidOperationException($"{v} is not a floating value of this plan.");

    internal Slot<int> IntSlot(Var v) =>
        _intSlots[v.Id] ?? throw new InvalidOperationException($"{v} is not an integer value of this plan.");

    internal Slot<T> NewFloatSlot(int length, SlotKind kind)
    {
        var s = new Slot<T>(length, kind);
        _allFloat.Add(s);
        return s;
    }

    internal Slot<T> ConstantSlot(int length, double value)
    {
        if (_constants.TryGetValue((length, value), out var s)) return s;
        s = NewFloatSlot(length, SlotKind.Constant);
        s.ConstantValue = value;
        _constants[(length, value)] = s;
        return s;
    }

    internal void MarkConstant(Slot<T> s, double value)
    {
        s.Kind = SlotKind.Constant;
        s.ConstantValue = value;
        _markedConstants.Add(s);
    }

    private void MakeSlot(Var v, SlotKind kind)
    {
        if (v.DType == DType.Float) _floatSlots[v.Id] = NewFloatSlot(v.Shape.Length, kind);
        else
        {
            var s = new Slot<int>(v.Shape.Length, kind);
            _allInt.Add(s);
            _intSlots[v.Id] = s;
        }
    }

    /// <summary>
    /// First-fit offset assignment by decreasing size: two slots may share memory only if their live step ranges do
    /// not overlap. Permanent slots (inputs copied in, constants) live over the whole run.
    /// </summary>
    private DeviceBuffer<TE>? PlanArena<TE>(List<Slot<TE>> slots, int end) where TE : unmanaged
    {
        var planned = new List<(Slot<TE> Slot, int Offset, int First, int Last)>();
        var order = slots.Where(s => s.Kind != SlotKind.External && s.Length > 0)
            .OrderByDescending(s => s.Length).ToList();
        long total = 0;
        var placed = new List<(int Offset, int Size)>();
        foreach (var s in order)
        {
            int first = s.Kind is SlotKind.Input or SlotKind.Constant ? -1 : Math.Min(s.First, end);
            int last = s.Kind is SlotKind.Input or SlotKind.Constant ? end + 1 : Math.Max(s.Last, first);
            int size = (s.Length + Align - 1) / Align * Align;
            placed.Clear();
            foreach (var p in planned)
                if (p.First <= last && first <= p.Last) placed.Add((p.Offset, (p.Slot.Length + Align - 1) / Align * Align));
            placed.Sort((a, b) => a.Offset.CompareTo(b.Offset));
            long offset = 0;
            foreach (var (o, sz) in placed)
            {
                if (offset + size <= o) break;
                offset = Math.Max(offset, (long)o + sz);
            }
            planned.Add((s, checked((int)offset), first, last));
            total = Math.Max(total, offset + size);
        }
        if (total == 0) return null;
        var arena = Backend.Allocate<TE>(checked((int)total));
        foreach (var p in planned) p.Slot.View = arena.Slice(p.Offset, p.Slot.Length);
        return arena;
    }

    // ------------------------------------------------------------------ groups

    private GroupBinding<T> FloatGroup(string name) =>
        _floatGroups.TryGetValue(name, out var b) ? b
        : throw new KeyNotFoundException($"the plan has no floating group '{name}' (groups: {string.Join(", ", _floatGroups.Keys)}).");

    private GroupBinding<int> IntGroup(string name) =>
        _intGroups.TryGetValue(name, out var b) ? b
        : throw new KeyNotFoundException($"the plan has no integer group '{name}' (groups: {string.Join(", ", _intGroups.Keys)}).");

    private void BindInputGroup(VarGroup g)
    {
        if (g.DType == DType.Float) _floatGroups[g.Name] = NewInputBinding(g, g.Vars.Select(FloatSlot).ToArray());
        else _intGroups[g.Name] = NewInputBinding(g, g.Vars.Select(IntSlot).ToArray());
    }

    private GroupBinding<TE> NewInputBinding<TE>(VarGroup g, Slot<TE>[] slots) where TE : unmanaged
    {
        bool direct = g.Repeat <= 1 || g.Vars.Count == 1;
        if (direct)
            foreach (var s in slots) s.Kind = SlotKind.External;
        var b = new GroupBinding<TE>(Backend, g, slots, true, direct ? null : slots.Select(_ => true).ToArray());
        if (!direct) _copyIn.Add(b);
        return b;
    }

    private void PrepareOutputGroup(VarGroup g, int end)
    {
        if (_floatGroups.ContainsKey(g.Name) || _intGroups.ContainsKey(g.Name))
            throw new ArgumentException($"group name '{g.Name}' is used for an input and an output.");
        if (g.DType == DType.Float) _floatGroups[g.Name] = NewOutputBinding(g, g.Vars.Select(FloatSlot).ToArray(), end);
        else _intGroups[g.Name] = NewOutputBinding(g, g.Vars.Select(IntSlot).ToArray(), end);
    }

    private GroupBinding<TE> NewOutputBinding<TE>(VarGroup g, Slot<TE>[] slots, int end) where TE : unmanaged
    {
        bool layoutDirect = g.Repeat <= 1 || g.Vars.Count == 1;
        var copy = new bool[slots.Length];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i].Touch(end);
            int uses = 0;
            foreach (var og in Tape.Outputs)
                foreach (var v in og.Vars)
                    if (og.DType == g.DType && ReferenceEquals(og.DType == DType.Float ? FloatSlotObj(v) : IntSlotObj(v), slots[i])) uses++;
            bool redirect = layoutDirect && uses == 1 && slots[i].Kind == SlotKind.Intermediate;
            if (redirect) slots[i].Kind = SlotKind.External;
            copy[i] = !redirect;
        }
        var store = Backend.Allocate<TE>(Math.Max(g.TotalLength, 1));
        _owned.Add(store);
        var b = new GroupBinding<TE>(Backend, g, slots, false, copy);
        b.Bind(store.Slice(0, g.TotalLength), applyNow: false);
        if (copy.Any(c => c)) _copyOut.Add(b);
        return b;
    }

    private object? FloatSlotObj(Var v) => v.DType == DType.Float ? _floatSlots[v.Id] : null;
    private object? IntSlotObj(Var v) => v.DType == DType.Int32 ? _intSlots[v.Id] : null;

    // ------------------------------------------------------------------ conversions

    internal static T FromDouble(double v)
    {
        if (typeof(T) == typeof(float)) { float f = (float)v; return Unsafe.As<float, T>(ref f); }
        return Unsafe.As<double, T>(ref v);
    }

    internal static double ToDouble(T v) =>
        typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref v) : Unsafe.As<T, double>(ref v);
}

/// <summary>Thrown by a plan with <see cref="Plan{T}.CheckFinite"/> set when a step produces NaN or ±∞.</summary>
public sealed class NonFiniteException(string primitive, string scope, Shape shape)
    : ArithmeticException($"{primitive}{(scope.Length > 0 ? $" in layer '{scope}'" : "")} produced a non-finite value (result shape {shape}).")
{
    /// <summary>The first primitive whose result was not finite.</summary>
    public string Primitive { get; } = primitive;

    /// <summary>Its layer scope.</summary>
    public string Scope { get; } = scope;
}

internal interface IGroupCopy
{
    void Run();
}

/// <summary>
/// How one input or output group maps onto the caller's flat buffer: members either point straight into it (the
/// slot's view is redirected) or are copied row by row (stacked groups of several members).
/// </summary>
internal sealed class GroupBinding<TE> : IGroupCopy where TE : unmanaged
{
    private readonly Backend _backend;
    private readonly Slot<TE>[] _slots;
    private readonly bool[]? _copy;
    private readonly int[] _lengths, _offsets;
    private readonly int _rows, _rowLength;

    public GroupBinding(Backend backend, VarGroup group, Slot<TE>[] slots, bool isInput, bool[]? copy)
    {
        _backend = backend;
        Group = group;
        _slots = slots;
        IsInput = isInput;
        _copy = copy;
        _lengths = group.Vars.Select(group.BaseLength).ToArray();
        _offsets = group.Offsets.ToArray();
        _rows = Math.Max(group.Repeat, 1);
        _rowLength = group.Length;
    }

    public VarGroup Group { get; }
    public bool IsInput { get; }
    public BufferView<TE> Current { get; private set; }

    public void Bind(BufferView<TE> data, bool applyNow = true)
    {
        if (data.Length != Group.TotalLength)
            throw new ArgumentException($"group '{Group.Name}' needs a buffer of {Group.TotalLength} elements, got {data.Length}.");
        if (!ReferenceEquals(data.Buffer.Backend, _backend))
            throw new ArgumentException($"group '{Group.Name}': the buffer lives on {data.Buffer.Backend.Info.Name}, the plan on {_backend.Info.Name}.");
        Current = data;
        if (applyNow) Apply();
    }

    /// <summary>Points the directly mapped members' slots into the bound buffer.</summary>
    public void Apply()
    {
        if (Current.IsNull) return;
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_copy != null && _copy[i]) continue;
            int off = Group.Repeat > 1 ? 0 : _offsets[i];
            _slots[i].View = Current.Slice(off, _lengths[i] * _rows);
        }
    }

    /// <summary>Row-by-row copies for the members that cannot point into the flat buffer.</summary>
    public void Run()
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (!_copy![i]) continue;
            int len = _lengths[i];
            var slotView = _slots[i].View;
            for (int k = 0; k < _rows; k++)
            {
                var flat = Current.Slice(k * _rowLength + _offsets[i], len);
                var mine = slotView.Slice(k * len, len);
                if (IsInput) _backend.Copy(flat, mine);
                else _backend.Copy(mine, flat);
            }
        }
    }
}
