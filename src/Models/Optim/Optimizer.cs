using Tangent.Kernels.Backends;

namespace Tangent.Models.Optim;

/// <summary>
/// A first-order optimiser on one flat parameter vector θ (the model's <c>ParameterLayout</c>) and its flat
/// gradient, both <see cref="BufferView{T}"/>s of length <see cref="ParameterCount"/> on <see cref="Backend"/>.
/// State buffers are allocated once at construction; a step runs a few elementwise kernels over P and allocates nothing.
/// The learning rate is set from outside (by a <see cref="LearningRateSchedule"/>) before each step.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public abstract class Optimizer<T> : IDisposable where T : unmanaged
{
    /// <summary>Creates the bookkeeping; subclasses allocate their state.</summary>
    protected Optimizer(Backend backend, int parameterCount, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(parameterCount);
        KernelCalls.RequireFloat<T>(GetType().Name);
        Backend = backend;
        ParameterCount = parameterCount;
        LearningRate = learningRate;
    }

    /// <summary>The backend holding θ, the gradient and the state.</summary>
    public Backend Backend { get; }

    /// <summary>Length P of θ.</summary>
    public int ParameterCount { get; }

    /// <summary>The learning rate used by the next <see cref="Step"/>.</summary>
    public double LearningRate
    {
        get;
        set
        {
            if (!double.IsFinite(value) || value < 0) throw new ArgumentOutOfRangeException(nameof(value), $"learning rate {value} is not a finite non-negative number.");
            field = value;
        }
    }

    /// <summary>Steps taken so far (t after the step; Adam's bias correction uses it).</summary>
    public long StepCount { get; protected set; }

    /// <summary>
    /// Sets the step count after <see cref="State"/> has been restored from a checkpoint (Adam's bias correction depends
    /// on it), so that a resumed run continues exactly where the saved one stopped.
    /// </summary>
    public void RestoreStepCount(long stepCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        StepCount = stepCount;
    }

    /// <summary>The state buffers by name (e.g. "exp_avg", "exp_avg_sq"; PyTorch's names), for checkpointing.</summary>
    public abstract IReadOnlyList<(string Name, DeviceBuffer<T> Buffer)> State { get; }

    /// <summary>Updates θ in place from the gradient (which is not modified).</summary>
    public void Step(BufferView<T> parameters, BufferView<T> gradient)
    {
        if (parameters.Length != ParameterCount || gradient.Length != ParameterCount)
            throw new ArgumentException($"{GetType().Name}: θ has {parameters.Length} and the gradient {gradient.Length} elements; the optimiser was built for {ParameterCount}.");
        StepCount++;
        StepCore(parameters, gradient);
    }

    /// <summary>The update for step <see cref="StepCount"/> (already incremented).</summary>
    protected abstract void StepCore(BufferView<T> parameters, BufferView<T> gradient);

    /// <summary>
    /// Restores a checkpointed optimiser's step count (Adam's bias correction reads it); its moment buffers are
    /// restored through <see cref="State"/>. A resumed run then continues bit-identically.
    /// </summary>
    public void Restore(long stepCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        StepCount = stepCount;
    }

    /// <summary>Zeroes the state and the step count.</summary>
    public virtual void Reset()
    {
        StepCount = 0;
        foreach (var (_, b) in State) Backend.Fill(b.View, default(T));
    }

    /// <summary>Allocates a zero-filled state buffer of length P.</summary>
    protected DeviceBuffer<T> AllocateState() => Backend.Allocate<T>(ParameterCount);

    /// <summary>Releases the state buffers.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing) foreach (var (_, b) in State) b.Dispose();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }
}
