using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Cpu;

/// <summary>What a softmax-family row kernel writes.</summary>
internal enum SoftmaxMode
{
    /// <summary>y = softmax(x).</summary>
    Softmax,
    /// <summary>y = log softmax(x) = x − logsumexp(x).</summary>
    LogSoftmax,
    /// <summary>probs = softmax(x), loss = logsumexp(x) − x[label].</summary>
    CrossEntropy,
}

/// <summary>
/// Row kernels of the softmax family, max-subtracted: m = max x, s = Σ e^{x−m}, softmax = e^{x−m}/s,
/// logsumexp = m + ln s. <typeparamref name="TExp"/> supplies the vector exponential for <typeparamref name="TF"/>.
/// </summary>
internal static unsafe class SoftmaxKernels<TF, TExp> where TF : unmanaged, IFloatingPointIeee754<TF> where TExp : struct, IUnaryOp<TF>
{
    /// <summary>max of x[0, n) (n ≥ 1).</summary>
    public static TF Max(TF* x, int n)
    {
        int i = 0;
        TF m = TF.NegativeInfinity;
        if (Vector512.IsHardwareAccelerated && n >= Vector512<TF>.Count)
        {
            int w = Vector512<TF>.Count;
            var v = Vector512.Load(x);
            for (i = w; i <= n - w; i += w) v = Vector512.Max(v, Vector512.Load(x + i));
            for (int l = 0; l < w; l++) m = TF.Max(m, v.GetElement(l));
        }
        else if (Vector256.IsHardwareAccelerated && n >= Vector256<TF>.Count)
        {
            int w = Vector256<TF>.Count;
            var v = Vector256.Load(x);
            for (i = w; i <= n - w; i += w) v = Vector256.Max(v, Vector256.Load(x + i));
            for (int l = 0; l < w; l++) m = TF.Max(m, v.GetElement(l));
        }
        for (; i < n; i++) m = TF.Max(m, x[i]);
        return m;
    }

    /// <summary>e[i] = exp(x[i] − m) (stored when <paramref name="e"/> is not null); returns Σ e[i].</summary>
    public static TF ExpSum(TF* x, TF m, TF* e, int n)
    {
        TExp exp = default;
        int i = 0;
        TF s = TF.Zero;
        if (Vector512.IsHardwareAccelerated)
        {
            int w = Vector512<TF>.Count;
            var vm = Vector512.Create(m);
            var acc = Vector512<TF>.Zero;
            for (; i <= n - w; i += w)
            {
                var v = exp.Apply(Vector512.Load(x + i) - vm);
                if (e != null) Vector512.Store(v, e + i);
                acc += v;
            }
            s = Vector512.Sum(acc);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            int w = Vector256<TF>.Count;
            var vm = Vector256.Create(m);
            var acc = Vector256<TF>.Zero;
            for (; i <= n - w; i += w)
            {
                var v = exp.Apply(Vector256.Load(x + i) - vm);
                if (e != null) Vector256.Store(v, e + i);
                acc += v;
            }
            s = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            TF v = exp.Apply(x[i] - m);
            if (e != null) e[i] = v;
            s += v;
        }
        return s;
    }

    /// <summary>
    /// y[i] = (x[i] − m) − c. The first difference is exact for the entries that matter (Sterbenz), so large logits
    /// (m ≈ 1e4) keep full relative accuracy, which x − (m + c) would lose to the rounding of m + c.
    /// </summary>
    public static void ShiftTwice(TF* x, TF m, TF c, TF* y, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            int w = Vector512<TF>.Count;
            var vm = Vector512.Create(m);
            var vc = Vector512.Create(c);
            for (; i <= n - w; i += w) Vector512.Store((Vector512.Load(x + i) - vm) - vc, y + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            int w = Vector256<TF>.Count;
            var vm = Vector256.Create(m);
            var vc = Vector256.Create(c);
            for (; i <= n - w; i += w) Vector256.Store((Vector256.Load(x + i) - vm) - vc, y + i);
        }
        for (; i < n; i++) y[i] = (x[i] - m) - c;
    }

    /// <summary>y[i] = x[i]·a + b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Affine(TF* x, TF a, TF b, TF* y, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            int w = Vector512<TF>.Count;
            var va = Vector512.Create(a);
            var vb = Vector512.Create(b);
            for (; i <= n - w; i += w) Vector512.Store(Vector512.Load(x + i) * va + vb, y + i);
        }
        else if (Vector256.IsHardwareAccelerated)
        {
            int w = Vector256<TF>.Count;
            var va = Vector256.Create(a);
            var vb = Vector256.Create(b);
            for (; i <= n - w; i += w) Vector256.Store(Vector256.Load(x + i) * va + vb, y + i);
        }
        for (; i < n; i++) y[i] = x[i] * a + b;
    }

    /// <summary>One row of the family (cols ≥ 1).</summary>
    public static void Row(SoftmaxMode mode, TF* x, int cols, TF* y, int label, TF* loss)
    {
        TF m = Max(x, cols);
        if (mode == SoftmaxMode.LogSoftmax)
        {
            TF s = ExpSum(x, m, null, cols);
            ShiftTwice(x, m, TF.Log(s), y, cols);
            return;
        }
        TF sum = ExpSum(x, m, y, cols);
        Affine(y, TF.One / sum, TF.Zero, y, cols);
        if (mode == SoftmaxMode.CrossEntropy) *loss = (m - x[label]) + TF.Log(sum);
    }

    /// <summary>dx[j] = dl·(p[j] − [j = label]).</summary>
    public static void CrossEntropyBackwardRow(TF* p, int label, TF dl, int cols, TF* dx)
    {
        Affine(p, dl, TF.Zero, dx, cols);
        dx[label] -= dl;
    }
}

/// <summary>Parallel body over row ranges for the softmax family.</summary>
internal unsafe struct SoftmaxBody<TF, TExp> : IParallelBody where TF : unmanaged, IFloatingPointIeee754<TF> where TExp : struct, IUnaryOp<TF>
{
    public SoftmaxMode Mode;
    public bool Backward;
    public TF* X, Y, Loss;
    public int* Labels;
    public int Rows, Cols, RowsPerTask;

    public readonly void Run(int index)
    {
        int r0 = index * RowsPerTask, r1 = Math.Min(Rows, r0 + RowsPerTask);
        for (int r = r0; r < r1; r++)
        {
            long off = (long)r * Cols;
            if (Backward) SoftmaxKernels<TF, TExp>.CrossEntropyBackwardRow(X + off, Labels[r], Loss[r], Cols, Y + off);
            else SoftmaxKernels<TF, TExp>.Row(Mode, X + off, Cols, Y + off, Labels == null ? 0 : Labels[r], Loss == null ? null : Loss + r);
        }
    }
}
