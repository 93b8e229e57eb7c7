using System.Numerics;
using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Engine.Transforms;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>
/// An operator that can apply its outer Gram matrix A Aᵀ in one fused sweep (cheaper than Aᵀ then A, which would
/// recompute the primal forward pass twice). <see cref="KernelProjection{T}"/> uses it when the Jacobian offers one.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public interface IOuterGramSource<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A Aᵀ (Rows × Rows of this operator), symmetric positive semidefinite.</summary>
    ILinearOperator<T> OuterGram { get; }
}

/// <summary>The curvature Λ of the loss with respect to the network outputs in a GGN JᵀΛJ.</summary>
public enum OutputCurvature
{
    /// <summary>Softmax cross-entropy: Λ_b = diag(p_b) − p_b p_bᵀ with p_b = softmax(z_b) for each example.</summary>
    Softmax,
    /// <summary>Gaussian likelihood with variance σ²: Λ = I/σ².</summary>
    Gaussian,
}

/// <summary>
/// Constructors of operators from a traced function and a batch (issue 5): the Jacobian J = ∂output/∂θ of one
/// output group (the per-example loss vector ℓ(θ) ∈ R^B, or the stacked outputs ∈ R^(B·C)), its outer Gram JJᵀ
/// (for the stacked outputs: the NTK-vector product), and the GGN JᵀΛJ + αI. Tapes are transformed and planned
/// once per vector count; products allocate nothing in steady state. The batch and the linearisation point are
/// bound (and re-bound: a new batch needs no retracing) with <c>Bind</c>/<c>BindIndices</c> under the traced
/// tape's input-group names.
/// </summary>
public static class TapeOperators
{
    /// <summary>J of output group <paramref name="output"/> of <paramref name="tape"/> with respect to input group <paramref name="wrt"/>.</summary>
    public static TapeJacobian<T> Jacobian<T>(Tape tape, string wrt, string output, Backend backend) where T : unmanaged, IFloatingPointIeee754<T> =>
        new(tape, wrt, output, backend);

    /// <summary>The NTK-vector product Θ v = J Jᵀ v of the stacked outputs <paramref name="output"/> (B·C × B·C).</summary>
    public static TapeJacobian<T> NeuralTangentKernelOf<T>(Tape tape, string wrt, string output, Backend backend) where T : unmanaged, IFloatingPointIeee754<T> =>
        new(tape, wrt, output, backend);

    /// <summary>The GGN JᵀΛJ + αI of output <paramref name="output"/> ([B, C] logits for <see cref="OutputCurvature.Softmax"/>).</summary>
    public static TapeGgn<T> Ggn<T>(Tape tape, string wrt, string output, Backend backend, OutputCurvature curvature, double alpha = 0,
        double variance = 1) where T : unmanaged, IFloatingPointIeee754<T> =>
        new(tape, wrt, output, backend, curvature, alpha, variance);
}

