using System.CommandLine;
using System.Globalization;
using Tangent.Inference.Scalla;
using Tangent.Kernels.Backends;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent fit scalla --map FILE --data NAME --context SET|IDX|GENERATOR [--bias] … --out FILE</c>: trains ScaLLA's
/// surrogate on the MAP network's NTK (docs/scalla.md), builds the feature-space Laplace posterior over the training
/// set and writes a posterior file for <c>tangent evaluate</c>. Defaults are the documented schedule
/// (<see cref="ScallaOptions"/>); <c>--checkpoint</c> saves the training state periodically and resumes from it.
/// </summary>
internal sealed class FitScallaCommand : FitSubcommand
{
    public override Command Create()
    {
        var defaults = new ScallaOptions();
        var biasedDefaults = ScallaOptions.BiasedDefaults;
        var inputs = new FitInputs();
        var context = CliOptions.Text("--context", "SET|IDX|GENERATOR",
            $"context points: a data set ({string.Join(", ", ContextSources.SetNames)}), an IDX image file, or a generator built from the training " +
            $"inputs ({string.Join(", ", ContextGenerators.Names)})", required: true);
        var bias = CliOptions.Flag("--bias", "ScaLLA-bias: zero the target's train × context covariances");
        var features = CliOptions.Int("--features", "surrogate rank m", defaults.Features, 1);
        var probes = CliOptions.Int("--probes", "Rademacher probes K per step (one batched JVP)", defaults.Probes, 1);
        var steps = CliOptions.OptionalInt("--steps", $"training steps (default {defaults.Steps:N0}; {biasedDefaults.Steps:N0} with --bias)", 1);
        var batch = CliOptions.OptionalInt("--batch", $"training points per step, and as many context points (default {defaults.TrainPoints}; {biasedDefaults.TrainPoints} with --bias)", 1);
        var lr = CliOptions.Double("--lr", "peak Adam learning rate", defaults.LearningRate);
        var finalLr = CliOptions.Double("--final-lr", "learning rate at the last step (cosine decay)", defaults.FinalLearningRate);
        var warmup = CliOptions.OptionalInt("--warmup", $"steps of linear warm-up (default {defaults.WarmupSteps}; {biasedDefaults.WarmupSteps} with --bias)", 0);
        var augment = CliOptions.Flag("--augment", "warp, contrast-stretch and gamma-correct every context image at random (the default with --bias)");
        var noAugment = CliOptions.Flag("--no-augment", "use the context images as they are (the default without --bias)");
        var alpha = CliOptions.OptionalDouble("--alpha", "prior precision α of the feature-space posterior (default 1, the reference's)", positive: true);
        var marglik = CliOptions.Flag("--marglik", "choose α by maximising the Laplace evidence instead");
        var checkpoint = CliOptions.Text("--checkpoint", "FILE", "save the training state to FILE periodically, and resume from it if it exists");
        var every = CliOptions.Int("--checkpoint-every", "steps between checkpoints", 500, 1);
        var command = new Command("scalla", "ScaLLA: a surrogate network learns the MAP network's NTK from JVPs; Laplace posterior in its feature space.")
        {
            context, bias, features, probes, steps, batch, lr, finalLr, warmup, augment, noAugment, alpha, marglik, checkpoint, every, inputs.Seed,
        };
        inputs.AddTo(command);
        command.SetAction(p =>
        {
            if (p.GetValue(alpha) is not null && p.GetValue(marglik)) throw new ArgumentException("give --alpha or --marglik, not both.");
            if (p.GetValue(augment) && p.GetValue(noAugment)) throw new ArgumentException("give --augment or --no-augment, not both.");
            var loaded = inputs.Load(p);
            var start = p.GetValue(bias) ? biasedDefaults : defaults;
            int stepCount = p.GetValue(steps) ?? start.Steps, pointCount = p.GetValue(batch) ?? start.TrainPoints;
            var options = start with
            {
                Features = p.GetValue(features),
                Probes = p.GetValue(probes),
                Steps = stepCount,
                TrainPoints = pointCount,
                ContextPoints = pointCount,
                LearningRate = p.GetValue(lr),
                FinalLearningRate = p.GetValue(finalLr),
                WarmupSteps = Math.Min(p.GetValue(warmup) ?? start.WarmupSteps, stepCount - 1),
                AugmentContext = p.GetValue(augment) || (start.AugmentContext && !p.GetValue(noAugment)),
                Seed = (ulong)p.GetValue(inputs.Seed),
            };
            options.Validate();
            double? prior = p.GetValue(marglik) ? null : p.GetValue(alpha) ?? 1;
            string? checkpointPath = p.GetValue(checkpoint);
            OutputFiles.CheckWritable(checkpointPath, "--checkpoint");
            return Run(loaded, p.GetRequiredValue(context), options, prior, checkpointPath, p.GetValue(every), p.GetValue(inputs.DataRoot));
        });
        return command;
    }

