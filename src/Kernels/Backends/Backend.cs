using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Backends;

/// <summary>
/// A compute device and its kernel catalogue. Every kernel exists on every backend: managed SIMD code on
/// <c>cpu</c>, ILGPU kernels on <c>cuda</c>, <c>opencl</c> and <c>ilgpu-cpu</c>. Fused kernels that only some
/// backends have are optional capabilities, interfaces a backend implements besides this class
/// (<see cref="IConvActivationMaxPoolTangent"/>, <see cref="IConvActivationMaxPoolCotangent"/>). Element types are
/// <see cref="float"/> and <see cref="double"/> (plus <see cref="int"/> for index buffers). All tensors are
/// row-major and contiguous. Kernels may run asynchronously; <see cref="Synchronize"/> and host copies wait.
/// Output views never alias input views unless a method says so.
/// </summary>
public abstract partial class Backend : IDisposable
{
    /// <summary>What this device is.</summary>
    public abstract DeviceInfo Info { get; }

    /// <summary>Allocates a zero-filled buffer, throwing <see cref="DeviceOutOfMemoryException"/> when it cannot.</summary>
    public abstract DeviceBuffer<T> Allocate<T>(int length) where T : unmanaged;

    /// <summary>Allocates a buffer holding a copy of <paramref name="data"/>.</summary>
    public DeviceBuffer<T> Upload<T>(ReadOnlySpan<T> data) where T : unmanaged
    {
        var b = Allocate<T>(data.Length);
        b.CopyFrom(data);
        return b;
    }

    /// <summary>Waits until all kernels issued so far have finished.</summary>
    public abstract void Synchronize();

    /// <inheritdoc />
    public abstract void Dispose();

    // ---------------------------------------------------------------- GEMM

    /// <summary>
    /// C ← α·op(A)·op(B) + β·C with op(A) m×k, op(B) k×n, C m×n; leading dimensions are row strides of the stored
    /// matrices. When β = 0, C is not read (NaNs in C do not propagate).
    /// </summary>
    public abstract void Gemm<T>(Transpose transA, Transpose transB, int m, int n, int k,
        T alpha, BufferView<T> a, int lda, BufferView<T> b, int ldb, T beta, BufferView<T> c, int ldc) where T : unmanaged;

    /// <summary>
    /// <paramref name="batchCount"/> independent GEMMs, the i-th on A + i·strideA, B + i·strideB, C + i·strideC.
    /// A stride of 0 shares the operand across the batch.
    /// </summary>
    public abstract void GemmStridedBatched<T>(Transpose transA, Transpose transB, int m, int n, int k,
        T alpha, BufferView<T> a, int lda, long strideA, BufferView<T> b, int ldb, long strideB,
        T beta, BufferView<T> c, int ldc, long strideC, int batchCount) where T : unmanaged;

    // ---------------------------------------------------------------- convolution

    /// <summary>y[N,K,OH,OW] ← conv(x[N,C,H,W], w[K,C,R,S]) (cross-correlation, zero padding; no bias).</summary>
    public abstract void Conv2dForward<T>(in Conv2dGeometry g, BufferView<T> x, BufferView<T> w, BufferView<T> y) where T : unmanaged;

    /// <summary>
    /// y[E,N,K,OH,OW] ← conv(x[N,C,H,W], w[e]) for each of E = <paramref name="sets"/> weight sets w[E,K,C,R,S] on one
    /// shared input: the tangent x·Ẇ of E stacked weight tangents. The default runs E forward convolutions; a backend
    /// may share the input's packing across the sets.
    /// </summary>
    public virtual void Conv2dForwardSets<T>(in Conv2dGeometry g, int sets, BufferView<T> x, BufferView<T> w, BufferView<T> y) where T : unmanaged
    {
        ConvShape.ValidateSets("conv2d forward (weight sets)", g, sets, w, y);
        for (int e = 0; e < sets; e++)
            Conv2dForward(g, x, w.Slice(e * g.WeightLength, g.WeightLength), y.Slice(e * g.OutputLength, g.OutputLength));
    }

    /// <summary>dx[N,C,H,W] ← ∂⟨dy, conv(x, w)⟩/∂x (the transposed convolution of dy with w); overwrites dx.</summary>
    public abstract void Conv2dBackwardInput<T>(in Conv2dGeometry g, BufferView<T> dy, BufferView<T> w, BufferView<T> dx) where T : unmanaged;

