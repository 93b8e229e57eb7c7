using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

// The optional capability of the fused conv (+ bias) → activation → max-pool tangent; the kernel is ConvPoolTangent.
public sealed partial class CpuBackend : IConvActivationMaxPoolTangent
{
    /// <inheritdoc />
    /// <remarks>
    /// Yes for float/double with 256-bit vectors, at least half a vector of tangents (4 in float), ReLU, tanh or σ, and
    /// planes whose per-task buffers stay small.
    /// </remarks>
    public bool SupportsConvActivationMaxPoolTangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int tangents, DerivativeKind activation)
        where T : unmanaged
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double)) return false;
        if (activation is not (DerivativeKind.Relu or DerivativeKind.TanhFromOutput or DerivativeKind.SigmoidFromOutput)) return false;
        bool fits = pool.N == conv.N && pool.C == conv.K && pool.H == conv.OutH && pool.W == conv.OutW
                    && pool.OutH * pool.OutW <= 4096 && conv.OutH * conv.OutW <= 16384 && conv.C * conv.R * conv.S <= 4096;
        return fits && (typeof(T) == typeof(float) ? ConvPoolTangent.Suits<float>(conv, tangents) : ConvPoolTangent.Suits<double>(conv, tangents));
    }

    /// <inheritdoc />
    public unsafe void ConvActivationMaxPoolTangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int tangents,
        DerivativeKind activation, BufferView<T> x, BufferView<T> w, BufferView<T> xdot, BufferView<T> wdot, BufferView<T> bdot,
        BufferView<T> a, BufferView<int> argmax, BufferView<T> t) where T : unmanaged
    {
        RequireFloat<T>();
        const string kernel = "conv-activation-maxpool tangent";
        if (!SupportsConvActivationMaxPoolTangent<T>(conv, pool, tangents, activation))
            throw new NotSupportedException($"{kernel}: this case is not served (conv {conv.N}×{conv.C}×{conv.H}×{conv.W} → {conv.K}, pool {pool.H}×{pool.W} → {pool.OutH}×{pool.OutW}, {tangents} tangents, {activation}).");
        ConvShape.Require(kernel, "x", x, conv.InputLength, conv);
        ConvShape.Require(kernel, "wdot", wdot, checked(tangents * conv.WeightLength), conv);
        if (!xdot.IsNull)
        {
            ConvShape.Require(kernel, "w", w, conv.WeightLength, conv);
            ConvShape.Require(kernel, "xdot", xdot, checked(tangents * conv.InputLength), conv);
        }
        if (!bdot.IsNull && bdot.Length < (long)tangents * conv.K)
            throw new ArgumentException($"{kernel}: bdot has {bdot.Length} elements but {(long)tangents * conv.K} are needed.");
        ConvShape.Require(kernel, "a", a, conv.OutputLength, conv);
        int pooled = pool.OutputLength;
        if (argmax.IsNull || argmax.Length < pooled) throw new ArgumentException($"{kernel}: argmax has {argmax.Length} elements but {pooled} are needed.");
        if (t.IsNull || t.Length < (long)tangents * pooled) throw new ArgumentException($"{kernel}: t has {t.Length} elements but {(long)tangents * pooled} are needed.");
        int* arg = (int*)PtrOf(argmax);
        if (typeof(T) == typeof(float))
            ConvPoolTangent.Run(conv, pool, tangents, activation, (float*)PtrOf(x), xdot.IsNull ? null : (float*)PtrOf(w), xdot.IsNull ? null : (float*)PtrOf(xdot),
                (float*)PtrOf(wdot), bdot.IsNull ? null : (float*)PtrOf(bdot), (float*)PtrOf(a), arg, (float*)PtrOf(t));
        else
            ConvPoolTangent.Run(conv, pool, tangents, activation, (double*)PtrOf(x), xdot.IsNull ? null : (double*)PtrOf(w), xdot.IsNull ? null : (double*)PtrOf(xdot),
                (double*)PtrOf(wdot), bdot.IsNull ? null : (double*)PtrOf(bdot), (double*)PtrOf(a), arg, (double*)PtrOf(t));
    }
}
