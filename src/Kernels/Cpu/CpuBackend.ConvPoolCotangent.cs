using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

// The optional capability of the fused conv (+ bias) → activation → max-pool cotangent; the kernel is ConvPoolCotangent.
public sealed partial class CpuBackend : IConvActivationMaxPoolCotangent
{
    /// <inheritdoc />
    /// <remarks>Yes where the tangent kernel is, with per-task buffers that fit the stack.</remarks>
    public bool SupportsConvActivationMaxPoolCotangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int sets, DerivativeKind activation)
        where T : unmanaged
        => SupportsConvActivationMaxPoolTangent<T>(conv, pool, sets, activation) && pool.OutH * pool.OutW * ((sets + 7) / 8 * 8) <= 16384;

    /// <inheritdoc />
    public unsafe void ConvActivationMaxPoolCotangent<T>(in Conv2dGeometry conv, in Pool2dGeometry pool, int sets,
        DerivativeKind activation, BufferView<T> ct, BufferView<int> argmax, BufferView<T> a, BufferView<T> x, BufferView<T> w,
        BufferView<T> dw, BufferView<T> dx, BufferView<T> db) where T : unmanaged
    {
        RequireFloat<T>();
        const string kernel = "conv-activation-maxpool cotangent";
        if (!SupportsConvActivationMaxPoolCotangent<T>(conv, pool, sets, activation))
            throw new NotSupportedException($"{kernel}: this case is not served (conv {conv.N}×{conv.C}×{conv.H}×{conv.W} → {conv.K}, pool {pool.H}×{pool.W} → {pool.OutH}×{pool.OutW}, {sets} sets, {activation}).");
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
}