    /// <summary>dw[K,C,R,S] ← β·dw + ∂⟨dy, conv(x, w)⟩/∂w.</summary>
    public abstract void Conv2dBackwardWeight<T>(in Conv2dGeometry g, BufferView<T> x, BufferView<T> dy, BufferView<T> dw, T beta) where T : unmanaged;

    // ---------------------------------------------------------------- pooling

    /// <summary>
    /// Max pooling. <paramref name="argmax"/> ([N,C,OH,OW]) receives the index inside the H×W input plane of each
    /// maximum (first one on ties) so that the backward and tangent kernels can gather/scatter.
    /// </summary>
    public abstract void MaxPool2dForward<T>(in Pool2dGeometry g, BufferView<T> x, BufferView<T> y, BufferView<int> argmax) where T : unmanaged;

    /// <summary>
    /// dx ← scatter of dy to the argmax positions (dx overwritten). dy and dx may hold <paramref name="repeats"/>
    /// stacked batches (K tangents) that share the primal's argmax.
    /// </summary>
    public abstract void MaxPool2dBackward<T>(in Pool2dGeometry g, BufferView<T> dy, BufferView<int> argmax, BufferView<T> dx, int repeats = 1) where T : unmanaged;

    /// <summary>
    /// ẏ ← ẋ gathered at the argmax positions (the JVP of max pooling). ẋ and ẏ may hold <paramref name="repeats"/>
    /// stacked batches sharing the primal's argmax.
    /// </summary>
    public abstract void MaxPool2dGather<T>(in Pool2dGeometry g, BufferView<T> xdot, BufferView<int> argmax, BufferView<T> ydot, int repeats = 1) where T : unmanaged;

    /// <summary>Average pooling (padding excluded from the divisor).</summary>
    public abstract void AvgPool2dForward<T>(in Pool2dGeometry g, BufferView<T> x, BufferView<T> y) where T : unmanaged;

    /// <summary>dx ← transpose of average pooling applied to dy (dx overwritten).</summary>
    public abstract void AvgPool2dBackward<T>(in Pool2dGeometry g, BufferView<T> dy, BufferView<T> dx) where T : unmanaged;

    // ---------------------------------------------------------------- elementwise

    /// <summary>y[i] ← op(x[i]); x and y may be the same view.</summary>
    public abstract void Map<T, TOp>(TOp op, BufferView<T> x, BufferView<T> y)
        where T : unmanaged where TOp : struct, IUnaryOp<T>;

    /// <summary>c[i] ← op(a[i], b[i]) for equal lengths; c may alias a or b.</summary>
    public abstract void Map2<T, TOp>(TOp op, BufferView<T> a, BufferView<T> b, BufferView<T> c)
        where T : unmanaged where TOp : struct, IBinaryOp<T>;

    /// <summary>c ← op(a, b) with NumPy broadcasting described by <paramref name="layout"/>; c must not alias a or b.</summary>
    public abstract void Map2Broadcast<T, TOp>(TOp op, in BroadcastLayout layout, BufferView<T> a, BufferView<T> b, BufferView<T> c)
        where T : unmanaged where TOp : struct, IBinaryOp<T>;

    /// <summary>Sets every element of y to <paramref name="value"/>.</summary>
    public abstract void Fill<T>(BufferView<T> y, T value) where T : unmanaged;

    /// <summary>y ← x (equal lengths; may be on the same buffer if the ranges do not overlap).</summary>
    public abstract void Copy<T>(BufferView<T> x, BufferView<T> y) where T : unmanaged;

    // ---------------------------------------------------------------- reductions

    /// <summary>
    /// Reduces x viewed as [outer, axis, inner] along the middle dimension into y[outer, inner].
    /// A full reduction is outer = inner = 1.
    /// </summary>
    public abstract void Reduce<T, TOp>(TOp op, BufferView<T> x, int outer, int axis, int inner, BufferView<T> y)
        where T : unmanaged where TOp : struct, IReduceOp<T>;

    /// <summary>Index of the maximum of x viewed as [outer, axis, inner] along the middle dimension (first on ties).</summary>
    public abstract void Argmax<T>(BufferView<T> x, int outer, int axis, int inner, BufferView<int> indices) where T : unmanaged;

    // ---------------------------------------------------------------- softmax family

