using ILGPU;
using ILGPU.Runtime.CPU;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ilgpu;

namespace Tangent.Kernels.Tests.Support;

/// <summary>
/// ILGPU's CPU accelerator for the GEMM and convolution tests, until <c>TestBackends.IlgpuCpu</c> is available on
/// this branch (the same construction: CPU accelerator, O2).
/// </summary>
public static class GemmConvIlgpuCpu
{
    private static readonly Lazy<Backend> Instance = new(() =>
    {
        var context = Context.Create(b => b.CPU().Optimize(OptimizationLevel.O2));
        return new IlgpuBackend(context, context.CreateCPUAccelerator(0), DeviceKind.IlgpuCpu);
    });

    /// <summary>The shared ILGPU CPU backend.</summary>
    public static Backend Backend => Instance.Value;
}
