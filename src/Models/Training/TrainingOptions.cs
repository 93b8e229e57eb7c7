using Tangent.Models.Data;

namespace Tangent.Models.Training;

/// <summary>The optimiser a <see cref="Trainer"/> uses.</summary>
public enum OptimizerKind
{
    /// <summary>SGD with optional momentum and L2 weight decay.</summary>
    Sgd,
    /// <summary>Adam (L2 weight decay added to the gradient).</summary>
    Adam,
    /// <summary>AdamW (decoupled weight decay).</summary>
    AdamW,
}

/// <summary>The learning-rate schedule a <see cref="Trainer"/> uses.</summary>
public enum ScheduleKind
{
    /// <summary>Constant rate.</summary>
    None,
    /// <summary>StepLR: lr·γ^⌊epoch/stepSize⌋.</summary>
    Step,
    /// <summary>Cosine annealing to zero over the run.</summary>
    Cosine,
}

/// <summary>
/// Settings of a training run. The defaults are ScaLLA's MAP recipe for the FashionMNIST CNN: Adam 1e-3, StepLR
/// γ = 0.7 every epoch, batch 64, 40 epochs.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>Epochs.</summary>
    public int Epochs { get; init; } = 40;

    /// <summary>Batch size (the last partial batch of an epoch is used too, traced at its own size).</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>Seed of the initialisation, the shuffling, augmentation and dropout masks.</summary>
    public ulong Seed { get; init; }

    /// <summary>Optimiser.</summary>
    public OptimizerKind Optimizer { get; init; } = OptimizerKind.Adam;

    /// <summary>Base learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>SGD momentum.</summary>
    public double Momentum { get; init; }

    /// <summary>Weight decay (L2 for SGD/Adam, decoupled for AdamW).</summary>
    public double WeightDecay { get; init; }

    /// <summary>Schedule.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Step;

    /// <summary>StepLR factor γ.</summary>
    public double Gamma { get; init; } = 0.7;

    /// <summary>StepLR period in epochs.</summary>
    public int StepSize { get; init; } = 1;

    /// <summary>Weight of the batch value in the running batch-norm statistics (PyTorch's momentum, 0.1).</summary>
    public double BatchNormMomentum { get; init; } = 0.1;

    /// <summary>Augmentation of training images.</summary>
    public Augmentation Augmentation { get; init; } = Augmentation.None;

    /// <summary>Batch size of evaluation passes.</summary>
    public int EvaluationBatchSize { get; init; } = 500;

    /// <summary>Checks that the settings make sense; throws naming the first that does not.</summary>
    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {Epochs}.");
        if (BatchSize < 1) throw new ArgumentException($"batch size must be at least 1, got {BatchSize}.");
        if (EvaluationBatchSize < 1) throw new ArgumentException($"evaluation batch size must be at least 1, got {EvaluationBatchSize}.");
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) throw new ArgumentException($"learning rate must be a positive number, got {LearningRate}.");
        if (Momentum < 0 || WeightDecay < 0) throw new ArgumentException($"momentum ({Momentum}) and weight decay ({WeightDecay}) must be non-negative.");
        if (!(Gamma > 0)) throw new ArgumentException($"γ must be positive, got {Gamma}.");
        if (StepSize < 1) throw new ArgumentException($"the StepLR period must be at least 1 epoch, got {StepSize}.");
    }
}

/// <summary>Accuracy and negative log-likelihood of a network on a data set.</summary>
/// <param name="Count">Examples evaluated.</param>
/// <param name="Accuracy">Fraction of correct arg-max predictions (NaN for regression).</param>
/// <param name="Nll">Mean per-example loss: −log softmax(f(x))_y, or the Gaussian NLL for regression.</param>
public sealed record EvaluationResult(int Count, double Accuracy, double Nll);

/// <summary>A report on training progress (every step and at the end of each epoch).</summary>
/// <param name="Epoch">Epoch (from 1).</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Step">Step within the epoch (from 1).</param>
/// <param name="StepsPerEpoch">Steps per epoch.</param>
/// <param name="GlobalStep">Steps since the start (from 1).</param>
/// <param name="Loss">Mean training loss over the epoch so far.</param>
/// <param name="Accuracy">Training accuracy over the epoch so far (NaN for regression).</param>
/// <param name="LearningRate">Rate used by this epoch.</param>
/// <param name="SamplesPerSecond">Training throughput since the start.</param>
/// <param name="Elapsed">Time since the start.</param>
/// <param name="Remaining">Estimated time to the end of training.</param>
/// <param name="EndOfEpoch">True for the report closing an epoch.</param>
/// <param name="Validation">Validation result at the end of an epoch, when a validation set was given.</param>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, long GlobalStep, double Loss, double Accuracy,
    double LearningRate, double SamplesPerSecond, TimeSpan Elapsed, TimeSpan Remaining, bool EndOfEpoch, EvaluationResult? Validation);

/// <summary>What a training run did.</summary>
/// <param name="Epochs">Per-epoch reports (the closing one of each).</param>
/// <param name="Steps">Optimiser steps.</param>
/// <param name="Samples">Training examples processed.</param>
/// <param name="Elapsed">Wall time of the training loop (evaluations included).</param>
/// <param name="SamplesPerSecond">Throughput of the training steps alone.</param>
public sealed record TrainingSummary(IReadOnlyList<TrainingProgress> Epochs, long Steps, long Samples, TimeSpan Elapsed, double SamplesPerSecond);

/// <summary>Thrown when the training loss stops being finite; names the step and suggests a smaller learning rate.</summary>
public sealed class TrainingDivergedException(long step, int epoch, double loss, double learningRate)
    : InvalidOperationException($"training diverged: the loss is {loss} at step {step} (epoch {epoch}) with learning rate {learningRate:G3}. " +
                                $"Try a smaller learning rate (e.g. --lr {learningRate / 10:G3}).")
{
    /// <summary>Global step (from 1) whose loss was not finite.</summary>
    public long Step { get; } = step;

    /// <summary>Epoch (from 1).</summary>
    public int Epoch { get; } = epoch;

    /// <summary>Learning rate in use.</summary>
    public double LearningRate { get; } = learningRate;
}
