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
    public void SetParameters(BufferView<float> theta) => _jacobian.Bind(Network.ThetaGroup, theta);

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
        var s = _projection.Project(_jacobian, epsilon, result);
        return new ProjectionOutcome(s.Breakdown == SolverBreakdown.None ? s.RelativeResidual : double.NaN, s.Iterations, s.Breakdown);
    }

    /// <summary>result[i] ← P ε[i] for <paramref name="count"/> ≤ <see cref="MaxVectors"/> vectors ([count, P], in place allowed).</summary>
    public ProjectionOutcome ProjectMany(BufferView<float> epsilon, BufferView<float> result, int count)
    {
        var s = _projection.ProjectMany(_jacobian, epsilon, result, count);
        double worst = 0;
        for (int i = 0; i < count; i++) worst = Math.Max(worst, s.ColumnBreakdown.Span[i] == SolverBreakdown.None ? s.RelativeResidual(i) : double.NaN);
        return new ProjectionOutcome(worst, s.Iterations, s.Breakdown);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _projection.Dispose();
        _jacobian.Dispose();
        Batch.Dispose();
    }
}
