using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void Axpy<T>(T alpha, BufferView<T> x, BufferView<T> y)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        KernelChecks.SameLength("Axpy", "x", x, "y", y);
        var op = new Axpby(ToDouble(alpha), 1.0);
        if (typeof(T) == typeof(float)) Map2(op, AsView<T, float>(x), AsView<T, float>(y), AsView<T, float>(y));
        else Map2(op, AsView<T, double>(x), AsView<T, double>(y), AsView<T, double>(y));
    }

    /// <inheritdoc />
    public override void Scal<T>(T alpha, BufferView<T> x)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        RequireLength("Scal", "x", x, 0);
        var op = new Scale(ToDouble(alpha));
        if (typeof(T) == typeof(float)) Map(op, AsView<T, float>(x), AsView<T, float>(x));
        else Map(op, AsView<T, double>(x), AsView<T, double>(x));
    }

    /// <inheritdoc />
    /// <remarks>Accumulates in the element type: per-thread strided partial sums, then shared-memory trees.</remarks>
    public override T Dot<T>(BufferView<T> x, BufferView<T> y)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        KernelChecks.SameLength("Dot", "x", x, "y", y);
        if (x.Length == 0) return default;
        if (typeof(T) == typeof(float))
        {
            float r = Map2ReduceToHost(new Mul(), new SumOp(), ViewOf(AsView<T, float>(x)), ViewOf(AsView<T, float>(y)));
            return System.Runtime.CompilerServices.Unsafe.As<float, T>(ref r);
        }
        double d = Map2ReduceToHost(new Mul(), new SumOp(), ViewOf(AsView<T, double>(x)), ViewOf(AsView<T, double>(y)));
        return System.Runtime.CompilerServices.Unsafe.As<double, T>(ref d);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Two device passes: m = max|x|, then Σ(s·x)² with s = 2^−⌊log₂ m⌋ (exact scaling), ‖x‖ = √Σ / s; so entries
    /// near the overflow threshold (1e30 in float) neither overflow nor lose precision.
    /// </remarks>
    public override T Nrm2<T>(BufferView<T> x)
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        RequireLength("Nrm2", "x", x, 0);
        if (x.Length == 0) return default;
        if (typeof(T) == typeof(float))
        {
            var v = ViewOf(AsView<T, float>(x));
            float m = MapReduceToHost(new Abs(), new MaxOp(), v);
            float r = m;
            if (m != 0 && float.IsFinite(m))
            {
                // Keep s inside float's normal range (subnormal maxima are the only case where this clamps).
                double s = Math.ScaleB(1.0, Math.Clamp(-Math.ILogB(m), -126, 126));
                float sum = MapReduceToHost(new ScaledSquare(s), new SumOp(), v);
                r = (float)(Math.Sqrt(sum) / s);
            }
            return System.Runtime.CompilerServices.Unsafe.As<float, T>(ref r);
        }
        var dv = ViewOf(AsView<T, double>(x));
        double dm = MapReduceToHost(new Abs(), new MaxOp(), dv);
        double dr = dm;
        if (dm != 0 && double.IsFinite(dm))
        {
            double s = Math.ScaleB(1.0, -Math.ILogB(dm));
            dr = Math.Sqrt(MapReduceToHost(new ScaledSquare(s), new SumOp(), dv)) / s;
        }
        return System.Runtime.CompilerServices.Unsafe.As<double, T>(ref dr);
    }

    private static double ToDouble<T>(T v) where T : unmanaged
        => typeof(T) == typeof(float) ? System.Runtime.CompilerServices.Unsafe.As<T, float>(ref v) : System.Runtime.CompilerServices.Unsafe.As<T, double>(ref v);
}
