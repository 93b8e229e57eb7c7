using Tangent.Engine.Execution;
using Tangent.Engine.Tests.Support;
using Tangent.Engine.Tracing;

namespace Tangent.Engine.Tests;

/// <summary>
/// The plan-time fusion of the K-tangent JVP through conv → ReLU → max pooling (the CPU backend's fused kernel)
/// against the same plans unfused, on ScaLLA-like trunks: a first layer without input tangent, later layers with one,
/// padded and unpadded, stride 2, pooling that drops a border row (7 → 3), 3×3 windows. The K-tangent results are
/// also checked against K single JVPs (which are never fused) and those against central differences.
/// </summary>
public sealed class FusionTests
{
    private static Tape Trunk(int batch, int c0, int size, int[] widths, int pad, int stride, int window, int activation = 0, bool bias = false)
    {
        var layout = new ParameterLayout();
        int c = c0, s = size;
        for (int i = 0; i < widths.Length; i++)
        {
            layout.Add($"conv{i}.weight", new Shape(widths[i], c, 3, 3));
            if (bias) layout.Add($"conv{i}.bias", new Shape(widths[i]));
            s = ((s + 2 * pad - 3) / (i == 0 ? stride : 1) + 1 - window) / 2 + 1;
            c = widths[i];
        }
        layout.Add("fc.weight", new Shape(3, c * s * s)).Add("fc.bias", new Shape(3));
        return Tape.Trace(t =>
        {
            var p = t.Parameters(layout);
            var h = t.Input("x", new Shape(batch, c0, size, size));
            for (int i = 0; i < widths.Length; i++)
                using (t.Scope($"conv{i}"))
                {
                    var z = Fn.Conv2d(h, p[$"conv{i}.weight"], bias ? p[$"conv{i}.bias"] : null, stride: i == 0 ? stride : 1, padding: pad);
                    h = Fn.MaxPool2d(activation switch { 0 => Fn.Relu(z), 1 => Fn.Tanh(z), _ => Fn.Sigmoid(z) }, window, 2);
                }
            t.Output("logits", Fn.Linear(Fn.Flatten(h), p["fc.weight"], p["fc.bias"]));
        });
    }

    public static TheoryData<int, int, int, int, int, int, int, bool> Trunks => new()
    {
        // batch, channels, size, pad, stride, window, activation (ReLU, tanh, σ), bias
        { 2, 1, 14, 1, 1, 2, 0, false },
        { 3, 2, 15, 0, 1, 2, 0, true },
        { 1, 3, 17, 1, 2, 3, 0, false },
        { 2, 1, 16, 0, 1, 2, 1, true },
        { 2, 2, 13, 1, 1, 2, 2, true },
        { 1, 1, 12, 1, 1, 2, 1, false },
    };

    [Theory]
    [MemberData(nameof(Trunks))]
    public void Fused_k_tangent_jvp_equals_the_unfused_plan(int batch, int c0, int size, int pad, int stride, int window, int activation, bool bias)
    {
        var rng = new Random(batch * 100 + size);
        var tape = Trunk(batch, c0, size, [4, 5], pad, stride, window, activation, bias);
        var x = Inputs.Random(tape, rng, 3);
        foreach (int k in new[] { 4, 8, 9 })
        {
            var jvp = tape.Jvp(k, "theta");
            var inputs = x.With("theta:tangent", Inputs.Vec(rng, k * tape.Input("theta").TotalLength));
            var fused = new Runner(TestBackends.Cpu);
            var plain = new Runner(TestBackends.Cpu, fuse: false);
            var a = fused.Run(jvp, inputs);
            var b = plain.Run(jvp, inputs);
            Assert.Equal(2, fused.PlanOf<double>(jvp).FusedSteps);
            Assert.Equal(0, plain.PlanOf<double>(jvp).FusedSteps);
            Assert.True(fused.PlanOf<double>(jvp).StepCount < plain.PlanOf<double>(jvp).StepCount);
            foreach (var (name, want) in b)
            {
                double err = Check.RelErr(a[name], want);
                Assert.True(err <= 1e-12, $"K={k} {name}: fused vs unfused relative difference {err:E2}");
            }
            var a32 = new Runner(TestBackends.Cpu).Run<float>(jvp, inputs)["logits:tangent"];
            double err32 = Check.RelErr(a32, b["logits:tangent"]);
            Assert.True(err32 <= 1e-5, $"K={k} float32 fused vs float64 unfused: {err32:E2}");
        }
    }

