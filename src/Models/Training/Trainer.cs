using System.Diagnostics;
using Tangent.Engine;
using Tangent.Engine.Execution;
using Tangent.Engine.Transforms;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Layers;
using Tangent.Models.Optim;

namespace Tangent.Models.Training;

/// <summary>
/// Trains a <see cref="Network"/> on a device. The loss ℓ(θ, x, y) is traced once per batch size together with its
/// gradient (forward + VJP in one planned tape), so a step is: copy the batch in, run the plan, one optimiser step,
/// the batch-norm running statistics update — nothing is allocated in the steady state. Parameters θ and state
/// (running statistics) live on the device in the network's flat layouts.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly Dictionary<int, StepPlan> _train = [];
    private readonly Dictionary<int, EvalPlan> _eval = [];
    private readonly DeviceBuffer<float> _one;
    private readonly float[] _lossHost = new float[1];
    private Optimizer<float>? _optimizer;

    /// <summary>Creates a trainer with parameters drawn from <see cref="TrainingOptions.Seed"/> and initial state.</summary>
    public Trainer(Network network, Backend backend, TrainingOptions options)
    {
        options.Validate();
        Network = network;
        Backend = backend;
        Options = options;
        Parameters = backend.Allocate<float>(network.ParameterCount);
        network.Initialize(backend, Parameters.View, options.Seed);
        State = backend.Allocate<float>(Math.Max(network.State.Count, 1));
        State.CopyFrom(network.InitialState());
        _one = backend.Upload<float>([1f]);
    }

    /// <summary>The network.</summary>
    public Network Network { get; }

    /// <summary>The device.</summary>
    public Backend Backend { get; }

    /// <summary>The settings.</summary>
    public TrainingOptions Options { get; }

    /// <summary>θ on the device (length P).</summary>
    public DeviceBuffer<float> Parameters { get; }

    /// <summary>The state vector (batch-norm running statistics) on the device; one unused element when there is none.</summary>
    public DeviceBuffer<float> State { get; }

    /// <summary>Steps between in-epoch progress reports (the end of each epoch is always reported).</summary>
    public int ProgressInterval { get; set; } = 20;

    /// <summary>Replaces θ (and the state, when given) with host values, e.g. from a checkpoint.</summary>
    public void Load(ReadOnlySpan<float> parameters, ReadOnlySpan<float> state = default)
    {
        if (parameters.Length != Network.ParameterCount)
            throw new ArgumentException($"the network has {Network.ParameterCount} parameters, {parameters.Length} were given.");
        Parameters.CopyFrom(parameters);
        if (!state.IsEmpty)
        {
            if (state.Length != Network.State.Count) throw new ArgumentException($"the network has {Network.State.Count} state values, {state.Length} were given.");
            State.CopyFrom(state);
        }
    }

    /// <summary>θ as a host array.</summary>
    public float[] ReadParameters() => Parameters.ToArray();

    /// <summary>The state as a host array (empty when the network has none).</summary>
    public float[] ReadState() => Network.State.Count == 0 ? [] : State.ToArray()[..Network.State.Count];

    /// <summary>
    /// Trains for <see cref="TrainingOptions.Epochs"/> epochs on <paramref name="train"/>, evaluating on
    /// <paramref name="validation"/> after each epoch when given. Throws <see cref="TrainingDivergedException"/> when
    /// the loss stops being finite.
    /// </summary>
    public TrainingSummary Fit(DataSet train, DataSet? validation = null, Action<TrainingProgress>? progress = null, CancellationToken cancel = default)
    {
        CheckData(train);
        var o = Options;
        var loader = new BatchLoader(train, Math.Min(o.BatchSize, train.Count), o.Seed, shuffle: true, dropLast: false, o.Augmentation);
        int steps = loader.BatchesPerEpoch;
        var schedule = o.Schedule switch
        {
            ScheduleKind.Step => LearningRateSchedule.Step(o.LearningRate, o.StepSize, o.Gamma),
            ScheduleKind.Cosine => LearningRateSchedule.Cosine(o.LearningRate, o.Epochs),
            _ => LearningRateSchedule.Constant(o.LearningRate),
        };
        _optimizer?.Dispose();
        _optimizer = null;
        var optimizer = EnsureOptimizer();
        var epochs = new List<TrainingProgress>();
        var clock = Stopwatch.StartNew();
        double stepSeconds = 0;
        long samples = 0, globalStep = 0, total = (long)steps * o.Epochs;
        for (int epoch = 0; epoch < o.Epochs; epoch++)
        {
            loader.BeginEpoch(epoch);
            double lossSum = 0;
            long correct = 0, seen = 0;
            for (int b = 0; b < steps; b++)
            {
                cancel.ThrowIfCancellationRequested();
                double lr = schedule.At(epoch, b, steps);
                optimizer.LearningRate = lr;
                long t0 = Stopwatch.GetTimestamp();
                int n = loader.Fill(b);
                var (loss, hits) = Step(loader, n, globalStep);
                globalStep++;
                stepSeconds += Stopwatch.GetElapsedTime(t0).TotalSeconds;
                if (!double.IsFinite(loss)) throw new TrainingDivergedException(globalStep, epoch + 1, loss, lr);
                lossSum += loss * n;
                correct += hits;
                seen += n;
                samples += n;
                bool last = b == steps - 1;
                if (progress != null && !last && ProgressInterval > 0 && (b + 1) % ProgressInterval == 0)
                    progress(Report(epoch, b, steps, globalStep, total, lossSum, correct, seen, lr, samples, stepSeconds, clock.Elapsed, false, null));
                if (last)
                {
                    var val = validation != null ? Evaluate(validation) : null;
                    var r = Report(epoch, b, steps, globalStep, total, lossSum, correct, seen, lr, samples, stepSeconds, clock.Elapsed, true, val);
                    epochs.Add(r);
                    progress?.Invoke(r);
                }
            }
        }
        return new TrainingSummary(epochs, globalStep, samples, clock.Elapsed, samples / Math.Max(stepSeconds, 1e-9));
    }

    private Optimizer<float> EnsureOptimizer()
    {
        var o = Options;
        return _optimizer ??= o.Optimizer switch
        {
            OptimizerKind.Sgd => new Sgd<float>(Backend, Network.ParameterCount, o.LearningRate, o.Momentum, weightDecay: o.WeightDecay),
            OptimizerKind.AdamW => new AdamW<float>(Backend, Network.ParameterCount, o.LearningRate, weightDecay: o.WeightDecay),
            _ => new Adam<float>(Backend, Network.ParameterCount, o.LearningRate, weightDecay: o.WeightDecay),
        };
    }

    /// <summary>
    /// One optimiser step on batch <paramref name="batch"/> of <paramref name="loader"/>'s current epoch (the
    /// optimiser is created on first use, at the base learning rate): returns the batch's mean loss. Allocation-free
    /// once the batch size has been traced. For benchmarks and custom loops; <see cref="Fit"/> is the usual entry.
    /// </summary>
    public double TrainBatch(BatchLoader loader, int batch, long globalStep = 0)
    {
        CheckData(loader.Data);
        EnsureOptimizer();
        int n = loader.Fill(batch);
        return Step(loader, n, globalStep).Loss;
    }

    /// <summary>Runs the evaluation-mode forward pass (logits and loss) on batch <paramref name="batch"/> of <paramref name="loader"/>.</summary>
    public void ForwardBatch(BatchLoader loader, int batch)
    {
        CheckData(loader.Data);
        int n = loader.Fill(batch);
        var p = EvaluationPlan(n);
        p.Upload(loader);
        p.Plan.Run();
    }

    private TrainingProgress Report(int epoch, int b, int steps, long globalStep, long total, double lossSum, long correct, long seen, double lr,
        long samples, double stepSeconds, TimeSpan elapsed, bool end, EvaluationResult? val)
    {
        double perStep = elapsed.TotalSeconds / Math.Max(globalStep, 1);
        return new TrainingProgress(epoch + 1, Options.Epochs, b + 1, steps, globalStep, lossSum / Math.Max(seen, 1),
            Network.OutputShape.Rank == 1 && IsClassification ? (double)correct / Math.Max(seen, 1) : double.NaN, lr,
            samples / Math.Max(stepSeconds, 1e-9), elapsed, TimeSpan.FromSeconds(perStep * (total - globalStep)), end, val);
    }

    private bool IsClassification { get; set; } = true;

    private void CheckData(DataSet data)
    {
        if (data.SampleShape != Network.InputShape)
            throw new ArgumentException($"data set '{data.Name}' has samples of shape {data.SampleShape}, the network expects {Network.InputShape}.");
        IsClassification = data.IsClassification;
        if (data.IsClassification && (Network.OutputShape.Rank != 1 || Network.OutputShape[0] != data.ClassCount))
            throw new ArgumentException($"data set '{data.Name}' has {data.ClassCount} classes, the network outputs {Network.OutputShape}.");
        if (!data.IsClassification && Network.OutputShape.Length != data.TargetSize)
            throw new ArgumentException($"data set '{data.Name}' has {data.TargetSize} targets per sample, the network outputs {Network.OutputShape}.");
    }

    /// <summary>One training step on the loader's current batch of <paramref name="n"/> examples: returns the mean loss and the correct count.</summary>
    internal (double Loss, int Correct) Step(BatchLoader loader, int n, long globalStep)
    {
        var p = TrainPlan(n);
        p.Upload(loader);
        if (p.Dropout != null) Network.DrawDropoutMasks(Backend, p.Dropout.View, n, Options.Seed, globalStep);
        p.Plan.Run();
        p.Plan.Output("mean_loss").Buffer.CopyTo(_lossHost, p.Plan.Output("mean_loss").Offset);
        int correct = IsClassification ? p.CountCorrect(loader.Labels) : 0;
        _optimizer!.Step(Parameters.View, p.Plan.Output("theta" + Transform.CotangentSuffix));
        if (Network.State.Count > 0)
        {
            // r ← (1 − m)·r + m·batch (PyTorch's running statistics update).
            float m = (float)Options.BatchNormMomentum;
            Backend.Scal(1 - m, State.View);
            Backend.Axpy(m, p.Plan.Output(Network.BatchStateGroup), State.View);
        }
        return (_lossHost[0], correct);
    }

    private StepPlan TrainPlan(int n)
    {
        if (_train.TryGetValue(n, out var p)) return p;
        var objective = IsClassification ? Objective.CrossEntropy : Objective.GaussianNll;
        var tape = Network.Trace(n, NetworkMode.Training, objective).Vjp(["theta"], ["mean_loss"]);
        p = new StepPlan(this, tape.Plan<float>(Backend), n, objective);
        p.Plan.Bind("mean_loss" + Transform.CotangentSuffix, _one.View);
        _train[n] = p;
        return p;
    }

    /// <summary>Accuracy and mean NLL of the current θ (evaluation mode) on <paramref name="data"/>, in batches; the last partial batch is traced at its size.</summary>
    public EvaluationResult Evaluate(DataSet data)
    {
        CheckData(data);
        var loader = new BatchLoader(data, Math.Min(Options.EvaluationBatchSize, data.Count), 0, shuffle: false);
        loader.BeginEpoch(0);
        double lossSum = 0;
        long correct = 0;
        for (int b = 0; b < loader.BatchesPerEpoch; b++)
        {
            int n = loader.Fill(b);
            var p = EvaluationPlan(n);
            p.Upload(loader);
            p.Plan.Run();
            lossSum += p.SumLoss();
            if (IsClassification) correct += p.CountCorrect(loader.Labels);
        }
        return new EvaluationResult(data.Count, IsClassification ? (double)correct / data.Count : double.NaN, lossSum / data.Count);
    }

    /// <summary>Logits of the current θ (evaluation mode) for every example of <paramref name="data"/>, [N, …output] row-major.</summary>
    public float[] Predict(DataSet data)
    {
        CheckData(data);
        var loader = new BatchLoader(data, Math.Min(Options.EvaluationBatchSize, data.Count), 0, shuffle: false);
        loader.BeginEpoch(0);
        int outLen = Network.OutputShape.Length;
        var result = new float[(long)data.Count * outLen];
        int start = 0;
        for (int b = 0; b < loader.BatchesPerEpoch; b++)
        {
            int n = loader.Fill(b);
            var p = EvaluationPlan(n);
            p.Upload(loader);
            p.Plan.Run();
            var logits = p.Plan.Output("logits");
            logits.Buffer.CopyTo(result.AsSpan(start * outLen, n * outLen), logits.Offset);
            start += n;
        }
        return result;
    }

    private EvalPlan EvaluationPlan(int n)
    {
        if (_eval.TryGetValue(n, out var p)) return p;
        var objective = IsClassification ? Objective.CrossEntropy : Objective.GaussianNll;
        p = new EvalPlan(this, Network.Trace(n, NetworkMode.Evaluation, objective).Plan<float>(Backend), n, objective);
        if (Network.State.Count > 0) p.Plan.Bind(Network.StateGroup, State.Slice(0, Network.State.Count));
        _eval[n] = p;
        return p;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var p in _train.Values) p.Dispose();
        foreach (var p in _eval.Values) p.Dispose();
        _optimizer?.Dispose();
        Parameters.Dispose();
        State.Dispose();
        _one.Dispose();
    }

    /// <summary>A planned tape for one batch size with its bound input buffers and a host copy of the logits.</summary>
    private class BatchPlan : IDisposable
    {
        private readonly DeviceBuffer<float> _x;
        private readonly DeviceBuffer<int>? _labels;
        private readonly DeviceBuffer<float>? _targets;
        private readonly float[] _logits;
        private readonly int _n, _classes;

        public BatchPlan(Trainer t, Plan<float> plan, int n, Objective objective)
        {
            Plan = plan;
            _n = n;
            _classes = t.Network.OutputShape.Length;
            _x = t.Backend.Allocate<float>(n * t.Network.InputShape.Length);
            plan.Bind("x", _x.View);
            plan.Bind("theta", t.Parameters.View);
            if (objective == Objective.CrossEntropy)
            {
                _labels = t.Backend.Allocate<int>(n);
                plan.BindIndices("y", _labels.View);
            }
            else
            {
                _targets = t.Backend.Allocate<float>(n * _classes);
                plan.Bind("y", _targets.View);
            }
            _logits = new float[n * _classes];
        }

        public Plan<float> Plan { get; }

        public void Upload(BatchLoader loader)
        {
            loader.Upload(_x, _labels);
            if (_targets != null) loader.UploadTargets(_targets);
        }

        /// <summary>Arg-max of each row of the logits compared with the labels.</summary>
        public int CountCorrect(int[] labels)
        {
            var v = Plan.Output("logits");
            v.Buffer.CopyTo(_logits, v.Offset);
            int correct = 0;
            for (int i = 0; i < _n; i++)
            {
                var row = _logits.AsSpan(i * _classes, _classes);
                int best = 0;
                for (int c = 1; c < row.Length; c++)
                    if (row[c] > row[best]) best = c;
                if (best == labels[i]) correct++;
            }
            return correct;
        }

        public virtual void Dispose()
        {
            Plan.Dispose();
            _x.Dispose();
            _labels?.Dispose();
            _targets?.Dispose();
        }
    }

    private sealed class StepPlan : BatchPlan
    {
        public StepPlan(Trainer t, Plan<float> plan, int n, Objective objective) : base(t, plan, n, objective)
        {
            if (t.Network.DropoutLength > 0)
            {
                Dropout = t.Backend.Allocate<float>(n * t.Network.DropoutLength);
                plan.Bind(Network.DropoutGroup, Dropout.View);
            }
        }

        public DeviceBuffer<float>? Dropout { get; }

        public override void Dispose()
        {
            base.Dispose();
            Dropout?.Dispose();
        }
    }

    private sealed class EvalPlan(Trainer t, Plan<float> plan, int n, Objective objective) : BatchPlan(t, plan, n, objective)
    {
        private readonly float[] _loss = new float[n];

        public double SumLoss()
        {
            var v = Plan.Output("loss");
            v.Buffer.CopyTo(_loss, v.Offset);
            double s = 0;
            foreach (float l in _loss) s += l;
            return s;
        }
    }
}
