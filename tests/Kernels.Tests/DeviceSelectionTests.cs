using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.OpenCL;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Kernels.Ilgpu;
using Tangent.Kernels.Tests.Support;
using Xunit;

namespace Tangent.Kernels.Tests;

/// <summary>Device discovery, creation and the default choice.</summary>
[Collection(DeviceSelectionCollection.Name)]
public sealed class DeviceSelectionTests
{
    private static int Rank(DeviceInfo d) => d.Kind switch
    {
        DeviceKind.Cuda => 0,
        DeviceKind.OpenCL when d.Details.StartsWith("OpenCL GPU", StringComparison.Ordinal) => 1,
        DeviceKind.Cpu => 2,
        DeviceKind.OpenCL => 3,
        _ => 4,
    };

    [Fact]
    public void Devices_are_listed_best_first_with_cpu_opencl_and_ilgpu_cpu()
    {
        var devices = DeviceSelection.ListDevices();
        Assert.Single(devices, d => d.Kind == DeviceKind.Cpu);
        Assert.Single(devices, d => d.Kind == DeviceKind.IlgpuCpu);
        // The OpenCL lane is required here (PoCL), not optional.
        Assert.Contains(devices, d => d.Kind == DeviceKind.OpenCL);
        var ranks = devices.Select(Rank).ToArray();
        Assert.Equal(ranks.Order().ToArray(), ranks);
        Assert.All(devices, d => Assert.True(d.MemoryBytes > 0 && d.MemoryBytes < long.MaxValue && d.SimdWidthBits >= 32, d.ToString()));
        Assert.Equal(CpuBackend.SimdWidth, devices.Single(d => d.Kind == DeviceKind.Cpu).SimdWidthBits);
    }

    [Theory]
    [InlineData(DeviceKind.IlgpuCpu)]
    [InlineData(DeviceKind.OpenCL)]
    [InlineData(DeviceKind.Cpu)]
    public void Create_returns_one_instance_per_kind_even_under_concurrency(DeviceKind kind)
    {
        var seen = new Backend[8];
        Parallel.For(0, seen.Length, i => seen[i] = DeviceSelection.Create(kind));
        Assert.All(seen, b => Assert.Same(seen[0], b));
        Assert.Equal(kind, seen[0].Info.Kind);
        if (kind != DeviceKind.Cpu)
            Assert.Equal(OptimizationLevel.O2, ((IlgpuBackend)seen[0]).Context.Properties.OptimizationLevel);
    }

    [Fact]
    public void An_absent_kind_is_an_error_naming_it_and_listing_what_is_present()
    {
        if (DeviceSelection.ListDevices().Any(d => d.Kind == DeviceKind.Cuda))
        {
            Assert.Equal(DeviceKind.Cuda, DeviceSelection.Create(DeviceKind.Cuda).Info.Kind);
            return;
        }
        var e = Assert.Throws<InvalidOperationException>(() => DeviceSelection.Create(DeviceKind.Cuda));
        Assert.Contains("device 'cuda' is not available", e.Message);
        Assert.Contains("cpu (", e.Message);
        Assert.Contains("opencl (", e.Message);
        Assert.Contains("ilgpu-cpu (", e.Message);
    }

    [Fact]
    public void Default_follows_TANGENT_DEVICE_else_the_best_available()
    {
        string? saved = Environment.GetEnvironmentVariable(DeviceSelection.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(DeviceSelection.EnvironmentVariable, "bogus");
            var e = Assert.Throws<ArgumentException>(DeviceSelection.Default);
            Assert.Contains("Unknown device 'bogus'. Valid names: cpu, cuda, opencl, ilgpu-cpu.", e.Message);

            Environment.SetEnvironmentVariable(DeviceSelection.EnvironmentVariable, "ilgpu-cpu");
            Assert.Same(DeviceSelection.Create(DeviceKind.IlgpuCpu), DeviceSelection.Default());
            Environment.SetEnvironmentVariable(DeviceSelection.EnvironmentVariable, "OpenCL");
            Assert.Same(DeviceSelection.Create(DeviceKind.OpenCL), DeviceSelection.Default());

            Environment.SetEnvironmentVariable(DeviceSelection.EnvironmentVariable, null);
            var devices = DeviceSelection.ListDevices();
            var best = devices[0];
            var chosen = DeviceSelection.Default().Info;
            // PoCL's CPU device ranks below cpu, so with no GPU the default is the managed backend.
            Assert.Equal(best.Kind, chosen.Kind);
            if (!devices.Any(d => Rank(d) < 2)) Assert.Same(CpuBackend.Instance, DeviceSelection.Default());
        }
        finally
        {
            Environment.SetEnvironmentVariable(DeviceSelection.EnvironmentVariable, saved);
        }
    }
}

