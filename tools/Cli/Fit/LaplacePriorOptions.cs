using System.CommandLine;
using System.Globalization;
using Tangent.Inference.Laplace;

namespace Tangent.Cli;

/// <summary>
/// The prior options of the Laplace methods (<c>fit last-layer</c>, <c>fit lla</c>): <c>--prior-precision X</c> or
/// <c>--marglik</c> (the default), and how the chosen α is reported.
/// </summary>
internal sealed class LaplacePriorOptions
{
    public Option<double?> Precision { get; } = CliOptions.OptionalDouble("--prior-precision", "fixed prior precision α of N(0, α⁻¹I)", positive: true);
    public Option<bool> Marglik { get; } = CliOptions.Flag("--marglik", "choose α by maximising the marginal likelihood (the default)");

    /// <summary>Adds both options and the rule that they exclude each other.</summary>
    public void AddTo(Command command)
    {
        command.Options.Add(Precision);
        command.Options.Add(Marglik);
        command.Validators.Add(r =>
        {
            if (r.GetResult(Precision) is { Implicit: false } && r.GetResult(Marglik) is { Implicit: false })
                r.AddError("--prior-precision and --marglik exclude each other: give a fixed α or let the marginal likelihood choose it.");
        });
    }

    public LaplacePrior Read(ParseResult p) => p.GetValue(Precision) is { } alpha ? LaplacePrior.Fixed(alpha) : LaplacePrior.MarginalLikelihood;

    /// <summary>Prints α (and the evidence at it) and any jitter the factorisation needed.</summary>
    public static void Report(double precision, bool optimised, double logEvidence, double jitter, double relativeJitter)
    {
        string alpha = precision.ToString("G6", CultureInfo.InvariantCulture);
        Console.WriteLine(optimised
            ? $"prior precision α* = {alpha} (maximum of the marginal likelihood, log p(D | α*) = {logEvidence.ToString("F2", CultureInfo.InvariantCulture)})"
            : $"prior precision α = {alpha} (fixed; log p(D | α) = {logEvidence.ToString("F2", CultureInfo.InvariantCulture)})");
        if (jitter > 0)
            Console.WriteLine($"H + αI was not positive definite as computed: added jitter {jitter.ToString("G3", CultureInfo.InvariantCulture)} " +
                              $"({relativeJitter.ToString("G3", CultureInfo.InvariantCulture)} of its mean diagonal) to the diagonal");
    }

    /// <summary>The JSON details of a Laplace fit: α, how it was chosen, the evidence and its curve around α*.</summary>
    public static Dictionary<string, object?> Details(double precision, bool optimised, double logEvidence, IReadOnlyList<EvidencePoint> curve,
        int parameters) => new()
    {
        ["posterior_parameters"] = parameters,
        ["prior_precision"] = precision,
        ["prior"] = optimised ? "marglik" : "fixed",
        ["log_marginal_likelihood"] = logEvidence,
        ["evidence_curve"] = curve.Select(e => new Dictionary<string, double> { ["prior_precision"] = e.Precision, ["log_marginal_likelihood"] = e.LogMarginalLikelihood }).ToList(),
    };
}