    /// <summary>
    /// The reverse sweep of the K-tangent JVP with respect to its tangents (the Jᵀ half of a many-vector JJᵀ): the fused
    /// cotangent steps give the unfused plan's parameter cotangents.
    /// </summary>
    [Theory]
    [MemberData(nameof(Trunks))]
    public void Fused_cotangents_of_the_k_tangent_jvp_equal_the_unfused_plan(int batch, int c0, int size, int pad, int stride, int window, int activation, bool bias)
    {
        var rng = new Random(batch * 31 + size);
        var tape = Trunk(batch, c0, size, [4, 5], pad, stride, window, activation, bias);
        var x = Inputs.Random(tape, rng, 3);
        foreach (int k in new[] { 4, 8 })
        {
            var transpose = tape.Jvp(k, "theta").Vjp(["theta:tangent"], ["logits:tangent"], keepPrimal: false);
            var inputs = x.With("logits:tangent:cotangent", Inputs.Vec(rng, k * 3 * batch));
            foreach (var g in transpose.Inputs)
                if (!inputs.Floats.ContainsKey(g.Name) && g.DType == DType.Float) inputs = inputs.With(g.Name, Inputs.Vec(rng, g.TotalLength));
            var fused = new Runner(TestBackends.Cpu);
            var plain = new Runner(TestBackends.Cpu, fuse: false);
            var a = fused.Run(transpose, inputs);
            var b = plain.Run(transpose, inputs);
            Assert.Equal(2, fused.PlanOf<double>(transpose).FusedSteps);
            foreach (var (name, want) in b)
            {
                double err = Check.RelErr(a[name], want);
                Assert.True(err <= 1e-12, $"K={k} {name}: fused vs unfused relative difference {err:E2}");
            }
            var a32 = new Runner(TestBackends.Cpu).Run<float>(transpose, inputs)["theta:tangent:cotangent"];
            double err32 = Check.RelErr(a32, b["theta:tangent:cotangent"]);
            Assert.True(err32 <= 1e-5, $"K={k} float32 fused vs float64 unfused: {err32:E2}");
        }
    }

    [Fact]
    public void Fused_k_tangents_equal_single_jvps_which_match_finite_differences()
    {
        var rng = new Random(7);
        var tape = Trunk(2, 1, 12, [3, 4], 1, 1, 2);
        var x = Inputs.Random(tape, rng, 3);
        var r = new Runner(TestBackends.Cpu);
        Check.Jvp(r, tape, "theta", "logits", x, rng);
        Check.KTangents(r, tape, "theta", "logits", x, rng, 8);
        Check.KTangents(r, tape, "x", "logits", x, rng, 8);
    }

    [Fact]
    public void Backends_without_the_kernel_and_single_tangents_run_unfused()
    {
        var tape = Trunk(1, 1, 10, [2], 1, 1, 2);
        using var k8 = tape.Jvp(8, "theta").Plan<double>(TestBackends.IlgpuCpu);
        Assert.Equal(0, k8.FusedSteps);
        using var k1 = tape.Jvp(1, "theta").Plan<double>(TestBackends.Cpu);
        Assert.Equal(0, k1.FusedSteps);
        using var k8cpu = tape.Jvp(8, "theta").Plan<double>(TestBackends.Cpu);
        Assert.Equal(1, k8cpu.FusedSteps);
    }
}
