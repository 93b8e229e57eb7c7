using System.Runtime.CompilerServices;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Engine.Tests.Support;

/// <summary>
/// A plain host backend for the engine tests: every catalogue kernel as the obvious loop, accumulating in double.
/// It is the oracle-free executor that lets the autodiff tests run independently of the optimised kernels, and a
/// second backend to compare the optimised ones with.
/// </summary>
public sealed class ReferenceBackend : Backend
{
    /// <summary>The shared instance.</summary>
    public static ReferenceBackend Instance { get; } = new();

    private ReferenceBackend() { }

    /// <inheritdoc />
    public override DeviceInfo Info { get; } = new("reference", DeviceKind.Cpu, 1L << 34, 64, "host loops");

    /// <inheritdoc />
    public override DeviceBuffer<T> Allocate<T>(int length) => new HostBuffer<T>(this, length);

    /// <inheritdoc />
    public override void Synchronize() { }

    /// <inheritdoc />
    public override void Dispose() { }

    private sealed class HostBuffer<T>(Backend b, int length) : DeviceBuffer<T>(b, length) where T : unmanaged
    {
        public readonly T[] Data = new T[length];
        protected override void CopyFromCore(ReadOnlySpan<T> source, int offset) => source.CopyTo(Data.AsSpan(offset));
        protected override void CopyToCore(Span<T> destination, int offset) => Data.AsSpan(offset, destination.Length).CopyTo(destination);
        protected override void Release() { }
    }

    private static Span<T> S<T>(BufferView<T> v) where T : unmanaged => ((HostBuffer<T>)v.Buffer).Data.AsSpan(v.Offset, v.Length);

    private static double D<T>(T v) => typeof(T) == typeof(float) ? Unsafe.As<T, float>(ref v) : typeof(T) == typeof(double) ? Unsafe.As<T, double>(ref v) : Unsafe.As<T, int>(ref v);

    private static T F<T>(double v)
    {
        if (typeof(T) == typeof(float)) { float f = (float)v; return Unsafe.As<float, T>(ref f); }
        return Unsafe.As<double, T>(ref v);
    }

    /// <inheritdoc />
    public override void Gemm<T>(Transpose transA, Transpose transB, int m, int n, int k, T alpha, BufferView<T> a, int lda, BufferView<T> b, int ldb, T beta, BufferView<T> c, int ldc)
        => GemmStridedBatched(transA, transB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);

