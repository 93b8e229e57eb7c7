using Tangent.Inference.Predictive;

namespace Tangent.Inference.Evaluation;

/// <summary>Settings of <see cref="Evaluator.Run"/>.</summary>
public sealed record EvaluationOptions
{
    /// <summary>Monte Carlo or probit for Gaussian posteriors (others ignore it).</summary>
    public GaussianPredictive Predictive { get; init; } = GaussianPredictive.MonteCarlo;

    /// <summary>Monte Carlo samples S per input (Gaussian posteriors).</summary>
    public int Samples { get; init; } = 2048;

    /// <summary>Philox key of the Monte Carlo draws (the test set uses stream 0, the OOD set stream 1).</summary>
    public ulong Seed { get; init; }

    /// <summary>Bin counts of the equal-width ECE/MCE (all confidences in [0, 1] counted); the first is the headline.</summary>
    public IReadOnlyList<int> Bins { get; init; } = [15];

    /// <summary>Inputs per posterior call (results do not depend on it).</summary>
    public int BatchSize { get; init; } = 500;

    /// <summary>Throws naming the first invalid setting.</summary>
    public void Validate()
    {
        new PredictiveOptions(Predictive, Samples, Seed).Validate();
        if (Bins.Count == 0) throw new ArgumentException("evaluation needs at least one bin count.");
        foreach (int b in Bins)
            if (b < 1) throw new ArgumentOutOfRangeException(nameof(Bins), $"bin count {b} must be at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), $"batch size {BatchSize} must be at least 1.");
    }
}
