using System.CommandLine;
using System.Globalization;
using Tangent.Engine.Linalg;
using Tangent.Inference.Evaluation;
using Tangent.Inference.Metrics;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Projection;
using Tangent.Inference.Viking;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent fit viking --model M --data D [--schedule 5,5,50] [--gamma 0.2] [--beta X] [--adjoint exact|stop]
/// [--samples 100] [--seed N] --out F</c>: VIKING (METHODS.md §3) trained from scratch with the reference's
/// three-phase schedule on the training part of D's train split (55,000 of MNIST's and FashionMNIST's 60,000; the
/// rest is the validation part, evaluated at the end). Tabular regression sets are standardised with the training
/// part's statistics and reported in the targets' units (RMSE, Gaussian NLL). <c>--checkpoint</c> makes the fit
/// resumable: rerunning the same command continues bit-identically from the last finished epoch.
/// </summary>
internal sealed class FitVikingCommand : FitSubcommand
{
    private static readonly Dictionary<string, ProjectionAdjoint> Adjoints = new() { ["stop"] = ProjectionAdjoint.Stop, ["exact"] = ProjectionAdjoint.Exact };
    internal static readonly Dictionary<string, ProjectionSolver> Solvers = new() { ["dense"] = ProjectionSolver.Dense, ["cg"] = ProjectionSolver.FixedStepConjugateGradient };
    private static readonly Dictionary<string, ElboLearningRate> LrSchedules = new() { ["constant"] = ElboLearningRate.Constant, ["cosine"] = ElboLearningRate.Cosine };
    private static readonly Dictionary<string, KernelJacobian> Jacobians = new() { ["loss"] = KernelJacobian.Loss, ["output"] = KernelJacobian.Output };