/// <summary>
/// Plans of derived tapes keyed by vector count, all sharing the bindings of the original tape's input groups
/// (parameters, inputs, labels). Re-binding updates every plan, including those created later.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public abstract class TapePlanSet<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Dictionary<string, BufferView<T>> _floatBindings = [];
    private readonly Dictionary<string, BufferView<int>> _intBindings = [];
    private readonly List<Plan<T>> _plans = [];

    /// <summary>Records the traced function and the device.</summary>
    protected TapePlanSet(Tape tape, string wrt, string output, Backend backend)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(backend);
        var w = tape.Input(wrt);
        if (w.DType != DType.Float) throw new ArgumentException($"tape operator: input group '{wrt}' holds integers.");
        var o = tape.Output(output);
        if (o.DType != DType.Float) throw new ArgumentException($"tape operator: output group '{output}' holds integers.");
        Tape = OnlyOutput(tape, output);
        Wrt = wrt;
        OutputName = output;
        Backend = backend;
        ParameterCount = w.TotalLength;
        OutputLength = o.TotalLength;
    }

    /// <summary>The traced function restricted to the output.</summary>
    public Tape Tape { get; }

    /// <summary>The differentiated input group.</summary>
    public string Wrt { get; }

    /// <summary>The differentiated output group.</summary>
    public string OutputName { get; }

    /// <summary>The device.</summary>
    public Backend Backend { get; }

    /// <summary>P, the length of the differentiated input group.</summary>
    public int ParameterCount { get; }

    /// <summary>The length of the output group (B for a per-example loss, B·C for stacked outputs).</summary>
    public int OutputLength { get; }

    /// <summary>Binds floating input group <paramref name="group"/> of the traced tape (θ, inputs x) on every plan.</summary>
    public void Bind(string group, BufferView<T> data)
    {
        if (Tape.Input(group).DType != DType.Float) throw new ArgumentException($"tape operator: '{group}' is an integer group; use BindIndices.");
        _floatBindings[group] = data;
        foreach (var p in _plans) p.Bind(group, data);
    }

    /// <summary>Binds integer input group <paramref name="group"/> of the traced tape (labels) on every plan.</summary>
    public void BindIndices(string group, BufferView<int> data)
    {
        if (Tape.Input(group).DType != DType.Int32) throw new ArgumentException($"tape operator: '{group}' is a floating group; use Bind.");
        _intBindings[group] = data;
        foreach (var p in _plans) p.BindIndices(group, data);
    }

    /// <summary>Plans <paramref name="tape"/> and applies the current bindings to it.</summary>
    protected Plan<T> NewPlan(Tape tape)
    {
        var plan = tape.Plan<T>(Backend);
        foreach (var (k, v) in _floatBindings) plan.Bind(k, v);
        foreach (var (k, v) in _intBindings) plan.BindIndices(k, v);
        _plans.Add(plan);
        return plan;
    }

    /// <summary>Binds <paramref name="x"/> to input group <paramref name="input"/>, directs <paramref name="output"/> into <paramref name="y"/>, runs.</summary>
    protected static void RunInto(Plan<T> plan, string input, BufferView<T> x, string output, BufferView<T> y)
    {
        plan.Bind(input, x);
        plan.Bind(output, y);
        plan.Run();
    }

    /// <summary>Declares the traced tape's input groups on <paramref name="b"/>.</summary>
    protected Dictionary<string, IReadOnlyList<Var>> DeclareInputs(TapeBuilder b)
    {
        var d = new Dictionary<string, IReadOnlyList<Var>>();
        foreach (var g in Tape.Inputs)
            d[g.Name] = b.InputGroup(g.Name, g.MemberNames.Select((m, i) => (m, g.Vars[i].Shape)).ToList(), 0, g.DType).Vars;
        return d;
    }

    /// <summary>An input group of <paramref name="count"/> stacked copies of the parameter layout.</summary>
    protected IReadOnlyList<Var> DeclareParameterBlock(TapeBuilder b, string name, int count)
    {
        var g = Tape.Input(Wrt);
        return b.InputGroup(name, g.MemberNames.Select((m, i) => (m, g.Vars[i].Shape)).ToList(), count).Vars;
    }

    /// <summary>
    /// Jᵀ of <paramref name="count"/> stacked cotangents in one reverse sweep: the reverse mode of the K-tangent JVP
    /// taken with respect to the tangents (the tangents themselves are not needed, the map being linear in them).
    /// Returns the [count, …] cotangents of the parameter members.
    /// </summary>
    protected Var[] InlineTransposeMany(TapeBuilder b, Dictionary<string, IReadOnlyList<Var>> inputs, IReadOnlyList<Var> cotangents, int count)
    {
        string tan = Wrt + Transform.TangentSuffix;
        var vjp = Tape.Jvp(count, Wrt).Vjp([tan], [OutputName + Transform.TangentSuffix], keepPrimal: false);
        var g = Tape.Input(Wrt);
        var ins = new Dictionary<string, IReadOnlyList<Var>>(inputs)
        {
            [tan] = g.Vars.Select(v => Fn.Full(b, v.Shape.Prepend(new Shape(count)), 0)).ToList(),
            [OutputName + Transform.TangentSuffix + Transform.CotangentSuffix] = cotangents,
        };
        return b.Inline(vjp, ins)[tan + Transform.CotangentSuffix];
    }

    /// <summary>J of <paramref name="count"/> stacked tangents (the K-tangent JVP); returns (primal outputs, [count, …] tangents).</summary>
    protected (Var[] Primal, Var[] Tangent) InlineApplyMany(TapeBuilder b, Dictionary<string, IReadOnlyList<Var>> inputs, IReadOnlyList<Var> tangents, int count)
    {
        var jvp = Tape.Jvp(count, Wrt);
        var ins = new Dictionary<string, IReadOnlyList<Var>>(inputs) { [Wrt + Transform.TangentSuffix] = tangents };
        var r = b.Inline(jvp, ins);
        return (r[OutputName], r[OutputName + Transform.TangentSuffix]);
    }

    /// <summary>The output's member list as one group declaration ([count, …output]).</summary>
    protected IReadOnlyList<Var> DeclareOutputBlock(TapeBuilder b, string name, int count)
    {
        var g = Tape.Output(OutputName);
        return b.InputGroup(name, g.MemberNames.Select((m, i) => (m, g.Vars[i].Shape)).ToList(), count).Vars;
    }

    /// <summary>Disposes every plan.</summary>
    public void Dispose()
    {
        foreach (var p in _plans) p.Dispose();
        _plans.Clear();
        GC.SuppressFinalize(this);
    }

    /// <summary>Throws unless the view is on this device and long enough.</summary>
    protected void Require(string method, string name, BufferView<T> view, long needed)
    {
        if (view.IsNull) throw new ArgumentException($"{GetType().Name}.{method}: {name} is not set.");
        if (view.Length < needed) throw new ArgumentException($"{GetType().Name}.{method}: {name} has {view.Length} elements, {needed} needed.");
        if (!ReferenceEquals(view.Buffer.Backend, Backend))
            throw new ArgumentException($"{GetType().Name}.{method}: {name} lives on {view.Buffer.Backend.Info.Name}, not on {Backend.Info.Name}.");
    }

    /// <summary>Throws unless count is positive.</summary>
    protected void RequireCount(string method, int count)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), $"{GetType().Name}.{method}: count {count} must be positive.");
    }

    private static Tape OnlyOutput(Tape tape, string output)
    {
        var b = new TapeBuilder();
        var ins = tape.Inputs.ToDictionary(g => g.Name, g => (IReadOnlyList<Var>)b.InputGroup(g.Name,
            g.MemberNames.Select((m, i) => (m, g.Repeat > 0 ? g.Vars[i].Shape.Skip(1) : g.Vars[i].Shape)).ToList(), g.Repeat, g.DType).Vars);
        var outs = b.Inline(tape, ins);
        var og = tape.Output(output);
        b.OutputGroup(output, outs[output], og.MemberNames, og.Repeat);
        return b.Build();
    }
}

