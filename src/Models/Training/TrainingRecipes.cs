namespace Tangent.Models.Training;

/// <summary>
/// The reference training recipe of each zoo model, used by <c>tangent train</c> and the reproduction pipeline:
/// ScaLLA's MAP recipe for <c>fmnist-cnn</c> (Adam 1e-3, StepLR γ = 0.7 per epoch, batch 64, 40 epochs), VIKING's for
/// <c>lenet</c> (Adam 1e-3, constant rate, batch 32, 10 epochs); other models get Adam 1e-3, batch 64, 10 epochs.
/// </summary>
public static class TrainingRecipes
{
    /// <summary>The recipe of zoo model <paramref name="model"/> (seed 0).</summary>
    public static TrainingOptions For(string model) => model switch
    {
        "fmnist-cnn" => new TrainingOptions { Epochs = 40, BatchSize = 64, LearningRate = 1e-3, Optimizer = OptimizerKind.Adam, Schedule = ScheduleKind.Step, Gamma = 0.7 },
        "lenet" => new TrainingOptions { Epochs = 10, BatchSize = 32, LearningRate = 1e-3, Optimizer = OptimizerKind.Adam, Schedule = ScheduleKind.None },
        _ => new TrainingOptions { Epochs = 10, BatchSize = 64, LearningRate = 1e-3, Optimizer = OptimizerKind.Adam, Schedule = ScheduleKind.None },
    };
}
