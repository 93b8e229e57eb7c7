namespace Tangent.Kernels.Backends;

/// <summary>Whether a GEMM operand is used as stored or transposed.</summary>
public enum Transpose
{
    /// <summary>Use the operand as stored (row-major).</summary>
    No,
    /// <summary>Use the transpose of the stored operand.</summary>
    Yes,
}

/// <summary>
/// Shape of a 2-D convolution, NCHW input <c>[N, C, H, W]</c>, KCRS weight <c>[K, C, R, S]</c>, output
/// <c>[N, K, OutH, OutW]</c>. Validated on construction.
/// </summary>
public readonly record struct Conv2dGeometry
{
    /// <summary>Creates and validates a convolution geometry.</summary>
    public Conv2dGeometry(int n, int c, int h, int w, int k, int r, int s, int strideH = 1, int strideW = 1, int padH = 0, int padW = 0)
    {
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0 || k <= 0 || r <= 0 || s <= 0)
            throw new ArgumentException($"conv2d: all sizes must be positive (N={n}, C={c}, H={h}, W={w}, K={k}, R={r}, S={s}).");
        if (strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0)
            throw new ArgumentException($"conv2d: stride must be positive and padding non-negative (stride {strideH}×{strideW}, padding {padH}×{padW}).");
        N = n; C = c; H = h; W = w; K = k; R = r; S = s;
        StrideH = strideH; StrideW = strideW; PadH = padH; PadW = padW;
        OutH = (h + 2 * padH - r) / strideH + 1;
        OutW = (w + 2 * padW - s) / strideW + 1;
        if (h + 2 * padH < r || w + 2 * padW < s)
            throw new ArgumentException($"conv2d: kernel {r}×{s} is larger than the padded input {h + 2 * padH}×{w + 2 * padW}.");
    }

    /// <summary>Batch size.</summary>
    public int N { get; }
    /// <summary>Input channels.</summary>
    public int C { get; }
    /// <summary>Input height.</summary>
    public int H { get; }
    /// <summary>Input width.</summary>
    public int W { get; }
    /// <summary>Output channels.</summary>
    public int K { get; }
    /// <summary>Kernel height.</summary>
    public int R { get; }
    /// <summary>Kernel width.</summary>
    public int S { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideW { get; }
    /// <summary>Zero padding above and below.</summary>
    public int PadH { get; }
    /// <summary>Zero padding left and right.</summary>
    public int PadW { get; }
    /// <summary>Output height.</summary>
    public int OutH { get; }
    /// <summary>Output width.</summary>
    public int OutW { get; }

    /// <summary>Elements of the input tensor.</summary>
    public int InputLength => N * C * H * W;
    /// <summary>Elements of the weight tensor.</summary>
    public int WeightLength => K * C * R * S;
    /// <summary>Elements of the output tensor.</summary>
    public int OutputLength => N * K * OutH * OutW;
    /// <summary>The same geometry with another batch size (used for K stacked tangents).</summary>
    public Conv2dGeometry WithBatch(int n) => new(n, C, H, W, K, R, S, StrideH, StrideW, PadH, PadW);
}

