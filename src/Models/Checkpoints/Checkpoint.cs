using Tangent.Engine;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Models.Checkpoints;

/// <summary>One disagreement between a checkpoint and the tensors a model expects.</summary>
/// <param name="Name">The tensor.</param>
/// <param name="Expected">The model's shape (null when the file has a tensor the model lacks).</param>
/// <param name="Found">The file's shape (null when the tensor is missing from the file).</param>
public sealed record TensorMismatch(string Name, Shape? Expected, Shape? Found)
{
    /// <inheritdoc />
    public override string ToString() =>
        Found is null ? $"'{Name}' is missing from the file (model shape {Expected})"
        : Expected is null ? $"'{Name}' {Found} is in the file but not in the model"
        : $"'{Name}' has shape {Found} in the file but {Expected} in the model";
}

/// <summary>Thrown when a checkpoint's tensors do not match the model's: lists every mismatched tensor with both shapes.</summary>
public sealed class CheckpointMismatchException(string source, IReadOnlyList<TensorMismatch> mismatches)
    : Exception($"{source} does not match the model: {string.Join("; ", mismatches.Take(8))}" +
                (mismatches.Count > 8 ? $"; and {mismatches.Count - 8} more." : "."))
{
    /// <summary>Every mismatch found.</summary>
    public IReadOnlyList<TensorMismatch> Mismatches { get; } = mismatches;
}

/// <summary>
/// Model checkpoints as safetensors files: each parameter tensor of a flat vector θ (laid out by a
/// <see cref="ParameterLayout"/>) becomes one tensor named by its parameter name (<c>conv1.weight</c>), float →
/// F32 and double → F64; the metadata carries the model name (<see cref="ModelKey"/>) and its configuration as a
/// JSON string (<see cref="ConfigKey"/>). Several groups (parameters, batch-norm running statistics) can share a
/// file as long as their names are distinct. Loading checks every expected tensor before writing anything.
/// </summary>
public static class Checkpoint
{
    /// <summary>Metadata key of the model name.</summary>
    public const string ModelKey = "model";

    /// <summary>Metadata key of the model configuration (a JSON string).</summary>
    public const string ConfigKey = "config";

    /// <summary>Metadata holding <paramref name="model"/>, <paramref name="configJson"/> (when given) and any extra entries.</summary>
    public static Dictionary<string, string> Metadata(string model, string? configJson = null, IEnumerable<KeyValuePair<string, string>>? extra = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(model);
        var m = new Dictionary<string, string>(StringComparer.Ordinal) { [ModelKey] = model };
        if (configJson is not null) m[ConfigKey] = configJson;
        if (extra is not null) foreach (var (k, v) in extra) m[k] = v;
        return m;
    }

