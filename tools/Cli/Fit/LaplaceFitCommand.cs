using System.CommandLine;
using System.Globalization;
using Tangent.Inference.Laplace;
using Tangent.Inference.Numerics;
using Tangent.Inference.Posteriors;
using Tangent.Kernels.Backends;
using Tangent.Models.Zoo;

namespace Tangent.Cli;

/// <summary>What a Laplace fit produced: the posterior and how its prior precision was chosen.</summary>
internal sealed record LaplaceFitResult(IPosterior Posterior, double Precision, bool Optimised, double LogMarginalLikelihood, CholeskyOutcome Jitter,
    IReadOnlyList<EvidencePoint> EvidenceCurve);

/// <summary>
/// The Laplace methods' shared subcommand (<c>fit last-layer</c>, <c>fit lla</c>): the <see cref="FitInputs"/> options,
/// <c>--prior-precision X</c> or <c>--marglik</c> (the default), <c>--batch</c>; a progress bar over the training pass,
/// α (and the evidence at it) and any jitter reported, the posterior file and JSON written. A method gives its name,
/// which parameters it covers, and the library call.
/// </summary>
internal abstract class LaplaceFitCommand : FitSubcommand
{
    protected abstract string Name { get; }

    protected abstract string Description { get; }

    /// <summary>How many parameters the posterior covers and which (checked before the data are read: throws when the model is unsuitable).</summary>
    protected abstract (int Parameters, string Which) Scope(ZooModel model);

    /// <summary>The library's fit.</summary>
    protected abstract LaplaceFitResult Fit(FitInputs.Loaded loaded, LaplaceOptions options, Backend backend, Action<LaplaceProgress> progress);

    public override Command Create()
    {
        var inputs = new FitInputs();
        var precision = CliOptions.OptionalDouble("--prior-precision", "fixed prior precision α of the prior N(0, α⁻¹I)", positive: true);
        var marglik = CliOptions.Flag("--marglik", "choose α by maximising the marginal likelihood (the default)");
        var batch = CliOptions.Int("--batch", "training examples per pass (memory only; the result does not depend on it)", 256, 1);
        var command = new Command(Name, Description);
        inputs.AddTo(command);
        command.Options.Add(precision);
        command.Options.Add(marglik);
        command.Options.Add(batch);
        command.Validators.Add(r =>
        {
            if (r.GetResult(precision) is { Implicit: false } && r.GetResult(marglik) is { Implicit: false })
                r.AddError("--prior-precision and --marglik exclude each other: give a fixed α or let the marginal likelihood choose it.");
        });
        command.SetAction(p =>
        {
            var prior = p.GetValue(precision) is { } alpha ? LaplacePrior.Fixed(alpha) : LaplacePrior.MarginalLikelihood;
            var loaded = inputs.Load(p);
            var (parameters, which) = Scope(loaded.Model);
            Console.WriteLine($"{which}: {parameters:N0} parameters; prior " +
                              (prior.Precision is { } a ? $"α = {a.ToString("G6", CultureInfo.InvariantCulture)}" : "by marginal likelihood"));
            var backend = DeviceSelection.Default();
            var result = ConsoleProgress.Run(progress =>
            {
                var bar = progress.Start("GGN over the training set", loaded.Train.Count);
                var fit = Fit(loaded, new LaplaceOptions(prior, p.GetValue(batch)), backend, e => bar.Report(e.Done));
                bar.Finish();
                return fit;
            });
            using var posterior = result.Posterior;
            Report(result);
            FitInputs.Save(loaded, posterior, 0, new Dictionary<string, object?>
            {
                ["posterior_parameters"] = parameters,
                ["prior_precision"] = result.Precision,
                ["prior"] = result.Optimised ? "marglik" : "fixed",
                ["log_marginal_likelihood"] = result.LogMarginalLikelihood,
                ["evidence_curve"] = result.EvidenceCurve.Select(e => new Dictionary<string, double>
                {
                    ["prior_precision"] = e.Precision, ["log_marginal_likelihood"] = e.LogMarginalLikelihood,
                }).ToList(),
                ["jitter"] = result.Jitter.Jitter,
            });
            return 0;
        });
        return command;
    }

    private static void Report(LaplaceFitResult r)
    {
        string alpha = r.Precision.ToString("G6", CultureInfo.InvariantCulture), evidence = r.LogMarginalLikelihood.ToString("F2", CultureInfo.InvariantCulture);
        Console.WriteLine(r.Optimised
            ? $"prior precision α* = {alpha} (maximum of the marginal likelihood, log p(D | α*) = {evidence})"
            : $"prior precision α = {alpha} (fixed; log p(D | α) = {evidence})");
        if (r.Jitter.Jitter > 0)
            Console.WriteLine($"H + αI was not positive definite as computed: added {r.Jitter.Jitter.ToString("G3", CultureInfo.InvariantCulture)} " +
                              $"({r.Jitter.RelativeJitter.ToString("G3", CultureInfo.InvariantCulture)} of its mean diagonal) to the diagonal");
    }
}
