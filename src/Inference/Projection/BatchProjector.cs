using Tangent.Engine.Linalg;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Layers;

namespace Tangent.Inference.Projection;

/// <summary>Whose Jacobian's kernel the projections use.</summary>
public enum KernelJacobian
{
    /// <summary>The per-example loss vector ℓ(θ) ∈ R^B (B rows): VIKING's classification variant, Miani et al.'s loss kernel.</summary>
    Loss,
    /// <summary>The stacked outputs f(θ) ∈ R^(B·C) (B·C rows): the kernel of the GGN JᵀΛJ for any positive definite Λ (regression).</summary>
    Output,
}

/// <summary>One projection's outcome: the largest relative residual ‖J Pε‖/‖J ε‖ over its vectors, CG iterations, breakdowns.</summary>
/// <param name="Residual">Largest relative residual of JJᵀλ = Jε over the projected vectors (NaN after a breakdown).</param>
/// <param name="Iterations">CG iterations run.</param>
/// <param name="Breakdown">Breakdowns the solver reported.</param>
public readonly record struct ProjectionOutcome(double Residual, int Iterations, SolverBreakdown Breakdown);

/// <summary>
/// The kernel projection Pε = ε − Jᵀ(JJᵀ)⁻¹Jε of one batch (the engine's <see cref="KernelProjection{T}"/> on the
/// tape Jacobian <see cref="TapeOperators.Jacobian{T}"/>), at parameters θ bound once: load a batch, project one
/// vector (<see cref="Project"/>) or many (<see cref="ProjectMany"/>, one batched K-tangent sweep per CG step).
/// The network's primal pass on a batch is computed once and shared by all products until the batch or θ changes
/// (<see cref="Load"/>, <see cref="ParametersChanged"/>).
/// </summary>
public sealed class BatchProjector : IDisposable
{
    private readonly TapeJacobian<float> _jacobian;
    private readonly KernelProjection<float> _projection;
    private readonly PerExampleRows? _rows;
    private readonly ILinearOperator<float> _operator;

    /// <summary>
    /// A projector for batches of <paramref name="batchSize"/> examples shaped like <paramref name="like"/>'s,
    /// projecting up to <paramref name="maxVectors"/> vectors at once.
    /// </summary>
    public BatchProjector(Network network, Likelihood likelihood, KernelJacobian jacobian, DataSet like, Backend backend, int batchSize,
        int maxVectors = 1, KernelProjectionOptions? options = null)
    {
        likelihood.Check(network, like);
        Network = network;
        Likelihood = likelihood;
        Jacobian = jacobian;
        Backend = backend;
        Tape = likelihood.Trace(network, batchSize);
        OutputName = jacobian == KernelJacobian.Loss ? "loss" : "logits";
        Batch = new DeviceBatch(backend, like, batchSize);
        _jacobian = TapeOperators.Jacobian<float>(Tape, Network.ThetaGroup, OutputName, backend);
        Batch.Bind(_jacobian);
        _projection = new KernelProjection<float>(backend, _jacobian.Rows, network.ParameterCount, maxVectors, options);
        // The dense solver needs J's rows: per example, one batch-1 reverse sweep each, instead of B one-hot sweeps over the whole batch.
        if (_projection.Options.Solver == ProjectionSolver.Dense)
            _rows = new PerExampleRows(_jacobian, likelihood.Trace(network, 1), OutputName, Network.ThetaGroup, Batch, like, backend);
        _operator = (ILinearOperator<float>?)_rows ?? _jacobian;
    }

    /// <summary>The network.</summary>
    public Network Network { get; }

    /// <summary>The likelihood of the traced loss.</summary>
    public Likelihood Likelihood { get; }

    /// <summary>Whose Jacobian is projected against.</summary>
    public KernelJacobian Jacobian { get; }

    /// <summary>The device.</summary>
    public Backend Backend { get; }

    /// <summary>The traced network and loss for one batch (groups: see <see cref="Likelihood.Trace"/>).</summary>
    public Tape Tape { get; }

    /// <summary>The traced function restricted to <see cref="OutputName"/> (what J differentiates).</summary>
    public Tape JacobianTape => _jacobian.Tape;

    /// <summary>The output group whose Jacobian is projected against: <c>loss</c> or <c>logits</c>.</summary>
    public string OutputName { get; }

    /// <summary>The batch buffers (bind them on other plans that read the same batch).</summary>
    public DeviceBatch Batch { get; }

    /// <summary>Rows of J: B for the loss, B·C for the outputs.</summary>
    public int Rows => _jacobian.Rows;

    /// <summary>P.</summary>
    public int ParameterCount => Network.ParameterCount;

    /// <summary>Most vectors per <see cref="ProjectMany"/>.</summary>
    public int MaxVectors => _projection.MaxVectors;

