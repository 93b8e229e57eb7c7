using Tangent.Models.Checkpoints;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Cli;

/// <summary>Loading what the user names (checkpoints, data sets), with errors that name the flag and the file.</summary>
internal static class Inputs
{
    /// <summary>A MAP checkpoint written by <c>tangent train</c>: the model rebuilt from its metadata, θ and state.</summary>
    public static (ZooModel Model, float[] Parameters, float[] State, IReadOnlyDictionary<string, string> Metadata) LoadCheckpoint(string path, string flag)
    {
        RequireFile(path, flag);
        try
        {
            return ZooCheckpoint.Load(path);
        }
        catch (Exception e) when (e is CheckpointFormatException or CheckpointMismatchException)
        {
            throw new InvalidDataException($"{flag} {e.Message}");
        }
    }

    /// <summary>Throws naming <paramref name="flag"/> unless <paramref name="path"/> is an existing file.</summary>
    public static void RequireFile(string path, string flag)
    {
        if (Directory.Exists(path)) throw new IOException($"{flag} '{path}' is a directory, not a file.");
        if (!File.Exists(path)) throw new FileNotFoundException($"{flag} '{path}' does not exist.", path);
    }

    /// <summary>Data set <paramref name="name"/>'s <paramref name="split"/>, checked to have the inputs <paramref name="model"/> takes.</summary>
    public static DataSet LoadData(string name, DataSplit split, string? root, ZooModel model)
    {
        var data = DataSets.Load(name, split, root);
        var input = model.Network.InputShape;
        if (data.SampleShape != input)
            throw new ArgumentException($"data set '{data.Name}' has inputs {data.SampleShape} but model {model.Name} takes {input}.");
        return data;
    }
}
