using System.Globalization;

namespace Tangent.Inference.Projection;

/// <summary>
/// Counts projections and flags those that did not converge: a solver breakdown, a non-finite residual, or a relative
/// residual ‖J Pε‖/‖J ε‖ above <see cref="ResidualLimit"/> (fixed-step CG has no tolerance of its own, so this is
/// the line past which a projection is reported). Each flagged projection is written to the log (the first
/// <see cref="LoggedLimit"/> of them one by one, then only counted) and still used: the counts go into the result.
/// </summary>
/// <param name="residualLimit">Relative residual above which a projection counts as not converged.</param>
/// <param name="log">Where flagged projections are reported (null: nowhere).</param>
public sealed class ProjectionTally(double residualLimit, Action<string>? log = null)
{
    /// <summary>How many flagged projections are logged one by one.</summary>
    public const int LoggedLimit = 20;

    private double _residualSum;

    /// <summary>The relative residual above which a projection counts as not converged.</summary>
    public double ResidualLimit { get; } = residualLimit;

    /// <summary>Projections counted.</summary>
    public long Projections { get; private set; }

    /// <summary>Projections that did not converge.</summary>
    public long NotConverged { get; private set; }

    /// <summary>Largest finite relative residual seen.</summary>
    public double MaxResidual { get; private set; }

    /// <summary>Mean finite relative residual.</summary>
    public double MeanResidual => Projections == 0 ? 0 : _residualSum / Projections;

    /// <summary>
    /// Counts one projection; "<paramref name="where"/> <paramref name="position"/>" (e.g. "ELBO epoch 3, step"
    /// and 41) names it in the log line when it did not converge.
    /// </summary>
    public void Add(ProjectionOutcome outcome, string where, long position)
    {
        Projections++;
        if (double.IsFinite(outcome.Residual))
        {
            _residualSum += outcome.Residual;
            MaxResidual = Math.Max(MaxResidual, outcome.Residual);
        }
        bool ok = outcome.Breakdown == Engine.Linalg.SolverBreakdown.None && outcome.Residual <= ResidualLimit;
        if (ok) return;
        NotConverged++;
        if (NotConverged > LoggedLimit || log == null) return;
        string breakdown = outcome.Breakdown != Engine.Linalg.SolverBreakdown.None ? $", breakdown {outcome.Breakdown}" : "";
        string more = NotConverged == LoggedLimit ? " (further ones are only counted)" : "";
        log(string.Create(CultureInfo.InvariantCulture,
            $"projection not converged at {where} {position}: relative residual {outcome.Residual:E2} after {outcome.Iterations} iterations{breakdown}{more}"));
    }

    /// <summary>Restores counts from a checkpoint.</summary>
    public void Restore(long projections, long notConverged, double residualSum, double maxResidual)
    {
        Projections = projections;
        NotConverged = notConverged;
        _residualSum = residualSum;
        MaxResidual = maxResidual;
    }

    /// <summary>Sum of the finite residuals (for checkpoints).</summary>
    public double ResidualSum => _residualSum;
}
