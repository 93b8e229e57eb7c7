using Tangent.Models.Checkpoints;

namespace Tangent.Models.Zoo;

/// <summary>
/// A zoo model's checkpoint: θ's tensors (<c>conv1.weight</c>, …) and the state's (<c>bn1.running_mean</c>, …) in one
/// safetensors file, with the model name and its configuration in the metadata, so that the file alone rebuilds the
/// model (<see cref="Load"/>).
/// </summary>
public static class ZooCheckpoint
{
    /// <summary>Writes <paramref name="model"/>'s parameters and state (host arrays in its layouts) atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, ZooModel model, float[] parameters, float[] state, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        var net = model.Network;
        var metadata = Checkpoint.Metadata(model.Name, model.Config.ToJson(), extra);
        var groups = new List<(Engine.Tracing.ParameterLayout, float[])> { (net.Parameters, parameters) };
        if (net.State.Count > 0) groups.Add((net.State, state));
        Checkpoint.Save(path, groups, metadata);
    }

    /// <summary>
    /// Reads <paramref name="path"/>, rebuilds the model named in its metadata and returns it with θ and the state.
    /// A file whose tensors do not fit the model names each tensor with both shapes (<see cref="CheckpointMismatchException"/>).
    /// </summary>
    public static (ZooModel Model, float[] Parameters, float[] State, IReadOnlyDictionary<string, string> Metadata) Load(string path)
    {
        var file = SafeTensorsFile.Read(path);
        if (!file.Metadata.TryGetValue(Checkpoint.ModelKey, out var name))
            throw new InvalidDataException($"{path} has no '{Checkpoint.ModelKey}' entry in its metadata, so the model cannot be rebuilt. Models: {string.Join(", ", ModelZoo.Names)}.");
        var config = file.Metadata.TryGetValue(Checkpoint.ConfigKey, out var json) ? ModelConfig.FromJson(json) : new ModelConfig();
        var model = ModelZoo.Create(name, config);
        var (theta, state) = LoadInto(file, model);
        return (model, theta, state, file.Metadata);
    }

    /// <summary>θ and state of <paramref name="model"/> from <paramref name="file"/>, all tensors checked first.</summary>
    public static (float[] Parameters, float[] State) LoadInto(SafeTensorsFile file, ZooModel model)
    {
        var net = model.Network;
        var theta = new float[net.ParameterCount];
        var state = new float[net.State.Count];
        var groups = new List<(Engine.Tracing.ParameterLayout, float[])> { (net.Parameters, theta) };
        if (net.State.Count > 0) groups.Add((net.State, state));
        Checkpoint.Load(file, groups);
        return (theta, state);
    }
}
