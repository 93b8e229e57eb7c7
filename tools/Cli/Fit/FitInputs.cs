using System.CommandLine;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Cli;

/// <summary>
/// The options every <c>fit</c> method shares (<c>--map --data --data-root --out --json --seed</c>) and the work
/// before fitting: output paths checked, the MAP checkpoint and the training data loaded and matched.
/// </summary>
internal sealed class FitInputs
{
    public Option<string> Map { get; } = CliOptions.Text("--map", "FILE", "MAP checkpoint (safetensors) written by 'tangent train'", required: true);
    public Option<string> Data { get; } = CliOptions.Data("training data set the posterior is fitted on");
    public Option<string> DataRoot { get; } = CliOptions.DataRoot();
    public Option<string> Out { get; } = CliOptions.Text("--out", "FILE", "posterior file to write (safetensors)", required: true);
    public Option<string> Json { get; } = CliOptions.Json();
    public Option<int> Seed { get; } = CliOptions.Int("--seed", "seed of the method's random numbers", 0, 0);

    /// <summary>Adds the shared options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Map, Data, DataRoot, Out, Json, Seed }) command.Options.Add(o);
    }

    /// <summary>Checks <c>--out</c> and <c>--json</c>, then loads the MAP network and the training split.</summary>
    public Loaded Load(ParseResult p)
    {
        string outPath = p.GetRequiredValue(Out);
        string? json = p.GetValue(Json);
        OutputFiles.CheckWritable(outPath, "--out");
        OutputFiles.CheckWritable(json, "--json");
        string mapPath = p.GetRequiredValue(Map);
        var (model, theta, state, _) = Inputs.LoadCheckpoint(mapPath, "--map");
        var train = Inputs.LoadData(p.GetRequiredValue(Data), DataSplit.Train, p.GetValue(DataRoot), model);
        return new Loaded(mapPath, model, theta, state, train, outPath, json, (ulong)p.GetValue(Seed));
    }

    /// <summary>What <see cref="Load"/> found.</summary>
    public sealed record Loaded(string MapPath, ZooModel Model, float[] Parameters, float[] State, DataSet Train, string OutPath, string? JsonPath, ulong Seed);
}
