using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Models.Layers;

/// <summary>Distribution a parameter tensor is drawn from (fan-in n, fan-out m of its layer).</summary>
public enum InitScheme
{
    /// <summary>All zeros (biases, batch-norm shift).</summary>
    Zeros,
    /// <summary>All ones (norm scales).</summary>
    Ones,
    /// <summary>PyTorch's default for Linear/Conv: U(±1/√n) (kaiming_uniform with a = √5; same bound for the bias).</summary>
    TorchDefault,
    /// <summary>He et al. 2015 for ReLU nets: N(0, 2/n).</summary>
    KaimingNormal,
    /// <summary>He et al. 2015, uniform: U(±√(6/n)).</summary>
    KaimingUniform,
    /// <summary>Glorot &amp; Bengio 2010: U(±√(6/(n + m))).</summary>
    XavierUniform,
    /// <summary>Glorot &amp; Bengio 2010, normal: N(0, 2/(n + m)).</summary>
    XavierNormal,
    /// <summary>LeCun 1998 for tanh/SELU nets: N(0, 1/n).</summary>
    LeCunNormal,
    /// <summary>LeCun, uniform: U(±√(3/n)).</summary>
    LeCunUniform,
}

/// <summary>The weight initialisation a Dense or Conv2d layer asks for; biases follow (see <see cref="Initialization"/>).</summary>
public enum WeightInit
{
    /// <summary>PyTorch's defaults (weights and biases U(±1/√fan-in)): what the reference MAP nets were trained from.</summary>
    Default,
    /// <summary>Kaiming normal weights, zero biases (ReLU nets).</summary>
    Kaiming,
    /// <summary>Xavier uniform weights, zero biases (tanh/sigmoid nets).</summary>
    Xavier,
    /// <summary>LeCun normal weights, zero biases.</summary>
    LeCun,
}

/// <summary>Draws parameter tensors on a device from the Philox generator: one stream per tensor, so reproducible from one seed.</summary>
public static class Initialization
{
    /// <summary>The scheme of a weight under <paramref name="init"/>.</summary>
    public static InitScheme Weight(WeightInit init) => init switch
    {
        WeightInit.Kaiming => InitScheme.KaimingNormal,
        WeightInit.Xavier => InitScheme.XavierUniform,
        WeightInit.LeCun => InitScheme.LeCunNormal,
        _ => InitScheme.TorchDefault,
    };

    /// <summary>The scheme of a bias under <paramref name="init"/>.</summary>
    public static InitScheme Bias(WeightInit init) => init == WeightInit.Default ? InitScheme.TorchDefault : InitScheme.Zeros;

    /// <summary>
    /// Fills <paramref name="y"/> from <paramref name="scheme"/> with Philox stream <paramref name="stream"/> under
    /// <paramref name="seed"/>: uniform U(±b) as 2b·u − b, normal N(0, s²) as s·z.
    /// </summary>
    public static void Fill<T>(Backend backend, BufferView<T> y, InitScheme scheme, int fanIn, int fanOut, ulong seed, ulong stream)
        where T : unmanaged
    {
        double n = Math.Max(fanIn, 1), m = Math.Max(fanOut, 1);
        switch (scheme)
        {
            case InitScheme.Zeros: backend.Fill(y, Convert<T>(0)); return;
            case InitScheme.Ones: backend.Fill(y, Convert<T>(1)); return;
            case InitScheme.TorchDefault: Uniform(backend, y, 1 / Math.Sqrt(n), seed, stream); return;
            case InitScheme.KaimingUniform: Uniform(backend, y, Math.Sqrt(6 / n), seed, stream); return;
            case InitScheme.XavierUniform: Uniform(backend, y, Math.Sqrt(6 / (n + m)), seed, stream); return;
            case InitScheme.LeCunUniform: Uniform(backend, y, Math.Sqrt(3 / n), seed, stream); return;
            case InitScheme.KaimingNormal: Normal(backend, y, Math.Sqrt(2 / n), seed, stream); return;
            case InitScheme.XavierNormal: Normal(backend, y, Math.Sqrt(2 / (n + m)), seed, stream); return;
            case InitScheme.LeCunNormal: Normal(backend, y, Math.Sqrt(1 / n), seed, stream); return;
            default: throw new ArgumentOutOfRangeException(nameof(scheme), scheme, "unknown initialisation scheme.");
        }
    }

    private static void Uniform<T>(Backend be, BufferView<T> y, double bound, ulong seed, ulong stream) where T : unmanaged
    {
        be.RandomUniform(y, seed, stream, 0);
        MapAffine(be, y, 2 * bound, -bound);
    }

    private static void Normal<T>(Backend be, BufferView<T> y, double std, ulong seed, ulong stream) where T : unmanaged
    {
        be.RandomNormal(y, seed, stream, 0);
        MapAffine(be, y, std, 0);
    }

    private static void MapAffine<T>(Backend be, BufferView<T> y, double a, double b) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) be.Map<float, Affine>(new Affine(a, b), As<T, float>(y), As<T, float>(y));
        else if (typeof(T) == typeof(double)) be.Map<double, Affine>(new Affine(a, b), As<T, double>(y), As<T, double>(y));
        else throw new NotSupportedException($"parameters are float or double, not {typeof(T).Name}.");
    }

    internal static BufferView<TTo> As<TFrom, TTo>(BufferView<TFrom> v) where TFrom : unmanaged where TTo : unmanaged =>
        System.Runtime.CompilerServices.Unsafe.As<BufferView<TFrom>, BufferView<TTo>>(ref v);

    internal static T Convert<T>(double v) where T : unmanaged =>
        typeof(T) == typeof(float) ? (T)(object)(float)v : (T)(object)v;
}
