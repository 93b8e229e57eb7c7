using Tangent.Engine;
using Tangent.Engine.Tracing;

namespace Tangent.Models.Layers;

/// <summary>
/// A network building block. A layer is used in two passes over the same tree: <see cref="Build"/> declares its
/// parameters, state and dropout masks under its path (<c>block1.conv2</c>) and returns its per-example output shape;
/// <see cref="Forward"/> traces it onto a tape with the batch dimension in front. Layers hold configuration only —
/// parameter values live in the network's flat vector θ (see <see cref="Network"/>).
/// </summary>
public abstract class Layer
{
    /// <summary>Declares parameters and state; returns the per-example output shape for per-example input <paramref name="input"/>.</summary>
    public abstract Shape Build(LayerBuildContext context, Shape input);

    /// <summary>Traces the layer on <paramref name="x"/> ([B, …input]) and returns [B, …output].</summary>
    public abstract Var Forward(LayerForwardContext context, Var x);

    /// <summary>Short description used in summaries (<c>conv2d(16→32, 3×3, pad 1)</c>).</summary>
    public abstract string Describe();
}

/// <summary>How a parameter tensor is initialised (fan-in/fan-out are those of the layer owning it).</summary>
public sealed record ParameterSpec(string Name, Shape Shape, InitScheme Init, int FanIn, int FanOut);

/// <summary>A non-trainable state tensor (batch-norm running statistics) with its initial value.</summary>
public sealed record StateSpec(string Name, Shape Shape, double InitialValue);

/// <summary>A dropout mask: per-example shape and drop probability.</summary>
public sealed record DropoutSpec(string Name, Shape Shape, double Probability);

/// <summary>Collects what the layers declare during <see cref="Layer.Build"/>, under the current path.</summary>
public sealed class LayerBuildContext
{
    private readonly List<string> _path = [];
    internal List<ParameterSpec> Parameters { get; } = [];
    internal List<StateSpec> State { get; } = [];
    internal List<DropoutSpec> Dropouts { get; } = [];

    /// <summary>The path of the layer being built (<c>block1.conv2</c>).</summary>
    public string Path => string.Join(".", _path);

    /// <summary>Full name of a tensor of the current layer: <c>PATH.local</c>.</summary>
    public string Qualify(string local) => _path.Count == 0 ? local : Path + "." + local;

    /// <summary>Declares a trainable parameter of the current layer.</summary>
    public void Parameter(string local, Shape shape, InitScheme init, int fanIn, int fanOut) =>
        Parameters.Add(new ParameterSpec(Qualify(local), shape, init, fanIn, fanOut));

    /// <summary>Declares a state tensor of the current layer (not trained by gradients; saved with checkpoints).</summary>
    public void StateTensor(string local, Shape shape, double initialValue) => State.Add(new StateSpec(Qualify(local), shape, initialValue));

    /// <summary>Declares a dropout mask of the current layer (named by the layer path).</summary>
    public void DropoutMask(Shape shape, double probability) => Dropouts.Add(new DropoutSpec(Path, shape, probability));

    /// <summary>Builds <paramref name="layer"/> as the child <paramref name="name"/> of the current layer.</summary>
    public Shape Child(string name, Layer layer, Shape input)
    {
        _path.Add(name);
        try
        {
            return layer.Build(this, input);
        }
        finally
        {
            _path.RemoveAt(_path.Count - 1);
        }
    }
}

/// <summary>What a layer sees while it is traced: its parameters, state, dropout mask, the mode and the tape.</summary>
public sealed class LayerForwardContext
{
    private readonly List<string> _path = [];
    private readonly VarGroup _theta;
    private readonly VarGroup? _state;
    private readonly VarGroup? _dropout;
    private readonly Dictionary<string, Var> _statistics = [];

    internal LayerForwardContext(TapeBuilder tape, bool training, VarGroup theta, VarGroup? state, VarGroup? dropout)
    {
        Tape = tape;
        Training = training;
        _theta = theta;
        _state = state;
        _dropout = dropout;
    }

    /// <summary>The tracer.</summary>
    public TapeBuilder Tape { get; }

    /// <summary>True when tracing for training (batch statistics, dropout on).</summary>
    public bool Training { get; }

    /// <summary>Batch statistics emitted by the layers in training mode, by state-tensor name.</summary>
    internal IReadOnlyDictionary<string, Var> Statistics => _statistics;

    private string Qualify(string local) => _path.Count == 0 ? local : string.Join(".", _path) + "." + local;

    /// <summary>The current layer's parameter <paramref name="local"/> (a member of θ).</summary>
    public Var Parameter(string local) => _theta[Qualify(local)];

    /// <summary>The current layer's state tensor <paramref name="local"/> (evaluation mode only).</summary>
    public Var State(string local) =>
        _state?[Qualify(local)] ?? throw new InvalidOperationException($"state '{Qualify(local)}' is read only in evaluation mode.");

    /// <summary>
    /// Training mode: the batch value of state tensor <paramref name="local"/>; the trainer moves the running value
    /// towards it (exponential moving average).
    /// </summary>
    public void EmitStatistic(string local, Var value) => _statistics[Qualify(local)] = value;

    /// <summary>The current layer's dropout mask ([B, …], entries 0 or 1/(1 − p)), training mode only.</summary>
    public Var DropoutMask() =>
        _dropout?[string.Join(".", _path)] ?? throw new InvalidOperationException("dropout masks exist in training mode only.");

    /// <summary>Traces <paramref name="layer"/> as child <paramref name="name"/> (parameter prefix and tape scope).</summary>
    public Var Child(string name, Layer layer, Var x)
    {
        _path.Add(name);
        try
        {
            using (Tape.Scope(name)) return layer.Forward(this, x);
        }
        finally
        {
            _path.RemoveAt(_path.Count - 1);
        }
    }
}
