namespace Tangent.Engine.Linalg;

/// <summary>The state a <see cref="StopCriterion"/> sees after each iteration (host scalars only).</summary>
/// <param name="Iteration">Iterations completed.</param>
/// <param name="ResidualNorm">‖r‖ now.</param>
/// <param name="InitialResidualNorm">‖r₀‖.</param>
/// <param name="RightHandSideNorm">‖b‖.</param>
public readonly record struct IterationStatus(int Iteration, double ResidualNorm, double InitialResidualNorm, double RightHandSideNorm);

/// <summary>
/// A stopping rule, composable with <c>|</c> (Math.NET's idea: iteration count, residual, divergence and
/// stagnation are separate criteria; a solver stops when the first of them fires). Criteria with memory
/// (<see cref="Stagnation"/>) are reset by the solver at the start of each solve, so one instance must not be
/// shared by solvers running at the same time.
/// </summary>
public abstract class StopCriterion
{
    /// <summary>Decides after an iteration; <see cref="StopReason.Continue"/> to go on.</summary>
    public abstract StopReason Check(in IterationStatus status);

    /// <summary>Forgets the state of a previous solve.</summary>
    public virtual void Reset() { }

    /// <summary>The iteration limit this criterion implies (int.MaxValue when none); solvers size their buffers by it.</summary>
    public virtual int IterationBound => int.MaxValue;

    /// <summary>Stops when either criterion fires (the left one wins a tie).</summary>
    public static StopCriterion operator |(StopCriterion a, StopCriterion b) => new AnyOf(a, b);

    /// <summary>Converged once ‖r‖ ≤ <paramref name="tolerance"/>·‖b‖.</summary>
    public static StopCriterion RelativeResidual(double tolerance) =>
        tolerance >= 0 ? new RelativeResidualCriterion(tolerance) : throw new ArgumentOutOfRangeException(nameof(tolerance), $"tolerance {tolerance} is negative.");

    /// <summary>Converged once ‖r‖ ≤ <paramref name="tolerance"/>.</summary>
    public static StopCriterion AbsoluteResidual(double tolerance) =>
        tolerance >= 0 ? new AbsoluteResidualCriterion(tolerance) : throw new ArgumentOutOfRangeException(nameof(tolerance), $"tolerance {tolerance} is negative.");

    /// <summary>Stops (not converged) after <paramref name="maxIterations"/> iterations.</summary>
    public static StopCriterion IterationLimit(int maxIterations) =>
        maxIterations > 0 ? new IterationLimitCriterion(maxIterations) : throw new ArgumentOutOfRangeException(nameof(maxIterations), $"iteration limit {maxIterations} must be positive.");

    /// <summary>Diverged once ‖r‖ &gt; <paramref name="factor"/>·‖r₀‖.</summary>
    public static StopCriterion Divergence(double factor) =>
        factor > 1 ? new DivergenceCriterion(factor) : throw new ArgumentOutOfRangeException(nameof(factor), $"divergence factor {factor} must exceed 1.");

    /// <summary>
    /// Stagnated when the smallest residual seen in the last <paramref name="window"/> iterations is not below
    /// <paramref name="reduction"/> times the smallest one seen before that window.
    /// </summary>
    public static StopCriterion Stagnation(int window, double reduction = 0.999) =>
        window > 0 && reduction is > 0 and <= 1 ? new StagnationCriterion(window, reduction)
            : throw new ArgumentOutOfRangeException(nameof(window), $"stagnation window {window} must be positive and reduction {reduction} in (0, 1].");

    private sealed class AnyOf(StopCriterion a, StopCriterion b) : StopCriterion
    {
        public override StopReason Check(in IterationStatus status)
        {
            var r = a.Check(status);
            var s = b.Check(status);
            return r != StopReason.Continue ? r : s;
        }

        public override void Reset() { a.Reset(); b.Reset(); }

        public override int IterationBound => Math.Min(a.IterationBound, b.IterationBound);
    }

    private sealed class RelativeResidualCriterion(double tolerance) : StopCriterion
    {
        public override StopReason Check(in IterationStatus s) =>
            s.ResidualNorm <= tolerance * s.RightHandSideNorm ? StopReason.Converged : StopReason.Continue;
    }

    private sealed class AbsoluteResidualCriterion(double tolerance) : StopCriterion
    {
        public override StopReason Check(in IterationStatus s) => s.ResidualNorm <= tolerance ? StopReason.Converged : StopReason.Continue;
    }

    private sealed class IterationLimitCriterion(int maxIterations) : StopCriterion
    {
        public override StopReason Check(in IterationStatus s) => s.Iteration >= maxIterations ? StopReason.IterationLimit : StopReason.Continue;

        public override int IterationBound => maxIterations;
    }

    private sealed class DivergenceCriterion(double factor) : StopCriterion
    {
        public override StopReason Check(in IterationStatus s) =>
            s.ResidualNorm > factor * s.InitialResidualNorm ? StopReason.Diverged : StopReason.Continue;
    }

    private sealed class StagnationCriterion(int window, double reduction) : StopCriterion
    {
        // Ring buffer of the last `window` residuals; allocated once.
        private readonly double[] _recent = new double[window];
        private double _bestBefore = double.PositiveInfinity;
        private int _seen;

        public override void Reset()
        {
            _bestBefore = double.PositiveInfinity;
            _seen = 0;
        }

        public override StopReason Check(in IterationStatus s)
        {
            int slot = _seen % window;
            if (_seen >= window) _bestBefore = Math.Min(_bestBefore, _recent[slot]);
            _recent[slot] = s.ResidualNorm;
            _seen++;
            if (_seen <= window) return StopReason.Continue;
            double bestRecent = double.PositiveInfinity;
            foreach (double r in _recent) bestRecent = Math.Min(bestRecent, r);
            return bestRecent < reduction * _bestBefore ? StopReason.Continue : StopReason.Stagnated;
        }
    }
}
