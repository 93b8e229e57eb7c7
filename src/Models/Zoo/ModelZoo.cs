using System.Globalization;
using Tangent.Engine;
using Tangent.Models.Layers;

namespace Tangent.Models.Zoo;

/// <summary>
/// Options of a zoo model, kept as text so that they round-trip through checkpoint metadata
/// (<see cref="ToString"/> / <see cref="Parse"/>): <c>classes=10;input=1x28x28;widths=256,256;activation=relu;m=100</c>.
/// Keys a model does not use are ignored.
/// </summary>
public sealed class ModelConfig
{
    private readonly SortedDictionary<string, string> _values = new(StringComparer.Ordinal);

    /// <summary>Number of classes C (default 10).</summary>
    public int Classes { get => GetInt("classes", 10); set => _values["classes"] = value.ToString(CultureInfo.InvariantCulture); }

    /// <summary>Per-example input shape [C, H, W] or [D]; null for the model's default.</summary>
    public Shape? Input
    {
        get => _values.TryGetValue("input", out var s) ? new Shape(s.Split('x').Select(ParseInt).ToArray()) : (Shape?)null;
        set { if (value is { } v) _values["input"] = string.Join("x", v.ToArray()); else _values.Remove("input"); }
    }

    /// <summary>Hidden widths of the MLP (default 256,256).</summary>
    public int[] Widths
    {
        get => _values.TryGetValue("widths", out var s) ? s.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ParseInt).ToArray() : [256, 256];
        set => _values["widths"] = string.Join(",", value);
    }

    /// <summary>Activation of the MLP (default relu).</summary>
    public string Activation { get => _values.GetValueOrDefault("activation", "relu"); set => _values["activation"] = value; }

    /// <summary>Surrogate rank m (default 100).</summary>
    public int SurrogateRank { get => GetInt("m", 100); set => _values["m"] = value.ToString(CultureInfo.InvariantCulture); }

    private int GetInt(string key, int fallback) => _values.TryGetValue(key, out var s) ? ParseInt(s) : fallback;

    private static int ParseInt(string s) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v > 0 ? v
        : throw new ArgumentException($"model option value '{s}' is not a positive integer.");

    /// <summary>Parses <c>key=value;key=value</c>.</summary>
    public static ModelConfig Parse(string? text)
    {
        var c = new ModelConfig();
        if (string.IsNullOrWhiteSpace(text)) return c;
        foreach (var part in text.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq <= 0) throw new ArgumentException($"model option '{part}' is not key=value.");
            c._values[part[..eq].Trim()] = part[(eq + 1)..].Trim();
        }
        return c;
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(";", _values.Select(kv => $"{kv.Key}={kv.Value}"));

    /// <summary>The options as a JSON object of strings (the checkpoint metadata's <c>config</c>).</summary>
    public string ToJson() => System.Text.Json.JsonSerializer.Serialize(_values);

    /// <summary>Parses <see cref="ToJson"/>'s form.</summary>
    public static ModelConfig FromJson(string json)
    {
        var c = new ModelConfig();
        Dictionary<string, string>? d;
        try
        {
            d = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(json);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new InvalidDataException($"model configuration '{json}' is not a JSON object of strings: {e.Message}");
        }
        foreach (var (k, v) in d ?? []) c._values[k] = v;
        return c;
    }
}

/// <summary>A model of the zoo: its registry name, configuration and built network.</summary>
public sealed record ZooModel(string Name, ModelConfig Config, Network Network);

