using System.Numerics;
using System.Runtime.Intrinsics;

namespace Tangent.Kernels.Cpu;

/// <summary>
/// Argmax along the axis of x[outer, axis, inner]: the first index of the maximum. Semantics match a scalar sweep
/// with a strict "greater than" from element 0: ties keep the first index, NaNs never win unless element 0 is NaN
/// (then 0 is returned). The contiguous case finds the maximum with vectors, then the first lane equal to it; a NaN
/// anywhere makes the vector maximum NaN and falls back to the scalar sweep, which defines the result.
/// </summary>
internal static unsafe class ArgmaxKernels<TF> where TF : unmanaged, IFloatingPointIeee754<TF>
{
    /// <summary>Argmax of the contiguous row x[0, n) (n ≥ 1).</summary>
    public static int Row(TF* x, int n)
    {
        if (Vector512.IsHardwareAccelerated && n >= 4 * Vector512<TF>.Count)
        {
            int w = Vector512<TF>.Count;
            var m0 = Vector512.Load(x);
            var m1 = m0;
            int i = w;
            for (; i <= n - 2 * w; i += 2 * w)
            {
                m0 = Vector512.Max(m0, Vector512.Load(x + i));
                m1 = Vector512.Max(m1, Vector512.Load(x + i + w));
            }
            for (; i <= n - w; i += w) m0 = Vector512.Max(m0, Vector512.Load(x + i));
            m0 = Vector512.Max(m0, m1);
            TF m = m0.GetElement(0);
            bool nan = false;
            for (int l = 0; l < w; l++)
            {
                TF v = m0.GetElement(l);
                if (TF.IsNaN(v)) nan = true;
                else if (v > m) m = v;
            }
            for (; i < n; i++)
            {
                if (TF.IsNaN(x[i])) nan = true;
                else if (x[i] > m) m = x[i];
            }
            if (!nan)
            {
                var vm = Vector512.Create(m);
                int j = 0;
                for (; j <= n - w; j += w)
                {
                    ulong bits = Vector512.Equals(Vector512.Load(x + j), vm).ExtractMostSignificantBits();
                    if (bits != 0) return j + BitOperations.TrailingZeroCount(bits);
                }
                for (; j < n; j++) if (x[j] == m) return j;
            }
        }
        return Scalar(x, n, 1);
    }

    /// <summary>The defining scalar sweep over x[0], x[stride], … (n ≥ 1 entries).</summary>
    public static int Scalar(TF* x, int n, int stride)
    {
        TF best = x[0];
        int bi = 0;
        for (int a = 1; a < n; a++)
        {
            TF v = x[(long)a * stride];
            if (v > best) { best = v; bi = a; }
        }
        return bi;
    }

    /// <summary>
    /// Argmax of columns [0, width) of x[axis, stride] (row stride <paramref name="stride"/>) into indices[0, width):
    /// a row-major sweep (cache friendly) that keeps the running maxima in <paramref name="best"/>.
    /// </summary>
    public static void Columns(TF* x, int axis, int stride, int width, int* indices, TF* best)
    {
        for (int j = 0; j < width; j++) { best[j] = x[j]; indices[j] = 0; }
        for (int a = 1; a < axis; a++)
        {
            TF* row = x + (long)a * stride;
            for (int j = 0; j < width; j++)
            {
                TF v = row[j];
                if (v > best[j]) { best[j] = v; indices[j] = a; }
            }
        }
    }
}

/// <summary>Parallel body for argmax: a range of outer slices per task.</summary>
internal unsafe struct ArgmaxBody<TF> : IParallelBody where TF : unmanaged, IFloatingPointIeee754<TF>
{
    public TF* X;
    public int* Indices;
    public int Outer, Axis, Inner, OuterPerTask;

    public readonly void Run(int index)
    {
        int o0 = index * OuterPerTask, o1 = Math.Min(Outer, o0 + OuterPerTask);
        const int Tile = 1024;
        TF* best = stackalloc TF[Tile];
        for (int o = o0; o < o1; o++)
        {
            TF* xs = X + (long)o * Axis * Inner;
            if (Inner == 1)
            {
                Indices[o] = ArgmaxKernels<TF>.Row(xs, Axis);
                continue;
            }
            for (int j0 = 0; j0 < Inner; j0 += Tile)
                ArgmaxKernels<TF>.Columns(xs + j0, Axis, Inner, Math.Min(Tile, Inner - j0), Indices + (long)o * Inner + j0, best);
        }
    }
}
