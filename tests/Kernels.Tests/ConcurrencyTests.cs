using Xunit;
using Tangent.Kernels.Tests.Support;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Tests;

/// <summary>
/// Several host threads driving one backend at once: each thread runs its own reductions (which use the backend's
/// device scratch), maps and GEMMs on its own buffers, and every result must equal what the same call gives when run
/// alone. Without the ILGPU backend's gate, two threads' reductions share one scratch buffer and return each other's
/// partial sums.
/// </summary>
public abstract class ConcurrencyTests(Backend backend)
{
    private const int Threads = 4, Rounds = 10, N = 3000;

    [Fact]
    public void Concurrent_calls_from_several_threads_give_the_single_threaded_results()
    {
        var data = new double[Threads][];
        var expected = new (double Dot, double Norm, double Sum, double Gemm)[Threads];
        for (int t = 0; t < Threads; t++)
        {
            var rng = new Random(100 + t);
            // Different scales per thread, so that a result computed from another thread's data is far off.
            data[t] = Enumerable.Range(0, N).Select(_ => (rng.NextDouble() - 0.5) * (t + 1)).ToArray();
            expected[t] = Run(data[t]);
        }

        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            try
            {
                for (int r = 0; r < Rounds; r++)
                {
                    var got = Run(data[t]);
                    if (got != expected[t]) failures.Add($"thread {t} round {r}: {got} vs {expected[t]}");
                }
            }
            catch (Exception e)
            {
                failures.Add($"thread {t}: {e.GetType().Name}: {e.Message}");
            }
        })).ToArray();
        foreach (var w in workers) w.Start();
        foreach (var w in workers) w.Join();
        Assert.True(failures.IsEmpty, string.Join("\n", failures.Take(5)));
    }

    /// <summary>Dot, Nrm2, a row-sum Reduce read back, and a small GEMM's checksum, all on this thread's buffers.</summary>
    private (double Dot, double Norm, double Sum, double Gemm) Run(double[] x)
    {
        using var a = backend.Allocate<double>(N);
        using var b = backend.Allocate<double>(N);
        using var s = backend.Allocate<double>(3);
        using var c = backend.Allocate<double>(30 * 30);
        a.CopyFrom(x);
        backend.Map(new Square(), a.View, b.View);
        double dot = backend.Dot(a.View, b.View);
        double norm = backend.Nrm2(b.View);
        backend.Reduce(new SumOp(), a.View, 3, N / 3, 1, s.View);
        var sums = new double[3];
        s.CopyTo(sums);
        backend.Gemm(Transpose.No, Transpose.Yes, 30, 30, 100, 1.0, a.View, 100, b.View, 100, 0.0, c.View, 30);
        var host = new double[900];
        c.CopyTo(host);
        return (dot, norm, sums[0] + 2 * sums[1] + 3 * sums[2], host.Select((v, i) => v * (i % 7)).Sum());
    }
}

/// <summary>Concurrency on the cpu backend (its pool serialises parallel regions).</summary>
public sealed class ConcurrencyTestsCpu() : ConcurrencyTests(TestBackends.Cpu);

/// <summary>Concurrency on ILGPU's CPU accelerator.</summary>
[Collection(TestBackends.IlgpuCpuCollection)]
public sealed class ConcurrencyTestsIlgpuCpu() : ConcurrencyTests(TestBackends.IlgpuCpu);

/// <summary>Concurrency on the OpenCL device (PoCL here).</summary>
[Collection(TestBackends.OpenCLCollection)]
public sealed class ConcurrencyTestsOpenCL() : ConcurrencyTests(TestBackends.OpenCL);
