using Tangent.Inference.Evaluation;
using Tangent.Inference.Laplace;
using Tangent.Inference.Reports.Methods;
using Tangent.Inference.Scalla;
using Tangent.Inference.Viking;
using Tangent.Models.Training;

namespace Tangent.Inference.Reports;

public static partial class ReproductionTables
{
    /// <summary>
    /// The five-minute demo: LeNet on a FashionMNIST subset with short schedules, and the posteriors around it side by
    /// side (accuracy, NLL, ECE, OOD AUROC against MNIST). Its settings are chosen for time, not for the papers' numbers.
    /// </summary>
    private static ReproductionTable Demo(TableOptions o)
    {
        bool smoke = o.Smoke;
        var gaussian = new EvaluationOptions { Samples = smoke ? 64 : 256, Bins = [15] };
        var scalla = smoke ? SmokeScalla with { Biased = true, MatchInitialScale = true, AugmentContext = true } : ScallaOptions.BiasedDefaults;
        // VIKING starts from the MAP network: two short epochs instead of the reference's 5 + 5 + 50 from scratch. Its
        // σ_im starts at e^−4 (the reference: e^−2), since the scales move by about one unit in two epochs.
        var viking = smoke ? SmokeViking with { PlainEpochs = 0 }
            : VikingOptions.Classification with { PlainEpochs = 0, ScaleEpochs = 1, ElboEpochs = 1, InitialLogImageScale = -4, PosteriorSamples = 10, Adjoint = o.Adjoint };
        return new ReproductionTable
        {
            Name = "demo",
            Title = "Five-minute demo: what a Bayesian posterior adds to a FashionMNIST network",
            Summary = "LeNet trained briefly on FashionMNIST, then three posteriors around it: last-layer Laplace, ScaLLA-bias and VIKING. Each is judged on the FashionMNIST test images " +
                      "(accuracy, NLL, calibration) and on telling MNIST digits — images unlike anything it was trained on — from FashionMNIST " +
                      "(AUROC: 0.5 is chance, 1 perfect). The MAP network has only its softmax to go by; the posteriors add an uncertainty score.",
            Model = "lenet",
            MapTraining = TrainingRecipes.For("lenet") with { Epochs = smoke ? 1 : 3 },
            Data = new TableData("fmnist", 0, "fmnist", "mnist", smoke ? 1200 : 20000, smoke ? 300 : 5000, smoke ? 300 : 5000),
            Methods =
            [
                new MapMethod(null),
                new LastLayerMethod(LaplacePrior.MarginalLikelihood, "Last-layer LA", null) { Evaluation = gaussian },
                new ScallaMethod("scalla-bias", $"ScaLLA-bias (context {ScallaGenerator})", scalla, ScallaGenerator, 1, null) { Evaluation = gaussian },
                new VikingMethod(viking, startFromMap: true, null),
            ],
            Columns =
            [
                new("accuracy", "accuracy"), new("nll", "NLL"), new("ece_15", "ECE (15 bins)"), new("auroc_predictive_entropy", "AUROC (pred. entropy)"),
                new(ReportMetrics.UncertaintyAuroc, "AUROC (posterior's own score)"), new("fit_s", "fit (s)", 1),
            ],
            ExtraColumns =
            [
                new("expected_nll", "expected NLL"), new("brier", "Brier"), new("mce_15", "MCE (15)"), new("auroc_max_probability", "AUROC (max prob.)"),
                new("eval_s", "evaluation (s)", 1),
            ],
            Protocol =
            [
                "Data: the first 20,000 FashionMNIST training images, the first 5,000 test images, the first 5,000 MNIST test images as the OOD set.",
                "MAP: LeNet, 3 epochs of VIKING's recipe (the full tables: 10 epochs on 55,000 images).",
                $"ScaLLA-bias: {scalla.Steps:N0} surrogate steps of {scalla.TrainPoints} + {scalla.ContextPoints} points, K = {scalla.Probes}, m = {scalla.Features} (ScaLLA-bias's defaults, as in the full table), context points generated from the training images alone (`{ScallaGenerator}`: Sobel edge maps of training images, randomly warped; the full table also has `{ScallaContext}`), α = 1; Monte Carlo predictive with {gaussian.Samples} samples (full: 2048).",
                $"VIKING: starts from the MAP network with log σ_im = {viking.InitialLogImageScale:F0} (the reference: −2), {viking.ScaleEpochs} epoch of the scales and {viking.ElboEpochs} of the ELBO (the reference: 5 plain epochs from initialisation, then 5 + 50), {viking.PosteriorSamples} posterior samples (full: 100), {(viking.Adjoint == ProjectionAdjoint.Exact ? "exact adjoint" : "stop-gradient")} through the projection, β = {viking.Beta?.ToString("G3", System.Globalization.CultureInfo.InvariantCulture) ?? "1/(batches per epoch)"} and Adam's rate cosine-annealed over its ELBO epoch, as in the full tables. θ̂ is the MAP network moved by one ELBO epoch, not a network trained for 50 epochs under the posterior's noise as in the full tables.",
                "AUROC (posterior's own score): the Gaussian logit entropy for last-layer LA and ScaLLA, the maximum logit variance over samples for VIKING; the MAP network has none.",
            ],
            Smoke = smoke,
            HighlightMethod = "scalla-bias",
        };
    }
}
