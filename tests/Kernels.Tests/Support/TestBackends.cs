using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Kernels.Tests.Support;

/// <summary>
/// The backends every kernel test class is instantiated on. The same abstract test class runs on each
/// (ILGPU.Algorithms' habit): <c>public sealed class GemmTestsCpu() : GemmTests(TestBackends.Cpu)</c>, and so on.
/// </summary>
public static class TestBackends
{
    /// <summary>The managed SIMD backend.</summary>
    public static Backend Cpu => CpuBackend.Instance;
}
