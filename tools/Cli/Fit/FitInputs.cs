using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Tangent.Inference.Posteriors;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Cli;

/// <summary>
/// What every <c>fit</c> method shares: the options <c>--map --data --data-root --out --json</c>, the work before
/// fitting (output paths checked, the MAP checkpoint and the training data loaded and matched) and after it (the
/// posterior file and the JSON record written atomically). A method with random choices adds <see cref="Seed"/>.
/// </summary>
internal sealed class FitInputs
{
    public Option<string> Map { get; } = CliOptions.Text("--map", "FILE", "MAP checkpoint (safetensors) written by 'tangent train'", required: true);
    public Option<string> Data { get; } = CliOptions.Data("training data set the posterior is fitted on (its train split)");
    public Option<string> DataRoot { get; } = CliOptions.DataRoot();
    public Option<string> Out { get; } = CliOptions.Text("--out", "FILE", "posterior file to write (safetensors; read by 'tangent evaluate')", required: true);
    public Option<string> Json { get; } = CliOptions.Json();
    public Option<int> Seed { get; } = CliOptions.Int("--seed", "seed of the method's random numbers", 0, 0);

    /// <summary>Adds the shared options (not <see cref="Seed"/>) to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Map, Data, DataRoot, Out, Json }) command.Options.Add(o);
    }

    /// <summary>Checks <c>--out</c> and <c>--json</c>, then loads the MAP network and the training split, and prints what was loaded.</summary>
    public Loaded Load(ParseResult p)
    {
        string outPath = p.GetRequiredValue(Out);
        string? json = p.GetValue(Json);
        OutputFiles.CheckWritable(outPath, "--out");
        OutputFiles.CheckWritable(json, "--json");
        string mapPath = p.GetRequiredValue(Map);
        var (model, theta, state, _) = Inputs.LoadCheckpoint(mapPath, "--map");
        string dataName = p.GetRequiredValue(Data);
        var train = Inputs.LoadData(dataName, DataSplit.Train, p.GetValue(DataRoot), model);
        Console.WriteLine($"{model.Name} ({model.Network.ParameterCount:N0} parameters) from {mapPath}; {train.Name}: {train.Count:N0} examples");
        return new Loaded(mapPath, model, theta, state, dataName, train, outPath, json, Stopwatch.StartNew());
    }

    /// <summary>What <see cref="Load"/> found; <see cref="Clock"/> started when loading ended (the fit time).</summary>
    public sealed record Loaded(string MapPath, ZooModel Model, float[] Parameters, float[] State, string DataName, DataSet Train, string OutPath,
        string? JsonPath, Stopwatch Clock);

    /// <summary>
    /// Writes the posterior file (with the fit time and <paramref name="seed"/>) and, with <c>--json</c>, a record of
    /// the fit: method, model, files, data, hyperparameters, seconds, and the method's own <paramref name="details"/>.
    /// </summary>
    public static void Save(Loaded loaded, IPosterior posterior, ulong seed, IReadOnlyDictionary<string, object?>? details = null)
    {
        double seconds = loaded.Clock.Elapsed.TotalSeconds;
        PosteriorFile.Save(loaded.OutPath, posterior, new PosteriorProvenance(loaded.DataName, seed, seconds,
            new Dictionary<string, string> { ["map"] = Path.GetFileName(loaded.MapPath) }));
        Console.WriteLine($"fit in {seconds.ToString("F1", CultureInfo.InvariantCulture)} s; wrote {loaded.OutPath}");
        if (loaded.JsonPath is null) return;
        var doc = new Dictionary<string, object?>
        {
            ["method"] = posterior.Method,
            ["model"] = posterior.Model.Name,
            ["map"] = loaded.MapPath,
            ["out"] = loaded.OutPath,
            ["data"] = loaded.Train.Name,
            ["examples"] = loaded.Train.Count,
            ["seed"] = seed,
            ["hyperparameters"] = posterior.Hyperparameters,
            ["seconds"] = seconds,
        };
        if (details is not null) foreach (var (k, v) in details) doc[k] = v;
        OutputFiles.WriteText(loaded.JsonPath, JsonSerializer.Serialize(doc, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"wrote {loaded.JsonPath}");
    }
}
