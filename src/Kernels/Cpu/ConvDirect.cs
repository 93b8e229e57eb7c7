using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Cpu;

/// <summary>
/// Direct forward convolution for few taps per output (C·R·S ≤ <see cref="MaxTaps"/>, unit strides): the first
/// layer of an image network (C = 1 or 3). There im2col + GEMM has a GEMM depth of C·R·S (9 for a 1-channel 3×3),
/// so packing and the register tile's loads and stores outweigh the few FMAs per output (measured 73–103 GFLOP/s).
/// Here each task takes one image and a block of output channels, pads the image once into the thread's scratch,
/// and for every 16-wide run of an output row loads each tap's input vector once and accumulates it into four
/// output channels at a time (one load and four broadcasts per four FMAs).
/// </summary>
internal static unsafe class ConvDirect
{
    /// <summary>Largest C·R·S served (a 3-channel 3×3 filter, a 1-channel 5×5 one).</summary>
    public const int MaxTaps = 32;

    /// <summary>Output channels per task.</summary>
    private const int ChannelBlock = 16;

    /// <summary>Whether the direct path serves this geometry on this machine.</summary>
    public static bool Suits<F>(in Conv2dGeometry g) where F : unmanaged
        => Vector512.IsHardwareAccelerated && g.StrideH == 1 && g.StrideW == 1 && g.C * g.R * g.S <= MaxTaps
           && g.OutW >= Vector512<F>.Count / 2;

    /// <summary>
    /// y = conv(x, w), or with <paramref name="sets"/> &gt; 1 the E = sets convolutions of x with the weight sets
    /// w[E, K, C, R, S], written as y[E, N, K, OH, OW].
    /// </summary>
    public static void Forward<F>(in Conv2dGeometry g, F* x, F* w, F* y, int sets = 1) where F : unmanaged, INumber<F>
    {
        int channels = g.K * sets, blocks = (channels + ChannelBlock - 1) / ChannelBlock;
        var body = new Body<F> { G = g, X = x, W = w, Y = y, Blocks = blocks, Channels = channels };
        int tasks = g.N * blocks;
        double work = (double)g.N * channels * g.C * g.R * g.S * g.OutH * g.OutW;
        if (tasks == 1 || work < GemmPlan.ParallelThreshold)
            for (int t = 0; t < tasks; t++) body.Run(t);
        else
            CpuParallel.For(tasks, body);
    }

    private struct Body<F> : IParallelBody where F : unmanaged, INumber<F>
    {
        public Conv2dGeometry G;
        public F* X, W, Y;
        public int Blocks, Channels;

        /// <summary>Output plane of channel <paramref name="kk"/> (set kk / K, channel kk % K) of image <paramref name="n"/>.</summary>
        private readonly F* Plane(int n, int kk)
        {
            long pq = (long)G.OutH * G.OutW;
            int e = kk / G.K, k = kk - e * G.K;
            return Y + ((long)e * G.N + n) * G.K * pq + k * pq;
        }

        public readonly void Run(int task)
        {
            int n = task / Blocks, k0 = task % Blocks * ChannelBlock, k1 = Math.Min(Channels, k0 + ChannelBlock);
            int taps = G.C * G.R * G.S, wp = G.W + 2 * G.PadW, OH = G.OutH, OW = G.OutW;
            long plane = (long)(G.H + 2 * G.PadH) * wp;
            F* padded = ConvPadding.Pad(X + (long)n * G.C * G.H * G.W, G);
            int* offsets = stackalloc int[MaxTaps];
            for (int c = 0, t = 0; c < G.C; c++)
                for (int r = 0; r < G.R; r++)
                    for (int s = 0; s < G.S; s++, t++)
                        offsets[t] = (int)(c * plane + r * wp + s);
            int v = Vector512<F>.Count;
            int k = k0;
            for (; k + 4 <= k1; k += 4)
                Rows4(padded, offsets, taps, W + (long)k * taps, Plane(n, k), Plane(n, k + 1), Plane(n, k + 2), Plane(n, k + 3), wp, OH, OW, v);
            for (; k < k1; k++)
                Rows1(padded, offsets, taps, W + (long)k * taps, Plane(n, k), wp, OH, OW, v);
        }
    }

    /// <summary>Four consecutive filters w[4, taps] into four output planes.</summary>
    private static void Rows4<F>(F* padded, int* offsets, int taps, F* w, F* y0, F* y1, F* y2, F* y3, int wp, int OH, int OW, int v)
        where F : unmanaged, INumber<F>
    {
        for (int oh = 0; oh < OH; oh++)
        {
            F* row = padded + (long)oh * wp;
            for (int ow = 0; ow < OW; ow += v)
            {
                var a0 = Vector512<F>.Zero; var a1 = Vector512<F>.Zero; var a2 = Vector512<F>.Zero; var a3 = Vector512<F>.Zero;
                F* src = row + ow;
                for (int t = 0; t < taps; t++)
                {
                    var xv = Vector512.Load(src + offsets[t]);
                    a0 = GemmMath.Fma(xv, Vector512.Create(w[t]), a0);
                    a1 = GemmMath.Fma(xv, Vector512.Create(w[taps + t]), a1);
                    a2 = GemmMath.Fma(xv, Vector512.Create(w[2 * taps + t]), a2);
                    a3 = GemmMath.Fma(xv, Vector512.Create(w[3 * taps + t]), a3);
                }
                long o = (long)oh * OW + ow;
                int count = Math.Min(v, OW - ow);
                bool last = oh == OH - 1;
                Store(a0, y0 + o, count, last);
                Store(a1, y1 + o, count, last);
                Store(a2, y2 + o, count, last);
                Store(a3, y3 + o, count, last);
            }
        }
    }

    /// <summary>One output channel.</summary>
    private static void Rows1<F>(F* padded, int* offsets, int taps, F* w, F* y, int wp, int OH, int OW, int v)
        where F : unmanaged, INumber<F>
    {
        for (int oh = 0; oh < OH; oh++)
        {
            F* row = padded + (long)oh * wp;
            for (int ow = 0; ow < OW; ow += v)
            {
                var a = Vector512<F>.Zero;
                F* src = row + ow;
                for (int t = 0; t < taps; t++)
                    a = GemmMath.Fma(Vector512.Load(src + offsets[t]), Vector512.Create(w[t]), a);
                Store(a, y + (long)oh * OW + ow, Math.Min(v, OW - ow), oh == OH - 1);
            }
        }
    }

    /// <summary>
    /// Stores <paramref name="count"/> lanes. A short run inside a channel's rows is stored whole: its spill lands
    /// on the next output row of the same channel, which is written after it. On a channel's last row the spill
    /// would reach the next channel (or another task's image), so only the count lanes are written.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<F>(Vector512<F> a, F* dst, int count, bool lastRow) where F : unmanaged
    {
        if (count == Vector512<F>.Count || !lastRow)
        {
            a.Store(dst);
            return;
        }
        for (int i = 0; i < count; i++) dst[i] = a.GetElement(i);
    }
}
