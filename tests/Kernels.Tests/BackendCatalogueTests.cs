using System.Reflection;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Kernels.Tests.Support;
using Xunit;

namespace Tangent.Kernels.Tests;

/// <summary>
/// <see cref="Backend"/> stays generic: every kernel it declares runs on every backend, and a fused kernel that only
/// some backends have is an optional capability interface (which only the <c>cpu</c> backend implements so far).
/// </summary>
public sealed class BackendCatalogueTests
{
    /// <summary>
    /// Each public method of Backend is abstract (so every backend implements it) or, where a backend may do better, has
    /// a default that runs other kernels: only <see cref="Backend.Conv2dForwardSets{T}"/> (E forward convolutions).
    /// A virtual kernel whose default throws, or a <c>Supports…</c> query, would show up here.
    /// </summary>
    [Fact]
    public void Backend_declares_only_kernels_every_backend_runs()
    {
        var optional = typeof(Backend).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => m.IsVirtual && !m.IsAbstract).Select(m => m.Name).Distinct().Order().ToArray();
        Assert.Equal(["Conv2dForwardSets"], optional);
    }

    [Fact]
    public void Fused_kernels_are_capabilities_of_the_cpu_backend_only()
    {
        Assert.IsAssignableFrom<IConvActivationMaxPoolTangent>(CpuBackend.Instance);
        Assert.IsAssignableFrom<IConvActivationMaxPoolCotangent>(CpuBackend.Instance);
        Assert.False(TestBackends.IlgpuCpu is IConvActivationMaxPoolTangent or IConvActivationMaxPoolCotangent);
    }
}
