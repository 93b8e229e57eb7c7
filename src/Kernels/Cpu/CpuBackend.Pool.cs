using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Tangent.Kernels.Backends;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>Input elements per parallel task: below this a pooling call stays on the caller's thread.</summary>
    private const int PoolGrain = 1 << 15;

    /// <inheritdoc />
    public override unsafe void MaxPool2dForward<T>(in Pool2dGeometry g, BufferView<T> x, BufferView<T> y, BufferView<int> argmax)
    {
        RequireFloat<T>();
        RequireLength("MaxPool2dForward", "x", x, g.InputLength);
        RequireLength("MaxPool2dForward", "y", y, g.OutputLength);
        RequireLength("MaxPool2dForward", "argmax", argmax, g.OutputLength);
        if (typeof(T) == typeof(float))
            RunPool(new PoolBody<float> { G = g, Mode = PoolMode.MaxForward, X = (float*)PtrOf(x), Y = (float*)PtrOf(y), Arg = PtrOf(argmax) }, g.N * g.C, g.H * g.W);
        else
            RunPool(new PoolBody<double> { G = g, Mode = PoolMode.MaxForward, X = (double*)PtrOf(x), Y = (double*)PtrOf(y), Arg = PtrOf(argmax) }, g.N * g.C, g.H * g.W);
    }

    /// <inheritdoc />
    public override unsafe void MaxPool2dBackward<T>(in Pool2dGeometry g, BufferView<T> dy, BufferView<int> argmax, BufferView<T> dx, int repeats)
    {
        RequireFloat<T>();
        RequireRepeats("MaxPool2dBackward", repeats);
        RequireLength("MaxPool2dBackward", "dy", dy, (long)g.OutputLength * repeats);
        RequireLength("MaxPool2dBackward", "argmax", argmax, g.OutputLength);
        RequireLength("MaxPool2dBackward", "dx", dx, (long)g.InputLength * repeats);
        int planes = g.N * g.C * repeats;
        if (typeof(T) == typeof(float))
            RunPool(new PoolBody<float> { G = g, Mode = PoolMode.MaxBackward, X = (float*)PtrOf(dx), Y = (float*)PtrOf(dy), Arg = PtrOf(argmax) }, planes, g.H * g.W);
        else
            RunPool(new PoolBody<double> { G = g, Mode = PoolMode.MaxBackward, X = (double*)PtrOf(dx), Y = (double*)PtrOf(dy), Arg = PtrOf(argmax) }, planes, g.H * g.W);
    }

    /// <inheritdoc />
    public override unsafe void MaxPool2dGather<T>(in Pool2dGeometry g, BufferView<T> xdot, BufferView<int> argmax, BufferView<T> ydot, int repeats)
    {
        RequireFloat<T>();
        RequireRepeats("MaxPool2dGather", repeats);
        RequireLength("MaxPool2dGather", "xdot", xdot, (long)g.InputLength * repeats);
        RequireLength("MaxPool2dGather", "argmax", argmax, g.OutputLength);
        RequireLength("MaxPool2dGather", "ydot", ydot, (long)g.OutputLength * repeats);
        int planes = g.N * g.C * repeats;
        if (typeof(T) == typeof(float))
            RunPool(new PoolBody<float> { G = g, Mode = PoolMode.MaxGather, X = (float*)PtrOf(xdot), Y = (float*)PtrOf(ydot), Arg = PtrOf(argmax) }, planes, g.OutH * g.OutW);
        else
            RunPool(new PoolBody<double> { G = g, Mode = PoolMode.MaxGather, X = (double*)PtrOf(xdot), Y = (double*)PtrOf(ydot), Arg = PtrOf(argmax) }, planes, g.OutH * g.OutW);
    }

    /// <inheritdoc />
    public override unsafe void AvgPool2dForward<T>(in Pool2dGeometry g, BufferView<T> x, BufferView<T> y)
    {
        RequireFloat<T>();
        RequireLength("AvgPool2dForward", "x", x, g.InputLength);
        RequireLength("AvgPool2dForward", "y", y, g.OutputLength);
        if (typeof(T) == typeof(float))
            RunPool(new PoolBody<float> { G = g, Mode = PoolMode.AvgForward, X = (float*)PtrOf(x), Y = (float*)PtrOf(y) }, g.N * g.C, g.H * g.W);
        else
            RunPool(new PoolBody<double> { G = g, Mode = PoolMode.AvgForward, X = (double*)PtrOf(x), Y = (double*)PtrOf(y) }, g.N * g.C, g.H * g.W);
    }

    /// <inheritdoc />
    public override unsafe void AvgPool2dBackward<T>(in Pool2dGeometry g, BufferView<T> dy, BufferView<T> dx)
    {
        RequireFloat<T>();
        RequireLength("AvgPool2dBackward", "dy", dy, g.OutputLength);
        RequireLength("AvgPool2dBackward", "dx", dx, g.InputLength);
        if (typeof(T) == typeof(float))
            RunPool(new PoolBody<float> { G = g, Mode = PoolMode.AvgBackward, X = (float*)PtrOf(dx), Y = (float*)PtrOf(dy) }, g.N * g.C, g.H * g.W);
        else
            RunPool(new PoolBody<double> { G = g, Mode = PoolMode.AvgBackward, X = (double*)PtrOf(dx), Y = (double*)PtrOf(dy) }, g.N * g.C, g.H * g.W);
    }

    private static void RequireRepeats(string kernel, int repeats)
    {
        if (repeats < 1) throw new ArgumentException($"{kernel}: repeats must be at least 1 (got {repeats}).");
    }

    /// <summary>Splits <paramref name="planes"/> planes into tasks of about <see cref="PoolGrain"/> elements.</summary>
    private static void RunPool<TF>(PoolBody<TF> body, int planes, int planeElements) where TF : unmanaged, IFloatingPointIeee754<TF>
    {
        int perTask = Math.Max(1, PoolGrain / Math.Max(1, planeElements));
        body.PlanesPerTask = perTask;
        body.Planes = planes;
        int tasks = (planes + perTask - 1) / perTask;
        if (tasks == 1) body.Run(0);
        else CpuParallel.For(tasks, body);
    }

    private enum PoolMode { MaxForward, MaxBackward, MaxGather, AvgForward, AvgBackward }

    /// <summary>
    /// One task = a run of whole planes. X is always the input-side tensor (x, dx or ẋ), Y the output side (y, dy or ẏ);
    /// argmax holds an index inside the H×W plane, shared by the <c>repeats</c> stacked batches (plane p uses p mod N·C).
    /// </summary>
    private unsafe struct PoolBody<TF> : IParallelBody where TF : unmanaged, IFloatingPointIeee754<TF>
    {
        public Pool2dGeometry G;
        public PoolMode Mode;
        public TF* X;
        public TF* Y;
        public int* Arg;
        public int PlanesPerTask;
        public int Planes;

        public void Run(int task)
        {
            int p0 = task * PlanesPerTask, p1 = Math.Min(Planes, p0 + PlanesPerTask);
            int inPlane = G.H * G.W, outPlane = G.OutH * G.OutW, primalPlanes = G.N * G.C;
            if (Mode == PoolMode.MaxForward && typeof(TF) == typeof(float) && Avx2.IsSupported && IsTwoByTwo && outPlane <= MaxTableOutputs)
            {
                MaxForwardTwoByTwoFloat(p0, p1);
                return;
            }
            for (int p = p0; p < p1; p++)
            {
                TF* x = X + (long)p * inPlane;
                TF* y = Y + (long)p * outPlane;
                int* arg = Arg + (long)(p % primalPlanes) * outPlane;
                switch (Mode)
                {
                    case PoolMode.MaxForward: MaxForward(x, y, arg); break;
                    case PoolMode.MaxBackward:
                        new Span<TF>(x, inPlane).Clear();
                        for (int o = 0; o < outPlane; o++) x[arg[o]] += y[o];
                        break;
                    case PoolMode.MaxGather:
                        for (int o = 0; o < outPlane; o++) y[o] = x[arg[o]];
                        break;
                    case PoolMode.AvgForward: Avg(x, y, false); break;
                    case PoolMode.AvgBackward:
                        new Span<TF>(x, inPlane).Clear();
                        Avg(x, y, true);
                        break;
                }
            }
        }

        /// <summary>Output elements per plane up to which the 2×2 path keeps its offset table on the stack.</summary>
        private const int MaxTableOutputs = 4096;

        private readonly bool IsTwoByTwo =>
            G.WindowH == 2 && G.WindowW == 2 && G.StrideH == 2 && G.StrideW == 2 && G.PadH == 0 && G.PadW == 0;

        /// <summary>
        /// 2×2/2 max pooling of float planes, 8 outputs at a time: the four window corners are gathered through a table
        /// of top-left offsets (so output rows narrower than a vector cost nothing extra), and the running maximum is
        /// selected without branches — random data makes the scalar comparisons mispredict about half the time. Same
        /// rule as the scalar path: the first maximum in row-major window order wins, a NaN is taken and then kept.
        /// </summary>
        private void MaxForwardTwoByTwoFloat(int p0, int p1)
        {
            int W = G.W, OW = G.OutW, inPlane = G.H * W, outPlane = G.OutH * OW, primalPlanes = G.N * G.C;
            int* off = stackalloc int[outPlane];
            for (int oh = 0, o = 0; oh < G.OutH; oh++)
                for (int ow = 0; ow < OW; ow++, o++) off[o] = 2 * oh * W + 2 * ow;
            int vecEnd = outPlane & ~7;
            var right = Vector256.Create(1);
            var down = Vector256.Create(W);
            var diagonal = Vector256.Create(W + 1);
            for (int p = p0; p < p1; p++)
            {
                float* x = (float*)X + (long)p * inPlane;
                float* y = (float*)Y + (long)p * outPlane;
                int* arg = Arg + (long)(p % primalPlanes) * outPlane;
                for (int o = 0; o < vecEnd; o += 8)
                {
                    var i0 = Avx.LoadVector256(off + o);
                    var best = Avx2.GatherVector256(x, i0, 4);
                    var bi = i0;
                    Take(x, Avx2.Add(i0, right), ref best, ref bi);
                    Take(x, Avx2.Add(i0, down), ref best, ref bi);
                    Take(x, Avx2.Add(i0, diagonal), ref best, ref bi);
                    Avx.Store(y + o, best);
                    Avx.Store(arg + o, bi);
                }
                for (int o = vecEnd; o < outPlane; o++)
                {
                    int i = off[o];
                    float best = x[i];
                    int bi = i;
                    foreach (int d in (ReadOnlySpan<int>)[1, W, W + 1])
                    {
                        float v = x[i + d];
                        if (v > best || float.IsNaN(v) && !float.IsNaN(best)) { best = v; bi = i + d; }
                    }
                    y[o] = best;
                    arg[o] = bi;
                }
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Take(float* x, Vector256<int> index, ref Vector256<float> best, ref Vector256<int> bestIndex)
        {
            var v = Avx2.GatherVector256(x, index, 4);
            // take = v > best, or v is NaN while best is not.
            var take = Avx.Or(Avx.CompareGreaterThan(v, best), Avx.And(Avx.CompareUnordered(v, v), Avx.CompareOrdered(best, best)));
            best = Avx.BlendVariable(best, v, take);
            bestIndex = Avx.BlendVariable(bestIndex.AsSingle(), index.AsSingle(), take).AsInt32();
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void MaxForward(TF* x, TF* y, int* arg)
        {
            int W = G.W;
            if (G.WindowH == 2 && G.WindowW == 2 && G.StrideH == 2 && G.StrideW == 2 && G.PadH == 0 && G.PadW == 0)
            {
                // The common 2×2/2 case: two input rows per output row, no bounds checks.
                for (int oh = 0; oh < G.OutH; oh++)
                {
                    TF* r0 = x + 2 * oh * W;
                    TF* r1 = r0 + W;
                    for (int ow = 0; ow < G.OutW; ow++)
                    {
                        int c = 2 * ow;
                        TF best = r0[c];
                        int bi = 2 * oh * W + c;
                        // Strict '>' keeps the first maximum in row-major window order; NaN propagates (NaN is never replaced).
                        if (r0[c + 1] > best || TF.IsNaN(r0[c + 1]) && !TF.IsNaN(best)) { best = r0[c + 1]; bi = 2 * oh * W + c + 1; }
                        if (r1[c] > best || TF.IsNaN(r1[c]) && !TF.IsNaN(best)) { best = r1[c]; bi = (2 * oh + 1) * W + c; }
                        if (r1[c + 1] > best || TF.IsNaN(r1[c + 1]) && !TF.IsNaN(best)) { best = r1[c + 1]; bi = (2 * oh + 1) * W + c + 1; }
                        y[oh * G.OutW + ow] = best;
                        arg[oh * G.OutW + ow] = bi;
                    }
                }
                return;
            }
            for (int oh = 0; oh < G.OutH; oh++)
            {
                int h0 = oh * G.StrideH - G.PadH;
                for (int ow = 0; ow < G.OutW; ow++)
                {
                    int w0 = ow * G.StrideW - G.PadW;
                    TF best = TF.NegativeInfinity;
                    int bi = -1;
                    for (int r = 0; r < G.WindowH; r++)
                    {
                        int h = h0 + r;
                        if ((uint)h >= (uint)G.H) continue;
                        for (int s = 0; s < G.WindowW; s++)
                        {
                            int w = w0 + s;
                            if ((uint)w >= (uint)W) continue;
                            TF v = x[h * W + w];
                            if (bi < 0 || v > best || TF.IsNaN(v) && !TF.IsNaN(best)) { best = v; bi = h * W + w; }
                        }
                    }
                    y[oh * G.OutW + ow] = best;
                    arg[oh * G.OutW + ow] = bi;
                }
            }
        }

        /// <summary>Average over the in-bounds part of each window; backward scatters dy/count into x.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Avg(TF* x, TF* y, bool backward)
        {
            int W = G.W;
            for (int oh = 0; oh < G.OutH; oh++)
            {
                int h0 = Math.Max(0, oh * G.StrideH - G.PadH), h1 = Math.Min(G.H, oh * G.StrideH - G.PadH + G.WindowH);
                for (int ow = 0; ow < G.OutW; ow++)
                {
                    int w0 = Math.Max(0, ow * G.StrideW - G.PadW), w1 = Math.Min(W, ow * G.StrideW - G.PadW + G.WindowW);
                    TF inv = TF.One / TF.CreateTruncating((h1 - h0) * (w1 - w0));
                    if (backward)
                    {
                        TF g = y[oh * G.OutW + ow] * inv;
                        for (int h = h0; h < h1; h++)
                            for (int w = w0; w < w1; w++) x[h * W + w] += g;
                    }
                    else
                    {
                        TF acc = TF.Zero;
                        for (int h = h0; h < h1; h++)
                            for (int w = w0; w < w1; w++) acc += x[h * W + w];
                        y[oh * G.OutW + ow] = acc * inv;
                    }
                }
            }
        }
    }
}
