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
    /// <remarks>Yes for float/double with 256-bit vectors and at least half a vector of tangents (4 in float).</remarks>
    public override bool SupportsConvActivationMaxPoolTangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int tangents)
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double)) return false;
        bool fits = pool.N == conv.N && pool.C == conv.K && pool.H == conv.OutH && pool.W == conv.OutW
                    && pool.OutH * pool.OutW <= 4096 && conv.OutH * conv.OutW <= 16384 && conv.C * conv.R * conv.S <= 4096;
        return fits && (typeof(T) == typeof(float) ? ConvPoolTangent.Suits<float>(conv, tangents) : ConvPoolTangent.Suits<double>(conv, tangents));
    }

    /// <inheritdoc />
    public override unsafe void ConvActivationMaxPoolTangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int tangents,
        TangentActivation activation, BufferView<T> x, BufferView<T> w, BufferView<T> xdot, BufferView<T> wdot, BufferView<T> bdot,
        BufferView<T> a, BufferView<int> argmax, BufferView<T> t)
    {
        RequireFloat<T>();
        const string kernel = "conv-activation-maxpool tangent";
        if (!SupportsConvActivationMaxPoolTangent<T>(conv, pool, tangents))
            throw new NotSupportedException($"{kernel}: this case is not served (conv {conv.N}×{conv.C}×{conv.H}×{conv.W} → {conv.K}, pool {pool.H}×{pool.W} → {pool.OutH}×{pool.OutW}, {tangents} tangents).");
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), activation, $"{kernel}: unknown activation.");
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

    /// <inheritdoc />
    /// <remarks>Yes where the tangent kernel is, with per-task buffers that fit the stack.</remarks>
    public override bool SupportsConvActivationMaxPoolCotangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int sets)
        => SupportsConvActivationMaxPoolTangent<T>(conv, pool, sets) && pool.OutH * pool.OutW * ((sets + 7) / 8 * 8) <= 16384;

    /// <inheritdoc />
    public override unsafe void ConvActivationMaxPoolCotangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int sets,
        TangentActivation activation, BufferView<T> ct, BufferView<int> argmax, BufferView<T> a, BufferView<T> x, BufferView<T> w,
        BufferView<T> dw, BufferView<T> dx, BufferView<T> db)
    {
        RequireFloat<T>();
        const string kernel = "conv-activation-maxpool cotangent";
        if (!SupportsConvActivationMaxPoolCotangent<T>(conv, pool, sets))
            throw new NotSupportedException($"{kernel}: this case is not served (conv {conv.N}×{conv.C}×{conv.H}×{conv.W} → {conv.K}, pool {pool.H}×{pool.W} → {pool.OutH}×{pool.OutW}, {sets} sets).");
        if (!Enum.IsDefined(activation)) throw new ArgumentOutOfRangeException(nameof(activation), activation, $"{kernel}: unknown activation.");
        int pooled = pool.OutputLength;
        if (ct.IsNull || ct.Length < (long)sets * pooled) throw new ArgumentException($"{kernel}: ct has {ct.Length} elements but {(long)sets * pooled} are needed.");
        if (argmax.IsNull || argmax.Length < pooled) throw new ArgumentException($"{kernel}: argmax has {argmax.Length} elements but {pooled} are needed.");
        ConvShape.Require(kernel, "a", a, conv.OutputLength, conv);
        ConvShape.Require(kernel, "x", x, conv.InputLength, conv);
        ConvShape.Require(kernel, "dw", dw, checked(sets * conv.WeightLength), conv);
        if (!dx.IsNull)
        {
            ConvShape.Require(kernel, "w", w, conv.WeightLength, conv);
            ConvShape.Require(kernel, "dx", dx, checked(sets * conv.InputLength), conv);
        }
        if (!db.IsNull && db.Length < (long)sets * conv.K) throw new ArgumentException($"{kernel}: db has {db.Length} elements but {(long)sets * conv.K} are needed.");
        int* arg = (int*)PtrOf(argmax);
        if (typeof(T) == typeof(float))
            ConvPoolCotangent.Run(conv, pool, sets, activation, (float*)PtrOf(ct), arg, (float*)PtrOf(a), (float*)PtrOf(x),
                dx.IsNull ? null : (float*)PtrOf(w), (float*)PtrOf(dw), dx.IsNull ? null : (float*)PtrOf(dx), db.IsNull ? null : (float*)PtrOf(db));
        else
            ConvPoolCotangent.Run(conv, pool, sets, activation, (double*)PtrOf(ct), arg, (double*)PtrOf(a), (double*)PtrOf(x),
                dx.IsNull ? null : (double*)PtrOf(w), (double*)PtrOf(dw), dx.IsNull ? null : (double*)PtrOf(dx), db.IsNull ? null : (double*)PtrOf(db));
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
