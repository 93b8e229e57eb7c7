using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests.Data;

public class BatchLoaderTests
{
    private static readonly DataSet Fmnist = DataSets.Load("fmnist", DataSplit.Test, TestPaths.Fixtures);

    [Theory]
    [InlineData(64, false, 4)]
    [InlineData(50, false, 6)]
    [InlineData(50, true, 5)]
    [InlineData(300, false, 1)]
    public void EachEpochVisitsEverySampleOnceInBatches(int batch, bool dropLast, int expectedBatches)
    {
        var loader = new BatchLoader(Fmnist, batch, seed: 5, dropLast: dropLast);
        Assert.Equal(expectedBatches, loader.BatchesPerEpoch);
        loader.BeginEpoch(2);
        var seen = new List<int>();
        int s = Fmnist.SampleSize;
        for (int b = 0; b < loader.BatchesPerEpoch; b++)
        {
            int n = loader.Fill(b);
            Assert.Equal(b < expectedBatches - 1 || dropLast ? Math.Min(batch, 256) : 256 - b * batch, n);
            for (int i = 0; i < n; i++)
            {
                int j = loader.Order[b * batch + i];
                seen.Add(j);
                Assert.Equal(Fmnist.Labels[j], loader.Labels[i]);
                Assert.True(Fmnist.Sample(j).SequenceEqual(loader.Inputs.AsSpan(i * s, s)));
            }
        }
        Assert.Equal(loader.SamplesPerEpoch, seen.Count);
        Assert.Equal(seen.Count, seen.Distinct().Count());
    }

    [Fact]
    public void OrderIsAFunctionOfSeedAndEpoch()
    {
        var a = new BatchLoader(Fmnist, 32, seed: 7);
        var b = new BatchLoader(Fmnist, 100, seed: 7);
        a.BeginEpoch(3);
        b.BeginEpoch(3);
        Assert.Equal(a.Order.ToArray(), b.Order.ToArray());
        b.BeginEpoch(4);
        Assert.NotEqual(a.Order.ToArray(), b.Order.ToArray());
        var c = new BatchLoader(Fmnist, 32, seed: 8);
        c.BeginEpoch(3);
        Assert.NotEqual(a.Order.ToArray(), c.Order.ToArray());
        var plain = new BatchLoader(Fmnist, 32, shuffle: false);
        plain.BeginEpoch(0);
        Assert.Equal(Enumerable.Range(0, 256).ToArray(), plain.Order.ToArray());
    }

    [Fact]
    public void FillingAndUploadingDoNotAllocate()
    {
        var loader = new BatchLoader(Fmnist, 64, seed: 1, augmentation: new Augmentation(true, 2));
        using var x = CpuBackend.Instance.Allocate<float>(64 * 784);
        using var y = CpuBackend.Instance.Allocate<int>(64);
        loader.BeginEpoch(0);
        loader.Fill(0);
        loader.Upload(x, y);
        Assert.Equal(0, Allocations.SteadyStateBytes(() =>
        {
            for (int b = 0; b < loader.BatchesPerEpoch; b++)
            {
                loader.Fill(b);
                loader.Upload(x, y);
            }
        }));
        Assert.Equal(loader.Labels[..64], y.ToArray());
        Assert.Equal(loader.Inputs, x.ToArray());
    }

    [Fact]
    public void AugmentationMatchesPadCropFlipReference()
    {
        var aug = new Augmentation(HorizontalFlip: true, CropPadding: 4);
        var loader = new BatchLoader(Fmnist, 16, seed: 11, augmentation: aug);
        loader.BeginEpoch(1);
        int n = loader.Fill(3);
        int flips = 0;
        for (int i = 0; i < n; i++)
        {
            int j = loader.Order[3 * 16 + i];
            var (flip, dy, dx) = aug.Draw(11, 1, j);
            flips += flip ? 1 : 0;
            Assert.InRange(dy, -4, 4);
            Assert.InRange(dx, -4, 4);
            // Reference: zero-pad by 4 into a 36×36 canvas, cut the 28×28 window at (4 + dy, 4 + dx), then mirror.
            var canvas = new float[36, 36];
            var src = Fmnist.Sample(j);
            for (int r = 0; r < 28; r++) for (int c = 0; c < 28; c++) canvas[r + 4, c + 4] = src[r * 28 + c];
            for (int r = 0; r < 28; r++)
                for (int c = 0; c < 28; c++)
                {
                    int cc = flip ? 27 - c : c;
                    Assert.Equal(canvas[r + 4 + dy, cc + 4 + dx], loader.Inputs[i * 784 + r * 28 + c]);
                }
        }
        Assert.InRange(flips, 1, n - 1);
    }

    [Fact]
    public void AugmentationDoesNotDependOnBatchSize()
    {
        var aug = new Augmentation(true, 3);
        var a = new BatchLoader(Fmnist, 7, seed: 2, augmentation: aug);
        var b = new BatchLoader(Fmnist, 256, seed: 2, augmentation: aug);
        a.BeginEpoch(0);
        b.BeginEpoch(0);
        b.Fill(0);
        for (int batch = 0; batch < 3; batch++)
        {
            int n = a.Fill(batch);
            for (int i = 0; i < n; i++)
                Assert.True(a.Inputs.AsSpan(i * 784, 784).SequenceEqual(b.Inputs.AsSpan((batch * 7 + i) * 784, 784)));
        }
    }

    [Fact]
    public void FlipTwiceIsIdentity()
    {
        var src = Fmnist.Sample(0);
        var once = new float[784];
        var twice = new float[784];
        Augmentation.Apply(src, once, 1, 28, 28, true, 0, 0);
        Augmentation.Apply(once, twice, 1, 28, 28, true, 0, 0);
        Assert.True(src.SequenceEqual(twice));
        Assert.False(src.SequenceEqual(once));
    }
}
