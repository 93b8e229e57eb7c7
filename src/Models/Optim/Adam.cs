using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Models.Optim;

/// <summary>
/// Adam (Kingma and Ba 2015) with PyTorch's conventions. With d = g + λθ (L2 decay; <see cref="AdamW{T}"/>
/// decouples it instead): m ← β₁m + (1−β₁)d, v ← β₂v + (1−β₂)d², θ ← θ − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε).
/// Four passes over P (m, v, the step into a scratch vector, θ), one more with L2 decay.
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public class Adam<T> : Optimizer<T> where T : unmanaged
{
    private readonly DeviceBuffer<T> _m;
    private readonly DeviceBuffer<T> _v;
    private readonly DeviceBuffer<T> _scratch;
    private readonly (string, DeviceBuffer<T>)[] _state;

    /// <summary>Creates Adam with L2 weight decay (coupled: added to the gradient).</summary>
    public Adam(Backend backend, int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : this(backend, parameterCount, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: false)
    {
    }

    /// <summary>Creates Adam or AdamW.</summary>
    protected Adam(Backend backend, int parameterCount, double learningRate, double beta1, double beta2, double epsilon, double weightDecay, bool decoupled)
        : base(backend, parameterCount, learningRate)
    {
        if (beta1 is < 0 or >= 1 || beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), $"β₁ = {beta1} and β₂ = {beta2} must lie in [0, 1).");
        if (epsilon <= 0 || weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(epsilon), $"ε = {epsilon} must be positive and the weight decay {weightDecay} non-negative.");
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        WeightDecay = weightDecay;
        DecoupledWeightDecay = decoupled;
        _m = AllocateState();
        _v = AllocateState();
        _scratch = Backend.Allocate<T>(parameterCount);
        _state = [("exp_avg", _m), ("exp_avg_sq", _v)];
    }

    /// <summary>β₁.</summary>
    public double Beta1 { get; }
    /// <summary>β₂.</summary>
    public double Beta2 { get; }
    /// <summary>ε.</summary>
    public double Epsilon { get; }
    /// <summary>λ.</summary>
    public double WeightDecay { get; }
    /// <summary>Whether the decay is decoupled (AdamW: θ ← θ − lr·λ·θ before the Adam step) rather than added to the gradient.</summary>
    public bool DecoupledWeightDecay { get; }

    /// <inheritdoc />
    public override IReadOnlyList<(string Name, DeviceBuffer<T> Buffer)> State => _state;

    /// <inheritdoc />
    protected override void StepCore(BufferView<T> parameters, BufferView<T> gradient)
    {
        var d = gradient;
        if (WeightDecay > 0 && !DecoupledWeightDecay)
        {
            KernelCalls.Map2(Backend, new Axpby(1, WeightDecay), gradient, parameters, _scratch.View);
            d = _scratch.View;
        }
        KernelCalls.Map2(Backend, new Axpby(Beta1, 1 - Beta1), _m.View, d, _m.View);
        KernelCalls.Map2(Backend, new SquareLerp(Beta2), _v.View, d, _v.View);
        double t = StepCount;
        double c1 = 1 - Math.Pow(Beta1, t), c2 = 1 - Math.Pow(Beta2, t);
        KernelCalls.Map2(Backend, new AdamDirection(LearningRate / c1, 1 / Math.Sqrt(c2), Epsilon), _m.View, _v.View, _scratch.View);
        // θ ← κθ − u with κ = 1 − lr·λ for AdamW (PyTorch: p.mul_(1 − lr·λ), then the Adam step), κ = 1 otherwise.
        double keep = DecoupledWeightDecay ? 1 - LearningRate * WeightDecay : 1;
        KernelCalls.Map2(Backend, new Axpby(keep, -1), parameters, _scratch.View, parameters);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) _scratch.Dispose();
    }
}

/// <summary>
/// AdamW (Loshchilov and Hutter 2019): Adam with decoupled weight decay θ ← θ − lr·λ·θ applied with the step
/// (PyTorch's default λ = 0.01).
/// </summary>
/// <typeparam name="T">float or double.</typeparam>
public sealed class AdamW<T> : Adam<T> where T : unmanaged
{
    /// <summary>Creates AdamW.</summary>
    public AdamW(Backend backend, int parameterCount, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01)
        : base(backend, parameterCount, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: true)
    {
    }
}
