namespace Tangent.Kernels.Backends;

/// <summary>Host-side preparation of a <see cref="BroadcastLayout"/> shared by the cpu and ILGPU kernels.</summary>
internal static class BroadcastCollapse
{
    /// <summary>Elements an operand must hold: 1 + Σ (shape_d − 1)·stride_d (0 for an empty output).</summary>
    public static long Extent(int[] shape, int[] strides)
    {
        long extent = 1;
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] == 0) return 0;
            extent += (long)(shape[d] - 1) * strides[d];
        }
        return extent;
    }

    /// <summary>
    /// Drops size-1 dimensions and merges neighbours that are contiguous for both operands
    /// (stride_d = stride_{d+1}·shape_{d+1} for a and for b, which includes both-broadcast), so that a bias add
    /// [N,C] + [C] becomes rows of C and a per-channel op [N,C,H,W] + [1,C,1,1] becomes rows of H·W with a scalar b.
    /// Writes at most <see cref="BroadcastLayout.MaxRank"/> entries and returns the collapsed rank (≥ 1).
    /// </summary>
    public static unsafe int Collapse(in BroadcastLayout layout, int* shape, int* sa, int* sb)
    {
        int rank = 0;
        for (int d = 0; d < layout.Shape.Length; d++)
        {
            int n = layout.Shape[d];
            if (n == 1) continue;
            if (rank > 0 && sa[rank - 1] == layout.StridesA[d] * n && sb[rank - 1] == layout.StridesB[d] * n)
            {
                shape[rank - 1] *= n;
                sa[rank - 1] = layout.StridesA[d];
                sb[rank - 1] = layout.StridesB[d];
                continue;
            }
            shape[rank] = n;
            sa[rank] = layout.StridesA[d];
            sb[rank] = layout.StridesB[d];
            rank++;
        }
        if (rank == 0)
        {
            shape[0] = 1; sa[0] = 1; sb[0] = 1;
            rank = 1;
        }
        return rank;
    }
}
