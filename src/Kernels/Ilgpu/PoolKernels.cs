using System.Numerics;
using ILGPU;

namespace Tangent.Kernels.Ilgpu;

/// <summary>A pooling geometry passed to the kernels by value (see <see cref="Backends.Pool2dGeometry"/>).</summary>
public struct PoolParams
{
    /// <summary>Input plane height and width.</summary>
    public int H, W;
    /// <summary>Window, stride and padding.</summary>
    public int WindowH, WindowW, StrideH, StrideW, PadH, PadW;
    /// <summary>Output plane height and width.</summary>
    public int OutH, OutW;
    /// <summary>Planes of the primal (N·C): stacked batch <c>p</c> uses the argmax of plane <c>p mod Planes</c>.</summary>
    public int Planes;
}

/// <summary>
/// Max and average pooling as ILGPU kernels with the semantics of the CPU backend, bit for bit: the argmax is the
/// index inside the H×W plane of the first maximum in row-major window order, a NaN in the window wins (the first
/// one), and averages exclude padding. Backward kernels run one thread per INPUT element and gather from the output
/// windows that cover it (ascending output index, the CPU's summation order), so no atomics are needed.
/// </summary>
public static class PoolKernels
{
    /// <summary>y = max over the window, argmax = its plane index; one thread per output element.</summary>
    [IlgpuKernel]
    public static void MaxForward<T>(Index1D index, ArrayView<T> x, ArrayView<T> y, ArrayView<int> argmax, PoolParams p)
        where T : unmanaged, INumber<T>
    {
        int i = index;
        int outPlane = p.OutH * p.OutW;
        int plane = i / outPlane, o = i - plane * outPlane;
        int oh = o / p.OutW, ow = o - oh * p.OutW;
        long xBase = (long)plane * p.H * p.W;
        int h0 = oh * p.StrideH - p.PadH, w0 = ow * p.StrideW - p.PadW;
        T best = T.Zero;
        int bi = -1;
        for (int r = 0; r < p.WindowH; r++)
        {
            int h = h0 + r;
            if (h < 0 || h >= p.H) continue;
            for (int s = 0; s < p.WindowW; s++)
            {
                int w = w0 + s;
                if (w < 0 || w >= p.W) continue;
                T v = x[xBase + h * p.W + w];
                // Strict '>' keeps the first maximum; a NaN replaces a number but never another NaN.
                if (bi < 0 || v > best || T.IsNaN(v) && !T.IsNaN(best)) { best = v; bi = h * p.W + w; }
            }
        }
        y[i] = best;
        argmax[i] = bi;
    }

