using System.Diagnostics;
using Tangent.Engine.Execution;
using Tangent.Engine.Transforms;
using Tangent.Inference.Projection;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Layers;

namespace Tangent.Inference.Viking;

/// <summary>Wall-clock time of the parts of one ELBO step.</summary>
/// <param name="Projection">Drawing ε̃ and projecting it (k = Pε̃).</param>
/// <param name="Loss">Forming θ_s and the loss forward and backward pass at it.</param>
/// <param name="Adjoint">The exact adjoint's second projection and reverse-over-forward sweep (zero with stop-gradient).</param>
/// <param name="Kl">The KL, its gradients and assembling the gradient vector.</param>
public readonly record struct ElboTimings(TimeSpan Projection, TimeSpan Loss, TimeSpan Adjoint, TimeSpan Kl);

/// <summary>What one ELBO step computed (the gradient itself is in <see cref="VikingElbo.Gradient"/>).</summary>
/// <param name="ExpectedNll">Σᵢ ℓᵢ(θ_s) over the batch: the one-sample estimate of the expected negative log-likelihood.</param>
/// <param name="Kl">KL(q ‖ p), unweighted.</param>
/// <param name="KernelDimension">R̂ = ⟨ε̃, Pε̃⟩ clipped to P − 1: the Hutchinson estimate of tr P used in the KL.</param>
/// <param name="Correct">Examples the sample θ_s classifies correctly (0 for regression).</param>
/// <param name="MeanGradientNorm">‖∂loss/∂θ̂‖ when the mean is trained, else 0.</param>
/// <param name="Projection">The projection of ε̃.</param>
/// <param name="AdjointProjection">The exact adjoint's projection of the cotangent (null with stop-gradient or a frozen mean).</param>
/// <param name="Timings">Where the time went.</param>
public readonly record struct ElboStepResult(double ExpectedNll, double Kl, double KernelDimension, int Correct, double MeanGradientNorm,
    ProjectionOutcome Projection, ProjectionOutcome? AdjointProjection, ElboTimings Timings);

/// <summary>
/// One stochastic ELBO step of VIKING (METHODS.md §3) on a batch: the loss Σᵢ ℓᵢ(θ_s) + β·KL(q ‖ p) and its
/// gradient with respect to φ = [θ̂, log α, log σ_im], the vector the optimiser updates (<see cref="Variational"/>,
/// <see cref="Gradient"/>). With k the carried kernel sample of the stochastic alternating projections:
/// <code>
/// ε̃ = √γ k + √(1−γ) η,  η ~ N(0, I)          (Philox: a function of the seed and the step)
/// k_t = P_t ε̃  (J_t at θ̂ on the batch),  ι_t = ε̃ − k_t
/// θ_s = θ̂ + α^(−1/2) k_t + σ_im ι_t           k ← k_t
/// ∂/∂θ̂ = g + βαθ̂ [+ adjoint],  ∂/∂log α = −½α^(−1/2)⟨g, k_t⟩ + β ∂KL/∂log α,  ∂/∂log σ = σ⟨g, ι_t⟩ + β ∂KL/∂log σ
/// </code>
/// with g = ∇ Σᵢ ℓᵢ at θ_s. The adjoint (<see cref="ProjectionAdjoint.Exact"/>) adds the derivative of k_t through
/// P(θ̂) for the cotangent c = (α^(−1/2) − σ)g: −∇θ[⟨λ, J Pc⟩ + ⟨ν, J k_t⟩] with λ, ν the two solves' multipliers.
/// </summary>
public sealed class VikingElbo : IDisposable
{
    /// <summary>Philox stream of the per-step noise η (offset: step × P).</summary>
    public const ulong StepNoiseStream = (3UL << 32) + 1;

    private readonly BatchProjector _projector;
    private readonly VikingOptions _options;
    private readonly Backend _backend;
    private readonly int _p;
    private readonly DeviceBuffer<float> _variational, _gradient, _carry, _mix, _tangents, _sample, _ones, _cotangent, _multipliers, _adjoint;
    private readonly Plan<float> _loss;
    private readonly Plan<float>? _adjointPlan;
    private readonly float[] _lossHost, _logitsHost, _scalars = new float[2];
    private readonly int _classes;

