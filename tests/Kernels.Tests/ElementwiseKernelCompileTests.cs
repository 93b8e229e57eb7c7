using System.Reflection;
using ILGPU;
using ILGPU.Backends;
using ILGPU.Backends.EntryPoints;
using ILGPU.Backends.OpenCL;
using ILGPU.Backends.PTX;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using Tangent.Kernels.Ilgpu;
using Tangent.Kernels.Ops;

namespace Tangent.Kernels.Tests;

/// <summary>
/// Offline compilation of the elementwise-family kernels to PTX (sm_80, ISA 7.8) and OpenCL C 1.2 (fp64 on), no
/// device needed. Pins one requirement found here: the functors' MathF/Math calls (Exp, Log, Tanh, …) have PTX
/// implementations only when the context enables ILGPU.Algorithms (<c>EnableAlgorithms()</c>), so every ILGPU
/// context that runs these kernels must be built with it.
/// </summary>
public sealed class ElementwiseKernelCompileTests
{
    private static Backend[] Backends(Context context) =>
    [
        new PTXBackend(context, new CudaCapabilityContext(CudaArchitecture.SM_80), CudaArchitecture.SM_80, CudaInstructionSet.ISA_78, null),
        new CLBackend(context, new CLCapabilityContext(float16: false, float64: true, genericAddressSpace: false, int64_Atomics: false, subGroups: false),
            CLDeviceVendor.Other, CLCVersion.CL12),
    ];

    private static MethodInfo Kernel(string name, params Type[] args) =>
        typeof(IlgpuElementwiseKernels).GetMethod(name, BindingFlags.Public | BindingFlags.Static)!.MakeGenericMethod(args);

    private static void Compile(Backend backend, MethodInfo kernel)
    {
        bool implicitGroups = kernel.GetParameters()[0].ParameterType == typeof(Index1D);
        var entry = implicitGroups ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel) : EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
        backend.Compile(entry, new KernelSpecialization());
    }

    public static TheoryData<string> Cases => new(
        "Map<Single,Tanh>", "Map<Double,GeluErf>", "Map2<Single,GeluGrad>", "Map2<Double,SiluGrad>", "Map2Broadcast<Single,Axpby>",
        "Fill<Int32>", "Copy<Double>", "ReduceAxis<Single,MaxOp>", "ReduceColumns<Double,SumOp>", "MapReduce<Single,ScaledSquare,SumOp>",
        "Map2Reduce<Double,Mul,SumOp>", "Argmax<Single>", "SoftmaxRows<Single,Exp,Log>", "SoftmaxRows<Double,Exp,Log>",
        "SoftmaxCrossEntropyBackward<Single>");

    [Theory, MemberData(nameof(Cases))]
    public void CompilesToPtxAndOpenCL(string name)
    {
        string method = name[..name.IndexOf('<')];
        var types = name[(name.IndexOf('<') + 1)..^1].Split(',')
            .Select(t => typeof(float).Assembly.GetType("System." + t) ?? typeof(Relu).Assembly.GetType("Tangent.Kernels.Ops." + t)!)
            .ToArray();
        using var context = Context.Create(b => b.Optimize(OptimizationLevel.O2).EnableAlgorithms());
        foreach (var backend in Backends(context))
        {
            using (backend)
                Compile(backend, Kernel(method, types));
        }
    }

    [Fact]
    public void PtxNeedsAlgorithmsForTranscendentals()
    {
        using var context = Context.Create(b => b.Optimize(OptimizationLevel.O2));
        using var ptx = Backends(context)[0];
        var e = Assert.ThrowsAny<Exception>(() => Compile(ptx, Kernel("Map", typeof(float), typeof(Exp))));
        Assert.Contains("EnableAlgorithms", e.ToString());
        // Arithmetic-only functors need nothing extra.
        Compile(ptx, Kernel("Map2", typeof(float), typeof(Axpby)));
    }
}
