using System.Globalization;
using System.Text.Json;
using Tangent.Engine;
using Tangent.Kernels.Backends;
using Tangent.Models.Checkpoints;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Posteriors;

/// <summary>A posterior file that cannot be used: unknown method, a network that does not match, a missing or misshapen tensor, bad metadata. The message is one line naming the file and the tensor or value.</summary>
public sealed class PosteriorFileException(string message) : InferenceDataException(message);

/// <summary>Where a posterior came from, for its file's metadata.</summary>
/// <param name="Data">The data set it was fitted on (e.g. <c>fmnist</c>).</param>
/// <param name="Seed">The seed of its random choices.</param>
/// <param name="FitSeconds">Wall-clock seconds the fit took.</param>
/// <param name="Extra">Further metadata entries (strings).</param>
public sealed record PosteriorProvenance(string Data, ulong Seed, double FitSeconds, IReadOnlyDictionary<string, string>? Extra = null);

/// <summary>
/// Posterior files: one safetensors file with the MAP network's tensors named as in a <see cref="ZooCheckpoint"/>
/// (<c>conv1.weight</c>, …, batch-norm state), the method's tensors under <see cref="MethodTensorPrefix"/> (a layer
/// name cannot contain '/', so the two never clash), and metadata: <c>model</c>, <c>config</c> (as in a
/// checkpoint), <c>method</c>, <c>hyperparameters</c> (a JSON object of strings), <c>data</c>, <c>seed</c>,
/// <c>fit_time_s</c>. Written atomically (temporary file, then rename). A checkpoint without a <c>method</c> entry
/// (what <c>tangent train</c> writes) is a MAP posterior.
/// </summary>
public static class PosteriorFile
{
    /// <summary>Metadata key of the method name.</summary>
    public const string MethodKey = "method";

    /// <summary>Metadata key of the hyperparameters (a JSON object of strings).</summary>
    public const string HyperparametersKey = "hyperparameters";

    /// <summary>Metadata key of the data set the posterior was fitted on.</summary>
    public const string DataKey = "data";

    /// <summary>Metadata key of the seed.</summary>
    public const string SeedKey = "seed";

    /// <summary>Metadata key of the fit time in seconds.</summary>
    public const string FitTimeKey = "fit_time_s";

    /// <summary>Prefix of the method's tensors in the file.</summary>
    public const string MethodTensorPrefix = "posterior/";

    /// <summary>Writes <paramref name="posterior"/> (network, method tensors, metadata) atomically to <paramref name="path"/>.</summary>
    public static void Save(string path, IPosterior posterior, PosteriorProvenance provenance)
    {
        ArgumentNullException.ThrowIfNull(posterior);
        ArgumentNullException.ThrowIfNull(provenance);
        var model = posterior.Model;
        var net = model.Network;
        var extra = new Dictionary<string, string>(StringComparer.Ordinal);
        if (provenance.Extra is { } more) foreach (var (k, v) in more) extra[k] = v;
        extra[MethodKey] = posterior.Method;
        extra[HyperparametersKey] = JsonSerializer.Serialize(new SortedDictionary<string, string>(posterior.Hyperparameters.ToDictionary(), StringComparer.Ordinal));
        extra[DataKey] = provenance.Data;
        extra[SeedKey] = provenance.Seed.ToString(CultureInfo.InvariantCulture);
        extra[FitTimeKey] = provenance.FitSeconds.ToString("R", CultureInfo.InvariantCulture);
        var tensors = Checkpoint.Tensors(net.Parameters, (ReadOnlyMemory<float>)posterior.Parameters).ToList();
        if (net.State.Count > 0) tensors.AddRange(Checkpoint.Tensors(net.State, (ReadOnlyMemory<float>)posterior.State));
        foreach (var t in posterior.MethodTensors())
        {
            if (t.Name.Contains('/')) throw new ArgumentException($"method tensor '{t.Name}' of {posterior.Method}: names must not contain '/'.");
            tensors.Add(Rename(t, MethodTensorPrefix + t.Name));
        }
        SafeTensorsFile.Write(path, tensors, Checkpoint.Metadata(model.Name, model.Config.ToJson(), extra));
    }

    /// <summary>
    /// Reads <paramref name="path"/> and rebuilds its posterior on <paramref name="backend"/> with the loader of its
    /// method (<see cref="PosteriorLoaders"/>). Every problem with the file is a <see cref="PosteriorFileException"/>.
    /// </summary>
    public static IPosterior Load(string path, Backend backend)
    {
        var stored = Read(path);
        if (!PosteriorLoaders.ByMethod.TryGetValue(stored.Method, out var load))
            throw new PosteriorFileException($"{path}: unknown method '{stored.Method}' in its metadata; known methods: {string.Join(", ", PosteriorLoaders.ByMethod.Keys)}.");
        return load(stored, backend);
    }