    public override Command Create()
    {
        var defaults = new VikingOptions();
        var model = CliOptions.Name("--model", "model", $"zoo model: {string.Join(", ", ModelZoo.Names)}", ModelZoo.Names);
        var config = CliOptions.Text("--config", "k=v;...", "model configuration (e.g. 'widths=50;activation=tanh' for an mlp)");
        var data = CliOptions.Data("data set whose train split is fitted on (its training part) and checked on (its validation part)");
        var root = CliOptions.DataRoot();
        var validation = CliOptions.OptionalInt("--validation", "examples held out of the train split (default 5,000 of 60,000; else a twelfth)", 1);
        var init = CliOptions.Text("--init", "FILE", "start from this checkpoint's parameters instead of the initialisation");
        var schedule = CliOptions.Text("--schedule", "P,S,E", $"epochs of plain training, of the scales alone and of the full ELBO (default {defaults.Schedule})");
        var gamma = CliOptions.Double("--gamma", "mixing γ of the stochastic alternating projections", defaults.Gamma);
        var beta = CliOptions.OptionalDouble("--beta", $"weight β of the KL in Σ_batch ℓ + β·KL (default {VikingOptions.ClassificationBeta.ToString(CultureInfo.InvariantCulture)} for classification, chosen on MNIST's validation split; 1/(batches per epoch), the full-data ELBO, for regression; the reference scripts use 0.01)");
        var adjoint = CliOptions.Choice("--adjoint", "gradient through the projection: stop-gradient or the exact adjoint", defaults.Adjoint, Adjoints);
        var jacobian = CliOptions.OptionalChoice("--jacobian", "whose kernel: the loss's (default for classification) or the outputs' (GGN; default for regression)", Jacobians);
        var solver = CliOptions.Choice("--solver", "the one-vector projections of the steps and passes: 'dense' (the batch's per-example gradients, JJᵀ factored: exact) or 'cg' (10 reorthogonalised CG steps, the reference's)", defaults.Solver, Solvers);
        var posteriorSolver = CliOptions.Choice("--posterior-solver", "the final posterior pass over S vectors: 'dense' (rows once per batch, then GEMMs) or 'cg' (block CG)", defaults.PosteriorSolver, Solvers);
        var samples = CliOptions.Int("--samples", "posterior samples S kept for prediction", defaults.PosteriorSamples, 1);
        var batch = CliOptions.Int("--batch", "examples per step and per projection", defaults.BatchSize, 1);
        var lr = CliOptions.OptionalDouble("--lr", $"Adam's learning rate in every phase (default {defaults.LearningRate})", positive: true);
        var lrSchedule = CliOptions.OptionalChoice("--lr-schedule", "Adam's learning rate over the full-ELBO phase: constant (the reference's) or cosine-annealed to zero (default cosine for classification, constant for regression)", LrSchedules);
        var noise = CliOptions.OptionalDouble("--noise-variance", "regression: Gaussian noise variance in standardised units (default: the mean squared residual after phase 1)", positive: true);
        var linearized = CliOptions.Flag("--linearized", "predict through the network linearised at θ̂ (default: through the network)");
        var seed = CliOptions.Int("--seed", "seed of the initialisation, data order and every random draw", 0, 0);
        var checkpoint = CliOptions.Text("--checkpoint", "FILE", "resume file: continued from when present, written after every epoch");
        var output = CliOptions.Text("--out", "FILE", "posterior file to write (safetensors; read by 'tangent evaluate')", required: true);
        var json = CliOptions.Json();
        var command = new Command(VikingPosterior.MethodName,
            "VIKING: variational inference with kernel and image covariance of the loss Jacobian, trained from scratch; S sampled networks.");
        foreach (var o in new Option[] { model, config, data, root, validation, init, schedule, gamma, beta, adjoint, solver, posteriorSolver, jacobian, samples, batch, lr, lrSchedule, noise,
                     linearized, seed, checkpoint, output, json })
            command.Options.Add(o);
        command.SetAction(p =>
        {
            var (plain, scales, elbo) = ParseSchedule(p.GetValue(schedule) ?? defaults.Schedule);
            var options = defaults with
            {
                PlainEpochs = plain, ScaleEpochs = scales, ElboEpochs = elbo, Gamma = p.GetValue(gamma), Beta = p.GetValue(beta),
                Adjoint = p.GetValue(adjoint), Solver = p.GetValue(solver), PosteriorSolver = p.GetValue(posteriorSolver), PosteriorSamples = p.GetValue(samples), BatchSize = p.GetValue(batch),
                LearningRate = p.GetValue(lr) ?? defaults.LearningRate, NoiseVariance = p.GetValue(noise), Linearized = p.GetValue(linearized),
                Seed = (ulong)p.GetValue(seed),
            };
            if (!(options.Gamma <= 1)) throw new ArgumentException($"--gamma must lie in [0, 1], got {options.Gamma.ToString(CultureInfo.InvariantCulture)}.");
            return Run(p.GetRequiredValue(model), p.GetValue(config), p.GetRequiredValue(data), p.GetValue(root), p.GetValue(validation), p.GetValue(init),
                options, p.GetValue(jacobian), p.GetValue(lrSchedule), p.GetValue(checkpoint), p.GetRequiredValue(output), p.GetValue(json));
        });
        return command;
    }