/// <summary>Shape of a 2-D pooling window over NCHW input; output <c>[N, C, OutH, OutW]</c>.</summary>
public readonly record struct Pool2dGeometry
{
    /// <summary>Creates and validates a pooling geometry.</summary>
    public Pool2dGeometry(int n, int c, int h, int w, int windowH, int windowW, int strideH, int strideW, int padH = 0, int padW = 0)
    {
        if (n <= 0 || c <= 0 || h <= 0 || w <= 0 || windowH <= 0 || windowW <= 0 || strideH <= 0 || strideW <= 0 || padH < 0 || padW < 0)
            throw new ArgumentException($"pool2d: invalid geometry N={n} C={c} H={h} W={w} window {windowH}×{windowW} stride {strideH}×{strideW} padding {padH}×{padW}.");
        if (padH * 2 > windowH || padW * 2 > windowW)
            throw new ArgumentException($"pool2d: padding {padH}×{padW} must be at most half the window {windowH}×{windowW}.");
        N = n; C = c; H = h; W = w; WindowH = windowH; WindowW = windowW;
        StrideH = strideH; StrideW = strideW; PadH = padH; PadW = padW;
        OutH = (h + 2 * padH - windowH) / strideH + 1;
        OutW = (w + 2 * padW - windowW) / strideW + 1;
        if (OutH <= 0 || OutW <= 0)
            throw new ArgumentException($"pool2d: window {windowH}×{windowW} does not fit input {h}×{w} with padding {padH}×{padW}.");
    }

    /// <summary>Batch size.</summary>
    public int N { get; }
    /// <summary>Channels.</summary>
    public int C { get; }
    /// <summary>Input height.</summary>
    public int H { get; }
    /// <summary>Input width.</summary>
    public int W { get; }
    /// <summary>Window height.</summary>
    public int WindowH { get; }
    /// <summary>Window width.</summary>
    public int WindowW { get; }
    /// <summary>Vertical stride.</summary>
    public int StrideH { get; }
    /// <summary>Horizontal stride.</summary>
    public int StrideW { get; }
    /// <summary>Padding above and below (ignored positions: −∞ for max, excluded from the count for average).</summary>
    public int PadH { get; }
    /// <summary>Padding left and right.</summary>
    public int PadW { get; }
    /// <summary>Output height.</summary>
    public int OutH { get; }
    /// <summary>Output width.</summary>
    public int OutW { get; }
    /// <summary>Elements of the input.</summary>
    public int InputLength => N * C * H * W;
    /// <summary>Elements of the output.</summary>
    public int OutputLength => N * C * OutH * OutW;
    /// <summary>The same geometry with another batch size.</summary>
    public Pool2dGeometry WithBatch(int n) => new(n, C, H, W, WindowH, WindowW, StrideH, StrideW, PadH, PadW);
}

/// <summary>
/// Broadcasting layout for a binary elementwise op over an output of up to <see cref="MaxRank"/> dimensions:
/// each operand's strides (0 on broadcast dimensions), NumPy rules.
/// </summary>
public readonly struct BroadcastLayout
{
    /// <summary>Largest rank supported.</summary>
    public const int MaxRank = 6;

    /// <summary>Output shape.</summary>
    public int[] Shape { get; }
    /// <summary>Strides of operand a in the output index space (0 where broadcast).</summary>
    public int[] StridesA { get; }
    /// <summary>Strides of operand b in the output index space (0 where broadcast).</summary>
    public int[] StridesB { get; }
    /// <summary>Number of output elements.</summary>
    public int Length { get; }
    /// <summary>Whether both operands have the output's shape (no broadcasting needed).</summary>
    public bool IsSameShape { get; }

    private BroadcastLayout(int[] shape, int[] sa, int[] sb, bool same)
    {
        Shape = shape; StridesA = sa; StridesB = sb; IsSameShape = same;
        long len = 1;
        foreach (int d in shape) len *= d;
        Length = checked((int)len);
    }

    /// <summary>Computes the broadcast of two shapes, or throws naming both shapes.</summary>
    public static BroadcastLayout Create(ReadOnlySpan<int> shapeA, ReadOnlySpan<int> shapeB)
    {
        int rank = Math.Max(shapeA.Length, shapeB.Length);
        if (rank > MaxRank)
            throw new ArgumentException($"broadcast: rank {rank} exceeds the supported {MaxRank} (shapes [{string.Join(",", shapeA.ToArray())}] and [{string.Join(",", shapeB.ToArray())}]).");
        var shape = new int[rank];
        var sa = new int[rank];
        var sb = new int[rank];
        int strideA = 1, strideB = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            int ia = i - (rank - shapeA.Length), ib = i - (rank - shapeB.Length);
            int da = ia >= 0 ? shapeA[ia] : 1, db = ib >= 0 ? shapeB[ib] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"broadcast: shapes [{string.Join(",", shapeA.ToArray())}] and [{string.Join(",", shapeB.ToArray())}] are incompatible at dimension {i} ({da} vs {db}).");
            shape[i] = da == 1 ? db : da; // NumPy: a size-1 dim takes the other size, including 0
            sa[i] = da == 1 ? 0 : strideA;
            sb[i] = db == 1 ? 0 : strideB;
            strideA *= da;
            strideB *= db;
        }
        return new BroadcastLayout(shape, sa, sb, shapeA.SequenceEqual(shapeB));
    }
}