    /// <inheritdoc />
    public override void GemmStridedBatched<T>(Transpose transA, Transpose transB, int m, int n, int k, T alpha, BufferView<T> a, int lda, long strideA,
        BufferView<T> b, int ldb, long strideB, T beta, BufferView<T> c, int ldc, long strideC, int batchCount)
    {
        var A = S(a); var B = S(b); var C = S(c);
        double al = D(alpha), be = D(beta);
        for (int p = 0; p < batchCount; p++)
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double acc = 0;
                    for (int l = 0; l < k; l++)
                    {
                        double av = transA == Transpose.No ? D(A[(int)(p * strideA) + i * lda + l]) : D(A[(int)(p * strideA) + l * lda + i]);
                        double bv = transB == Transpose.No ? D(B[(int)(p * strideB) + l * ldb + j]) : D(B[(int)(p * strideB) + j * ldb + l]);
                        acc += av * bv;
                    }
                    ref T cv = ref C[(int)(p * strideC) + i * ldc + j];
                    cv = F<T>(be == 0 ? al * acc : al * acc + be * D(cv));
                }
    }

    /// <inheritdoc />
    public override void Conv2dForward<T>(in Conv2dGeometry g, BufferView<T> x, BufferView<T> w, BufferView<T> y)
    {
        var X = S(x); var Wt = S(w); var Y = S(y);
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        double acc = 0;
                        for (int c = 0; c < g.C; c++)
                            for (int r = 0; r < g.R; r++)
                                for (int s = 0; s < g.S; s++)
                                {
                                    int ih = oh * g.StrideH - g.PadH + r, iw = ow * g.StrideW - g.PadW + s;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    acc += D(X[((n * g.C + c) * g.H + ih) * g.W + iw]) * D(Wt[((k * g.C + c) * g.R + r) * g.S + s]);
                                }
                        Y[((n * g.K + k) * g.OutH + oh) * g.OutW + ow] = F<T>(acc);
                    }
    }

    /// <inheritdoc />
    public override void Conv2dBackwardInput<T>(in Conv2dGeometry g, BufferView<T> dy, BufferView<T> w, BufferView<T> dx)
    {
        var DY = S(dy); var Wt = S(w); var DX = S(dx);
        var acc = new double[DX.Length];
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        double d = D(DY[((n * g.K + k) * g.OutH + oh) * g.OutW + ow]);
                        for (int c = 0; c < g.C; c++)
                            for (int r = 0; r < g.R; r++)
                                for (int s = 0; s < g.S; s++)
                                {
                                    int ih = oh * g.StrideH - g.PadH + r, iw = ow * g.StrideW - g.PadW + s;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    acc[((n * g.C + c) * g.H + ih) * g.W + iw] += d * D(Wt[((k * g.C + c) * g.R + r) * g.S + s]);
                                }
                    }
        for (int i = 0; i < acc.Length; i++) DX[i] = F<T>(acc[i]);
    }

    /// <inheritdoc />
    public override void Conv2dBackwardWeight<T>(in Conv2dGeometry g, BufferView<T> x, BufferView<T> dy, BufferView<T> dw, T beta)
    {
        var X = S(x); var DY = S(dy); var DW = S(dw);
        var acc = new double[DW.Length];
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
                for (int oh = 0; oh < g.OutH; oh++)
                    for (int ow = 0; ow < g.OutW; ow++)
                    {
                        double d = D(DY[((n * g.K + k) * g.OutH + oh) * g.OutW + ow]);
                        for (int c = 0; c < g.C; c++)
                            for (int r = 0; r < g.R; r++)
                                for (int s = 0; s < g.S; s++)
                                {
                                    int ih = oh * g.StrideH - g.PadH + r, iw = ow * g.StrideW - g.PadW + s;
                                    if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                    acc[((k * g.C + c) * g.R + r) * g.S + s] += d * D(X[((n * g.C + c) * g.H + ih) * g.W + iw]);
                                }
                    }
        double be = D(beta);
        for (int i = 0; i < acc.Length; i++) DW[i] = F<T>(be == 0 ? acc[i] : acc[i] + be * D(DW[i]));
    }

    /// <inheritdoc />
    public override void MaxPool2dForward<T>(in Pool2dGeometry g, BufferView<T> x, BufferView<T> y, BufferView<int> argmax)
    {
        var X = S(x); var Y = S(y); var A = S(argmax);
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    double best = double.NegativeInfinity; int arg = -1;
                    for (int r = 0; r < g.WindowH; r++)
                        for (int s = 0; s < g.WindowW; s++)
                        {
                            int ih = oh * g.StrideH - g.PadH + r, iw = ow * g.StrideW - g.PadW + s;
                            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                            double v = D(X[nc * g.H * g.W + ih * g.W + iw]);
                            if (v > best || arg < 0) { best = v; arg = ih * g.W + iw; }
                        }
                    int o = (nc * g.OutH + oh) * g.OutW + ow;
                    Y[o] = F<T>(best);
                    A[o] = arg;
                }
    }

    /// <inheritdoc />
    public override void MaxPool2dBackward<T>(in Pool2dGeometry g, BufferView<T> dy, BufferView<int> argmax, BufferView<T> dx, int repeats = 1)
    {
        var DY = S(dy); var A = S(argmax); var DX = S(dx);
        DX.Clear();
        int outPlane = g.OutH * g.OutW, inPlane = g.H * g.W, outLen = g.OutputLength, inLen = g.InputLength;
        for (int rep = 0; rep < repeats; rep++)
            for (int o = 0; o < outLen; o++)
            {
                int nc = o / outPlane;
                ref T t = ref DX[rep * inLen + nc * inPlane + A[o]];
                t = F<T>(D(t) + D(DY[rep * outLen + o]));
            }
    }

    /// <inheritdoc />
    public override void MaxPool2dGather<T>(in Pool2dGeometry g, BufferView<T> xdot, BufferView<int> argmax, BufferView<T> ydot, int repeats = 1)
    {
        var X = S(xdot); var A = S(argmax); var Y = S(ydot);
        int outPlane = g.OutH * g.OutW, inPlane = g.H * g.W, outLen = g.OutputLength, inLen = g.InputLength;
        for (int rep = 0; rep < repeats; rep++)
            for (int o = 0; o < outLen; o++)
                Y[rep * outLen + o] = X[rep * inLen + o / outPlane * inPlane + A[o]];
    }

    /// <inheritdoc />
    public override void AvgPool2dForward<T>(in Pool2dGeometry g, BufferView<T> x, BufferView<T> y)
    {
        var X = S(x); var Y = S(y);
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    double acc = 0; int count = 0;
                    for (int r = 0; r < g.WindowH; r++)
                        for (int s = 0; s < g.WindowW; s++)
                        {
                            int ih = oh * g.StrideH - g.PadH + r, iw = ow * g.StrideW - g.PadW + s;
                            if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                            acc += D(X[nc * g.H * g.W + ih * g.W + iw]); count++;
                        }
                    Y[(nc * g.OutH + oh) * g.OutW + ow] = F<T>(acc / count);
                }
    }

    /// <inheritdoc />
    public override void AvgPool2dBackward<T>(in Pool2dGeometry g, BufferView<T> dy, BufferView<T> dx)
    {
        var DY = S(dy); var DX = S(dx);
        var acc = new double[DX.Length];
        for (int nc = 0; nc < g.N * g.C; nc++)
            for (int oh = 0; oh < g.OutH; oh++)
                for (int ow = 0; ow < g.OutW; ow++)
                {
                    int count = 0;
                    for (int pass = 0; pass < 2; pass++)
                        for (int r = 0; r < g.WindowH; r++)
                            for (int s = 0; s < g.WindowW; s++)
                            {
                                int ih = oh * g.StrideH - g.PadH + r, iw = ow * g.StrideW - g.PadW + s;
                                if (ih < 0 || ih >= g.H || iw < 0 || iw >= g.W) continue;
                                if (pass == 0) count++;
                                else acc[nc * g.H * g.W + ih * g.W + iw] += D(DY[(nc * g.OutH + oh) * g.OutW + ow]) / count;
                            }
                }
        for (int i = 0; i < acc.Length; i++) DX[i] = F<T>(acc[i]);
    }

    /// <inheritdoc />
    public override void Map<T, TOp>(TOp op, BufferView<T> x, BufferView<T> y)
    {
        var X = S(x); var Y = S(y);
        for (int i = 0; i < X.Length; i++) Y[i] = op.Apply(X[i]);
    }

    /// <inheritdoc />
    public override void Map2<T, TOp>(TOp op, BufferView<T> a, BufferView<T> b, BufferView<T> c)
    {
        var A = S(a); var B = S(b); var C = S(c);
        for (int i = 0; i < C.Length; i++) C[i] = op.Apply(A[i], B[i]);
    }

    /// <inheritdoc />
    public override void Map2Broadcast<T, TOp>(TOp op, in BroadcastLayout layout, BufferView<T> a, BufferView<T> b, BufferView<T> c)
    {
        var A = S(a); var B = S(b); var C = S(c);
        int rank = layout.Shape.Length;
        var idx = new int[rank];
        for (int i = 0; i < layout.Length; i++)
        {
            int rem = i, ia = 0, ib = 0;
            for (int d = rank - 1; d >= 0; d--)
            {
                idx[d] = rem % layout.Shape[d];
                rem /= layout.Shape[d];
                ia += idx[d] * layout.StridesA[d];
                ib += idx[d] * layout.StridesB[d];
            }
            C[i] = op.Apply(A[ia], B[ib]);
        }
    }

    /// <inheritdoc />
    public override void Fill<T>(BufferView<T> y, T value) => S(y).Fill(value);

    /// <inheritdoc />
    public override void Copy<T>(BufferView<T> x, BufferView<T> y) => S(x).CopyTo(S(y));

    /// <inheritdoc />
    public override void Reduce<T, TOp>(TOp op, BufferView<T> x, int outer, int axis, int inner, BufferView<T> y)
    {
        var X = S(x); var Y = S(y);
        for (int o = 0; o < outer; o++)
            for (int j = 0; j < inner; j++)
            {
                T acc = op.Identity;
                for (int a = 0; a < axis; a++) acc = op.Combine(acc, X[(o * axis + a) * inner + j]);
                Y[o * inner + j] = acc;
            }
    }

    /// <inheritdoc />
    public override void Argmax<T>(BufferView<T> x, int outer, int axis, int inner, BufferView<int> indices) => throw new NotSupportedException("reference Argmax is not needed by the engine tests");

    /// <inheritdoc />
    public override void Softmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y)
    {
        var X = S(x); var Y = S(y);
        for (int r = 0; r < rows; r++)
        {
            double mx = double.NegativeInfinity;
            for (int c = 0; c < cols; c++) mx = Math.Max(mx, D(X[r * cols + c]));
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.Exp(D(X[r * cols + c]) - mx);
            for (int c = 0; c < cols; c++) Y[r * cols + c] = F<T>(Math.Exp(D(X[r * cols + c]) - mx) / sum);
        }
    }

    /// <inheritdoc />
    public override void LogSoftmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y) => throw new NotSupportedException("reference LogSoftmax is not needed by the engine tests");

    /// <inheritdoc />
    public override void SoftmaxCrossEntropy<T>(BufferView<T> logits, BufferView<int> labels, int rows, int cols, BufferView<T> loss, BufferView<T> probs)
    {
        Softmax(logits, rows, cols, probs);
        var X = S(logits); var L = S(labels); var O = S(loss);
        for (int r = 0; r < rows; r++)
        {
            double mx = double.NegativeInfinity;
            for (int c = 0; c < cols; c++) mx = Math.Max(mx, D(X[r * cols + c]));
            double sum = 0;
            for (int c = 0; c < cols; c++) sum += Math.Exp(D(X[r * cols + c]) - mx);
            O[r] = F<T>(mx + Math.Log(sum) - D(X[r * cols + L[r]]));
        }
    }

    /// <inheritdoc />
    public override void SoftmaxCrossEntropyBackward<T>(BufferView<T> probs, BufferView<int> labels, BufferView<T> dloss, int rows, int cols, BufferView<T> dlogits)
    {
        var P = S(probs); var L = S(labels); var DL = S(dloss); var G = S(dlogits);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                G[r * cols + c] = F<T>(D(DL[r]) * (D(P[r * cols + c]) - (c == L[r] ? 1 : 0)));
    }

    /// <inheritdoc />
    public override void Axpy<T>(T alpha, BufferView<T> x, BufferView<T> y)
    {
        var X = S(x); var Y = S(y);
        for (int i = 0; i < X.Length; i++) Y[i] = F<T>(D(alpha) * D(X[i]) + D(Y[i]));
    }

    /// <inheritdoc />
    public override void Scal<T>(T alpha, BufferView<T> x)
    {
        var X = S(x);
        for (int i = 0; i < X.Length; i++) X[i] = F<T>(D(alpha) * D(X[i]));
    }

    /// <inheritdoc />
    public override T Dot<T>(BufferView<T> x, BufferView<T> y)
    {
        var X = S(x); var Y = S(y);
        double acc = 0;
        for (int i = 0; i < X.Length; i++) acc += D(X[i]) * D(Y[i]);
        return F<T>(acc);
    }

    /// <inheritdoc />
    public override T Nrm2<T>(BufferView<T> x)
    {
        var X = S(x);
        double acc = 0;
        foreach (var v in X) acc += D(v) * D(v);
        return F<T>(Math.Sqrt(acc));
    }

    /// <inheritdoc />
    public override void GatherRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst) => throw new NotSupportedException("reference GatherRows is not needed by the engine tests");

    /// <inheritdoc />
    public override void ScatterAddRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst) => throw new NotSupportedException("reference ScatterAddRows is not needed by the engine tests");

    /// <inheritdoc />
    public override void RandomUniform<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) => throw new NotSupportedException("reference RNG is not needed by the engine tests");

    /// <inheritdoc />
    public override void RandomNormal<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) => throw new NotSupportedException("reference RNG is not needed by the engine tests");

    /// <inheritdoc />
    public override void RandomRademacher<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) => throw new NotSupportedException("reference RNG is not needed by the engine tests");
}
