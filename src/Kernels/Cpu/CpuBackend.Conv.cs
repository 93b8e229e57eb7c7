using System.Runtime.CompilerServices;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override unsafe void Conv2dForward<T>(in Conv2dGeometry g, BufferView<T> x, BufferView<T> w, BufferView<T> y)
    {
        RequireFloat<T>();
        ConvShape.Validate("conv2d forward", g, "x", x, "w", w, "y", y);
        if (typeof(T) == typeof(float)) Conv.Forward(g, (float*)PtrOf(x), (float*)PtrOf(w), (float*)PtrOf(y));
        else Conv.Forward(g, (double*)PtrOf(x), (double*)PtrOf(w), (double*)PtrOf(y));
    }

    /// <inheritdoc />
    /// <remarks>
    /// Few-tap geometries run the direct kernel over all E·K output channels at once, writing each set's outputs in
    /// place; others run one convolution with the E sets as E·K output channels (the input packed once for all) into
    /// the calling thread's scratch, then copy its [N, E, K·OH·OW] blocks to [E, N, K·OH·OW].
    /// </remarks>
    public override unsafe void Conv2dForwardSets<T>(in Conv2dGeometry g, int sets, BufferView<T> x, BufferView<T> w, BufferView<T> y)
    {
        RequireFloat<T>();
        ConvShape.ValidateSets("conv2d forward (weight sets)", g, sets, w, y);
        ConvShape.Require("conv2d forward (weight sets)", "x", x, g.InputLength, g);
        if (typeof(T) == typeof(float)) Conv.ForwardSets(g, sets, (float*)PtrOf(x), (float*)PtrOf(w), (float*)PtrOf(y));
        else Conv.ForwardSets(g, sets, (double*)PtrOf(x), (double*)PtrOf(w), (double*)PtrOf(y));
    }

    /// <inheritdoc />
    public override unsafe void Conv2dBackwardInput<T>(in Conv2dGeometry g, BufferView<T> dy, BufferView<T> w, BufferView<T> dx)
    {
        RequireFloat<T>();
        ConvShape.Validate("conv2d backward-input", g, "dx", dx, "w", w, "dy", dy);
        if (typeof(T) == typeof(float)) Conv.BackwardInput(g, (float*)PtrOf(dy), (float*)PtrOf(w), (float*)PtrOf(dx));
        else Conv.BackwardInput(g, (double*)PtrOf(dy), (double*)PtrOf(w), (double*)PtrOf(dx));
    }

    /// <inheritdoc />
    public override unsafe void Conv2dBackwardWeight<T>(in Conv2dGeometry g, BufferView<T> x, BufferView<T> dy, BufferView<T> dw, T beta)
    {
        RequireFloat<T>();
        ConvShape.Validate("conv2d backward-weight", g, "x", x, "dw", dw, "dy", dy);
        if (typeof(T) == typeof(float))
            Conv.BackwardWeight(g, (float*)PtrOf(x), (float*)PtrOf(dy), (float*)PtrOf(dw), Unsafe.As<T, float>(ref beta));
        else
            Conv.BackwardWeight(g, (double*)PtrOf(x), (double*)PtrOf(dy), (double*)PtrOf(dw), Unsafe.As<T, double>(ref beta));
    }
}
