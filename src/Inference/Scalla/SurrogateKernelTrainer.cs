using System.Diagnostics;
using Tangent.Engine.Execution;
using Tangent.Engine.Transforms;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Layers;
using Tangent.Models.Optim;

namespace Tangent.Inference.Scalla;

/// <summary>One entry of the loss curve: the mean loss over the steps since the previous entry.</summary>
/// <param name="Step">Steps taken when the entry was made.</param>
/// <param name="Loss">Mean Gram-form loss over those steps.</param>
/// <param name="LearningRate">The rate of the entry's last step.</param>
/// <param name="Seconds">Training time so far (resumed runs add to the saved time).</param>
public sealed record LossPoint(long Step, double Loss, double LearningRate, double Seconds);

/// <summary>Progress of a surrogate fit, reported every <see cref="ScallaOptions.LogInterval"/> steps.</summary>
public sealed record SurrogateProgress(long Step, long TotalSteps, double Loss, double LearningRate, TimeSpan Elapsed, TimeSpan Remaining, long PointProbeJvps);

/// <summary>Thrown when surrogate training produces a non-finite value: names the step and the quantity.</summary>
public sealed class SurrogateDivergedException(long step, string quantity)
    : ArithmeticException($"ScaLLA surrogate training diverged at step {step}: {quantity} is not finite. Lower the learning rate (--lr) or raise the warm-up.")
{
    /// <summary>The step (from 0) whose computation was not finite.</summary>
    public long Step { get; } = step;

    /// <summary>What was not finite (the JVP targets, the surrogate parameters, the loss).</summary>
    public string Quantity { get; } = quantity;
}

/// <summary>
/// Trains ScaLLA's surrogate g_φ (METHODS.md §2) with the MAP network θ* frozen. One step:
/// <list type="number">
/// <item>B training and B context points into one input batch x (2B points);</item>
/// <item>K Rademacher probes v ∈ {±1}^P drawn on the device (Philox stream <see cref="ProbeStream"/>, offset
/// step·K·P, so any step's probes are known without replaying the run);</item>
/// <item>targets z = J(x)v for all K probes through ONE batched JVP of the frozen network;</item>
/// <item>the Gram-form loss of <see cref="SurrogateKernelLoss"/> and its gradient from the engine's VJP;</item>
/// <item>one Adam step on φ at the scheduled learning rate.</item>
/// </list>
/// Everything is planned once, so a step allocates nothing. <see cref="Save"/> and <see cref="Resume"/> checkpoint φ,
/// Adam's moments, the step count and the loss curve; a resumed run is bit-identical to an uninterrupted one.
/// </summary>
public sealed class SurrogateKernelTrainer : IDisposable
{
    /// <summary>Philox stream of the Rademacher probes.</summary>
    public const ulong ProbeStream = 1;

    private readonly Network _surrogate;
    private readonly DataSet _train;
    private readonly IContextSource? _context;
    private readonly EpochSampler _trainSampler;
    private readonly Plan<float> _jvp, _loss;
    private readonly DeviceBuffer<float> _theta, _state, _phi, _x, _probes, _tangents, _targets, _one;
    private readonly DeviceBuffer<int> _rows;
    private readonly float[] _xHost, _lossHost = new float[1];
    private readonly Adam<float> _adam;
    private readonly LearningRateSchedule _schedule;
    private readonly List<LossPoint> _curve = [];
    private readonly int _parameters, _classes;
    private double _savedSeconds;
    private bool _scaleMatched;

