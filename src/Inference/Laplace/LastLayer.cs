using Tangent.Models.Layers;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Laplace;

/// <summary>
/// A network cut before its last dense layer: the trunk (every layer but the last, as its own
/// <see cref="Network"/> with the same parameter names) maps x to the penultimate features φ(x) ∈ R^D, and the
/// last layer gives f = W φ + b with W [C, D], b [C]. Its P′ = C·D̃ parameters (D̃ = D + 1 with a bias, else D) are
/// ordered as the rows of the augmented matrix W̃ = [W | b]: coordinate c·D̃ + d is W[c, d], c·D̃ + D is b[c]. In
/// that order the last layer's Jacobian is J(x) = I_C ⊗ φ̃(x)ᵀ with φ̃ = [φ; 1].
/// </summary>
public sealed class LastLayer
{
    private readonly Network _network;

    private LastLayer(Network network, Network trunk, string name, Dense dense)
    {
        _network = network;
        Trunk = trunk;
        Name = name;
        Classes = dense.OutFeatures;
        Features = dense.InFeatures;
        HasBias = dense.HasBias;
    }

    /// <summary>
    /// Splits <paramref name="model"/>'s network; it must be a <see cref="Sequential"/> whose last layer is
    /// <see cref="Dense"/> (every classifier of the zoo is).
    /// </summary>
    public static LastLayer Of(ZooModel model)
    {
        var network = model.Network;
        if (network.Body is not Sequential { Layers.Count: > 1 } body || body.Layers[^1].Layer is not Dense dense)
            throw new ArgumentException($"model '{model.Name}' does not end in a dense layer after other layers ({network.Body.Describe()}); last-layer Laplace needs one.");
        var trunk = new Sequential();
        foreach (var (name, layer) in body.Layers.Take(body.Layers.Count - 1)) trunk.Add(name, layer);
        return new LastLayer(network, new Network(trunk, network.InputShape), body.Layers[^1].Name, dense);
    }

    /// <summary>The network without its last layer; its outputs are φ [B, D].</summary>
    public Network Trunk { get; }

    /// <summary>The last layer's name (<c>fc3</c>); its tensors are <c>NAME.weight</c> and <c>NAME.bias</c>.</summary>
    public string Name { get; }

    /// <summary>C.</summary>
    public int Classes { get; }

    /// <summary>D, the penultimate features.</summary>
    public int Features { get; }

    /// <summary>Whether the last layer has a bias.</summary>
    public bool HasBias { get; }

    /// <summary>D̃ = D + 1 with a bias, else D.</summary>
    public int AugmentedFeatures => Features + (HasBias ? 1 : 0);

    /// <summary>P′ = C·D̃.</summary>
    public int ParameterCount => Classes * AugmentedFeatures;

    /// <summary>The trunk's parameters, taken by name from the full network's θ.</summary>
    public float[] TrunkParameters(float[] theta) => Slice(_network.Parameters, Trunk.Parameters, theta);

    /// <summary>The trunk's state, taken by name from the full network's state.</summary>
    public float[] TrunkState(float[] state) => Trunk.State.Count == 0 ? [] : Slice(_network.State, Trunk.State, state);

    /// <summary>θ′ = W̃ row-major in float64 (see the class summary for the order).</summary>
    public double[] Coordinates(float[] theta)
    {
        var (wOffset, _) = _network.Parameters[Name + ".weight"];
        int d = Features, dt = AugmentedFeatures;
        var result = new double[ParameterCount];
        for (int c = 0; c < Classes; c++)
        {
            for (int k = 0; k < d; k++) result[c * dt + k] = theta[wOffset + c * d + k];
            if (HasBias) result[c * dt + d] = theta[_network.Parameters[Name + ".bias"].Offset + c];
        }
        return result;
    }

    private static float[] Slice(Engine.Tracing.ParameterLayout full, Engine.Tracing.ParameterLayout part, float[] values)
    {
        var result = new float[part.Count];
        foreach (var e in part.Entries)
        {
            var (offset, shape) = full[e.Name];
            if (shape != e.Shape) throw new InvalidOperationException($"trunk tensor '{e.Name}' has shape {e.Shape}, the network {shape}.");
            Array.Copy(values, offset, result, e.Offset, shape.Length);
        }
        return result;
    }
}