    /// <summary>λ of the latest projection, [count, rows] (see <see cref="KernelProjection{T}.Multipliers"/>).</summary>
    public BufferView<float> Multipliers => _projection.Multipliers;

    /// <summary>Sets θ, the point where J is taken (the buffer is read on every product: call <see cref="ParametersChanged"/> after writing it).</summary>
    public void SetParameters(BufferView<float> theta)
    {
        _jacobian.Bind(Network.ThetaGroup, theta);
        _rows?.SetParameters(theta);
    }

    /// <summary>Declares that θ was changed in place.</summary>
    public void ParametersChanged() => _jacobian.Invalidate();

    /// <summary>Uploads the loader's current batch (exactly B examples).</summary>
    public void Load(BatchLoader loader)
    {
        Batch.Load(loader);
        _jacobian.Invalidate();
    }

    /// <summary>result ← Pε for one vector (in place allowed).</summary>
    public ProjectionOutcome Project(BufferView<float> epsilon, BufferView<float> result)
    {
        var s = _projection.Project(_operator, epsilon, result);
        return new ProjectionOutcome(s.Breakdown == SolverBreakdown.None ? s.RelativeResidual : double.NaN, s.Iterations, s.Breakdown);
    }

    /// <summary>result[i] ← P ε[i] for <paramref name="count"/> ≤ <see cref="MaxVectors"/> vectors ([count, P], in place allowed).</summary>
    public ProjectionOutcome ProjectMany(BufferView<float> epsilon, BufferView<float> result, int count)
    {
        var s = _projection.ProjectMany(_operator, epsilon, result, count);
        double worst = 0;
        for (int i = 0; i < count; i++) worst = Math.Max(worst, s.ColumnBreakdown.Span[i] == SolverBreakdown.None ? s.RelativeResidual(i) : double.NaN);
        return new ProjectionOutcome(worst, s.Iterations, s.Breakdown);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _projection.Dispose();
        _rows?.Dispose();
        _jacobian.Dispose();
        Batch.Dispose();
    }

    /// <summary>
    /// The batch Jacobian with its rows written example by example (<see cref="IExplicitRows{T}"/>): the batch-1 tape's
    /// reverse sweep on example i gives row i (the loss) or rows i·C … i·C + C − 1 (the outputs, C one-hot cotangents).
    /// The products J v and Jᵀλ go to the batch Jacobian itself.
    /// </summary>
    private sealed class PerExampleRows : ILinearOperator<float>, IOuterGramSource<float>, IExplicitRows<float>, IDisposable
    {
        private readonly TapeJacobian<float> _batch, _single;
        private readonly DeviceBatch _data;
        private readonly DeviceBuffer<float> _identity;
        private readonly int _sample, _targets, _perExample;
        private readonly string _theta;

        public PerExampleRows(TapeJacobian<float> batch, Tape single, string output, string theta, DeviceBatch data, DataSet like, Backend backend)
        {
            _batch = batch;
            _data = data;
            _theta = theta;
            _single = TapeOperators.Jacobian<float>(single, theta, output, backend);
            _sample = like.SampleSize;
            _targets = like.IsClassification ? 0 : like.TargetSize;
            _perExample = _single.Rows;
            var host = new float[_perExample * _perExample];
            for (int i = 0; i < _perExample; i++) host[i * _perExample + i] = 1;
            _identity = backend.Upload<float>(host);
        }

        public int Rows => _batch.Rows;
        public int Columns => _batch.Columns;
        public Backend Backend => _batch.Backend;
        public ILinearOperator<float> OuterGram => _batch.OuterGram;

        public void SetParameters(BufferView<float> theta) => _single.Bind(_theta, theta);

        public void Apply(BufferView<float> x, BufferView<float> y) => _batch.Apply(x, y);
        public void ApplyTranspose(BufferView<float> y, BufferView<float> x) => _batch.ApplyTranspose(y, x);
        public void ApplyMany(BufferView<float> x, BufferView<float> y, int count) => _batch.ApplyMany(x, y, count);
        public void ApplyTransposeMany(BufferView<float> y, BufferView<float> x, int count) => _batch.ApplyTransposeMany(y, x, count);

        public void WriteRows(BufferView<float> rows)
        {
            int p = Columns, r = _perExample;
            for (int i = 0; i < _data.Size; i++)
            {
                _single.Bind("x", _data.X.Slice(i * _sample, _sample));
                if (_data.Labels is { } labels) _single.BindIndices("y", labels.Slice(i, 1));
                else _single.Bind("y", _data.Targets!.Value.Slice(i * _targets, _targets));
                var target = rows.Slice(i * r * p, r * p);
                if (r == 1) _single.ApplyTranspose(_identity.View, target);
                else _single.ApplyTransposeMany(_identity.View, target, r);
            }
        }

        public void Dispose()
        {
            _single.Dispose();
            _identity.Dispose();
        }
    }
}
