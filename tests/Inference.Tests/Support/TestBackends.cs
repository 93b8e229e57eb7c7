using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Inference.Tests.Support;

/// <summary>
/// The backends the backend-parameterised test classes are instantiated on (the same abstract class once per
/// backend): the managed SIMD backend, ILGPU's CPU accelerator and the OpenCL device (PoCL here). The ILGPU classes
/// sit in one collection per device so that they do not contend for one slow accelerator.
/// </summary>
public static class TestBackends
{
    /// <summary>Collection of the test classes on <see cref="IlgpuCpu"/>.</summary>
    public const string IlgpuCpuCollection = "ilgpu-cpu";

    /// <summary>Collection of the test classes on <see cref="OpenCL"/>.</summary>
    public const string OpenCLCollection = "opencl";

    /// <summary>The managed SIMD backend.</summary>
    public static Backend Cpu => CpuBackend.Instance;

    /// <summary>ILGPU's CPU accelerator.</summary>
    public static Backend IlgpuCpu => DeviceSelection.Create(DeviceKind.IlgpuCpu);

    /// <summary>The OpenCL device; a missing runtime is a failure whose message says how to install PoCL.</summary>
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
                throw new InvalidOperationException($"The OpenCL test lane needs an OpenCL runtime: {DeviceSelection.OpenClInstallHint}. ({e.Message})", e);
            }
        }
    }
}

/// <summary>Serialises the test classes on ILGPU's CPU accelerator.</summary>
[CollectionDefinition(TestBackends.IlgpuCpuCollection)]
public sealed class IlgpuCpuCollectionDefinition;

/// <summary>Serialises the test classes on the OpenCL device.</summary>
[CollectionDefinition(TestBackends.OpenCLCollection)]
public sealed class OpenCLCollectionDefinition;