/// <summary>
/// The model zoo by name: <c>mlp</c>, <c>lenet</c>, <c>fmnist-cnn</c>, <c>scalla-surrogate</c>, <c>resnet20</c>.
/// </summary>
public static class ModelZoo
{
    private static readonly (string Name, string Description, Shape DefaultInput, Func<ModelConfig, Shape, Layer> Body)[] Registry =
    [
        ("mlp", "multilayer perceptron (widths, activation configurable)", new Shape(1, 28, 28), Mlp),
        ("lenet", "LeNet-5 (tanh) of VIKING, 44,426 parameters on 28×28×1", new Shape(1, 28, 28), LeNet),
        ("fmnist-cnn", "ScaLLA's FashionMNIST CNN, 140,594 parameters", new Shape(1, 28, 28), FmnistCnn),
        ("scalla-surrogate", "ScaLLA's surrogate: the CNN trunk then Linear(200→m·C) as (m, C); 339,584 for m=100", new Shape(1, 28, 28), Surrogate),
        ("resnet20", "ResNet-20 (16/32/64 channels, batch norm) for 32×32×3, ≈272k parameters", new Shape(3, 32, 32), ResNet20),
    ];

    /// <summary>Registered model names.</summary>
    public static IReadOnlyList<string> Names { get; } = Registry.Select(r => r.Name).ToArray();

    /// <summary>One-line description of each registered model.</summary>
    public static IReadOnlyList<(string Name, string Description)> Descriptions { get; } = Registry.Select(r => (r.Name, r.Description)).ToArray();

    /// <summary>Builds model <paramref name="name"/>; an unknown name lists the valid ones.</summary>
    public static ZooModel Create(string name, ModelConfig? config = null)
    {
        config ??= new ModelConfig();
        foreach (var r in Registry)
        {
            if (r.Name != name) continue;
            var input = config.Input ?? r.DefaultInput;
            return new ZooModel(name, config, new Network(r.Body(config, input), input));
        }
        throw new ArgumentException($"unknown model '{name}'. Valid models: {string.Join(", ", Names)}.");
    }

    /// <summary>The default per-example input shape of model <paramref name="name"/>.</summary>
    public static Shape DefaultInput(string name)
    {
        foreach (var r in Registry)
            if (r.Name == name) return r.DefaultInput;
        throw new ArgumentException($"unknown model '{name}'. Valid models: {string.Join(", ", Names)}.");
    }

    /// <summary>Flatten, then dense layers of the given hidden widths with <paramref name="activation"/>, then Dense(C).</summary>
    public static Sequential Mlp(int inputs, IReadOnlyList<int> widths, int classes, ActivationKind activation)
    {
        var s = new Sequential().Add("flatten", new Flatten());
        var init = activation == ActivationKind.Relu ? WeightInit.Kaiming : WeightInit.Xavier;
        int prev = inputs;
        for (int i = 0; i < widths.Count; i++)
        {
            s.Add($"fc{i + 1}", new Dense(prev, widths[i], init: init)).Add($"act{i + 1}", new Activation(activation));
            prev = widths[i];
        }
        return s.Add($"fc{widths.Count + 1}", new Dense(prev, classes, init: init));
    }

    private static Layer Mlp(ModelConfig c, Shape input) => Mlp(input.Length, c.Widths, c.Classes, Activation.Parse(c.Activation));

    /// <summary>
    /// LeNet of METHODS.md: Conv 6@5×5 valid, tanh, MaxPool2, Conv 16@5×5, tanh, MaxPool2, Dense 120, tanh,
    /// Dense 84, tanh, Dense C (44,426 parameters on 28×28×1, C = 10).
    /// </summary>
    public static Sequential LeNet(int channels, int height, int width, int classes)
    {
        int h = ((height - 4) / 2 - 4) / 2, w = ((width - 4) / 2 - 4) / 2;
        return new Sequential()
            .Add("conv1", new Conv2d(channels, 6, 5)).Add("tanh1", new Activation(ActivationKind.Tanh)).Add("pool1", new MaxPool2d(2))
            .Add("conv2", new Conv2d(6, 16, 5)).Add("tanh2", new Activation(ActivationKind.Tanh)).Add("pool2", new MaxPool2d(2))
            .Add("flatten", new Flatten())
            .Add("fc1", new Dense(16 * h * w, 120)).Add("tanh3", new Activation(ActivationKind.Tanh))
            .Add("fc2", new Dense(120, 84)).Add("tanh4", new Activation(ActivationKind.Tanh))
            .Add("fc3", new Dense(84, classes));
    }

