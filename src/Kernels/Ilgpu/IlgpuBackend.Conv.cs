using System.Numerics;
using System.Runtime.CompilerServices;
using ILGPU;
using ILGPU.Runtime;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Conv2dForward<T>(in Conv2dGeometry g, BufferView<T> x, BufferView<T> w, BufferView<T> y)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        ConvShape.Validate("conv2d forward", g, "x", x, "w", w, "y", y);
        if (typeof(T) == typeof(float)) LaunchConv<T, float>("conv2d.forward", g, x, w, y, 0f, g.OutputLength);
        else LaunchConv<T, double>("conv2d.forward", g, x, w, y, 0.0, g.OutputLength);
    }

    /// <inheritdoc />
    public override void Conv2dBackwardInput<T>(in Conv2dGeometry g, BufferView<T> dy, BufferView<T> w, BufferView<T> dx)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        ConvShape.Validate("conv2d backward-input", g, "dx", dx, "w", w, "dy", dy);
        if (typeof(T) == typeof(float)) LaunchConv<T, float>("conv2d.backward-input", g, dy, w, dx, 0f, g.InputLength);
        else LaunchConv<T, double>("conv2d.backward-input", g, dy, w, dx, 0.0, g.InputLength);
    }

    /// <inheritdoc />
    public override void Conv2dBackwardWeight<T>(in Conv2dGeometry g, BufferView<T> x, BufferView<T> dy, BufferView<T> dw, T beta)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        ConvShape.Validate("conv2d backward-weight", g, "x", x, "dw", dw, "dy", dy);
        if (typeof(T) == typeof(float)) LaunchConv<T, float>("conv2d.backward-weight", g, x, dy, dw, Unsafe.As<T, float>(ref beta), g.WeightLength);
        else LaunchConv<T, double>("conv2d.backward-weight", g, x, dy, dw, Unsafe.As<T, double>(ref beta), g.WeightLength);
    }

    /// <summary>Launches one of the direct kernels over <paramref name="threads"/> output elements.</summary>
    private void LaunchConv<T, F>(string name, in Conv2dGeometry g, BufferView<T> in1, BufferView<T> in2, BufferView<T> output, F beta, int threads)
        where T : unmanaged where F : unmanaged, INumber<F>
    {
        var kernel = GetKernel(name, typeof(F), acc => acc.LoadAutoGroupedStreamKernel<Index1D, ArrayView<F>, ArrayView<F>, ArrayView<F>, ConvParams<F>>(
            name switch
            {
                "conv2d.forward" => ConvKernels.Forward,
                "conv2d.backward-input" => ConvKernels.BackwardInput,
                _ => ConvKernels.BackwardWeight,
            }));
        var p = new ConvParams<F>
        {
            N = g.N, C = g.C, H = g.H, W = g.W, K = g.K, R = g.R, S = g.S,
            StrideH = g.StrideH, StrideW = g.StrideW, PadH = g.PadH, PadW = g.PadW, OutH = g.OutH, OutW = g.OutW,
            Beta = beta, BetaIsZero = beta == F.Zero ? 1 : 0,
        };
        kernel(threads, Cast<T, F>(in1), Cast<T, F>(in2), Cast<T, F>(output), p);
    }
}
