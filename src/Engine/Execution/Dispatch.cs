using System.Runtime.CompilerServices;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Engine.Execution;

/// <summary>
/// Calls the backend's functor kernels from code generic in the plan's element type T: the functors implement their
/// interfaces for float and double separately, so T is resolved here (the type test folds away when jitted).
/// </summary>
internal static class Dispatch
{
    public static BufferView<TTo> As<T, TTo>(BufferView<T> v) where T : unmanaged where TTo : unmanaged =>
        Unsafe.As<BufferView<T>, BufferView<TTo>>(ref v);

    public static void Map<T, TOp>(Backend be, TOp op, BufferView<T> x, BufferView<T> y)
        where T : unmanaged where TOp : struct, IUnaryOp<float>, IUnaryOp<double>
    {
        if (typeof(T) == typeof(float)) be.Map<float, TOp>(op, As<T, float>(x), As<T, float>(y));
        else be.Map<double, TOp>(op, As<T, double>(x), As<T, double>(y));
    }

    public static void Map2<T, TOp>(Backend be, TOp op, BufferView<T> a, BufferView<T> b, BufferView<T> c)
        where T : unmanaged where TOp : struct, IBinaryOp<float>, IBinaryOp<double>
    {
        if (typeof(T) == typeof(float)) be.Map2<float, TOp>(op, As<T, float>(a), As<T, float>(b), As<T, float>(c));
        else be.Map2<double, TOp>(op, As<T, double>(a), As<T, double>(b), As<T, double>(c));
    }

    public static void Map2Broadcast<T, TOp>(Backend be, TOp op, in BroadcastLayout layout, BufferView<T> a, BufferView<T> b, BufferView<T> c)
        where T : unmanaged where TOp : struct, IBinaryOp<float>, IBinaryOp<double>
    {
        if (typeof(T) == typeof(float)) be.Map2Broadcast<float, TOp>(op, layout, As<T, float>(a), As<T, float>(b), As<T, float>(c));
        else be.Map2Broadcast<double, TOp>(op, layout, As<T, double>(a), As<T, double>(b), As<T, double>(c));
    }

    public static void Sum<T>(Backend be, BufferView<T> x, int outer, int axis, int inner, BufferView<T> y) where T : unmanaged
    {
        if (typeof(T) == typeof(float)) be.Reduce<float, SumOp>(default, As<T, float>(x), outer, axis, inner, As<T, float>(y));
        else be.Reduce<double, SumOp>(default, As<T, double>(x), outer, axis, inner, As<T, double>(y));
    }
}
