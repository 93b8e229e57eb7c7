using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Models.Optim;

/// <summary>
/// Stochastic gradient descent with PyTorch's conventions: d = g + λθ (L2 weight decay λ); with momentum μ,
/// b₁ = d and b_t = μ·b_{t−1} + (1 − τ)·d (dampening τ), then d = b_t, or d = d + μ·b_t with Nesterov; θ ← θ − lr·d.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged
{
    private readonly DeviceBuffer<T>? _momentum;
    private readonly DeviceBuffer<T>? _scratch;
    private readonly (string, DeviceBuffer<T>)[] _state;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="backend">Backend of θ.</param>
    /// <param name="parameterCount">P.</param>
    /// <param name="learningRate">lr.</param>
    /// <param name="momentum">μ (0 = plain SGD).</param>
    /// <param name="dampening">τ.</param>
    /// <param name="nesterov">Nesterov momentum (needs μ &gt; 0 and τ = 0, as in PyTorch).</param>
    /// <param name="weightDecay">L2 coefficient λ added to the gradient.</param>
    public Sgd(Backend backend, int parameterCount, double learningRate, double momentum = 0, double dampening = 0, bool nesterov = false, double weightDecay = 0)
        : base(backend, parameterCount, learningRate)
    {
        if (momentum < 0 || weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(momentum), $"momentum {momentum} and weight decay {weightDecay} must be non-negative.");
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new ArgumentException($"Nesterov momentum needs a positive momentum and zero dampening (got μ = {momentum}, τ = {dampening}).");
        Momentum = momentum;
        Dampening = dampening;
        Nesterov = nesterov;
        WeightDecay = weightDecay;
        if (momentum > 0) _momentum = AllocateState();
        if (weightDecay > 0 || nesterov) _scratch = Backend.Allocate<T>(parameterCount);
        _state = _momentum is null ? [] : [("momentum_buffer", _momentum)];
    }

    /// <summary>μ.</summary>
    public double Momentum { get; }
    /// <summary>τ.</summary>
    public double Dampening { get; }
    /// <summary>Whether the Nesterov form is used.</summary>
    public bool Nesterov { get; }
    /// <summary>λ.</summary>
    public double WeightDecay { get; }

    /// <inheritdoc />
    public override IReadOnlyList<(string Name, DeviceBuffer<T> Buffer)> State => _state;

    /// <inheritdoc />
    protected override void StepCore(BufferView<T> parameters, BufferView<T> gradient)
    {
        var d = gradient;
        if (WeightDecay > 0)
        {
            KernelCalls.Map2(Backend, new Axpby(1, WeightDecay), gradient, parameters, _scratch!.View);
            d = _scratch.View;
        }
        if (_momentum is not null)
        {
            if (StepCount == 1) Backend.Copy(d, _momentum.View);
            else KernelCalls.Map2(Backend, new Axpby(Momentum, 1 - Dampening), _momentum.View, d, _momentum.View);
            if (Nesterov)
            {
                KernelCalls.Map2(Backend, new Axpby(1, Momentum), d, _momentum.View, _scratch!.View);
                d = _scratch.View;
            }
            else d = _momentum.View;
        }
        KernelCalls.Axpy(Backend, -LearningRate, d, parameters);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _scratch?.Dispose();
    }
}