    /// <summary>
    /// Prepares a fit of <paramref name="surrogate"/> (outputs [m, C]) to the NTK of <paramref name="map"/> (outputs
    /// [C]) at θ* = <paramref name="mapParameters"/> (and its state, if it has any), drawing training points from
    /// <paramref name="train"/> and context points from <paramref name="context"/> (null when
    /// <see cref="ScallaOptions.ContextPoints"/> is 0). φ starts from the surrogate's initialisation under the seed.
    /// </summary>
    public SurrogateKernelTrainer(Network map, ReadOnlySpan<float> mapParameters, Network surrogate, DataSet train, IContextSource? context,
        ScallaOptions options, Backend backend, ReadOnlySpan<float> mapState = default)
    {
        options.Validate();
        if (map.OutputShape.Rank != 1) throw new ArgumentException($"the MAP network must output [C] per example; it outputs {map.OutputShape}.");
        _classes = map.OutputShape[0];
        if (surrogate.OutputShape.Rank != 2 || surrogate.OutputShape[1] != _classes || surrogate.OutputShape[0] != options.Features)
            throw new ArgumentException($"the surrogate must output [m, C] = [{options.Features}, {_classes}] per example; it outputs {surrogate.OutputShape}.");
        if (mapParameters.Length != map.ParameterCount)
            throw new ArgumentException($"the MAP network has {map.ParameterCount} parameters; {mapParameters.Length} were given.");
        if (mapState.Length != map.State.Count)
            throw new ArgumentException($"the MAP network has {map.State.Count} state values; {mapState.Length} were given.");
        foreach (var (what, shape) in new[] { ("the surrogate", surrogate.InputShape), ($"training set '{train.Name}'", train.SampleShape) })
            if (shape != map.InputShape) throw new ArgumentException($"{what} takes inputs of shape {shape}; the MAP network takes {map.InputShape}.");
        if ((context == null) != (options.ContextPoints == 0))
            throw new ArgumentException(context == null ? $"{options.ContextPoints} context points per step need a context source." : "a context source was given but no context points per step.");
        if (context != null && context.SampleShape != map.InputShape)
            throw new ArgumentException($"context '{context.Name}' has inputs of shape {context.SampleShape}; the network takes {map.InputShape}.");

        Options = options;
        Backend = backend;
        _surrogate = surrogate;
        _train = train;
        _context = context;
        _parameters = map.ParameterCount;
        _trainSampler = new EpochSampler(train.Count, options.Seed, ContextSources.TrainStream);
        int n = options.PointsPerStep, k = options.Probes, columns = options.Biased ? 2 * k : k;

        _theta = backend.Upload(mapParameters);
        _state = backend.Allocate<float>(Math.Max(map.State.Count, 1));
        if (map.State.Count > 0) _state.CopyFrom(mapState);
        _phi = backend.Allocate<float>(surrogate.ParameterCount);
        surrogate.Initialize(backend, _phi.View, options.Seed);
        _x = backend.Allocate<float>(n * map.InputShape.Length);
        _xHost = new float[n * map.InputShape.Length];
        _probes = backend.Allocate<float>(k * _parameters);
        // The JVP's tangent output [K, n, C], then one row of C zeros that the biased targets gather from.
        _tangents = backend.Allocate<float>((k * n + 1) * _classes);
        _targets = backend.Allocate<float>(n * columns * _classes);
        _rows = backend.Upload<int>(SurrogateKernelLoss.GatherIndices(n, options.TrainPoints, k, options.Biased));
        _one = backend.Upload<float>([1f]);

        _jvp = map.TraceLogits(n).Jvp(k, Network.ThetaGroup).Plan<float>(backend);
        _jvp.Bind(Network.ThetaGroup, _theta.View);
        if (map.State.Count > 0) _jvp.Bind(Network.StateGroup, _state.Slice(0, map.State.Count));
        _jvp.Bind("x", _x.View);
        _jvp.Bind(Network.ThetaGroup + Transform.TangentSuffix, _probes.View);
        _jvp.Bind("logits" + Transform.TangentSuffix, _tangents.Slice(0, k * n * _classes));

        double scale = SurrogateFeatures.OutputScale(_parameters, options.Features);
        _loss = SurrogateKernelLoss.Trace(surrogate, n, k, columns, scale)
            .Vjp([SurrogateFeatures.PhiGroup], [SurrogateKernelLoss.LossOutput]).Plan<float>(backend);
        _loss.Bind(SurrogateFeatures.PhiGroup, _phi.View);
        _loss.Bind("x", _x.View);
        _loss.Bind(SurrogateKernelLoss.TargetsGroup, _targets.View);
        _loss.Bind(SurrogateKernelLoss.LossOutput + Transform.CotangentSuffix, _one.View);

        _adam = new Adam<float>(backend, surrogate.ParameterCount, options.LearningRate);
        _schedule = LearningRateSchedule.Cosine(options.LearningRate, options.Steps, options.FinalLearningRate, options.WarmupSteps);
    }

