using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Xunit;

namespace Tangent.Kernels.Tests.Support;

/// <summary>
/// The backends every kernel test class is instantiated on. The same abstract test class runs on each
/// (ILGPU.Algorithms' habit): <c>public sealed class GemmTestsCpu() : GemmTests(TestBackends.Cpu)</c>, and so on.
/// The ILGPU backends are the process-wide instances of <see cref="DeviceSelection.Create"/>, created on first use.
/// </summary>
/// <remarks>
/// ILGPU test classes carry <c>[Collection(TestBackends.IlgpuCpuCollection)]</c> or
/// <c>[Collection(TestBackends.OpenCLCollection)]</c>: the ILGPU backend serialises calls from several threads
/// itself (its gate; <see cref="ConcurrencyTests"/> checks it), so this only keeps the classes on one slow
/// accelerator from contending with each other, which keeps per-test timings meaningful.
/// </remarks>
public static class TestBackends
{
    /// <summary>Collection of the test classes that use <see cref="IlgpuCpu"/>.</summary>
    public const string IlgpuCpuCollection = "ilgpu-cpu";

    /// <summary>Collection of the test classes that use <see cref="OpenCL"/>.</summary>
    public const string OpenCLCollection = "opencl";

    /// <summary>The managed SIMD backend.</summary>
    public static Backend Cpu => CpuBackend.Instance;

    /// <summary>ILGPU's CPU accelerator (kernels at O2, as everywhere).</summary>
    public static Backend IlgpuCpu => DeviceSelection.Create(DeviceKind.IlgpuCpu);

    /// <summary>
    /// The OpenCL device: PoCL's CPU device on a machine without a GPU. Absent OpenCL is a failure, not a skip: the
    /// message says how to install PoCL.
    /// </summary>
    public static Backend OpenCL
    {
        get
        {
            try
            {
                return DeviceSelection.Create(DeviceKind.OpenCL);
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidOperationException(
                    $"The OpenCL test lane needs an OpenCL runtime: {DeviceSelection.OpenClInstallHint}. ({e.Message})", e);
            }
        }
    }
}

/// <summary>Serialises the test classes on ILGPU's CPU accelerator (see <see cref="TestBackends"/>).</summary>
[CollectionDefinition(TestBackends.IlgpuCpuCollection)]
public sealed class IlgpuCpuCollectionDefinition;

/// <summary>Serialises the test classes on the OpenCL device (see <see cref="TestBackends"/>).</summary>
[CollectionDefinition(TestBackends.OpenCLCollection)]
public sealed class OpenCLCollectionDefinition;
