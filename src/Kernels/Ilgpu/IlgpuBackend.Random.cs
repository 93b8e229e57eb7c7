using ILGPU;
using ILGPU.Runtime;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Rng;

namespace Tangent.Kernels.Ilgpu;

public sealed partial class IlgpuBackend
{
    /// <inheritdoc />
    public override void RandomUniform<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) =>
        RandomFill(nameof(RandomUniform), RandomDistribution.Uniform, y, seed, stream, offset);

    /// <inheritdoc />
    public override void RandomNormal<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) =>
        RandomFill(nameof(RandomNormal), RandomDistribution.Normal, y, seed, stream, offset);

    /// <inheritdoc />
    public override void RandomRademacher<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) =>
        RandomFill(nameof(RandomRademacher), RandomDistribution.Rademacher, y, seed, stream, offset);

    private void RandomFill<T>(string kernel, RandomDistribution distribution, BufferView<T> y,
        ulong seed, ulong stream, ulong offset) where T : unmanaged
    {
        using var gate = EnterGate();
        RequireFloat<T>();
        RequireLength(kernel, "y", y, 0);
        RequireOwned(kernel, "y", y);
        if (y.Length == 0) return;
        bool isDouble = typeof(T) == typeof(double);
        var range = PhiloxRange.Of(distribution, isDouble, y.Length, seed, stream, offset);
        if (isDouble)
        {
            var k = GetKernel("random", typeof(double), a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<double>, PhiloxRange>(RandomKernels.FillDouble));
            k(range.BlockCount, ViewOf(y).Cast<double>(), range);
        }
        else
        {
            var k = GetKernel("random", typeof(float), a =>
                a.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>, PhiloxRange>(RandomKernels.FillSingle));
            k(range.BlockCount, ViewOf(y).Cast<float>(), range);
        }
    }
}

/// <summary>
/// The random-number kernels: one thread per Philox block, running the same <see cref="PhiloxSampling"/>
/// code as the cpu backend, so that the values are bit-identical across backends.
/// </summary>
public static class RandomKernels
{
    /// <summary>Writes the float32 elements of Philox block <paramref name="block"/> of <paramref name="range"/>.</summary>
    [IlgpuKernel]
    public static void FillSingle(Index1D block, ArrayView<float> y, PhiloxRange range)
    {
        var v = PhiloxSampling.Singles((RandomDistribution)range.Distribution, range.Bits(block));
        for (int l = 0; l < range.PerBlock; l++)
        {
            long i = range.ElementOf(block, l);
            if (i >= 0 && i < range.Count) y[i] = v[l];
        }
    }

    /// <summary>Writes the float64 elements of Philox block <paramref name="block"/> of <paramref name="range"/>.</summary>
    [IlgpuKernel]
    public static void FillDouble(Index1D block, ArrayView<double> y, PhiloxRange range)
    {
        var v = PhiloxSampling.Doubles((RandomDistribution)range.Distribution, range.Bits(block));
        for (int l = 0; l < range.PerBlock; l++)
        {
            long i = range.ElementOf(block, l);
            if (i >= 0 && i < range.Count) y[i] = v[l];
        }
    }
}