    /// <summary>The settings.</summary>
    public ScallaOptions Options { get; }

    /// <summary>The device.</summary>
    public Backend Backend { get; }

    /// <summary>Steps taken (the next step's index).</summary>
    public long StepCount { get; private set; }

    /// <summary>The loss curve so far (including the part before a resume).</summary>
    public IReadOnlyList<LossPoint> Curve => _curve;

    /// <summary>Training time so far in seconds (including the part before a resume).</summary>
    public double Seconds => _savedSeconds;

    /// <summary>φ on the device (surrogate layout).</summary>
    public BufferView<float> SurrogateParameters => _phi.View;

    /// <summary>φ as a host array.</summary>
    public float[] ReadSurrogateParameters() => _phi.ToArray();

    /// <summary>The learning rate of step <paramref name="step"/>.</summary>
    public double LearningRateAt(long step) => _schedule.At((int)Math.Min(step, Options.Steps - 1));

    /// <summary>
    /// One training step (see the class summary); returns its loss. Throws <see cref="SurrogateDivergedException"/>
    /// when the loss is not finite, naming the first non-finite quantity.
    /// </summary>
    public double Step()
    {
        var o = Options;
        long step = StepCount;
        if (step == 0 && o.MatchInitialScale && !_scaleMatched) MatchInitialScale();
        double loss = Evaluate(step);
        _adam.LearningRate = LearningRateAt(step);
        _adam.Step(_phi.View, _loss.Output(SurrogateFeatures.PhiGroup + Transform.CotangentSuffix));
        StepCount = step + 1;
        return loss;
    }

    /// <summary>Step <paramref name="step"/>'s batch, probes, targets, loss and gradient (φ unchanged); returns the loss.</summary>
    private double Evaluate(long step)
    {
        var o = Options;
        int n = o.PointsPerStep, sample = _train.SampleSize;
        for (int i = 0; i < o.TrainPoints; i++)
            _train.Inputs.AsSpan(_trainSampler.Index(step * o.TrainPoints + i) * sample, sample).CopyTo(_xHost.AsSpan(i * sample, sample));
        _context?.Fill(step, o.ContextPoints, _xHost.AsSpan(o.TrainPoints * sample, o.ContextPoints * sample));
        _x.CopyFrom(_xHost);
        Backend.RandomRademacher(_probes.View, o.Seed, ProbeStream, (ulong)step * (ulong)o.Probes * (ulong)_parameters);
        _jvp.Run();
        Backend.GatherRows(_tangents.View, _classes, _rows.View, _targets.View);
        _loss.Run();
        double loss = ReadScalar(SurrogateKernelLoss.LossOutput);
        if (!double.IsFinite(loss)) throw Diverged(step, n);
        return loss;
    }

    /// <summary>
    /// Scales the surrogate's output layer (the tensors of the layer that holds φ's last tensor) by c, with c² the
    /// loss-minimising scale on step 0's batch (<see cref="ScallaOptions.MatchInitialScale"/>).
    /// </summary>
    private void MatchInitialScale()
    {
        Evaluate(0);
        double cross = ReadScalar(SurrogateKernelLoss.CrossTermOutput), features = ReadScalar(SurrogateKernelLoss.FeatureTermOutput);
        _scaleMatched = true;
        if (!(cross > 0) || !(features > 0)) return;
        double c = Math.Sqrt(Math.Sqrt(cross / features));
        var entries = _surrogate.Parameters.Entries;
        string last = entries[^1].Name, layer = last[..Math.Max(last.LastIndexOf('.'), 0)];
        foreach (var (name, shape, offset) in entries)
            if (name[..Math.Max(name.LastIndexOf('.'), 0)] == layer) Backend.Scal((float)c, _phi.Slice(offset, shape.Length));
    }

