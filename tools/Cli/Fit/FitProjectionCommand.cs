using System.CommandLine;
using System.Globalization;
using Tangent.Engine.Linalg;
using Tangent.Inference.Projection;
using Tangent.Kernels.Backends;

namespace Tangent.Cli;

/// <summary>
/// <c>tangent fit projection --map F --data D [--alpha X|auto] --out F</c>: Miani et al.'s projection posterior
/// (METHODS.md §4) around a MAP checkpoint: S prior samples projected onto the kernel of the whole training set's
/// loss Jacobian by alternating projections, α given or α* = ‖θ*‖²/(P − tr P); linearised predictions by default.
/// </summary>
internal sealed class FitProjectionCommand : FitSubcommand
{
    private static readonly Dictionary<string, KernelJacobian> Jacobians = new() { ["loss"] = KernelJacobian.Loss, ["output"] = KernelJacobian.Output };

    public override Command Create()
    {
        var defaults = new ProjectionOptions();
        var inputs = new FitInputs();
        var alpha = CliOptions.Text("--alpha", "X|auto", "prior precision α, or 'auto' for α* = ‖θ*‖²/(P − tr P) (the default)");
        var samples = CliOptions.Int("--samples", "posterior samples S", defaults.Samples, 1);
        var passes = CliOptions.Int("--passes", "alternating-projection passes over the training set", defaults.Passes, 1);
        var batch = CliOptions.Int("--batch", "examples per projection", defaults.BatchSize, 1);
        var jacobian = CliOptions.Choice("--jacobian", "whose kernel: the loss's or the outputs' (GGN)", defaults.Jacobian, Jacobians);
        var solver = CliOptions.Choice("--solver", "each kernel projection: 'dense' (explicit batch Jacobian rows, JJᵀ factored: exact) or 'cg' (10 reorthogonalised CG steps, the reference's)", defaults.Solver, FitVikingCommand.Solvers);
        var network = CliOptions.Flag("--network", "predict through the network itself instead of its linearisation at θ*");
        var command = new Command(ProjectionPosterior.MethodName,
            "Projection posterior (Miani et al.): N(θ*, α⁻¹P_ker) around a MAP checkpoint by alternating projections; S sampled networks.");
        inputs.AddTo(command);
        foreach (var o in new Option[] { inputs.Seed, alpha, samples, passes, batch, jacobian, solver, network }) command.Options.Add(o);
        command.SetAction(p =>
        {
            double? a = ParseAlpha(p.GetValue(alpha));
            var options = defaults with
            {
                Alpha = a, Samples = p.GetValue(samples), Passes = p.GetValue(passes), BatchSize = p.GetValue(batch), Jacobian = p.GetValue(jacobian), Solver = p.GetValue(solver),
                Linearized = !p.GetValue(network), Seed = (ulong)p.GetValue(inputs.Seed),
            };
            options.Validate();
            var loaded = inputs.Load(p);
            var backend = DeviceSelection.Default();
            using var posterior = ConsoleProgress.Run(progress =>
            {
                var bar = progress.Start("alternating projections", 1);
                var fit = ProjectionPosterior.Fit(loaded.Model, loaded.Parameters, loaded.Train, options, backend, progress.Line,
                    progress: (done, total) => bar.Report((double)done / total, $"alternating projections: batch {done}/{total}"));
                bar.Finish();
                return fit;
            });
            Console.WriteLine($"α = {posterior.Alpha.ToString("G6", CultureInfo.InvariantCulture)} ({posterior.Hyperparameters["alpha_source"]}), " +
                              $"tr P ≈ {posterior.Hyperparameters["trace_estimate"]} of {loaded.Model.Network.ParameterCount:N0}, " +
                              $"{posterior.Hyperparameters["projections_not_converged"]} of {posterior.Hyperparameters["projections"]} projections not converged");
            FitInputs.Save(loaded, posterior, options.Seed);
            return 0;
        });
        return command;
    }

    private static double? ParseAlpha(string? text)
    {
        if (text is null || text.Equals("auto", StringComparison.OrdinalIgnoreCase)) return null;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v > 0 && double.IsFinite(v)) return v;
        throw new ArgumentException($"--alpha needs a positive number or 'auto', got '{text}'.");
    }
}