    /// <summary>Reads and checks <paramref name="path"/>: the network's tensors against its model, the metadata; the method's tensors are checked by its loader.</summary>
    public static StoredPosterior Read(string path)
    {
        SafeTensorsFile file;
        try
        {
            file = SafeTensorsFile.Read(path);
        }
        catch (Exception e) when (e is CheckpointFormatException or FileNotFoundException or DirectoryNotFoundException)
        {
            throw new PosteriorFileException(e.Message);
        }
        if (!file.Metadata.TryGetValue(Checkpoint.ModelKey, out var name))
            throw new PosteriorFileException($"{path}: no '{Checkpoint.ModelKey}' entry in its metadata, so the network cannot be rebuilt; models: {string.Join(", ", ModelZoo.Names)}.");
        ZooModel model;
        try
        {
            var config = file.Metadata.TryGetValue(Checkpoint.ConfigKey, out var json) ? ModelConfig.FromJson(json) : new ModelConfig();
            model = ModelZoo.Create(name, config);
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException)
        {
            throw new PosteriorFileException($"{path}: {e.Message}");
        }
        var network = file.Tensors.Where(t => !t.Name.StartsWith(MethodTensorPrefix, StringComparison.Ordinal));
        var methodTensors = file.Tensors.Where(t => t.Name.StartsWith(MethodTensorPrefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Name[MethodTensorPrefix.Length..], StringComparer.Ordinal);
        float[] theta, state;
        try
        {
            (theta, state) = ZooCheckpoint.LoadInto(new SafeTensorsFile(network, file.Metadata, path), model);
        }
        catch (CheckpointMismatchException e)
        {
            throw new PosteriorFileException(e.Message.Replace("the model", $"model '{name}'", StringComparison.Ordinal));
        }
        string method = file.Metadata.GetValueOrDefault(MethodKey, MapPosterior.MethodName);
        var hyper = new Dictionary<string, string>(StringComparer.Ordinal);
        if (file.Metadata.TryGetValue(HyperparametersKey, out var h))
        {
            try
            {
                foreach (var (k, v) in JsonSerializer.Deserialize<Dictionary<string, string>>(h) ?? []) hyper[k] = v;
            }
            catch (JsonException)
            {
                throw new PosteriorFileException($"{path}: metadata '{HyperparametersKey}' is not a JSON object of strings: {h}");
            }
        }
        return new StoredPosterior(path, model, theta, state, method, hyper, file.Metadata, methodTensors);
    }

    private static SafeTensor Rename(SafeTensor t, string name) => t.DType == TensorDType.F32
        ? SafeTensor.FromSingles(name, t.Shape, t.ToSingleArray())
        : SafeTensor.FromDoubles(name, t.Shape, t.ToDoubleArray());
}

/// <summary>
/// The checked contents of a posterior file, as a method's loader receives them: the network (model, θ, state), the
/// method name, its hyperparameters and its tensors (names without <see cref="PosteriorFile.MethodTensorPrefix"/>).
/// The accessors throw <see cref="PosteriorFileException"/> naming the file and the tensor or value.
/// </summary>
public sealed class StoredPosterior(string source, ZooModel model, float[] parameters, float[] state, string method,
    IReadOnlyDictionary<string, string> hyperparameters, IReadOnlyDictionary<string, string> metadata, IReadOnlyDictionary<string, SafeTensor> tensors)
{
    /// <summary>The file.</summary>
    public string Source { get; } = source;

    /// <summary>The network.</summary>
    public ZooModel Model { get; } = model;

    /// <summary>θ of the network.</summary>
    public float[] Parameters { get; } = parameters;

    /// <summary>The network's state (empty without batch norm).</summary>
    public float[] State { get; } = state;

    /// <summary>The method named in the metadata (<c>map</c> when absent).</summary>
    public string Method { get; } = method;

    /// <summary>The method's hyperparameters.</summary>
    public IReadOnlyDictionary<string, string> Hyperparameters { get; } = hyperparameters;

    /// <summary>All metadata entries.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; } = metadata;

    /// <summary>The method's tensors by name.</summary>
    public IReadOnlyDictionary<string, SafeTensor> Tensors { get; } = tensors;

    /// <summary>Method tensor <paramref name="name"/> as float64 values, required to have <paramref name="shape"/>.</summary>
    public double[] Tensor(string name, Shape shape)
    {
        if (!Tensors.TryGetValue(name, out var t))
            throw new PosteriorFileException($"{Source}: tensor '{PosteriorFile.MethodTensorPrefix}{name}' of method '{Method}' is missing.");
        if (t.Shape != shape)
            throw new PosteriorFileException($"{Source}: tensor '{PosteriorFile.MethodTensorPrefix}{name}' has shape {t.Shape}; method '{Method}' on model '{Model.Name}' needs {shape}.");
        return t.ToDoubleArray();
    }

    /// <summary>Hyperparameter <paramref name="name"/> as a finite number.</summary>
    public double Number(string name)
    {
        if (!Hyperparameters.TryGetValue(name, out var s))
            throw new PosteriorFileException($"{Source}: hyperparameter '{name}' of method '{Method}' is missing from metadata '{PosteriorFile.HyperparametersKey}'.");
        if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) || !double.IsFinite(v))
            throw new PosteriorFileException($"{Source}: hyperparameter '{name}' = '{s}' is not a finite number.");
        return v;
    }
}
