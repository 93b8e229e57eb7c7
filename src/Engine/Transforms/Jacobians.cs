using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Transforms;

/// <summary>
/// Materialised Jacobians of small networks and NTK blocks, from batched JVPs (stacked identity tangents, up to
/// <see cref="Chunk"/> at a time). For tests and exact small-network methods; the cost is P/Chunk JVPs.
/// </summary>
public static class Jacobians
{
    /// <summary>Tangents pushed per JVP.</summary>
    public const int Chunk = 64;

    /// <summary>
    /// J = ∂output/∂wrt as a row-major host array [outputLength, P]. <paramref name="bindInputs"/> binds every input
    /// group of <paramref name="tape"/> on the plan it is given.
    /// </summary>
    public static T[] Materialize<T>(Tape tape, string wrt, string output, Backend backend, Action<Plan<T>> bindInputs) where T : unmanaged
    {
        int p = tape.Input(wrt).TotalLength;
        int m = tape.Output(output).TotalLength;
        int k = Math.Min(p, Chunk);
        using var plan = tape.Jvp(k, wrt).Plan<T>(backend);
        bindInputs(plan);
        using var tangents = backend.Allocate<T>(k * p);
        plan.Bind(wrt + Transform.TangentSuffix, tangents);
        var jac = new T[m * p];
        var one = Plan<T>.FromDouble(1);
        var rows = new T[k * p];
        var block = new T[k * m];
        for (int start = 0; start < p; start += k)
        {
            Array.Clear(rows);
            for (int j = 0; j < k && start + j < p; j++) rows[j * p + start + j] = one;
            tangents.CopyFrom(rows);
            plan.Run();
            var outView = plan.Output(output + Transform.TangentSuffix);
            outView.Buffer.CopyTo(block, outView.Offset);
            for (int j = 0; j < k && start + j < p; j++)
                for (int i = 0; i < m; i++)
                    jac[i * p + start + j] = block[j * m + i];
        }
        return jac;
    }

    /// <summary>
    /// The NTK block J(x)J(x′)ᵀ ([m, m′] row-major) for two bindings of the inputs that share the parameters; the
    /// product runs as one GEMM on the backend.
    /// </summary>
    public static T[] NeuralTangentKernel<T>(Tape tape, string wrt, string output, Backend backend, Action<Plan<T>> bindFirst, Action<Plan<T>> bindSecond)
        where T : unmanaged
    {
        var j1 = Materialize(tape, wrt, output, backend, bindFirst);
        var j2 = Materialize(tape, wrt, output, backend, bindSecond);
        int p = tape.Input(wrt).TotalLength;
        int m1 = j1.Length / p, m2 = j2.Length / p;
        using var a = backend.Upload<T>(j1);
        using var b = backend.Upload<T>(j2);
        using var c = backend.Allocate<T>(m1 * m2);
        backend.Gemm(Transpose.No, Transpose.Yes, m1, m2, p, Plan<T>.FromDouble(1), a, p, b, p, Plan<T>.FromDouble(0), c, m2);
        return c.ToArray();
    }
}