    /// <summary>
    /// dx[q] = Σ dy[o] over the output positions o whose argmax is q (dx overwritten); one thread per element of the
    /// <c>repeats</c> stacked input batches.
    /// </summary>
    [IlgpuKernel]
    public static void MaxBackward<T>(Index1D index, ArrayView<T> dy, ArrayView<int> argmax, ArrayView<T> dx, PoolParams p)
        where T : unmanaged, INumber<T>
    {
        int i = index;
        int inPlane = p.H * p.W, outPlane = p.OutH * p.OutW;
        int plane = i / inPlane, q = i - plane * inPlane;
        int h = q / p.W, w = q - h * p.W;
        long dyBase = (long)plane * outPlane;
        long argBase = (long)(plane % p.Planes) * outPlane;
        int oh0 = FirstCovering(h, p.PadH, p.WindowH, p.StrideH), oh1 = LastCovering(h, p.PadH, p.StrideH, p.OutH);
        int ow0 = FirstCovering(w, p.PadW, p.WindowW, p.StrideW), ow1 = LastCovering(w, p.PadW, p.StrideW, p.OutW);
        T acc = T.Zero;
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++)
            {
                int o = oh * p.OutW + ow;
                if (argmax[argBase + o] == q) acc += dy[dyBase + o];
            }
        dx[i] = acc;
    }

    /// <summary>ẏ[o] = ẋ[argmax[o]] (the JVP of max pooling); one thread per element of the stacked output batches.</summary>
    [IlgpuKernel]
    public static void MaxGather<T>(Index1D index, ArrayView<T> xdot, ArrayView<int> argmax, ArrayView<T> ydot, PoolParams p)
        where T : unmanaged, INumber<T>
    {
        int i = index;
        int outPlane = p.OutH * p.OutW;
        int plane = i / outPlane, o = i - plane * outPlane;
        ydot[i] = xdot[(long)plane * p.H * p.W + argmax[(long)(plane % p.Planes) * outPlane + o]];
    }

    /// <summary>y = mean of the in-bounds part of the window; one thread per output element.</summary>
    [IlgpuKernel]
    public static void AvgForward<T>(Index1D index, ArrayView<T> x, ArrayView<T> y, PoolParams p)
        where T : unmanaged, INumber<T>
    {
        int i = index;
        int outPlane = p.OutH * p.OutW;
        int plane = i / outPlane, o = i - plane * outPlane;
        int oh = o / p.OutW, ow = o - oh * p.OutW;
        long xBase = (long)plane * p.H * p.W;
        int h0 = Max(0, oh * p.StrideH - p.PadH), h1 = Min(p.H, oh * p.StrideH - p.PadH + p.WindowH);
        int w0 = Max(0, ow * p.StrideW - p.PadW), w1 = Min(p.W, ow * p.StrideW - p.PadW + p.WindowW);
        T acc = T.Zero;
        for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++) acc += x[xBase + h * p.W + w];
        y[i] = acc * (T.One / Count<T>((h1 - h0) * (w1 - w0)));
    }

    /// <summary>dx[q] = Σ dy[o] / |window o| over the windows covering q (dx overwritten); one thread per input element.</summary>
    [IlgpuKernel]
    public static void AvgBackward<T>(Index1D index, ArrayView<T> dy, ArrayView<T> dx, PoolParams p)
        where T : unmanaged, INumber<T>
    {
        int i = index;
        int inPlane = p.H * p.W, outPlane = p.OutH * p.OutW;
        int plane = i / inPlane, q = i - plane * inPlane;
        int h = q / p.W, w = q - h * p.W;
        long dyBase = (long)plane * outPlane;
        int oh0 = FirstCovering(h, p.PadH, p.WindowH, p.StrideH), oh1 = LastCovering(h, p.PadH, p.StrideH, p.OutH);
        int ow0 = FirstCovering(w, p.PadW, p.WindowW, p.StrideW), ow1 = LastCovering(w, p.PadW, p.StrideW, p.OutW);
        T acc = T.Zero;
        for (int oh = oh0; oh <= oh1; oh++)
        {
            int rows = Min(p.H, oh * p.StrideH - p.PadH + p.WindowH) - Max(0, oh * p.StrideH - p.PadH);
            for (int ow = ow0; ow <= ow1; ow++)
            {
                int cols = Min(p.W, ow * p.StrideW - p.PadW + p.WindowW) - Max(0, ow * p.StrideW - p.PadW);
                // The CPU computes g = dy·(1/count) per window and adds the g's in ascending window order: the same here.
                acc += dy[dyBase + oh * p.OutW + ow] * (T.One / Count<T>(rows * cols));
            }
        }
        dx[i] = acc;
    }

    /// <summary>First output index o with o·stride − pad + window &gt; x (windows are ordered, so this is a lower bound).</summary>
    private static int FirstCovering(int x, int pad, int window, int stride)
    {
        // o·stride > x + pad − window  ⇔  o ≥ ⌊(x + pad − window) / stride⌋ + 1 (for a non-negative numerator).
        int t = x + pad - window;
        return t < 0 ? 0 : t / stride + 1;
    }

    /// <summary>Last output index o with o·stride − pad ≤ x, clamped to the output size.</summary>
    private static int LastCovering(int x, int pad, int stride, int outSize) => Min(outSize - 1, (x + pad) / stride);

    /// <summary>n as a <typeparamref name="T"/>, by exact repeated addition (n ≤ window size; avoids generic int conversion in kernels).</summary>
    private static T Count<T>(int n) where T : unmanaged, INumber<T>
    {
        T c = T.Zero;
        for (int k = 0; k < n; k++) c += T.One;
        return c;
    }

    private static int Min(int a, int b) => a < b ? a : b;
    private static int Max(int a, int b) => a > b ? a : b;
}
