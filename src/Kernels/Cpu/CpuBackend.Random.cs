using Tangent.Kernels.Backends;
using Tangent.Kernels.Rng;

namespace Tangent.Kernels.Cpu;

public sealed partial class CpuBackend
{
    /// <summary>Philox blocks per parallel task: ~64k elements, tens of microseconds of work.</summary>
    private const int RandomBlocksPerTask = 16384;

    /// <inheritdoc />
    public override void RandomUniform<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) =>
        RandomFill(nameof(RandomUniform), RandomDistribution.Uniform, y, seed, stream, offset);

    /// <inheritdoc />
    public override void RandomNormal<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) =>
        RandomFill(nameof(RandomNormal), RandomDistribution.Normal, y, seed, stream, offset);

    /// <inheritdoc />
    public override void RandomRademacher<T>(BufferView<T> y, ulong seed, ulong stream, ulong offset) =>
        RandomFill(nameof(RandomRademacher), RandomDistribution.Rademacher, y, seed, stream, offset);

    private unsafe void RandomFill<T>(string kernel, RandomDistribution distribution, BufferView<T> y,
        ulong seed, ulong stream, ulong offset) where T : unmanaged
    {
        RequireFloat<T>();
        RequireLength(kernel, "y", y, 0);
        RequireOwned(kernel, "y", y);
        int n = y.Length;
        if (n == 0) return;
        bool isDouble = typeof(T) == typeof(double);
        var body = new RandomBody
        {
            Destination = PtrOf(y),
            IsDouble = isDouble,
            Range = PhiloxRange.Of(distribution, isDouble, n, seed, stream, offset),
        };
        int tasks = (body.Range.BlockCount + RandomBlocksPerTask - 1) / RandomBlocksPerTask;
        CpuParallel.For(tasks, in body);
    }

    private unsafe struct RandomBody : IParallelBody
    {
        public void* Destination;
        public bool IsDouble;
        public PhiloxRange Range;

        public readonly void Run(int index)
        {
            int first = index * RandomBlocksPerTask;
            int last = Math.Min(first + RandomBlocksPerTask, Range.BlockCount);
            if (IsDouble)
                for (int b = first; b < last; b++) Range.WriteDouble(b, (double*)Destination);
            else
                for (int b = first; b < last; b++) Range.WriteSingle(b, (float*)Destination);
        }
    }
}
