using Tangent.Engine.Tracing;

namespace Tangent.Engine.Tests.Support;

/// <summary>Small networks traced for the derivative checks: θ in one parameter group, inputs x and labels y.</summary>
public static class Models
{
    /// <summary>Activations a random architecture may use.</summary>
    public static readonly Func<Var, Var>[] Activations = [Fn.Relu, Fn.Tanh, Fn.Sigmoid, Fn.Silu, Fn.Gelu];

    /// <summary>An MLP with the given widths and activation; outputs "logits" [B, C] and "loss" (per example, [B]).</summary>
    public static Tape Mlp(int batch, int[] widths, int activation)
    {
        var layout = new ParameterLayout();
        for (int i = 0; i + 1 < widths.Length; i++)
            layout.Add($"fc{i}.weight", new Shape(widths[i + 1], widths[i])).Add($"fc{i}.bias", new Shape(widths[i + 1]));
        return Tape.Trace(t =>
        {
            var p = t.Parameters(layout);
            var x = t.Input("x", new Shape(batch, widths[0]));
            var y = t.Input("y", new Shape(batch), DType.Int32);
            var h = x;
            for (int i = 0; i + 1 < widths.Length; i++)
            {
                using var _ = t.Scope($"fc{i}");
                h = Fn.Linear(h, p[$"fc{i}.weight"], p[$"fc{i}.bias"]);
                if (i + 2 < widths.Length) h = Activations[activation](h);
            }
            t.Output("logits", h);
            t.Output("loss", Fn.SoftmaxCrossEntropy(h, y));
        });
    }

    /// <summary>
    /// A small CNN: conv(c0→c1, 3×3, pad 1, bias) → activation → maxpool 2 → conv(c1→c2, 3×3, pad 1, no bias) →
    /// relu → avgpool 2 → flatten → linear → logits [B, classes]; per-example loss and mean loss.
    /// </summary>
    public static Tape Cnn(int batch, int c0, int c1, int c2, int size, int classes, int activation)
    {
        int pooled = size / 2 / 2;
        var layout = new ParameterLayout()
            .Add("conv1.weight", new Shape(c1, c0, 3, 3)).Add("conv1.bias", new Shape(c1))
            .Add("conv2.weight", new Shape(c2, c1, 3, 3))
            .Add("fc.weight", new Shape(classes, c2 * pooled * pooled)).Add("fc.bias", new Shape(classes));
        return Tape.Trace(t =>
        {
            var p = t.Parameters(layout);
            var x = t.Input("x", new Shape(batch, c0, size, size));
            var y = t.Input("y", new Shape(batch), DType.Int32);
            Var h;
            using (t.Scope("conv1")) h = Fn.MaxPool2d(Activations[activation](Fn.Conv2d(x, p["conv1.weight"], p["conv1.bias"], padding: 1)), 2);
            using (t.Scope("conv2")) h = Fn.AvgPool2d(Fn.Relu(Fn.Conv2d(h, p["conv2.weight"], padding: 1)), 2);
            using (t.Scope("fc")) h = Fn.Linear(Fn.Flatten(h), p["fc.weight"], p["fc.bias"]);
            t.Output("logits", h);
            var loss = Fn.SoftmaxCrossEntropy(h, y);
            t.Output("loss", loss);
            t.Output("mean_loss", Fn.Mean(loss));
        });
    }
}
