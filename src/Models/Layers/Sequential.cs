using Tangent.Engine;
using Tangent.Engine.Tracing;

namespace Tangent.Models.Layers;

/// <summary>
/// Layers applied in order, each under its name: parameters are called <c>NAME.weight</c>, <c>NAME.bias</c>
/// (nested: <c>block1.conv2.weight</c>). Unnamed layers get <c>KIND{index}</c>.
/// </summary>
public sealed class Sequential : Layer
{
    private readonly List<(string Name, Layer Layer)> _layers = [];

    /// <summary>The children in order.</summary>
    public IReadOnlyList<(string Name, Layer Layer)> Layers => _layers;

    /// <summary>Appends <paramref name="layer"/> as <paramref name="name"/>; names must be unique and free of dots.</summary>
    public Sequential Add(string name, Layer layer)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (string.IsNullOrEmpty(name) || name.Contains('.') || name.Contains('/'))
            throw new ArgumentException($"layer name '{name}' must be non-empty without '.' or '/'.");
        if (_layers.Any(l => l.Name == name)) throw new ArgumentException($"layer name '{name}' is used twice.");
        _layers.Add((name, layer));
        return this;
    }

    /// <summary>Appends <paramref name="layer"/> named after its kind and position (<c>relu3</c>).</summary>
    public Sequential Add(Layer layer)
    {
        string kind = layer switch
        {
            Activation a => a.Kind.ToString().ToLowerInvariant(),
            _ => layer.GetType().Name.ToLowerInvariant(),
        };
        return Add($"{kind}{_layers.Count}", layer);
    }

    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input)
    {
        var s = input;
        foreach (var (name, layer) in _layers) s = c.Child(name, layer, s);
        return s;
    }

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x)
    {
        foreach (var (name, layer) in _layers) x = c.Child(name, layer, x);
        return x;
    }

    /// <inheritdoc />
    public override string Describe() => string.Join(" → ", _layers.Select(l => $"{l.Name}:{l.Layer.Describe()}"));
}

/// <summary>
/// Residual connection y = main(x) + shortcut(x), the shortcut the identity when null (then main must keep the
/// shape), followed by an optional activation (ResNet's basic block ends with a ReLU after the sum).
/// </summary>
public sealed class Residual(Layer main, Layer? shortcut = null, ActivationKind? after = null) : Layer
{
    /// <inheritdoc />
    public override Shape Build(LayerBuildContext c, Shape input)
    {
        var m = c.Child("main", main, input);
        var s = shortcut == null ? input : c.Child("shortcut", shortcut, input);
        if (m != s) throw new ArgumentException($"residual block '{c.Path}': main branch gives {m}, shortcut gives {s}.");
        return m;
    }

    /// <inheritdoc />
    public override Var Forward(LayerForwardContext c, Var x)
    {
        var y = Fn.Add(c.Child("main", main, x), shortcut == null ? x : c.Child("shortcut", shortcut, x));
        return after is { } k ? Activation.Apply(k, y) : y;
    }

    /// <inheritdoc />
    public override string Describe() => $"residual({main.Describe()}{(shortcut != null ? $" + {shortcut.Describe()}" : " + x")})";
}
