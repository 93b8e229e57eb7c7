using Tangent.Inference.Reports.Methods;
using Tangent.Models.Training;

namespace Tangent.Inference.Reports;

/// <summary>
/// The data of a table, by data set name: the training set (its last <paramref name="Validation"/> examples held out,
/// as <c>tangent train --val</c> does), the test set and the OOD set (their test splits). Limits above 0 take the
/// first N examples (before the validation split), for quick runs.
/// </summary>
/// <param name="Train">Training set name.</param>
/// <param name="Validation">Examples held out from the end of the training set (not used for fitting).</param>
/// <param name="Test">Test set name.</param>
/// <param name="Ood">Out-of-distribution set name.</param>
/// <param name="TrainLimit">Use only the first N training examples (0: all).</param>
/// <param name="TestLimit">Use only the first N test examples (0: all).</param>
/// <param name="OodLimit">Use only the first N OOD examples (0: all).</param>
public sealed record TableData(string Train, int Validation, string Test, string Ood, int TrainLimit = 0, int TestLimit = 0, int OodLimit = 0);

/// <summary>
/// A reproduction table: the MAP network and its recipe, the data, the methods (rows) fitted around it, the paper's
/// table they are compared with, the columns compared, and every known difference of protocol.
/// </summary>
public sealed class ReproductionTable
{
    /// <summary>The name given to <c>tangent reproduce</c> (<c>scalla-fmnist</c>, …).</summary>
    public required string Name { get; init; }

    /// <summary>The report's title.</summary>
    public required string Title { get; init; }

    /// <summary>A paragraph saying what the table measures.</summary>
    public required string Summary { get; init; }

    /// <summary>The MAP network's zoo model.</summary>
    public required string Model { get; init; }

    /// <summary>The model's configuration as <c>key=value;…</c> (e.g. <c>widths=32</c> for an MLP); empty: the zoo's defaults.</summary>
    public string ModelConfig { get; init; } = "";

    /// <summary>How the MAP network is trained when its checkpoint is missing or stale.</summary>
    public required TrainingOptions MapTraining { get; init; }

    /// <summary>The data sets.</summary>
    public required TableData Data { get; init; }

    /// <summary>The rows, MAP first.</summary>
    public required IReadOnlyList<ReproductionMethod> Methods { get; init; }

    /// <summary>The paper's table, or null (the demo).</summary>
    public PaperTable? Paper { get; init; }

    /// <summary>Columns compared with the paper (or, without a paper, the main table's columns).</summary>
    public required IReadOnlyList<ReportColumn> Columns { get; init; }

    /// <summary>Further columns of ours, not in the paper's table.</summary>
    public IReadOnlyList<ReportColumn> ExtraColumns { get; init; } = [];

    /// <summary>Differences from the paper's protocol (or, for the demo, from the full tables), one sentence each.</summary>
    public IReadOnlyList<string> Protocol { get; init; } = [];

    /// <summary>Whether this is a smoke run of the table (tiny schedules and subsets, to check the pipeline; numbers not comparable).</summary>
    public bool Smoke { get; init; }

    /// <summary>The row whose reliability diagram the README shows.</summary>
    public string HighlightMethod { get; init; } = "map";
}
