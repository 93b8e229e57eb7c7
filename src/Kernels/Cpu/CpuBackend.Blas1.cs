using System.Runtime.CompilerServices;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public override void Axpy<T>(T alpha, BufferView<T> x, BufferView<T> y)
    {
        RequireFloat<T>();
        KernelChecks.SameLength("Axpy", "x", x, "y", y);
        var op = new Axpby(ToDouble(alpha), 1.0);
        if (typeof(T) == typeof(float)) Map2(op, AsView<T, float>(x), AsView<T, float>(y), AsView<T, float>(y));
        else Map2(op, AsView<T, double>(x), AsView<T, double>(y), AsView<T, double>(y));
    }

    /// <inheritdoc />
    public override void Scal<T>(T alpha, BufferView<T> x)
    {
        RequireFloat<T>();
        RequireLength("Scal", "x", x, 0);
        var op = new Scale(ToDouble(alpha));
        if (typeof(T) == typeof(float)) Map(op, AsView<T, float>(x), AsView<T, float>(x));
        else Map(op, AsView<T, double>(x), AsView<T, double>(x));
    }

    /// <inheritdoc />
    public override unsafe T Dot<T>(BufferView<T> x, BufferView<T> y)
    {
        RequireFloat<T>();
        KernelChecks.SameLength("Dot", "x", x, "y", y);
        int kind = typeof(T) == typeof(float) ? 0 : 1;
        double r = Blas1Reduce(kind, PtrOf(x), PtrOf(y), 1.0, x.Length);
        return FromDouble<T>(r);
    }

    /// <inheritdoc />
    public override unsafe T Nrm2<T>(BufferView<T> x)
    {
        RequireFloat<T>();
        RequireLength("Nrm2", "x", x, 0);
        void* px = PtrOf(x);
        if (typeof(T) == typeof(float))
        {
            // Squares of floats are exact in double and cannot overflow there, so no scaling is needed.
            return FromDouble<T>(Math.Sqrt(Blas1Reduce(0, px, px, 1.0, x.Length)));
        }
        // Double: scale by a power of two near 1/max|x| (exact) so that Σ(x/m)² neither overflows nor underflows.
        double m = Blas1Reduce(2, px, px, 1.0, x.Length);
        if (m == 0 || !double.IsFinite(m)) return FromDouble<T>(m);
        double s = Math.ScaleB(1.0, -Math.ILogB(m));
        return FromDouble<T>(Math.Sqrt(Blas1Reduce(3, px, px, s, x.Length)) / s);
    }

    /// <summary>The kernel of <paramref name="kind"/> (see <see cref="Blas1Range"/>) over n elements, the same value on any number of threads.</summary>
    private static unsafe double Blas1Reduce(int kind, void* x, void* y, double scale, int n) =>
        PairwiseTree.Reduce<double, Blas1Range>(new Blas1Range { Kind = kind, X = x, Y = y, Scale = scale }, n, ElementwiseKernels.TaskCount(n));

    /// <summary>Reinterprets a view whose element type is known to be <typeparamref name="TTo"/>.</summary>
    private static BufferView<TTo> AsView<T, TTo>(BufferView<T> v) where T : unmanaged where TTo : unmanaged
        => Unsafe.As<BufferView<T>, BufferView<TTo>>(ref v);

    private static double ToDouble<T>(T v) where T : unmanaged
        => typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref v) : Unsafe.As<T, double>(ref v);

    private static T FromDouble<T>(double v) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            float f = (float)v;
            return Unsafe.As<float, T>(ref f);
        }
        return Unsafe.As<double, T>(ref v);
    }
}