    private static Layer LeNet(ModelConfig c, Shape input) => LeNet(input[0], input[1], input[2], c.Classes);

    /// <summary>
    /// The trunk shared by ScaLLA's MAP net and surrogate: three blocks Conv(3×3, pad 1, no bias) ReLU MaxPool2
    /// (16, 32, 64 channels), Flatten, Dense(576→200), ReLU.
    /// </summary>
    public static Sequential ScallaTrunk(int channels, int height, int width)
    {
        var s = new Sequential();
        int c = channels, h = height, w = width;
        int[] widths = [16, 32, 64];
        for (int i = 0; i < 3; i++)
        {
            s.Add($"conv{i + 1}", new Conv2d(c, widths[i], 3, padding: 1, bias: false))
             .Add($"relu{i + 1}", new Activation(ActivationKind.Relu))
             .Add($"pool{i + 1}", new MaxPool2d(2));
            c = widths[i];
            h /= 2;
            w /= 2;
        }
        return s.Add("flatten", new Flatten())
            .Add("fc1", new Dense(c * h * w, 200)).Add("relu4", new Activation(ActivationKind.Relu));
    }

    private static Layer FmnistCnn(ModelConfig c, Shape input) =>
        ScallaTrunk(input[0], input[1], input[2]).Add("fc2", new Dense(200, c.Classes));

    private static Layer Surrogate(ModelConfig c, Shape input) =>
        ScallaTrunk(input[0], input[1], input[2])
            .Add("fc2", new Dense(200, c.SurrogateRank * c.Classes))
            .Add("reshape", new Layers.Reshape(new Shape(c.SurrogateRank, c.Classes)));

    /// <summary>
    /// ResNet-20 for CIFAR-style inputs (He et al. 2016, §4.2): Conv 3×3 (16) BN ReLU, three stages of three basic
    /// blocks (16, 32, 64 channels; stride 2 entering stages 2 and 3, with a 1×1 conv + BN projection shortcut),
    /// global average pooling, Dense(64→C). 272,474 parameters for C = 10.
    /// </summary>
    public static Sequential ResNet20(int channels, int classes)
    {
        var s = new Sequential()
            .Add("conv1", new Conv2d(channels, 16, 3, padding: 1, bias: false, init: WeightInit.Kaiming))
            .Add("bn1", new BatchNorm2d(16))
            .Add("relu1", new Activation(ActivationKind.Relu));
        int c = 16;
        int[] widths = [16, 32, 64];
        for (int stage = 0; stage < 3; stage++)
        {
            for (int b = 0; b < 3; b++)
            {
                int stride = stage > 0 && b == 0 ? 2 : 1, k = widths[stage];
                var main = new Sequential()
                    .Add("conv1", new Conv2d(c, k, 3, stride, 1, bias: false, init: WeightInit.Kaiming))
                    .Add("bn1", new BatchNorm2d(k))
                    .Add("relu", new Activation(ActivationKind.Relu))
                    .Add("conv2", new Conv2d(k, k, 3, 1, 1, bias: false, init: WeightInit.Kaiming))
                    .Add("bn2", new BatchNorm2d(k));
                Layer? shortcut = stride != 1 || c != k
                    ? new Sequential().Add("conv", new Conv2d(c, k, 1, stride, 0, bias: false, init: WeightInit.Kaiming)).Add("bn", new BatchNorm2d(k))
                    : null;
                s.Add($"layer{stage + 1}_{b}", new Residual(main, shortcut, ActivationKind.Relu));
                c = k;
            }
        }
        return s.Add("pool", new GlobalAvgPool()).Add("fc", new Dense(c, classes));
    }

    private static Layer ResNet20(ModelConfig c, Shape input) => ResNet20(input[0], c.Classes);
}
