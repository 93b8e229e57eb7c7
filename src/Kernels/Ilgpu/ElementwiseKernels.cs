using System.Numerics;
using ILGPU;
using ILGPU.Runtime;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Ilgpu;

/// <summary>
/// A collapsed broadcast (see <see cref="Backends.BroadcastCollapse"/>) passed to a kernel by value: up to six
/// dimensions with the strides of both operands, as plain fields (no arrays inside kernels).
/// </summary>
public struct BroadcastIndex
{
    /// <summary>Number of dimensions in use.</summary>
    public int Rank;
    /// <summary>Dimension sizes.</summary>
    public int D0, D1, D2, D3, D4, D5;
    /// <summary>Strides of operand a.</summary>
    public int A0, A1, A2, A3, A4, A5;
    /// <summary>Strides of operand b.</summary>
    public int B0, B1, B2, B3, B4, B5;

    /// <summary>Size of dimension <paramref name="k"/>.</summary>
    public readonly int Dim(int k) => k switch { 0 => D0, 1 => D1, 2 => D2, 3 => D3, 4 => D4, _ => D5 };
    /// <summary>Stride of a along dimension <paramref name="k"/>.</summary>
    public readonly int StrideA(int k) => k switch { 0 => A0, 1 => A1, 2 => A2, 3 => A3, 4 => A4, _ => A5 };
    /// <summary>Stride of b along dimension <paramref name="k"/>.</summary>
    public readonly int StrideB(int k) => k switch { 0 => B0, 1 => B1, 2 => B2, 3 => B3, 4 => B4, _ => B5 };

    /// <summary>Sets dimension <paramref name="k"/>.</summary>
    public void Set(int k, int dim, int sa, int sb)
    {
        switch (k)
        {
            case 0: D0 = dim; A0 = sa; B0 = sb; break;
            case 1: D1 = dim; A1 = sa; B1 = sb; break;
            case 2: D2 = dim; A2 = sa; B2 = sb; break;
            case 3: D3 = dim; A3 = sa; B3 = sb; break;
            case 4: D4 = dim; A4 = sa; B4 = sb; break;
            default: D5 = dim; A5 = sa; B5 = sb; break;
        }
    }
}

/// <summary>
/// ILGPU kernels of the elementwise, reduction, softmax and BLAS-1 families. Portable by construction: global and
/// shared memory and <see cref="Group.Barrier"/> only (no atomics, warp shuffles or group collectives), so they
/// compile for CUDA, OpenCL (PoCL included) and ILGPU's CPU accelerator. Reductions are shared-memory trees over a
/// power-of-two group of at most <see cref="MaxGroup"/> threads.
/// </summary>
public static class IlgpuElementwiseKernels
{
    /// <summary>Threads per group of the tree reductions (and the size of their shared arrays).</summary>
    public const int MaxGroup = 256;

    /// <summary>y[i] = op(x[i]).</summary>
    [IlgpuKernel]
    public static void Map<T, TOp>(Index1D i, ArrayView<T> x, ArrayView<T> y, TOp op)
        where T : unmanaged where TOp : struct, IUnaryOp<T>
        => y[i] = op.Apply(x[i]);

    /// <summary>c[i] = op(a[i], b[i]).</summary>
    [IlgpuKernel]
    public static void Map2<T, TOp>(Index1D i, ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, TOp op)
        where T : unmanaged where TOp : struct, IBinaryOp<T>
        => c[i] = op.Apply(a[i], b[i]);

    /// <summary>c[i] = op(a[offA(i)], b[offB(i)]) with offsets from the collapsed broadcast layout.</summary>
    [IlgpuKernel]
    public static void Map2Broadcast<T, TOp>(Index1D i, ArrayView<T> a, ArrayView<T> b, ArrayView<T> c, BroadcastIndex layout, TOp op)
        where T : unmanaged where TOp : struct, IBinaryOp<T>
    {
        int rem = i;
        int oa = 0, ob = 0;
        for (int d = layout.Rank - 1; d >= 0; d--)
        {
            int n = layout.Dim(d);
            int k = rem % n;
            rem /= n;
            oa += k * layout.StrideA(d);
            ob += k * layout.StrideB(d);
        }
        c[i] = op.Apply(a[oa], b[ob]);
    }

    /// <summary>y[i] = value.</summary>
    [IlgpuKernel]
    public static void Fill<T>(Index1D i, ArrayView<T> y, T value) where T : unmanaged => y[i] = value;

    /// <summary>y[i] = x[i].</summary>
    [IlgpuKernel]
    public static void Copy<T>(Index1D i, ArrayView<T> x, ArrayView<T> y) where T : unmanaged => y[i] = x[i];

