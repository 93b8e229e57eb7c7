using Tangent.Engine.Tests.Linalg;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Engine.Tests.Support;

/// <summary>
/// The backends the autodiff tests are instantiated on. ILGPU's CPU accelerator is the one the linear-algebra tests
/// construct (shared, so its kernels are compiled once per test process).
/// </summary>
public static class TestBackends
{
    /// <summary>The managed SIMD backend.</summary>
    public static Backend Cpu => CpuBackend.Instance;

    /// <summary>ILGPU's CPU accelerator.</summary>
    public static Backend IlgpuCpu => LinalgTestBackends.IlgpuCpu;
}