    /// <summary>The tensors of θ as laid out by <paramref name="layout"/> (copies).</summary>
    public static IEnumerable<SafeTensor> Tensors<T>(ParameterLayout layout, ReadOnlyMemory<T> values) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (values.Length != layout.Count)
            throw new ArgumentException($"layout '{layout.GroupName}' has {layout.Count} values; {values.Length} were given.");
        return layout.Entries.Select(e => SafeTensor.From(e.Name, e.Shape, values.Span.Slice(e.Offset, e.Shape.Length))).ToList();
    }

    /// <summary>Saves θ (host values) atomically with the given metadata.</summary>
    public static void Save<T>(string path, ParameterLayout layout, ReadOnlyMemory<T> values, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged =>
        SafeTensorsFile.Write(path, Tensors(layout, values), metadata);

    /// <summary>Saves θ from a device view (copied to the host first) atomically with the given metadata.</summary>
    public static void Save<T>(string path, ParameterLayout layout, BufferView<T> values, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged =>
        Save(path, layout, (ReadOnlyMemory<T>)ToHost(values), metadata);

    /// <summary>Saves several groups (e.g. parameters and running statistics) into one file; names must be distinct across groups.</summary>
    public static void Save<T>(string path, IEnumerable<(ParameterLayout Layout, T[] Values)> groups, IReadOnlyDictionary<string, string>? metadata = null)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(groups);
        SafeTensorsFile.Write(path, groups.SelectMany(g => Tensors(g.Layout, (ReadOnlyMemory<T>)g.Values)), metadata);
    }

    /// <summary>
    /// Every difference between the file's tensors and <paramref name="expected"/> (name → shape): missing tensors,
    /// shape mismatches and, unless <paramref name="allowUnexpected"/>, tensors the model does not have.
    /// </summary>
    public static IReadOnlyList<TensorMismatch> Compare(SafeTensorsFile file, IEnumerable<(string Name, Shape Shape)> expected, bool allowUnexpected = false)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(expected);
        var result = new List<TensorMismatch>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, shape) in expected)
        {
            names.Add(name);
            if (!file.TryGet(name, out var t)) result.Add(new TensorMismatch(name, shape, null));
            else if (t.Shape != shape) result.Add(new TensorMismatch(name, shape, t.Shape));
        }
        if (!allowUnexpected)
            foreach (var t in file.Tensors)
                if (!names.Contains(t.Name)) result.Add(new TensorMismatch(t.Name, null, t.Shape));
        return result;
    }

    /// <summary>Throws a <see cref="CheckpointMismatchException"/> naming each mismatched tensor and both shapes, if any.</summary>
    public static void CheckShapes(SafeTensorsFile file, IEnumerable<(string Name, Shape Shape)> expected, bool allowUnexpected = false)
    {
        var m = Compare(file, expected, allowUnexpected);
        if (m.Count > 0) throw new CheckpointMismatchException(file.Source, m);
    }

    /// <summary>
    /// Fills each group's values from the file (F32/F64 converted to <typeparamref name="T"/>). The whole file is
    /// checked against all groups first (missing, mismatched or unexpected tensors, F64 values beyond float's range),
    /// so on error nothing is written.
    /// </summary>
    public static void Load<T>(SafeTensorsFile file, IReadOnlyList<(ParameterLayout Layout, T[] Values)> groups, bool allowUnexpected = false)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(groups);
        foreach (var (layout, values) in groups)
            if (values.Length != layout.Count)
                throw new ArgumentException($"layout '{layout.GroupName}' has {layout.Count} values; the destination has {values.Length}.");
        CheckShapes(file, groups.SelectMany(g => g.Layout.Entries.Select(e => (e.Name, e.Shape))), allowUnexpected);
        foreach (var (layout, _) in groups)
            foreach (var e in layout.Entries) file[e.Name].CheckConvertible<T>();
        foreach (var (layout, values) in groups)
            foreach (var e in layout.Entries)
                file[e.Name].CopyTo(values.AsSpan(e.Offset, e.Shape.Length));
    }

    /// <summary>Fills θ (host array of length P) from the file; see <see cref="Load{T}(SafeTensorsFile, IReadOnlyList{ValueTuple{ParameterLayout, T[]}}, bool)"/>.</summary>
    public static void Load<T>(SafeTensorsFile file, ParameterLayout layout, T[] values, bool allowUnexpected = false) where T : unmanaged =>
        Load(file, [(layout, values)], allowUnexpected);

    /// <summary>Reads <paramref name="path"/> and fills θ on a device: the file is validated and matched completely before the view is written.</summary>
    public static SafeTensorsFile Load<T>(string path, ParameterLayout layout, BufferView<T> values, bool allowUnexpected = false) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(layout);
        if (values.Length != layout.Count)
            throw new ArgumentException($"layout '{layout.GroupName}' has {layout.Count} values; the destination view has {values.Length}.");
        var file = SafeTensorsFile.Read(path);
        var host = new T[layout.Count];
        Load(file, layout, host, allowUnexpected);
        values.Buffer.CopyFrom(host, values.Offset);
        return file;
    }

    private static T[] ToHost<T>(BufferView<T> view) where T : unmanaged
    {
        if (view.IsNull) throw new ArgumentException("the view is not set.");
        var host = new T[view.Length];
        view.Buffer.CopyTo(host, view.Offset);
        return host;
    }
}
