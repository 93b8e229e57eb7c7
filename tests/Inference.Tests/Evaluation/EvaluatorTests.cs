using Tangent.Inference.Evaluation;
using Tangent.Inference.Laplace;
using Tangent.Inference.Metrics;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Tests.Support;
using Tangent.Kernels.Cpu;
using Tangent.Models.Training;

namespace Tangent.Inference.Tests.Evaluation;

/// <summary>
/// The evaluation of a MAP posterior against the trainer's own evaluation (its loss comes from the fused
/// softmax–cross-entropy kernel, a different path from the predictive's log-softmax) and against metrics computed
/// here from the trainer's logits.
/// </summary>
public sealed class EvaluatorTests
{
    private static readonly Lazy<(float[] Theta, double Accuracy, double Nll, float[] TestLogits, float[] OodLogits)> Reference = new(() =>
    {
        var model = TestData.SmallMlp();
        using var trainer = new Trainer(model.Network, CpuBackend.Instance, new TrainingOptions { Epochs = 2, BatchSize = 32, Seed = 5 });
        trainer.Fit(TestData.Fmnist);
        var r = trainer.Evaluate(TestData.Mnist);
        return (trainer.ReadParameters(), r.Accuracy, r.Nll, trainer.Predict(TestData.Mnist), trainer.Predict(TestData.Fmnist));
    });

    private static EvaluationReport Evaluate(int batch)
    {
        using var map = new MapPosterior(TestData.SmallMlp(), Reference.Value.Theta, [], CpuBackend.Instance);
        return Evaluator.Run(map, TestData.Mnist, TestData.Fmnist, new EvaluationOptions { BatchSize = batch, Bins = [15, 10] }, CpuBackend.Instance);
    }

    private static double[] MaxSoftmax(float[] logits) => Enumerable.Range(0, logits.Length / 10).Select(i =>
    {
        var row = logits.AsSpan(i * 10, 10).ToArray();
        float max = row.Max();
        return 1 / row.Sum(f => Math.Exp(f - max));
    }).ToArray();

    [Fact]
    public void MapMetricsAgreeWithTheTrainersEvaluation()
    {
        var r = Evaluate(100);
        Assert.Equal(Reference.Value.Accuracy, r.Accuracy, 12);
        Assert.Equal(Reference.Value.Nll, r.Nll, 5);
        Assert.Equal("point", r.Predictive);
        Assert.Null(r.ExpectedNll);
        Assert.Equal(256, r.Examples);
        Assert.Equal(["equal-width-15", "equal-width-10"], r.Calibration.Select(c => c.Label));
        Assert.Equal(["scalla-reference-15", "laplace-redux-reference-100"], r.ReferenceCalibration.Select(c => c.Label));
    }

    [Fact]
    public void CalibrationAndOodScoresAgreeWithMetricsOfTheTrainersLogits()
    {
        var r = Evaluate(100);
        var conf = MaxSoftmax(Reference.Value.TestLogits);
        var correct = Enumerable.Range(0, conf.Length).Select(i => ClassificationMetrics.ArgMax(
            Reference.Value.TestLogits.AsSpan(i * 10, 10).ToArray().Select(f => (double)f).ToArray()) == TestData.Mnist.Labels[i]).ToArray();
        Assert.Equal(Calibration.Compute(conf, correct, 15).Ece, r.Calibration[0].Ece, 5);
        var maxProb = r.Ood!.Scores.Single(s => s.Score == OodScore.MaxProbability);
        var expected = OodDetection.Auroc(conf.Select(x => -x).ToArray(), MaxSoftmax(Reference.Value.OodLogits).Select(x => -x).ToArray());
        Assert.Equal(expected, maxProb.Metrics.Auroc, 3);
        // A point posterior supports only the two scores of its probabilities.
        Assert.Equal([OodScore.MaxProbability, OodScore.PredictiveEntropy], r.Ood.Scores.Select(s => s.Score));
        Assert.Equal(256, maxProb.OutScores.Length);
    }

    [Fact]
    public void ResultsDoNotDependOnTheBatchSize()
    {
        var a = Evaluate(256);
        var b = Evaluate(37);
        Assert.Equal(a.Accuracy, b.Accuracy);
        Assert.Equal(a.Nll, b.Nll, 12);
        Assert.Equal(a.Calibration[0].Ece, b.Calibration[0].Ece, 12);
        Assert.Equal(a.Ood!.Scores[1].Metrics, b.Ood!.Scores[1].Metrics);
    }

    private static EvaluationReport EvaluateLastLayer(int batch)
    {
        var model = TestData.SmallMlp();
        using var la = LastLayerLaplace.Fit(model, Reference.Value.Theta, [], TestData.Fmnist, new LaplaceOptions(LaplacePrior.MarginalLikelihood), CpuBackend.Instance);
        return Evaluator.Run(la, TestData.Fmnist, TestData.Mnist, new EvaluationOptions { BatchSize = batch, Samples = 64, Seed = 9 }, CpuBackend.Instance);
    }

    [Fact]
    public void GaussianPosteriorGetsEveryScoreAndBatchIndependentMonteCarlo()
    {
        var a = EvaluateLastLayer(256);
        var b = EvaluateLastLayer(100);
        Assert.Equal("mc", a.Predictive);
        Assert.Equal(64, a.Samples);
        Assert.Equal(OodScores.All, a.Ood!.Scores.Select(s => s.Score));
        // Jensen: −E_s log p_s(y) ≥ −log E_s p_s(y) input by input.
        Assert.True(a.ExpectedNll >= a.Nll, $"expected NLL {a.ExpectedNll} < NLL {a.Nll}");
        Assert.Equal(a.Nll, b.Nll, 6);
        Assert.Equal(a.Accuracy, b.Accuracy);
        for (int s = 0; s < a.Ood.Scores.Count; s++) Assert.Equal(a.Ood.Scores[s].Metrics.Auroc, b.Ood!.Scores[s].Metrics.Auroc, 6);
    }

    [Fact]
    public void DataOfTheWrongShapeIsRejectedByName()
    {
        using var map = new MapPosterior(TestData.SmallMlp(), Reference.Value.Theta, [], CpuBackend.Instance);
        var digits = Tangent.Models.Data.DigitsReader.Read(Path.Combine(TestData.Fixtures, "digits/digits.csv"), 8, "digits");
        var e = Assert.Throws<ArgumentException>(() => Evaluator.Run(map, TestData.Mnist, digits, new EvaluationOptions(), CpuBackend.Instance));
        Assert.Contains("'digits' has inputs of shape [1, 8, 8]", e.Message);
    }
}
