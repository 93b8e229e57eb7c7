using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Models.Layers;

/// <summary>Which statistics a traced network uses.</summary>
public enum NetworkMode
{
    /// <summary>Evaluation: batch norm uses running statistics (input group <c>state</c>), dropout is off.</summary>
    Evaluation,
    /// <summary>Training: batch norm uses batch statistics (output group <c>state:batch</c>), dropout masks are inputs.</summary>
    Training,
}

/// <summary>The loss a traced network ends in.</summary>
public enum Objective
{
    /// <summary>Softmax cross-entropy with integer labels <c>y</c>[B].</summary>
    CrossEntropy,
    /// <summary>Gaussian negative log-likelihood with unit variance and float targets <c>y</c>[B, C].</summary>
    GaussianNll,
}

/// <summary>
/// A layer tree with a fixed per-example input shape, built once: its parameters laid out in ONE flat vector θ
/// (<see cref="Parameters"/>, names such as <c>conv1.weight</c>), its state (batch-norm running statistics) in a
/// second flat vector, and its dropout masks. <see cref="Trace"/> records it for a batch size and mode.
/// <para>Tape groups. Inputs: <c>theta</c>; <c>x</c> [B, …input]; <c>y</c> (labels [B] or targets [B, C]);
/// <c>state</c> (evaluation, when the network has state); <c>dropout</c> (training, when it has dropout).
/// Outputs: <c>logits</c> [B, …output]; <c>loss</c> per example [B]; <c>mean_loss</c>; <c>state:batch</c>
/// (training, when it has state: the batch values in <see cref="State"/> layout).</para>
/// </summary>
public sealed class Network
{
    /// <summary>Name of the parameter input group.</summary>
    public const string ThetaGroup = "theta";

    /// <summary>Name of the state input group.</summary>
    public const string StateGroup = "state";

    /// <summary>Name of the dropout-mask input group.</summary>
    public const string DropoutGroup = "dropout";

    /// <summary>Name of the batch-statistics output group.</summary>
    public const string BatchStateGroup = "state:batch";

    private readonly List<ParameterSpec> _parameters;
    private readonly List<StateSpec> _state;
    private readonly List<DropoutSpec> _dropouts;

    /// <summary>Builds <paramref name="body"/> for per-example inputs of shape <paramref name="inputShape"/>.</summary>
    public Network(Layer body, Shape inputShape)
    {
        Body = body;
        InputShape = inputShape;
        var c = new LayerBuildContext();
        OutputShape = body.Build(c, inputShape);
        _parameters = c.Parameters;
        _state = c.State;
        _dropouts = c.Dropouts;
        Parameters = new ParameterLayout(ThetaGroup);
        foreach (var p in _parameters) Parameters.Add(p.Name, p.Shape);
        State = new ParameterLayout(StateGroup);
        foreach (var s in _state) State.Add(s.Name, s.Shape);
        DropoutLength = _dropouts.Sum(d => d.Shape.Length);
    }

    /// <summary>The layer tree.</summary>
    public Layer Body { get; }

    /// <summary>Per-example input shape.</summary>
    public Shape InputShape { get; }

    /// <summary>Per-example output shape.</summary>
    public Shape OutputShape { get; }

    /// <summary>Layout of θ.</summary>
    public ParameterLayout Parameters { get; }

    /// <summary>Layout of the state vector (empty without batch norm).</summary>
    public ParameterLayout State { get; }

    /// <summary>Number of parameters P.</summary>
    public int ParameterCount => Parameters.Count;

    /// <summary>Parameter tensors with their initialisation, in layout order.</summary>
    public IReadOnlyList<ParameterSpec> ParameterSpecs => _parameters;

    /// <summary>State tensors with their initial values, in layout order.</summary>
    public IReadOnlyList<StateSpec> StateSpecs => _state;

    /// <summary>Dropout masks in layout order of the <c>dropout</c> group.</summary>
    public IReadOnlyList<DropoutSpec> Dropouts => _dropouts;

    /// <summary>Per-example elements of all dropout masks.</summary>
    public int DropoutLength { get; }

    /// <summary>
    /// Writes initial parameters into <paramref name="theta"/> (length P): tensor i from Philox stream i under
    /// <paramref name="seed"/>, with its layer's scheme.
    /// </summary>
    public void Initialize<T>(Backend backend, BufferView<T> theta, ulong seed) where T : unmanaged
    {
        if (theta.Length != ParameterCount) throw new ArgumentException($"θ needs {ParameterCount} elements, got {theta.Length}.");
        for (int i = 0; i < _parameters.Count; i++)
        {
            var p = _parameters[i];
            var (offset, shape) = Parameters[p.Name];
            Initialization.Fill(backend, theta.Slice(offset, shape.Length), p.Init, p.FanIn, p.FanOut, seed, (ulong)i);
        }
    }

    /// <summary>Initial parameters as a host array (see <see cref="Initialize{T}"/>), drawn on the cpu backend.</summary>
    public float[] InitialParameters(ulong seed)
    {
        using var buf = Kernels.Cpu.CpuBackend.Instance.Allocate<float>(Math.Max(ParameterCount, 1));
        Initialize(Kernels.Cpu.CpuBackend.Instance, buf.Slice(0, ParameterCount), seed);
        return buf.ToArray()[..ParameterCount];
    }