    /// <summary>
    /// Tree reduction of the group's shared values sh[0, Group.DimX) into sh[0] (Group.DimX a power of two). Every
    /// thread of the group must call it.
    /// </summary>
    private static void TreeReduce<T, TOp>(ArrayView<T> sh, TOp op) where T : unmanaged where TOp : struct, IReduceOp<T>
    {
        int tid = Group.IdxX;
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (tid < s) sh[tid] = op.Combine(sh[tid], sh[tid + s]);
            Group.Barrier();
        }
    }

    /// <summary>
    /// Pass of an axis reduction of x[outer, axis, inner]: group g reduces chunk g % chunks (of
    /// <paramref name="chunkLength"/> axis entries) of output g / chunks into y[g]. With chunks = 1 this is the whole
    /// reduction; otherwise y holds [outputs, chunks] partials for a second pass.
    /// </summary>
    [IlgpuKernel]
    public static void ReduceAxis<T, TOp>(ArrayView<T> x, ArrayView<T> y, int axis, int inner, int chunks, int chunkLength, TOp op)
        where T : unmanaged where TOp : struct, IReduceOp<T>
    {
        var sh = SharedMemory.Allocate<T>(MaxGroup);
        int g = Grid.IdxX, tid = Group.IdxX;
        int output = g / chunks, chunk = g % chunks;
        int o = output / inner, j = output % inner;
        long bas = (long)o * axis * inner + j;
        int a0 = chunk * chunkLength;
        int a1 = Math.Min(axis, a0 + chunkLength);
        T acc = op.Identity;
        for (int a = a0 + tid; a < a1; a += Group.DimX) acc = op.Combine(acc, x[bas + (long)a * inner]);
        sh[tid] = acc;
        Group.Barrier();
        TreeReduce(sh, op);
        if (tid == 0) y[g] = sh[0];
    }

    /// <summary>
    /// Column pass of an axis reduction for wide slices (inner ≥ <see cref="IlgpuBackend.ColumnKernelMinInner"/>):
    /// thread t handles output t % outputs over rows chunk·chunkRows … of the axis, so neighbouring threads read
    /// neighbouring addresses (coalesced). y holds [chunks, outputs]; with one chunk it is the result.
    /// </summary>
    [IlgpuKernel]
    public static void ReduceColumns<T, TOp>(Index1D t, ArrayView<T> x, ArrayView<T> y, int axis, int inner, int outputs, int chunkRows, TOp op)
        where T : unmanaged where TOp : struct, IReduceOp<T>
    {
        int chunk = t / outputs, output = t % outputs;
        int o = output / inner, j = output % inner;
        int a0 = chunk * chunkRows;
        int a1 = Math.Min(axis, a0 + chunkRows);
        long p = ((long)o * axis + a0) * inner + j;
        T acc = op.Identity;
        for (int a = a0; a < a1; a++, p += inner) acc = op.Combine(acc, x[p]);
        y[t] = acc;
    }

    /// <summary>Partials of red over map(x[i]): group g reduces the grid-strided elements it owns into partials[g].</summary>
    [IlgpuKernel]
    public static void MapReduce<T, TMap, TRed>(ArrayView<T> x, ArrayView<T> partials, TMap map, TRed red)
        where T : unmanaged where TMap : struct, IUnaryOp<T> where TRed : struct, IReduceOp<T>
    {
        var sh = SharedMemory.Allocate<T>(MaxGroup);
        int tid = Group.IdxX;
        T acc = red.Identity;
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = (long)Grid.IdxX * Group.DimX + tid; i < x.Length; i += stride) acc = red.Combine(acc, map.Apply(x[i]));
        sh[tid] = acc;
        Group.Barrier();
        TreeReduce(sh, red);
        if (tid == 0) partials[Grid.IdxX] = sh[0];
    }

    /// <summary>Partials of red over map(a[i], b[i]) (a dot product with Mul and SumOp).</summary>
    [IlgpuKernel]
    public static void Map2Reduce<T, TMap, TRed>(ArrayView<T> a, ArrayView<T> b, ArrayView<T> partials, TMap map, TRed red)
        where T : unmanaged where TMap : struct, IBinaryOp<T> where TRed : struct, IReduceOp<T>
    {
        var sh = SharedMemory.Allocate<T>(MaxGroup);
        int tid = Group.IdxX;
        T acc = red.Identity;
        long stride = (long)Grid.DimX * Group.DimX;
        for (long i = (long)Grid.IdxX * Group.DimX + tid; i < a.Length; i += stride) acc = red.Combine(acc, map.Apply(a[i], b[i]));
        sh[tid] = acc;
        Group.Barrier();
        TreeReduce(sh, red);
        if (tid == 0) partials[Grid.IdxX] = sh[0];
    }

    /// <summary>
    /// Argmax along the axis of x[outer, axis, inner], one group per output: each thread keeps the first maximum of
    /// its strided entries, then a shared tree keeps the larger value, or the smaller index on ties (index 0 only
    /// ever sits on the left of the tree, so a NaN at x[0] wins as in the scalar definition).
    /// </summary>
    [IlgpuKernel]
    public static void Argmax<T>(ArrayView<T> x, ArrayView<int> indices, int axis, int inner)
        where T : unmanaged, INumber<T>
    {
        var shv = SharedMemory.Allocate<T>(MaxGroup);
        var shi = SharedMemory.Allocate<int>(MaxGroup);
        int g = Grid.IdxX, tid = Group.IdxX;
        int o = g / inner, j = g % inner;
        long bas = (long)o * axis * inner + j;
        // A thread's candidate: none yet (index int.MaxValue), or its first maximum. NaNs never become
        // candidates except x[0], which thread 0 takes first and which then never loses (nothing compares greater):
        // the same result as a scalar sweep with a strict ">" from element 0.
        T best = T.Zero;
        int bi = int.MaxValue;
        for (int a = tid; a < axis; a += Group.DimX)
        {
            T v = x[bas + (long)a * inner];
            if (bi == int.MaxValue ? (!T.IsNaN(v) || a == 0) : v > best) { best = v; bi = a; }
        }
        shv[tid] = best;
        shi[tid] = bi;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (tid < s)
            {
                T v = shv[tid + s];
                int k = shi[tid + s];
                if (k != int.MaxValue && (shi[tid] == int.MaxValue || v > shv[tid] || (v == shv[tid] && k < shi[tid])))
                {
                    shv[tid] = v;
                    shi[tid] = k;
                }
            }
            Group.Barrier();
        }
        if (tid == 0) indices[g] = shi[0];
    }

    /// <summary>
    /// The softmax family, one group per row: a max tree, a Σe^{x−m} tree, then the outputs. mode 0: y = softmax;
    /// 1: y = log-softmax = (x − m) − ln s; 2: y = softmax and loss[row] = (m − x[label]) + ln s, NaN for a label
    /// outside [0, cols) (the ILGPU path cannot throw from a kernel; the cpu backend checks on the host).
    /// </summary>
    [IlgpuKernel]
    public static void SoftmaxRows<T, TExp, TLog>(ArrayView<T> x, ArrayView<T> y, ArrayView<T> loss, ArrayView<int> labels, int cols, int mode, TExp exp, TLog log)
        where T : unmanaged, INumber<T> where TExp : struct, IUnaryOp<T> where TLog : struct, IUnaryOp<T>
    {
        var sh = SharedMemory.Allocate<T>(MaxGroup);
        int row = Grid.IdxX, tid = Group.IdxX;
        long bas = (long)row * cols;

        T m = T.Zero;
        bool any = false;
        for (int j = tid; j < cols; j += Group.DimX)
        {
            T v = x[bas + j];
            m = any ? (v > m ? v : m) : v;
            any = true;
        }
        // Threads with no element contribute the row's first entry, which never changes the maximum.
        sh[tid] = any ? m : x[bas];
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (tid < s && sh[tid + s] > sh[tid]) sh[tid] = sh[tid + s];
            Group.Barrier();
        }
        m = sh[0];
        Group.Barrier();

        T sum = T.Zero;
        for (int j = tid; j < cols; j += Group.DimX) sum += exp.Apply(x[bas + j] - m);
        sh[tid] = sum;
        Group.Barrier();
        for (int s = Group.DimX / 2; s > 0; s >>= 1)
        {
            if (tid < s) sh[tid] = sh[tid] + sh[tid + s];
            Group.Barrier();
        }
        sum = sh[0];

        if (mode == 1)
        {
            T ls = log.Apply(sum);
            for (int j = tid; j < cols; j += Group.DimX) y[bas + j] = (x[bas + j] - m) - ls;
            return;
        }
        T inv = T.One / sum;
        for (int j = tid; j < cols; j += Group.DimX) y[bas + j] = exp.Apply(x[bas + j] - m) * inv;
        if (mode == 2 && tid == 0)
        {
            int label = labels[row];
            loss[row] = label >= 0 && label < cols ? (m - x[bas + label]) + log.Apply(sum) : T.Zero / T.Zero;
        }
    }

    /// <summary>dlogits[r, j] = dloss[r]·(probs[r, j] − [j = labels[r]]) (NaN for an out-of-range label).</summary>
    [IlgpuKernel]
    public static void SoftmaxCrossEntropyBackward<T>(Index1D i, ArrayView<T> probs, ArrayView<int> labels, ArrayView<T> dloss, ArrayView<T> dlogits, int cols)
        where T : unmanaged, INumber<T>
    {
        int r = i / cols, j = i % cols;
        int label = labels[r];
        T onehot = j == label ? T.One : T.Zero;
        T g = dloss[r] * (probs[i] - onehot);
        dlogits[i] = label >= 0 && label < cols ? g : T.Zero / T.Zero;
    }
}
