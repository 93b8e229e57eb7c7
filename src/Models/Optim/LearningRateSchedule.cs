namespace Tangent.Models.Optim;

/// <summary>
/// The learning rate as a function of training progress: epoch e (from 0) and batch b of B in that epoch. Training
/// loops set <c>optimizer.LearningRate = schedule.At(e, b, B)</c> before every step.
/// </summary>
public abstract class LearningRateSchedule
{
    /// <summary>Creates a schedule with base rate <paramref name="baseRate"/>.</summary>
    protected LearningRateSchedule(double baseRate)
    {
        if (!double.IsFinite(baseRate) || baseRate < 0) throw new ArgumentOutOfRangeException(nameof(baseRate), $"learning rate {baseRate} is not a finite non-negative number.");
        BaseRate = baseRate;
    }

    /// <summary>The base (peak) learning rate.</summary>
    public double BaseRate { get; }

    /// <summary>The rate for batch <paramref name="batch"/> of <paramref name="batchesPerEpoch"/> in epoch <paramref name="epoch"/>.</summary>
    public double At(int epoch, int batch = 0, int batchesPerEpoch = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(epoch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchesPerEpoch);
        if ((uint)batch >= (uint)batchesPerEpoch) throw new ArgumentOutOfRangeException(nameof(batch), $"batch {batch} is outside [0, {batchesPerEpoch}).");
        return AtCore(epoch, batch, batchesPerEpoch);
    }

    /// <summary>The rate; arguments are validated.</summary>
    protected abstract double AtCore(int epoch, int batch, int batchesPerEpoch);

    /// <summary>A constant rate.</summary>
    public static LearningRateSchedule Constant(double rate) => new ConstantSchedule(rate);

    /// <summary>
    /// PyTorch's StepLR stepped once per epoch: lr_e = lr·γ^⌊e / stepSize⌋. ScaLLA's MAP recipe is
    /// Adam 1e-3 with stepSize 1 and γ = 0.7.
    /// </summary>
    public static LearningRateSchedule Step(double rate, int stepSize, double gamma) => new StepSchedule(rate, stepSize, gamma);

    /// <summary>
    /// Cosine annealing over <paramref name="totalEpochs"/>, per step, after an optional linear warm-up: with
    /// s = e·B + b, W = warmupEpochs·B and S = totalEpochs·B steps, lr_s = lr·(s + 1)/W for s &lt; W, else
    /// lr_min + (lr − lr_min)·(1 + cos(π·(s − W)/(S − W)))/2.
    /// </summary>
    public static LearningRateSchedule Cosine(double rate, int totalEpochs, double minRate = 0, int warmupEpochs = 0) =>
        new CosineSchedule(rate, totalEpochs, minRate, warmupEpochs);

    private sealed class ConstantSchedule(double rate) : LearningRateSchedule(rate)
    {
        protected override double AtCore(int epoch, int batch, int batchesPerEpoch) => BaseRate;
        public override string ToString() => $"constant {BaseRate}";
    }

    private sealed class StepSchedule : LearningRateSchedule
    {
        private readonly int _stepSize;
        private readonly double _gamma;

        public StepSchedule(double rate, int stepSize, double gamma) : base(rate)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stepSize);
            if (!(gamma > 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), $"γ = {gamma} must lie in (0, 1].");
            _stepSize = stepSize;
            _gamma = gamma;
        }

        protected override double AtCore(int epoch, int batch, int batchesPerEpoch) => BaseRate * Math.Pow(_gamma, epoch / _stepSize);
        public override string ToString() => $"step {BaseRate} × {_gamma}^⌊epoch/{_stepSize}⌋";
    }

    private sealed class CosineSchedule : LearningRateSchedule
    {
        private readonly int _total, _warmup;
        private readonly double _min;

        public CosineSchedule(double rate, int totalEpochs, double minRate, int warmupEpochs) : base(rate)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(totalEpochs);
            if (warmupEpochs < 0 || warmupEpochs >= totalEpochs) throw new ArgumentOutOfRangeException(nameof(warmupEpochs), $"warm-up of {warmupEpochs} epochs must lie in [0, {totalEpochs}).");
            if (minRate < 0 || minRate > rate) throw new ArgumentOutOfRangeException(nameof(minRate), $"minimum rate {minRate} must lie in [0, {rate}].");
            _total = totalEpochs;
            _warmup = warmupEpochs;
            _min = minRate;
        }

        protected override double AtCore(int epoch, int batch, int batchesPerEpoch)
        {
            long s = (long)epoch * batchesPerEpoch + batch;
            long w = (long)_warmup * batchesPerEpoch, total = (long)_total * batchesPerEpoch;
            if (s < w) return BaseRate * (s + 1) / w;
            double p = Math.Min(1.0, (double)(s - w) / (total - w));
            return _min + (BaseRate - _min) * (1 + Math.Cos(Math.PI * p)) / 2;
        }

        public override string ToString() => $"cosine {BaseRate} → {_min} over {_total} epochs (warm-up {_warmup})";
    }
}
