using System.Globalization;
using Tangent.Inference.Evaluation;
using Tangent.Inference.Posteriors;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Reports.Methods;

/// <summary>What a method's fit gets: the MAP network, the training data, the seed, where to keep a resume file, and where to report.</summary>
public sealed class FitContext
{
    /// <summary>The MAP network's model.</summary>
    public required ZooModel Model { get; init; }

    /// <summary>θ* of the MAP network.</summary>
    public required float[] Parameters { get; init; }

    /// <summary>The MAP network's state (empty without batch norm).</summary>
    public required float[] State { get; init; }

    /// <summary>The training set (the split the MAP network was trained on).</summary>
    public required DataSet Train { get; init; }

    /// <summary>The run's seed for this row.</summary>
    public required ulong Seed { get; init; }

    /// <summary>Where the fit runs.</summary>
    public required Backend Backend { get; init; }

    /// <summary>The data root for methods that load further sets (ScaLLA's context set); null: the default.</summary>
    public string? DataRoot { get; init; }

    /// <summary>A file the method may use to checkpoint and resume its fit (deleted by the pipeline when the step is stale).</summary>
    public required string ResumePath { get; init; }

    /// <summary>Progress: fraction done in [0, 1] and a short status text.</summary>
    public Action<double, string> Progress { get; init; } = (_, _) => { };

    /// <summary>Log lines worth keeping (phase changes, warnings).</summary>
    public Action<string> Log { get; init; } = _ => { };

    /// <summary>Stops the fit.</summary>
    public CancellationToken Cancel { get; init; }
}

/// <summary>
/// One row of a reproduction table: a method fitted around the MAP network (or the MAP network itself), how it is
/// evaluated, and the paper row it is compared with. Every method calls its library entry point; nothing here
/// re-implements a method.
/// </summary>
public abstract class ReproductionMethod(string key, string label, string? paperRow)
{
    /// <summary>Short name used in file names and results.json (<c>map</c>, <c>last-layer</c>, <c>viking</c>, …).</summary>
    public string Key { get; } = key;

    /// <summary>The row's label in the report.</summary>
    public string Label { get; } = label;

    /// <summary>The paper's row this one is compared with, or null.</summary>
    public string? PaperRow { get; } = paperRow;

    /// <summary>How its posterior is evaluated (predictive, Monte Carlo samples, bins).</summary>
    public EvaluationOptions Evaluation { get; init; } = new() { Bins = [15] };

    /// <summary>False for the MAP row, whose "posterior" is the checkpoint itself.</summary>
    public virtual bool NeedsFit => true;

    /// <summary>Whether the fit starts from the MAP network (VIKING trains its own unless told to start there).</summary>
    public virtual bool UsesMap => true;

    /// <summary>Everything the fit's result depends on besides the data and the MAP, as <c>key=value</c> pairs separated by ';'.</summary>
    public abstract string Settings(ulong seed);

    /// <summary>One line for the report: the settings that matter to a reader.</summary>
    public abstract string Description { get; }

    /// <summary>Fits the posterior. Throws with a one-line message on failure.</summary>
    public abstract IPosterior Fit(FitContext context);

    /// <summary><c>k=v;k=v</c> of <paramref name="pairs"/>, numbers in the invariant culture (round-trip).</summary>
    protected static string Fingerprint(params (string Key, object? Value)[] pairs) =>
        string.Join(';', pairs.Select(p => $"{p.Key}={Text(p.Value)}"));

    private static string Text(object? value) => value switch
    {
        null => "none",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