    /// <summary>
    /// Sets up the step around <paramref name="projector"/> (whose batch and Jacobian it uses), with θ̂ =
    /// <paramref name="mean"/>, the initial scales of <paramref name="options"/> and its β for a training set of
    /// <paramref name="trainingExamples"/> (<see cref="VikingOptions.BetaFor"/>); the carried kernel sample starts at 0.
    /// </summary>
    public VikingElbo(BatchProjector projector, VikingOptions options, ReadOnlySpan<float> mean, int trainingExamples)
    {
        options.Validate();
        Beta = options.BetaFor(trainingExamples);
        _projector = projector;
        _options = options;
        _backend = projector.Backend;
        _p = projector.ParameterCount;
        if (mean.Length != _p) throw new ArgumentException($"VIKING: θ̂ has {mean.Length} values, the network {_p} parameters.");
        _variational = _backend.Allocate<float>(_p + 2);
        _variational.CopyFrom(mean);
        _variational.CopyFrom([(float)options.InitialLogPrecision, (float)options.InitialLogImageScale], _p);
        _gradient = _backend.Allocate<float>(_p + 2);
        _carry = _backend.Allocate<float>(_p);
        _mix = _backend.Allocate<float>(_p);
        _tangents = _backend.Allocate<float>(2 * _p);
        _sample = _backend.Allocate<float>(_p);
        _adjoint = _backend.Allocate<float>(_p);
        _cotangent = _backend.Allocate<float>(_p);
        _multipliers = _backend.Allocate<float>(2 * projector.Rows);
        int batch = projector.Batch.Size;
        _ones = _backend.Upload<float>(Enumerable.Repeat(1f, batch).ToArray());
        _classes = projector.Network.OutputShape.Length;
        _lossHost = new float[batch];
        _logitsHost = new float[batch * _classes];
        projector.SetParameters(Mean);

        _loss = projector.Tape.Vjp([Network.ThetaGroup], ["loss"]).Plan<float>(_backend);
        projector.Batch.Bind(_loss);
        _loss.Bind(Network.ThetaGroup, _sample.View);
        _loss.Bind("loss" + Transform.CotangentSuffix, _ones.View);
        _loss.Bind(Network.ThetaGroup + Transform.CotangentSuffix, _gradient.Slice(0, _p));
        if (options.Adjoint == ProjectionAdjoint.Exact)
        {
            string output = projector.OutputName;
            _adjointPlan = Compose.VjpOfJvp(projector.JacobianTape, Network.ThetaGroup, output, 2).Plan<float>(_backend);
            projector.Batch.Bind(_adjointPlan);
            _adjointPlan.Bind(Network.ThetaGroup, Mean);
            _adjointPlan.Bind(Network.ThetaGroup + Transform.TangentSuffix, _tangents.View);
            _adjointPlan.Bind(output + Transform.TangentSuffix + Transform.CotangentSuffix, _multipliers.View);
            _adjointPlan.Bind(Network.ThetaGroup + Transform.CotangentSuffix, _adjoint.View);
        }
    }

    /// <summary>The KL's weight β.</summary>
    public double Beta { get; }

    /// <summary>φ = [θ̂ (P values), log α, log σ_im] on the device: the optimiser's parameters.</summary>
    public DeviceBuffer<float> Variational => _variational;

    /// <summary>∂loss/∂φ of the latest step, laid out like <see cref="Variational"/> (the θ̂ part only when the mean is trained).</summary>
    public DeviceBuffer<float> Gradient => _gradient;

    /// <summary>θ̂, the first P values of <see cref="Variational"/>.</summary>
    public BufferView<float> Mean => _variational.Slice(0, _p);

    /// <summary>The carried kernel sample k of the stochastic alternating projections (P values).</summary>
    public DeviceBuffer<float> Carry => _carry;

    /// <summary>P.</summary>
    public int ParameterCount => _p;

    /// <summary>log α and log σ_im, read from the device.</summary>
    public (double LogPrecision, double LogImageScale) Scales()
    {
        _variational.CopyTo(_scalars, _p);
        return (_scalars[0], _scalars[1]);
    }