/// <summary>
/// J = ∂output/∂θ of a traced function on a bound batch, as a linear operator R^P → R^M (M = B for the per-example
/// loss vector, B·C for stacked outputs): <see cref="ILinearOperator{T}.Apply"/> is a JVP, ApplyMany the K-tangent
/// JVP in one sweep, ApplyTranspose a VJP (Σᵢ λᵢ ∇ℓᵢ in one reverse sweep) and ApplyTransposeMany the reverse
/// mode of the K-tangent JVP. <see cref="OuterGram"/> is JJᵀ (the NTK-vector product for stacked outputs) in one
/// fused tape: the primal forward pass runs once per product, not twice.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class TapeJacobian<T> : TapePlanSet<T>, ILinearOperator<T>, IOuterGramSource<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const string In = "in", Out = "out";
    private readonly Dictionary<int, Plan<T>> _apply = [], _transpose = [], _gram = [];
    private Plan<T>? _vjp;
    private readonly GramOperator _outer;

    /// <summary>J of <paramref name="output"/> with respect to <paramref name="wrt"/>; plans are built on first use.</summary>
    public TapeJacobian(Tape tape, string wrt, string output, Backend backend) : base(tape, wrt, output, backend) => _outer = new GramOperator(this);

    /// <inheritdoc />
    public int Rows => OutputLength;

    /// <inheritdoc />
    public int Columns => ParameterCount;

    /// <summary>JJᵀ, Rows × Rows: B×B for the loss vector, B·C×B·C (the NTK) for stacked outputs.</summary>
    public ILinearOperator<T> OuterGram => _outer;

    /// <summary>Builds the plans for <paramref name="count"/> vectors now (so that the first timed product does not compile them).</summary>
    public void Prepare(int count)
    {
        ApplyPlan(count);
        TransposePlan(count);
        GramPlan(count);
        if (count == 1) VjpPlan();
    }

    /// <inheritdoc />
    public void Apply(BufferView<T> x, BufferView<T> y)
    {
        Require(nameof(Apply), "x", x, Columns);
        Require(nameof(Apply), "y", y, Rows);
        RunInto(ApplyPlan(1), In, x.Slice(0, Columns), Out, y.Slice(0, Rows));
    }

    /// <inheritdoc />
    public void ApplyTranspose(BufferView<T> y, BufferView<T> x)
    {
        Require(nameof(ApplyTranspose), "y", y, Rows);
        Require(nameof(ApplyTranspose), "x", x, Columns);
        RunInto(VjpPlan(), In, y.Slice(0, Rows), Out, x.Slice(0, Columns));
    }

    /// <inheritdoc />
    public void ApplyMany(BufferView<T> x, BufferView<T> y, int count)
    {
        RequireCount(nameof(ApplyMany), count);
        Require(nameof(ApplyMany), "X", x, (long)count * Columns);
        Require(nameof(ApplyMany), "Y", y, (long)count * Rows);
        RunInto(ApplyPlan(count), In, x.Slice(0, count * Columns), Out, y.Slice(0, count * Rows));
    }

    /// <inheritdoc />
    public void ApplyTransposeMany(BufferView<T> y, BufferView<T> x, int count)
    {
        RequireCount(nameof(ApplyTransposeMany), count);
        Require(nameof(ApplyTransposeMany), "Y", y, (long)count * Rows);
        Require(nameof(ApplyTransposeMany), "X", x, (long)count * Columns);
        if (count == 1) RunInto(VjpPlan(), In, y.Slice(0, Rows), Out, x.Slice(0, Columns));
        else RunInto(TransposePlan(count), In, y.Slice(0, count * Rows), Out, x.Slice(0, count * Columns));
    }

    private void ApplyGram(BufferView<T> x, BufferView<T> y, int count) =>
        RunInto(GramPlan(count), In, x.Slice(0, count * Rows), Out, y.Slice(0, count * Rows));

    private Plan<T> ApplyPlan(int count)
    {
        if (_apply.TryGetValue(count, out var p)) return p;
        var b = new TapeBuilder();
        var ins = DeclareInputs(b);
        var v = DeclareParameterBlock(b, In, count);
        var (_, tangent) = InlineApplyMany(b, ins, v, count);
        b.OutputGroup(Out, tangent, Tape.Output(OutputName).MemberNames, count);
        return _apply[count] = NewPlan(b.Build());
    }

    private Plan<T> TransposePlan(int count)
    {
        if (_transpose.TryGetValue(count, out var p)) return p;
        var b = new TapeBuilder();
        var ins = DeclareInputs(b);
        var lam = DeclareOutputBlock(b, In, count);
        var r = InlineTransposeMany(b, ins, lam, count);
        b.OutputGroup(Out, r, Tape.Input(Wrt).MemberNames, count);
        return _transpose[count] = NewPlan(b.Build());
    }

    /// <summary>The plain reverse sweep for one cotangent (no leading tangent axis).</summary>
    private Plan<T> VjpPlan() => _vjp ??= BuildVjpPlan();

    // Built apart from the cached lookup: a lambda's captured locals would otherwise allocate on every call.
    private Plan<T> BuildVjpPlan()
    {
        var b = new TapeBuilder();
        var ins = DeclareInputs(b);
        var og = Tape.Output(OutputName);
        var lam = b.InputGroup(In, og.MemberNames.Select((m, i) => (m, og.Vars[i].Shape)).ToList()).Vars;
        var vjp = Tape.Vjp([Wrt], [OutputName], keepPrimal: false);
        var r = b.Inline(vjp, new Dictionary<string, IReadOnlyList<Var>>(ins) { [OutputName + Transform.CotangentSuffix] = lam });
        b.OutputGroup(Out, r[Wrt + Transform.CotangentSuffix], Tape.Input(Wrt).MemberNames);
        return NewPlan(b.Build());
    }

    /// <summary>JJᵀ in one tape: u = Jᵀλ by the reverse sweep of the K-tangent JVP, then J u by the K-tangent JVP; shared forward equations are recorded once.</summary>
    private Plan<T> GramPlan(int count)
    {
        if (_gram.TryGetValue(count, out var p)) return p;
        var b = new TapeBuilder();
        var ins = DeclareInputs(b);
        var lam = DeclareOutputBlock(b, In, count);
        var u = InlineTransposeMany(b, ins, lam, count);
        var (_, ju) = InlineApplyMany(b, ins, u, count);
        b.OutputGroup(Out, ju, Tape.Output(OutputName).MemberNames, count);
        return _gram[count] = NewPlan(b.Build());
    }

    /// <summary>JJᵀ through the owning Jacobian's plans.</summary>
    private sealed class GramOperator(TapeJacobian<T> j) : ILinearOperator<T>
    {
        public int Rows => j.Rows;
        public int Columns => j.Rows;
        public Backend Backend => j.Backend;
        public void Apply(BufferView<T> x, BufferView<T> y) => ApplyMany(x, y, 1);
        public void ApplyTranspose(BufferView<T> y, BufferView<T> x) => ApplyMany(y, x, 1);
        public void ApplyTransposeMany(BufferView<T> y, BufferView<T> x, int count) => ApplyMany(y, x, count);

        public void ApplyMany(BufferView<T> x, BufferView<T> y, int count)
        {
            j.RequireCount("OuterGram.ApplyMany", count);
            j.Require("OuterGram.ApplyMany", "X", x, (long)count * Rows);
            j.Require("OuterGram.ApplyMany", "Y", y, (long)count * Rows);
            j.ApplyGram(x, y, count);
        }
    }
}