    /// <summary>Row-wise softmax of x[rows, cols] (max-subtracted).</summary>
    public abstract void Softmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y) where T : unmanaged;

    /// <summary>Row-wise log-softmax of x[rows, cols].</summary>
    public abstract void LogSoftmax<T>(BufferView<T> x, int rows, int cols, BufferView<T> y) where T : unmanaged;

    /// <summary>
    /// Fused softmax–cross-entropy: loss[i] = logsumexp(x[i,:]) − x[i, labels[i]] and probs = softmax(x).
    /// Labels outside [0, cols) are an error (checked on the host side where the labels are uploaded).
    /// </summary>
    public abstract void SoftmaxCrossEntropy<T>(BufferView<T> logits, BufferView<int> labels, int rows, int cols,
        BufferView<T> loss, BufferView<T> probs) where T : unmanaged;

    /// <summary>dlogits[i,:] ← dloss[i] · (probs[i,:] − onehot(labels[i])).</summary>
    public abstract void SoftmaxCrossEntropyBackward<T>(BufferView<T> probs, BufferView<int> labels, BufferView<T> dloss,
        int rows, int cols, BufferView<T> dlogits) where T : unmanaged;

    // ---------------------------------------------------------------- BLAS-1

    /// <summary>y ← α·x + y.</summary>
    public abstract void Axpy<T>(T alpha, BufferView<T> x, BufferView<T> y) where T : unmanaged;

    /// <summary>x ← α·x.</summary>
    public abstract void Scal<T>(T alpha, BufferView<T> x) where T : unmanaged;

    /// <summary>⟨x, y⟩ (waits for the result).</summary>
    public abstract T Dot<T>(BufferView<T> x, BufferView<T> y) where T : unmanaged;

    /// <summary>‖x‖₂, computed without overflow for large entries (waits for the result).</summary>
    public abstract T Nrm2<T>(BufferView<T> x) where T : unmanaged;

    // ---------------------------------------------------------------- gather / scatter

    /// <summary>dst[i, :] ← src[indices[i], :] for rows of <paramref name="cols"/> elements.</summary>
    public abstract void GatherRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst) where T : unmanaged;

    /// <summary>dst[indices[i], :] += src[i, :] (repeated indices accumulate).</summary>
    public abstract void ScatterAddRows<T>(BufferView<T> src, int cols, BufferView<int> indices, BufferView<T> dst) where T : unmanaged;

    // ---------------------------------------------------------------- random numbers (Philox4x32-10)

    /// <summary>
    /// Uniform values in [0, 1): element i is element <c>offset + i</c> of Philox4x32-10 stream
    /// <paramref name="stream"/> under key <paramref name="seed"/> (the offset counts elements, so consecutive
    /// fills continue one another); bit-identical on every backend. Layout of bits to values:
    /// <see cref="Rng.PhiloxSampling"/>.
    /// </summary>
    public abstract void RandomUniform<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) where T : unmanaged;

    /// <summary>Standard normal values by Box–Muller on the same counters as <see cref="RandomUniform{T}"/>.</summary>
    public abstract void RandomNormal<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) where T : unmanaged;

    /// <summary>±1 with equal probability from the sign bits of the Philox words (four elements per block for float and double alike; see <see cref="Rng.PhiloxSampling"/>).</summary>
    public abstract void RandomRademacher<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) where T : unmanaged;

    // ---------------------------------------------------------------- helpers

    /// <summary>Throws unless <typeparamref name="T"/> is float or double.</summary>
    protected static void RequireFloat<T>()
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"Element type {typeof(T).Name} is not supported: kernels run on float and double.");
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the kernel, the argument and both lengths when a view is too short.</summary>
    protected static void RequireLength<T>(string kernel, string name, BufferView<T> view, long needed) where T : unmanaged
    {
        if (view.IsNull)
            throw new ArgumentException($"{kernel}: {name} is not set.");
        if (view.Length < needed)
            throw new ArgumentException($"{kernel}: {name} has {view.Length} elements, {needed} needed.");
    }

    /// <summary>Throws unless the view belongs to this backend.</summary>
    protected void RequireOwned<T>(string kernel, string name, BufferView<T> view) where T : unmanaged
    {
        if (!ReferenceEquals(view.Buffer.Backend, this))
            throw new ArgumentException($"{kernel}: {name} lives on {view.Buffer.Backend.Info.Name}, not on {Info.Name}.");
    }
}
