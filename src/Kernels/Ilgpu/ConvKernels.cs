using System.Numerics;
using ILGPU;

namespace Tangent.Kernels.Ilgpu;

/// <summary>A convolution geometry (NCHW input, KCRS weights) as kernel scalars, plus β for the weight gradient.</summary>
public struct ConvParams<T> where T : unmanaged
{
    /// <summary>Batch, input channels, input height and width.</summary>
    public int N, C, H, W;
    /// <summary>Output channels and kernel height and width.</summary>
    public int K, R, S;
    /// <summary>Strides and zero padding.</summary>
    public int StrideH, StrideW, PadH, PadW;
    /// <summary>Output height and width.</summary>
    public int OutH, OutW;
    /// <summary>Scale of the old weight gradient.</summary>
    public T Beta;
    /// <summary>1 when β = 0 (the old gradient is not read).</summary>
    public int BetaIsZero;
}

/// <summary>
/// Direct convolution kernels, one thread per output element of each product (no shared memory, no atomics):
/// each thread sums its own taps, so results do not depend on scheduling.
/// </summary>
public static class ConvKernels
{
    /// <summary>y[n,k,oh,ow] = Σ_{c,r,s} x[n, c, oh·sh − ph + r, ow·sw − pw + s]·w[k,c,r,s]; one thread per y element.</summary>
    [IlgpuKernel]
    public static void Forward<T>(Index1D index, ArrayView<T> x, ArrayView<T> w, ArrayView<T> y, ConvParams<T> p)
        where T : unmanaged, INumber<T>
    {
        int i = index;
        int ow = i % p.OutW, oh = i / p.OutW % p.OutH, k = i / (p.OutW * p.OutH) % p.K, n = i / (p.OutW * p.OutH * p.K);
        T acc = T.Zero;
        for (int c = 0; c < p.C; c++)
        {
            long xPlane = ((long)n * p.C + c) * p.H * p.W;
            long wBase = ((long)k * p.C + c) * p.R * p.S;
            for (int r = 0; r < p.R; r++)
            {
                int ih = oh * p.StrideH - p.PadH + r;
                if (ih < 0 || ih >= p.H) continue;
                for (int s = 0; s < p.S; s++)
                {
                    int iw = ow * p.StrideW - p.PadW + s;
                    if (iw < 0 || iw >= p.W) continue;
                    acc += x[xPlane + ih * p.W + iw] * w[wBase + r * p.S + s];
                }
            }
        }
        y[i] = acc;
    }

    /// <summary>
    /// dx[n,c,ih,iw] = Σ_{k,r,s} dy[n,k,oh,ow]·w[k,c,r,s] over the taps with oh·sh − ph + r = ih and
    /// ow·sw − pw + s = iw; one thread per dx element.
    /// </summary>
    [IlgpuKernel]
    public static void BackwardInput<T>(Index1D index, ArrayView<T> dy, ArrayView<T> w, ArrayView<T> dx, ConvParams<T> p)
        where T : unmanaged, INumber<T>
    {
        int i = index;
        int iw = i % p.W, ih = i / p.W % p.H, c = i / (p.W * p.H) % p.C, n = i / (p.W * p.H * p.C);
        T acc = T.Zero;
        for (int r = 0; r < p.R; r++)
        {
            int th = ih + p.PadH - r;
            if (th < 0 || th % p.StrideH != 0) continue;
            int oh = th / p.StrideH;
            if (oh >= p.OutH) continue;
            for (int s = 0; s < p.S; s++)
            {
                int tw = iw + p.PadW - s;
                if (tw < 0 || tw % p.StrideW != 0) continue;
                int ow = tw / p.StrideW;
                if (ow >= p.OutW) continue;
                for (int k = 0; k < p.K; k++)
                    acc += dy[(((long)n * p.K + k) * p.OutH + oh) * p.OutW + ow] * w[(((long)k * p.C + c) * p.R + r) * p.S + s];
            }
        }
        dx[i] = acc;
    }

    /// <summary>dw[k,c,r,s] = β·dw + Σ_{n,oh,ow} dy[n,k,oh,ow]·x[n, c, oh·sh − ph + r, ow·sw − pw + s]; one thread per dw element.</summary>
    [IlgpuKernel]
    public static void BackwardWeight<T>(Index1D index, ArrayView<T> x, ArrayView<T> dy, ArrayView<T> dw, ConvParams<T> p)
        where T : unmanaged, INumber<T>
    {
        int i = index;
        int s = i % p.S, r = i / p.S % p.R, c = i / (p.S * p.R) % p.C, k = i / (p.S * p.R * p.C);
        T acc = T.Zero;
        for (int n = 0; n < p.N; n++)
        {
            long xPlane = ((long)n * p.C + c) * p.H * p.W;
            long dyPlane = ((long)n * p.K + k) * p.OutH * p.OutW;
            for (int oh = 0; oh < p.OutH; oh++)
            {
                int ih = oh * p.StrideH - p.PadH + r;
                if (ih < 0 || ih >= p.H) continue;
                for (int ow = 0; ow < p.OutW; ow++)
                {
                    int iw = ow * p.StrideW - p.PadW + s;
                    if (iw < 0 || iw >= p.W) continue;
                    acc += dy[dyPlane + oh * p.OutW + ow] * x[xPlane + ih * p.W + iw];
                }
            }
        }
        dw[i] = p.BetaIsZero != 0 ? acc : acc + p.Beta * dw[i];
    }
}
