using Tangent.Models.Training;

namespace Tangent.Models.Tests.Training;

/// <summary>The recipes are the papers' (METHODS.md §2 for ScaLLA's MAP network, §3 for VIKING's LeNet).</summary>
public sealed class TrainingRecipesTests
{
    [Fact]
    public void FmnistCnnIsScallasMapRecipe()
    {
        var o = TrainingRecipes.For("fmnist-cnn");
        Assert.Equal((40, 64, OptimizerKind.Adam, 1e-3, ScheduleKind.Step, 0.7, 1), (o.Epochs, o.BatchSize, o.Optimizer, o.LearningRate, o.Schedule, o.Gamma, o.StepSize));
        Assert.Equal(0.0, o.WeightDecay);
    }

    [Fact]
    public void LenetIsVikingsRecipe()
    {
        var o = TrainingRecipes.For("lenet");
        Assert.Equal((10, 32, OptimizerKind.Adam, 1e-3, ScheduleKind.None), (o.Epochs, o.BatchSize, o.Optimizer, o.LearningRate, o.Schedule));
    }
}