    /// <summary>
    /// Draws fresh dropout masks for one training step into <paramref name="masks"/> (the <c>dropout</c> group of a
    /// tape traced for <paramref name="batch"/>): mask i takes Philox stream 2³² + i under <paramref name="seed"/> at
    /// element offset step·length, so a run is reproducible from its seed and step count.
    /// </summary>
    public void DrawDropoutMasks<T>(Backend backend, BufferView<T> masks, int batch, ulong seed, long step) where T : unmanaged
    {
        if (masks.Length != batch * DropoutLength)
            throw new ArgumentException($"dropout masks for batch {batch} need {batch * DropoutLength} elements, got {masks.Length}.");
        int offset = 0;
        for (int i = 0; i < _dropouts.Count; i++)
        {
            int len = batch * _dropouts[i].Shape.Length;
            var slice = masks.Slice(offset, len);
            backend.RandomUniform(slice, seed, (1UL << 32) + (ulong)i, (ulong)step * (ulong)len);
            var op = new DropoutMask(_dropouts[i].Probability);
            if (typeof(T) == typeof(float)) backend.Map<float, DropoutMask>(op, Initialization.As<T, float>(slice), Initialization.As<T, float>(slice));
            else backend.Map<double, DropoutMask>(op, Initialization.As<T, double>(slice), Initialization.As<T, double>(slice));
            offset += len;
        }
    }

    /// <summary>Initial state (running means 0, running variances 1) as a host array.</summary>
    public float[] InitialState()
    {
        var s = new float[State.Count];
        foreach (var spec in _state)
        {
            var (offset, shape) = State[spec.Name];
            s.AsSpan(offset, shape.Length).Fill((float)spec.InitialValue);
        }
        return s;
    }

    /// <summary>Traces the network and its loss for batch size <paramref name="batch"/> (groups: see <see cref="Network"/>).</summary>
    public Tape Trace(int batch, NetworkMode mode, Objective objective = Objective.CrossEntropy) =>
        Tape.Trace(t =>
        {
            var logits = TraceBody(t, batch, mode, out var stats);
            var ls = TraceLoss(t, batch, objective, logits);
            t.Output("logits", logits);
            t.Output("loss", ls);
            t.Output("mean_loss", Fn.Mean(ls));
            if (stats != null) EmitState(t, stats);
        });

    /// <summary>Traces only the network's outputs (<c>logits</c>), without labels or loss.</summary>
    public Tape TraceLogits(int batch, NetworkMode mode = NetworkMode.Evaluation) =>
        Tape.Trace(t =>
        {
            var logits = TraceBody(t, batch, mode, out var stats);
            t.Output("logits", logits);
            if (stats != null) EmitState(t, stats);
        });

    /// <summary>
    /// Declares <c>theta</c>, <c>x</c> and the mode's <c>state</c>/<c>dropout</c> inputs on <paramref name="t"/> and
    /// traces the body; returns [B, …output]. In training mode with state, <paramref name="statistics"/> receives the
    /// batch values by state name.
    /// </summary>
    public Var TraceBody(TapeBuilder t, int batch, NetworkMode mode, out IReadOnlyDictionary<string, Var>? statistics)
    {
        if (batch < 1) throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch size must be positive.");
        var theta = t.Parameters(Parameters);
        var x = t.Input("x", InputShape.Prepend(new Shape(batch)));
        bool training = mode == NetworkMode.Training;
        VarGroup? state = !training && State.Count > 0 ? t.Parameters(State) : null;
        VarGroup? dropout = training && _dropouts.Count > 0
            ? t.InputGroup(DropoutGroup, _dropouts.Select(d => (d.Name, d.Shape.Prepend(new Shape(batch)))).ToList())
            : null;
        var c = new LayerForwardContext(t, training, theta, state, dropout);
        var y = Body.Forward(c, x);
        statistics = training && State.Count > 0 ? c.Statistics : null;
        return y;
    }

    private void EmitState(TapeBuilder t, IReadOnlyDictionary<string, Var> stats)
    {
        var vars = _state.Select(s => stats.TryGetValue(s.Name, out var v) ? v
            : throw new InvalidOperationException($"state '{s.Name}' received no batch value in training mode.")).ToList();
        t.OutputGroup(BatchStateGroup, vars, _state.Select(s => s.Name).ToList());
    }

    private Var TraceLoss(TapeBuilder t, int batch, Objective objective, Var logits)
    {
        if (objective == Objective.CrossEntropy)
        {
            if (OutputShape.Rank != 1) throw new ArgumentException($"cross-entropy needs outputs [C] per example, the network gives {OutputShape}.");
            return Fn.SoftmaxCrossEntropy(logits, t.Input("y", new Shape(batch), DType.Int32));
        }
        var flat = Fn.Reshape(logits, new Shape(batch, OutputShape.Length));
        return Fn.GaussianNll(flat, t.Input("y", new Shape(batch, OutputShape.Length)));
    }

    /// <summary>A table of the layers' parameters: name, shape, count; and the total.</summary>
    public string Summary()
    {
        var lines = _parameters.Select(p => $"  {p.Name,-36} {p.Shape,-18} {p.Shape.Length,10:N0}").ToList();
        lines.Add($"  {"total",-36} {"",-18} {ParameterCount,10:N0}");
        return string.Join(Environment.NewLine, lines);
    }
}
