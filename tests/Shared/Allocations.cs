namespace Tangent.Tests.Shared;

/// <summary>Measures managed allocation of steady-state work on the calling thread.</summary>
internal static class Allocations
{
    /// <summary>
    /// Bytes that <paramref name="run"/> allocates on this thread: the fewest of up to <paramref name="passes"/>
    /// passes (stopping at the first pass that allocates nothing). The runtime may allocate once on the calling thread
    /// in the middle of a pass (tiered compilation replacing a hot method; seen as a few kB in about one run in three),
    /// which a single pass would report as the code's own; an allocation by the code itself shows in every pass.
    /// </summary>
    public static long SteadyStateBytes(Action run, int passes = 5)
    {
        long fewest = long.MaxValue;
        for (int pass = 0; pass < passes && fewest != 0; pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            run();
            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return fewest;
    }
}
