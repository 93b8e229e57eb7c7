namespace Tangent.Kernels.Cpu;

/// <summary>The body of a parallel loop: a struct so that the JIT specialises the loop and nothing is boxed.</summary>
public interface IParallelBody
{
    /// <summary>Runs task <paramref name="index"/>.</summary>
    void Run(int index);
}

/// <summary>
/// A persistent pool of worker threads (<see cref="ThreadCount"/> − 1; the caller is the last worker). Workers spin
/// briefly before sleeping so that back-to-back kernels pay no wake-up latency. A loop issued while another is running
/// (from another thread, or nested) runs serially on its caller: correct, never deadlocks.
/// <para>
/// The thread count changes speed only, never results: every kernel partitions its work by the problem alone (a
/// reduction sums fixed parts in a fixed order, however many threads take them), so a run is bit-identical whatever
/// <c>TANGENT_THREADS</c> is.
/// </para>
/// </summary>
public static class CpuParallel
{
    private static readonly object Gate = new();
    private static Worker[] _workers = [];
    private static volatile int _threadCount;
    private static volatile WorkItem? _current;
    private static int _next;
    private static int _count;
    private static int _pending;

    /// <summary>
    /// Threads a loop may use, the caller included: <c>TANGENT_THREADS</c> when set to a positive number, else the
    /// processor count. Setting it (≥ 1) waits for a running loop to end and starts workers as needed; it only
    /// changes how fast later loops run (see the class summary).
    /// </summary>
    public static int ThreadCount
    {
        get => _threadCount;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            lock (Gate)
            {
                if (_workers.Length < value - 1)
                {
                    var grown = new Worker[value - 1];
                    _workers.CopyTo(grown, 0);
                    for (int i = _workers.Length; i < grown.Length; i++) grown[i] = new Worker(i);
                    _workers = grown;
                }
                _threadCount = value;
            }
        }
    }

    static CpuParallel()
    {
        int n = Environment.ProcessorCount;
        if (int.TryParse(Environment.GetEnvironmentVariable("TANGENT_THREADS"), out int t) && t > 0) n = t;
        ThreadCount = Math.Max(1, n);
    }

    /// <summary>
    /// Runs <c>body.Run(i)</c> for i in [0, count) on the pool. Tasks are handed out one at a time, so give each
    /// task enough work (tens of microseconds) to amortise the hand-out.
    /// </summary>
    public static void For<TBody>(int count, in TBody body) where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        if (count == 1 || _threadCount == 1 || !Monitor.TryEnter(Gate))
        {
            for (int i = 0; i < count; i++) body.Run(i);
            return;
        }
        try
        {
            var item = WorkItem<TBody>.Instance ??= new WorkItem<TBody>();
            item.Body = body;
            _next = 0;
            _count = count;
            int helpers = Math.Min(_threadCount - 1, count - 1);
            _pending = helpers;
            _current = item;
            for (int w = 0; w < helpers; w++) _workers[w].Signal();
            Drain(item);
            var spin = new SpinWait();
            while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(-1);
            _current = null;
            item.Body = default;
            item.RethrowIfFailed();
        }
        finally
        {
            Monitor.Exit(Gate);
        }
    }

    private static void Drain(WorkItem item)
    {
        int count = _count;
        while (true)
        {
            int i = Interlocked.Increment(ref _next) - 1;
            if (i >= count) return;
            item.Execute(i);
        }
    }

    private abstract class WorkItem
    {
        private Exception? _error;
        public abstract void Execute(int i);
        protected void Fail(Exception e) => Interlocked.CompareExchange(ref _error, e, null);
        public void RethrowIfFailed()
        {
            var e = Interlocked.Exchange(ref _error, null);
            if (e != null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e).Throw();
        }
    }

    private sealed class WorkItem<TBody> : WorkItem where TBody : struct, IParallelBody
    {
        [ThreadStatic] public static WorkItem<TBody>? Instance;
        public TBody Body;
        public override void Execute(int i)
        {
            try { Body.Run(i); }
            catch (Exception e) { Fail(e); }
        }
    }

    private sealed class Worker
    {
        private readonly SemaphoreSlim _signal = new(0);
        private volatile bool _go;

        public Worker(int id)
        {
            var t = new Thread(Loop) { IsBackground = true, Name = $"tangent-worker-{id}" };
            t.Start();
        }

        public void Signal()
        {
            _go = true;
            if (_signal.CurrentCount == 0) _signal.Release();
        }

        private void Loop()
        {
            while (true)
            {
                // Spin ~50 µs for the next loop before sleeping: kernels come in quick succession.
                long until = System.Diagnostics.Stopwatch.GetTimestamp() + System.Diagnostics.Stopwatch.Frequency / 20000;
                while (!_go && System.Diagnostics.Stopwatch.GetTimestamp() < until) Thread.SpinWait(20);
                if (!_go) _signal.Wait();
                while (_signal.CurrentCount > 0) _signal.Wait(0);
                if (!_go) continue;
                _go = false;
                var item = _current;
                if (item != null) Drain(item);
                Interlocked.Decrement(ref _pending);
            }
        }
    }
}
