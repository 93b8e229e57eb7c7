using System.Diagnostics;
using System.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>A trace estimate with its standard error.</summary>
/// <param name="Estimate">mean_s ⟨v_s, A v_s⟩.</param>
/// <param name="StandardError">Sample standard deviation of ⟨v_s, A v_s⟩ over √S (S − 1 in the variance).</param>
/// <param name="Probes">Number of probes S.</param>
/// <param name="Elapsed">Wall-clock time.</param>
public readonly record struct TraceEstimate(double Estimate, double StandardError, int Probes, TimeSpan Elapsed);

/// <summary>
/// Hutchinson's estimator tr A ≈ (1/S) Σ_s v_sᵀ A v_s with Rademacher probes v_s ∈ {±1}^n (unbiased; per-probe
/// variance 2(‖A‖_F² − Σ_i A_ii²) for symmetric A). Probes are drawn on the device by Philox in blocks of
/// <see cref="BatchSize"/>, each block pushed through one <see cref="ILinearOperator{T}.ApplyMany"/> (one
/// K-tangent sweep for operators from the tape). VIKING estimates R = tr P of its kernel projection this way.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class HutchinsonTrace<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Backend _backend;
    private readonly DeviceBuffer<T> _probes, _images;

    /// <summary>Creates an estimator for operators up to size <paramref name="capacity"/>, <paramref name="batchSize"/> probes per batched product.</summary>
    public HutchinsonTrace(Backend backend, int capacity, int batchSize = 16)
    {
        ArgumentNullException.ThrowIfNull(backend);
        if (capacity <= 0 || batchSize <= 0)
            throw new ArgumentOutOfRangeException(nameof(batchSize), $"Hutchinson: capacity {capacity} and batch size {batchSize} must be positive.");
        _backend = backend;
        Capacity = capacity;
        BatchSize = batchSize;
        _probes = backend.Allocate<T>(checked(capacity * batchSize));
        _images = backend.Allocate<T>(checked(capacity * batchSize));
    }

    /// <summary>Largest n.</summary>
    public int Capacity { get; }

    /// <summary>Probes per batched product.</summary>
    public int BatchSize { get; }

    /// <summary>
    /// Estimates tr A with <paramref name="probes"/> Rademacher probes from Philox key <paramref name="seed"/> and
    /// stream <paramref name="stream"/>; the same arguments give the same probes on every backend.
    /// </summary>
    public TraceEstimate Estimate(ILinearOperator<T> a, int probes, ulong seed, ulong stream = 0)
    {
        long t0 = Stopwatch.GetTimestamp();
        int n = Check(a, probes);
        var acc = new Accumulator();
        ulong offset = 0;
        for (int done = 0; done < probes;)
        {
            int count = Math.Min(BatchSize, probes - done);
            var block = _probes.Slice(0, count * n);
            _backend.RandomRademacher(block, seed, stream, offset);
            // The offset counts elements of the Philox stream: the next block continues this one.
            offset += (ulong)(count * n);
            Accumulate(a, block, count, n, ref acc);
            done += count;
        }
        return acc.Result(SolverChecks.Since(t0));
    }

    /// <summary>Estimates tr A from given probes [<paramref name="count"/>, n] (any distribution with E[vvᵀ] = I).</summary>
    public TraceEstimate Estimate(ILinearOperator<T> a, BufferView<T> probes, int count)
    {
        long t0 = Stopwatch.GetTimestamp();
        int n = Check(a, count);
        SolverChecks.Vector("Hutchinson", "probes", _backend, probes, (long)count * n);
        var acc = new Accumulator();
        for (int done = 0; done < count;)
        {
            int c = Math.Min(BatchSize, count - done);
            Accumulate(a, probes.Slice(done * n, c * n), c, n, ref acc);
            done += c;
        }
        return acc.Result(SolverChecks.Since(t0));
    }

    private int Check(ILinearOperator<T> a, int probes)
    {
        SolverChecks.Operator("Hutchinson", "A", _backend, a);
        SolverChecks.Square("Hutchinson", "A", a, Capacity);
        if (probes < 2) throw new ArgumentOutOfRangeException(nameof(probes), $"Hutchinson: {probes} probes; at least 2 are needed for a standard error.");
        return a.Rows;
    }

    private void Accumulate(ILinearOperator<T> a, BufferView<T> block, int count, int n, ref Accumulator acc)
    {
        var images = _images.Slice(0, count * n);
        a.ApplyMany(block, images, count);
        for (int s = 0; s < count; s++)
            acc.Add(Scalar<T>.Dot(_backend, block.Slice(s * n, n), images.Slice(s * n, n)));
    }

    /// <summary>Welford's running mean and variance.</summary>
    private struct Accumulator
    {
        private int _count;
        private double _mean, _m2;

        public void Add(double value)
        {
            _count++;
            double delta = value - _mean;
            _mean += delta / _count;
            _m2 += delta * (value - _mean);
        }

        public readonly TraceEstimate Result(TimeSpan elapsed) =>
            new(_mean, Math.Sqrt(_m2 / (_count - 1) / _count), _count, elapsed);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _probes.Dispose();
        _images.Dispose();
    }
}
