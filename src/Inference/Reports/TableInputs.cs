using Tangent.Models.Data;

namespace Tangent.Inference.Reports;

/// <summary>The data sets of a table, loaded once per run (before any step, so a missing file stops the run at once).</summary>
/// <param name="Train">What the MAP network and every method are fitted on.</param>
/// <param name="Validation">The held-out end of the training set, or null.</param>
/// <param name="Test">The in-distribution test set.</param>
/// <param name="Ood">The out-of-distribution set (its labels are not used).</param>
public sealed record TableInputs(DataSet Train, DataSet? Validation, DataSet Test, DataSet Ood)
{
    /// <summary>Loads <paramref name="data"/> through <paramref name="load"/>, applying its limits and validation split.</summary>
    public static TableInputs Load(TableData data, Func<string, DataSplit, DataSet> load)
    {
        var all = Limit(load(data.Train, DataSplit.Train), data.TrainLimit);
        DataSet train = all;
        DataSet? validation = null;
        if (data.Validation > 0)
        {
            if (data.Validation >= all.Count)
                throw new ArgumentException($"the table holds out {data.Validation:N0} validation examples, but '{all.Name}' has only {all.Count:N0}.");
            var (first, rest) = all.Split(all.Count - data.Validation);
            (train, validation) = (first, rest);
        }
        return new TableInputs(train, validation, Limit(load(data.Test, DataSplit.Test), data.TestLimit),
            Limit(load(data.Ood, DataSplit.Test), data.OodLimit));
    }

    private static DataSet Limit(DataSet set, int limit) => limit > 0 && limit < set.Count ? set.Range(0, limit, $"{set.Name}[:{limit}]") : set;
}