    private static int Run(string modelName, string? config, string dataName, string? root, int? heldOut, string? initPath, VikingOptions options,
        KernelJacobian? jacobian, ElboLearningRate? lrSchedule, string? checkpoint, string outPath, string? json)
    {
        options.Validate();
        OutputFiles.CheckWritable(outPath, "--out");
        OutputFiles.CheckWritable(json, "--json");
        OutputFiles.CheckWritable(checkpoint, "--checkpoint");
        var all = DataSets.Load(dataName, DataSplit.Train, root);
        int hold = heldOut ?? (all.Count == 60_000 ? 5_000 : Math.Max(all.Count / 12, 1));
        if (hold >= all.Count) throw new ArgumentException($"--validation {hold} leaves no training examples of {all.Count}.");
        var (train, validation) = all.Split(all.Count - hold, (ulong)options.Seed);
        Standardization? scaling = null;
        if (train.SampleShape.Rank == 1)
        {
            scaling = Standardization.Fit(train);
            (train, validation) = (scaling.Apply(train), scaling.Apply(validation));
        }
        var modelConfig = ModelConfig.Parse(config);
        modelConfig.Input ??= train.SampleShape;
        modelConfig.Classes = train.IsClassification ? train.ClassCount : train.TargetSize;
        var zoo = ModelZoo.Create(modelName, modelConfig);
        float[]? initial = null;
        if (initPath != null)
        {
            var (m, theta, _, _) = Inputs.LoadCheckpoint(initPath, "--init");
            if (m.Name != zoo.Name || theta.Length != zoo.Network.ParameterCount)
                throw new ArgumentException($"--init '{initPath}' holds model {m.Name} with {theta.Length} parameters, not {zoo.Name} with {zoo.Network.ParameterCount}.");
            initial = theta;
        }
        // Classification takes VikingOptions.Classification's β and rate schedule unless given; regression the full-data ELBO's.
        options = options with
        {
            Jacobian = jacobian ?? (train.IsClassification ? KernelJacobian.Loss : KernelJacobian.Output),
            Beta = options.Beta ?? (train.IsClassification ? VikingOptions.Classification.Beta : null),
            ElboSchedule = lrSchedule ?? (train.IsClassification ? VikingOptions.Classification.ElboSchedule : ElboLearningRate.Constant),
        };
        options.Validate();
        var backend = DeviceSelection.Default();
        Console.WriteLine($"VIKING on {zoo.Name} ({zoo.Network.ParameterCount:N0} parameters), {train.Name}: {train.Count:N0} training and {validation.Count:N0} validation examples; device {backend.Info.Name}");
        Console.WriteLine($"  schedule {options.Schedule}, batch {options.BatchSize}, Adam {Text(options.LearningRate)}{(options.ElboSchedule == ElboLearningRate.Cosine ? " (cosine over the ELBO phase)" : "")}, γ {Text(options.Gamma)}, β {options.BetaFor(train.Count).ToString("G4", CultureInfo.InvariantCulture)}{(options.Beta is null ? " (1/batches)" : "")}, " +
                          $"{(options.Adjoint == ProjectionAdjoint.Exact ? "exact adjoint" : "stop-gradient")}, {(options.Solver == ProjectionSolver.Dense ? "dense projections" : $"{options.ProjectionSteps}-step CG projections")} ({(options.PosteriorSolver == ProjectionSolver.Dense ? "dense" : "CG")} for the posterior), {options.Jacobian.ToString().ToLowerInvariant()} Jacobian, " +
                          $"S = {options.PosteriorSamples}, seed {options.Seed}");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var posterior = ConsoleProgress.Run(progress =>
        {
            var bar = progress.Start("VIKING", 1);
            var trainer = new VikingTrainer(backend, options)
            {
                CheckpointPath = checkpoint,
                Validation = validation,
                Log = progress.Line,
                ProgressInterval = ConsoleProgress.Live ? 20 : 0,
                Progress = r => Report(r, progress, bar),
            };
            var fitted = trainer.Fit(zoo, train, initial);
            bar.Finish();
            return fitted;
        });
        double seconds = clock.Elapsed.TotalSeconds;
        var details = Validate(posterior, validation, scaling, backend);
        var provenance = new PosteriorProvenance(dataName, options.Seed, seconds, new Dictionary<string, string> { ["validation_examples"] = Text(validation.Count) });
        PosteriorFile.Save(outPath, posterior, provenance);
        Console.WriteLine($"fit in {seconds.ToString("F1", CultureInfo.InvariantCulture)} s ({posterior.Hyperparameters["adjoint"]} adjoint); wrote {outPath}");
        if (json != null)
        {
            var doc = new Dictionary<string, object?>
            {
                ["method"] = posterior.Method, ["model"] = zoo.Name, ["data"] = dataName, ["train_examples"] = train.Count,
                ["validation_examples"] = validation.Count, ["out"] = outPath, ["seconds"] = seconds, ["hyperparameters"] = posterior.Hyperparameters,
                ["validation"] = details,
            };
            OutputFiles.WriteText(json, System.Text.Json.JsonSerializer.Serialize(doc, new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
            Console.WriteLine($"wrote {json}");
        }
        return 0;
    }

    /// <summary>The validation part's metrics: the inference core's for classification, RMSE and Gaussian NLL in the targets' units for regression.</summary>
    private static Dictionary<string, double> Validate(VikingPosterior posterior, DataSet validation, Standardization? scaling, Backend backend)
    {
        if (validation.IsClassification)
        {
            var r = Evaluator.Run(posterior, validation, null, new EvaluationOptions { Bins = [15, 100] }, backend);
            Console.WriteLine($"validation ({validation.Count:N0}): accuracy {r.Accuracy:F4}, NLL {r.Nll:F4}, expected-log-likelihood NLL {r.ExpectedNll:F4}, " +
                              $"ECE(15) {r.Calibration[0].Ece:F4}, ECE(100) {r.Calibration[1].Ece:F4}");
            return new Dictionary<string, double>
            {
                ["accuracy"] = r.Accuracy, ["nll"] = r.Nll, ["expected_nll"] = r.ExpectedNll ?? double.NaN, ["ece15"] = r.Calibration[0].Ece,
                ["ece100"] = r.Calibration[1].Ece,
            };
        }
        var prediction = posterior.Predict(validation.Inputs, validation.Count, 0);
        var scale = scaling?.TargetScale ?? [];
        double noise = double.Parse(posterior.Hyperparameters["noise_variance"], CultureInfo.InvariantCulture);
        double rmse = RegressionMetrics.Rmse(prediction.Samples!, prediction.SampleCount, validation.Targets!, scale);
        double nll = RegressionMetrics.GaussianNll(prediction.Samples!, prediction.SampleCount, validation.Targets!, validation.TargetSize, noise, scale);
        Console.WriteLine($"validation ({validation.Count:N0}): RMSE {rmse:G4}, Gaussian NLL {nll:F4} (targets' units)");
        return new Dictionary<string, double> { ["rmse"] = rmse, ["gaussian_nll"] = nll };
    }

    private static void Report(VikingProgress r, ConsoleProgress progress, ConsoleProgress.Bar bar)
    {
        if (r.Phase == VikingPhase.Posterior)
        {
            bar.Report((double)r.Step / r.Steps, $"posterior samples: batch {r.Step}/{r.Steps}");
            if (r.EndOfEpoch) progress.Line($"posterior samples projected over {r.Steps} batches, not converged so far {r.NotConverged} [{r.Elapsed:hh\\:mm\\:ss}]");
            return;
        }
        string phase = r.Phase switch { VikingPhase.Plain => "plain", VikingPhase.Scales => "scales", _ => "ELBO" };
        string text = r.Phase == VikingPhase.Plain
            ? $"{phase} {r.Epoch}/{r.Epochs}: loss {r.ExpectedNll:F4}" + (double.IsNaN(r.Accuracy) ? "" : $", accuracy {r.Accuracy:F4}")
            : $"{phase} {r.Epoch}/{r.Epochs}: E[NLL] {r.ExpectedNll:F4}, KL {r.Kl:G4}, σ_ker {r.SigmaKernel:G3}, σ_im {r.SigmaImage:G3}, R/P {r.KernelFraction:F4}" +
              (double.IsNaN(r.Accuracy) ? "" : $", sample accuracy {r.Accuracy:F4}") + $", residual {r.MeanResidual:E1}, not converged {r.NotConverged}";
        if (r.Validation is { } v) text += $"; θ̂ on validation: accuracy {v.Accuracy:F4}, NLL {v.Nll:F4}";
        bar.Report((double)r.Step / r.Steps, $"{phase} epoch {r.Epoch}/{r.Epochs}");
        if (r.EndOfEpoch) progress.Line($"{text} [{r.Elapsed:hh\\:mm\\:ss}]");
    }

    private static (int, int, int) ParseSchedule(string text)
    {
        var parts = text.Split(',');
        if (parts.Length == 3 && parts.All(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
        {
            var v = parts.Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray();
            return (v[0], v[1], v[2]);
        }
        throw new ArgumentException($"--schedule needs three non-negative epoch counts 'plain,scales,elbo' (e.g. 5,5,50), got '{text}'.");
    }

    private static string Text(double v) => v.ToString("G", CultureInfo.InvariantCulture);
}