    /// <summary>
    /// One step on the loader's current batch (exactly B examples), with noise from step <paramref name="step"/>.
    /// With <paramref name="trainMean"/> false (phase 2) only the scales' gradient is formed and no adjoint is run.
    /// The Jacobian is re-taken at the current θ̂ for every batch, so optimiser updates between steps need no notice.
    /// </summary>
    public ElboStepResult Step(BatchLoader loader, long step, bool trainMean)
    {
        long t0 = Stopwatch.GetTimestamp();
        var (logPrecision, logImageScale) = Scales();
        _projector.Load(loader);
        var mix = _mix.View;
        var kernel = _tangents.Slice(_p, _p);
        _backend.RandomNormal(mix, _options.Seed, StepNoiseStream, checked((ulong)step * (ulong)_p));
        _backend.Scal((float)Math.Sqrt(1 - _options.Gamma), mix);
        _backend.Axpy((float)Math.Sqrt(_options.Gamma), _carry.View, mix);
        var projection = _projector.Project(mix, kernel);
        bool exact = trainMean && _adjointPlan != null;
        if (exact) _backend.Copy(_projector.Multipliers, _multipliers.Slice(0, _projector.Rows));
        double r = Math.Min(_backend.Dot(mix, kernel), _p - 1);
        _backend.Copy(kernel, _carry.View);
        long t1 = Stopwatch.GetTimestamp();

        double a = Math.Exp(-0.5 * logPrecision), s = Math.Exp(logImageScale);
        _backend.Copy(Mean, _sample.View);
        _backend.Axpy((float)(a - s), kernel, _sample.View);
        _backend.Axpy((float)s, mix, _sample.View);
        _loss.Run();
        var g = _gradient.Slice(0, _p);
        double nll = SumLoss(), gk = _backend.Dot(g, kernel), ge = _backend.Dot(g, mix);
        int correct = CountCorrect(loader);
        long t2 = Stopwatch.GetTimestamp();

        ProjectionOutcome? adjointProjection = null;
        if (exact)
        {
            // The cotangent on k_t is (a − s)g (θ_s = θ̂ + (a − s)k_t + sε̃); its projection u = Pc goes in tangent
            // row 0 against λ, and k_t (row 1) against ν.
            _backend.Copy(g, _cotangent.View);
            _backend.Scal((float)(a - s), _cotangent.View);
            adjointProjection = _projector.Project(_cotangent.View, _tangents.Slice(0, _p));
            _backend.Copy(_projector.Multipliers, _multipliers.Slice(_projector.Rows, _projector.Rows));
            _adjointPlan!.Run();
            _backend.Axpy(-1f, _adjoint.View, g);
        }
        long t3 = Stopwatch.GetTimestamp();

        double norm2 = _backend.Dot(Mean, Mean);
        var kl = KernelImageKl.At(_p, r, norm2, logPrecision, logImageScale);
        double beta = Beta, gradientNorm = 0;
        if (trainMean)
        {
            _backend.Axpy((float)(beta * kl.MeanGradientScale), Mean, g);
            gradientNorm = Math.Sqrt(_backend.Dot(g, g));
        }
        _scalars[0] = (float)(-0.5 * a * gk + beta * kl.LogPrecisionGradient);
        _scalars[1] = (float)(s * (ge - gk) + beta * kl.LogImageScaleGradient);
        _gradient.CopyFrom(_scalars, _p);
        long t4 = Stopwatch.GetTimestamp();

        var timings = new ElboTimings(Stopwatch.GetElapsedTime(t0, t1), Stopwatch.GetElapsedTime(t1, t2), Stopwatch.GetElapsedTime(t2, t3),
            Stopwatch.GetElapsedTime(t3, t4));
        return new ElboStepResult(nll, kl.Value, r, correct, gradientNorm, projection, adjointProjection, timings);
    }

    private double SumLoss()
    {
        var v = _loss.Output("loss");
        v.Buffer.CopyTo(_lossHost, v.Offset);
        double sum = 0;
        foreach (float l in _lossHost) sum += l;
        return sum;
    }

    private int CountCorrect(BatchLoader loader)
    {
        if (!loader.Data.IsClassification) return 0;
        var v = _loss.Output("logits");
        v.Buffer.CopyTo(_logitsHost, v.Offset);
        int correct = 0;
        for (int i = 0; i < _lossHost.Length; i++)
        {
            var row = _logitsHost.AsSpan(i * _classes, _classes);
            int best = 0;
            for (int c = 1; c < row.Length; c++)
                if (row[c] > row[best]) best = c;
            if (best == loader.Labels[i]) correct++;
        }
        return correct;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _loss.Dispose();
        _adjointPlan?.Dispose();
        foreach (var b in new[] { _variational, _gradient, _carry, _mix, _tangents, _sample, _ones, _cotangent, _multipliers, _adjoint }) b.Dispose();
    }
}
