namespace Tangent.Kernels.Cpu;

/// <summary>
/// The fixed partition of a batch for sums over its images (the weight gradients of convolutions): N/4 parts of
/// consecutive images (at least 1, at most 16), each summed into its own partial, the partials then added in part
/// order. The partition depends on N alone, so the sum is bit-identical whatever the thread count (splitting by thread
/// count would change the rounding with the machine). At least 4 images a part keep the partials' clearing and
/// summing small against the products (measured: 16 parts of 2 images made LeNet's fused conv2 cotangent at batch 32
/// ~20 % slower than 8 parts); up to 16 parts keep 16 threads busy.
/// </summary>
internal static class BatchParts
{
    /// <summary>Most parts a batch is cut into.</summary>
    public const int Max = 16;

    /// <summary>Fewest images a part holds (unless the batch is smaller).</summary>
    public const int MinImages = 4;

    /// <summary>Parts of a batch of <paramref name="images"/> images.</summary>
    public static int Count(int images) => Math.Clamp(images / MinImages, 1, Max);

    /// <summary>The images [From, To) of part <paramref name="part"/> of <paramref name="parts"/>.</summary>
    public static (int From, int To) Range(int images, int parts, int part) =>
        ((int)((long)images * part / parts), (int)((long)images * (part + 1) / parts));
}
