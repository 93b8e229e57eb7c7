namespace Tangent.Kernels.Cpu;

/// <summary>
/// The fixed partition of a batch for sums over its images (the weight gradients of convolutions): min(N, 16) parts
/// of consecutive images, each summed into its own partial, the partials then added in part order. The partition
/// depends on N alone, so the sum is bit-identical whatever the thread count (splitting by thread count would change
/// the rounding with the machine); 16 parts keep 16 threads busy.
/// </summary>
internal static class BatchParts
{
    /// <summary>Most parts a batch is cut into.</summary>
    public const int Max = 16;

    /// <summary>Parts of a batch of <paramref name="images"/> images.</summary>
    public static int Count(int images) => Math.Min(images, Max);

    /// <summary>The images [From, To) of part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public static (int From, int To) Range(int images, int parts, int part) =>
        ((int)((long)images * part / parts), (int)((long)images * (part + 1) / parts));
}