    private double ReadScalar(string output)
    {
        var view = _loss.Output(output);
        view.Buffer.CopyTo(_lossHost, view.Offset);
        return _lossHost[0];
    }

    /// <summary>
    /// Runs the remaining steps up to <see cref="ScallaOptions.Steps"/>, appending to the loss curve every
    /// <see cref="ScallaOptions.LogInterval"/> steps and, when <paramref name="checkpointPath"/> is given, saving a
    /// checkpoint every <paramref name="checkpointInterval"/> steps and at the end.
    /// </summary>
    public void Train(Action<SurrogateProgress>? progress = null, string? checkpointPath = null, int checkpointInterval = 1000, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(checkpointInterval);
        var o = Options;
        var clock = Stopwatch.StartNew();
        double startSeconds = _savedSeconds, sum = 0;
        long startStep = StepCount, count = 0;
        while (StepCount < o.Steps)
        {
            cancel.ThrowIfCancellationRequested();
            double lr = LearningRateAt(StepCount);
            sum += Step();
            count++;
            _savedSeconds = startSeconds + clock.Elapsed.TotalSeconds;
            if (StepCount % o.LogInterval == 0 || StepCount == o.Steps)
            {
                _curve.Add(new LossPoint(StepCount, sum / count, lr, _savedSeconds));
                double perStep = clock.Elapsed.TotalSeconds / (StepCount - startStep);
                progress?.Invoke(new SurrogateProgress(StepCount, o.Steps, sum / count, lr, TimeSpan.FromSeconds(_savedSeconds),
                    TimeSpan.FromSeconds(perStep * (o.Steps - StepCount)), StepCount * o.PointsPerStep * o.Probes));
                sum = 0;
                count = 0;
            }
            if (checkpointPath != null && (StepCount % checkpointInterval == 0 || StepCount == o.Steps)) Save(checkpointPath);
        }
    }

    /// <summary>Writes φ, Adam's moments, the step count, the settings and the loss curve to <paramref name="path"/> (atomically).</summary>
    public void Save(string path) =>
        SurrogateCheckpoint.Write(path, _surrogate, Options, _context?.Name, StepCount, _savedSeconds, _curve, _phi.ToArray(),
            _adam.State.Select(s => (s.Name, s.Buffer.ToArray())).ToList());

    /// <summary>
    /// Restores a checkpoint written by <see cref="Save"/> for the same settings and context (anything else is refused
    /// with both values), so that <see cref="Train"/> continues from its step.
    /// </summary>
    public void Resume(string path)
    {
        var c = SurrogateCheckpoint.Read(path, _surrogate, Options, _context?.Name);
        _phi.CopyFrom(c.Surrogate);
        foreach (var (name, buffer) in _adam.State)
            buffer.CopyFrom(c.OptimizerState.First(s => s.Name == name).Values);
        _adam.RestoreStepCount(c.Step);
        _scaleMatched = true;
        StepCount = c.Step;
        _savedSeconds = c.Seconds;
        _curve.Clear();
        _curve.AddRange(c.Curve);
    }

    private SurrogateDivergedException Diverged(long step, int points)
    {
        var tangents = _tangents.Slice(0, Options.Probes * points * _classes);
        if (!double.IsFinite(Backend.Nrm2(tangents))) return new SurrogateDivergedException(step, "the JVP targets z = J(x)v of the MAP network");
        if (!double.IsFinite(Backend.Nrm2(_phi.View)))
            return new SurrogateDivergedException(step, step == 0 ? "the initial surrogate parameters φ" : $"the surrogate parameters φ after the Adam step of step {step - 1}");
        return new SurrogateDivergedException(step, "the Gram-form loss (the surrogate features overflowed)");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _jvp.Dispose();
        _loss.Dispose();
        _adam.Dispose();
        foreach (var b in new IDisposable[] { _theta, _state, _phi, _x, _probes, _tangents, _targets, _one, _rows }) b.Dispose();
    }
}