/// <summary>
/// The PoCL workarounds of DESIGN.md, pinned: each test fails if its workaround stops being applied by
/// <see cref="DeviceSelection"/>, or stops being needed (then the workaround and its test can go).
/// </summary>
[Collection(TestBackends.OpenCLCollection)]
public sealed class PoclWorkaroundTests
{
    private static void Twice(Index1D i, ArrayView<float> a) => a[i] = a[i] * 2 + i;

    /// <summary>A fresh context holding the OpenCL CPU device (PoCL), as ILGPU enumerates it.</summary>
    private static (Context Context, CLDevice Device) FreshPocl(OptimizationLevel level)
    {
        var context = Context.Create(b => b.OpenCL(_ => true).Optimize(level));
        foreach (var d in context.Devices)
            if (d is CLDevice cl && cl.DeviceType.HasFlag(CLDeviceType.CL_DEVICE_TYPE_CPU))
                return (context, cl);
        context.Dispose();
        throw new InvalidOperationException($"No OpenCL CPU device (PoCL): {DeviceSelection.OpenClInstallHint}.");
    }

    [Fact]
    public void Pocl_reports_no_generic_address_space_and_ILGPU_refuses_it_unless_overridden()
    {
        var (context, device) = FreshPocl(OptimizationLevel.O2);
        using (context)
        {
            Assert.False(device.Capabilities.GenericAddressSpace, "PoCL now reports generic address space support: the override may be dropped.");
            Assert.Throws<CapabilityNotSupportedException>(() => device.CreateAccelerator(context).Dispose());
        }
        // Applied: the selection's OpenCL backend is open on a device whose capability is overridden.
        var backend = (IlgpuBackend)TestBackends.OpenCL;
        var opened = Assert.IsType<CLDevice>(backend.Accelerator.Device);
        Assert.True(opened.Capabilities.GenericAddressSpace);
    }

    [Fact]
    public void Pocl_fails_to_build_kernels_emitted_at_O1_and_builds_them_at_O2()
    {
        foreach (var level in new[] { OptimizationLevel.O1, OptimizationLevel.O2 })
        {
            var (context, device) = FreshPocl(level);
            using (context)
            {
                DeviceSelection.SetGenericAddressSpace(device.Capabilities, true);
                using var accelerator = device.CreateAccelerator(context);
                if (level == OptimizationLevel.O1)
                {
                    Assert.ThrowsAny<CLException>(() => accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(Twice));
                    continue;
                }
                var kernel = accelerator.LoadAutoGroupedStreamKernel<Index1D, ArrayView<float>>(Twice);
                using var buffer = accelerator.Allocate1D(new float[] { 1, 2, 3 });
                kernel(3, buffer.View);
                accelerator.Synchronize();
                Assert.Equal([2f, 5f, 8f], buffer.GetAsArray1D());
            }
        }
        // Applied: the selection compiles at O2.
        Assert.Equal(OptimizationLevel.O2, ((IlgpuBackend)TestBackends.OpenCL).Context.Properties.OptimizationLevel);
    }
}

/// <summary>Tests that set TANGENT_DEVICE (process-wide) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DeviceSelectionCollection
{
    /// <summary>Collection name.</summary>
    public const string Name = "device-selection";
}