/// <summary>
/// The generalised Gauss–Newton matrix G = JᵀΛJ + αI (P × P, symmetric) of a traced network's outputs, with Λ the
/// output curvature of a softmax cross-entropy (diag(p) − ppᵀ per example) or a Gaussian likelihood (I/σ²).
/// One product is one tape: the K-tangent JVP, Λ, and the reverse sweep of the JVP, sharing one forward pass.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class TapeGgn<T> : TapePlanSet<T>, ILinearOperator<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private const string In = "in", Out = "out";
    private readonly Dictionary<int, Plan<T>> _plans = [];

    /// <summary>The GGN of <paramref name="output"/> (logits [B, C] for the softmax curvature).</summary>
    public TapeGgn(Tape tape, string wrt, string output, Backend backend, OutputCurvature curvature, double alpha = 0, double variance = 1)
        : base(tape, wrt, output, backend)
    {
        if (curvature == OutputCurvature.Softmax && Tape.Output(output).Vars is not [{ Shape.Rank: 2 }])
            throw new ArgumentException($"TapeGgn: the softmax curvature needs one [B, C] output, '{output}' is not.");
        if (!(variance > 0)) throw new ArgumentOutOfRangeException(nameof(variance), $"TapeGgn: variance {variance} must be positive.");
        Curvature = curvature;
        Alpha = alpha;
        Variance = variance;
    }

    /// <summary>Λ.</summary>
    public OutputCurvature Curvature { get; }

    /// <summary>The shift α.</summary>
    public double Alpha { get; }

    /// <summary>σ² of the Gaussian curvature.</summary>
    public double Variance { get; }

    /// <inheritdoc />
    public int Rows => ParameterCount;

    /// <inheritdoc />
    public int Columns => ParameterCount;

    /// <inheritdoc />
    public void Apply(BufferView<T> x, BufferView<T> y) => ApplyMany(x, y, 1);

    /// <inheritdoc />
    public void ApplyTranspose(BufferView<T> y, BufferView<T> x) => ApplyMany(y, x, 1);

    /// <inheritdoc />
    public void ApplyTransposeMany(BufferView<T> y, BufferView<T> x, int count) => ApplyMany(y, x, count);

    /// <inheritdoc />
    public void ApplyMany(BufferView<T> x, BufferView<T> y, int count)
    {
        RequireCount(nameof(ApplyMany), count);
        Require(nameof(ApplyMany), "X", x, (long)count * Columns);
        Require(nameof(ApplyMany), "Y", y, (long)count * Rows);
        RunInto(PlanFor(count), In, x.Slice(0, count * Columns), Out, y.Slice(0, count * Rows));
    }

    private Plan<T> PlanFor(int count) => _plans.TryGetValue(count, out var p) ? p : _plans[count] = BuildPlan(count);

    // Built apart from the cached lookup: a lambda's captured locals would otherwise allocate on every call.
    private Plan<T> BuildPlan(int count)
    {
        var b = new TapeBuilder();
        var ins = DeclareInputs(b);
        var v = DeclareParameterBlock(b, In, count);
        var (z, zdot) = InlineApplyMany(b, ins, v, count);
        var lz = new Var[zdot.Length];
        for (int i = 0; i < zdot.Length; i++)
            lz[i] = Curvature == OutputCurvature.Softmax
                ? Fn.SoftmaxCrossEntropyHessianProduct(z[i], zdot[i])
                : Fn.Scale(zdot[i], 1 / Variance);
        var g = InlineTransposeMany(b, ins, lz, count);
        var result = g.Select((gi, i) => Alpha == 0 ? gi : Fn.Add(gi, Fn.Scale(v[i], Alpha))).ToList();
        b.OutputGroup(Out, result, Tape.Input(Wrt).MemberNames, count);
        return NewPlan(b.Build());
    }
}