    private static int Run(FitInputs.Loaded loaded, string contextSpec, ScallaOptions options, double? alpha, string? checkpointPath, int every, string? root)
    {
        var model = loaded.Model;
        if (model.Network.OutputShape.Rank != 1)
            throw new ArgumentException($"--map '{loaded.MapPath}' holds model '{model.Name}' with outputs {model.Network.OutputShape}; ScaLLA needs a classifier with outputs [C].");
        var context = ContextSources.Resolve(contextSpec, loaded.Train, model.Network.InputShape, options.Seed, root);
        var backend = DeviceSelection.Default();
        bool resuming = checkpointPath != null && File.Exists(checkpointPath);
        Console.WriteLine($"fit scalla around {model.Name} ({model.Network.ParameterCount:N0} parameters, {loaded.MapPath}) on {loaded.Train.Name} " +
                          $"({loaded.Train.Count:N0} examples), context {context.Name}; device {backend.Info.Name}");
        Console.WriteLine($"  {options}{(resuming ? $"; resuming from {checkpointPath}" : "")}");
        int report = Math.Max(options.Steps / 20, 1);
        var result = ConsoleProgress.Run(progress =>
        {
            var bar = progress.Start("surrogate", options.Steps);
            try
            {
                var fit = ScallaFit.Run(model, loaded.Parameters, loaded.State, loaded.Train, context, options, alpha, backend, s =>
                {
                    bar.Report(s.Step, $"surrogate loss {s.Loss:G4}");
                    if (s.Step % report < options.LogInterval || s.Step == s.TotalSteps)
                        progress.Line($"  step {s.Step,7:N0}/{s.TotalSteps:N0}  loss {s.Loss,10:G4}  lr {s.LearningRate:G3}  {s.PointProbeJvps:N0} point-probe JVPs  " +
                                      $"elapsed {Clock(s.Elapsed)}  ETA {Clock(s.Remaining)}");
                }, checkpointPath, every, resume: true);
                bar.Finish();
                return fit;
            }
            catch (SurrogateDivergedException e)
            {
                throw new InvalidOperationException(e.Message);
            }
        });
        using var posterior = result.Posterior;
        Console.WriteLine($"surrogate: {options.Steps:N0} steps, {options.PointProbeJvps:N0} point-probe JVPs, {Clock(TimeSpan.FromSeconds(result.TrainingSeconds))}; " +
                          $"posterior over {result.Precision.Count:N0} training inputs in {result.PosteriorSeconds:F1} s");
        Console.WriteLine($"  α = {result.Covariance.Alpha:G4}" + (result.Evidence is { } ev ? $" (evidence maximum; log evidence {ev.LogEvidence:G6}, at α = 1: {ev.LogEvidenceAtOne:G6})" : "") +
                          (result.Covariance.Jitter > 0 ? $"; Cholesky needed jitter {result.Covariance.Jitter:G3}" : ""));
        FitInputs.Save(loaded, posterior, options.Seed, new Dictionary<string, object?>
        {
            ["context"] = context.Name,
            ["options"] = options,
            ["point_probe_jvps"] = options.PointProbeJvps,
            ["training_seconds"] = result.TrainingSeconds,
            ["posterior_seconds"] = result.PosteriorSeconds,
            ["alpha"] = result.Covariance.Alpha,
            ["jitter"] = result.Covariance.Jitter,
            ["log_evidence"] = result.Evidence?.LogEvidence,
            ["effective_parameters"] = result.Evidence?.EffectiveParameters,
            ["training_log_likelihood"] = result.Precision.LogLikelihood,
            ["loss_curve"] = result.Curve.Select(c => new { step = c.Step, loss = c.Loss, lr = c.LearningRate, seconds = c.Seconds }).ToList(),
        });
        return 0;
    }

    private static string Clock(TimeSpan t) => t.TotalHours >= 1 ? t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture) : t.ToString(@"m\:ss", CultureInfo.InvariantCulture);
}
