using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Models.Tests.Support;

/// <summary>The backends the backend-parameterised test classes are instantiated on.</summary>
public static class TestBackends
{
    /// <summary>The managed SIMD backend.</summary>
    public static Backend Cpu => CpuBackend.Instance;
}
