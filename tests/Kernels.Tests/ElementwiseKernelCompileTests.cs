using System.Reflection;
using System.Text.RegularExpressions;
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

    private static CompiledKernel Compile(Backend backend, MethodInfo kernel)
    {
        bool implicitGroups = kernel.GetParameters()[0].ParameterType == typeof(Index1D);
        var entry = implicitGroups ? EntryPointDescription.FromImplicitlyGroupedKernel(kernel) : EntryPointDescription.FromExplicitlyGroupedKernel(kernel);
        return backend.Compile(entry, new KernelSpecialization());
    }

    /// <summary>
    /// Kernel instances, with the hardware approximations their PTX must use (single precision) and the OpenCL C
    /// built-ins their source must call ("" for none). Double-precision transcendentals have no PTX instruction:
    /// ILGPU.Algorithms compiles them into software routines (<c>.func</c>) of the same module.
    /// </summary>
    public static TheoryData<string, string, string> Cases => new()
    {
        { "Map<Single,Tanh>", "tanh.approx.f32", "tanh" },
        { "Map<Double,GeluErf>", "", "exp" },
        { "Map2<Single,GeluGrad>", "ex2.approx.f32", "exp" },
        { "Map2<Double,SiluGrad>", "", "exp" },
        { "Map2Broadcast<Single,Axpby>", "", "" },
        { "Fill<Int32>", "", "" },
        { "Copy<Double>", "", "" },
        { "ReduceAxis<Single,MaxOp>", "", "" },
        { "ReduceColumns<Double,SumOp>", "", "" },
        { "MapReduce<Single,ScaledSquare,SumOp>", "", "" },
        { "Map2Reduce<Double,Mul,SumOp>", "", "" },
        { "Argmax<Single>", "", "" },
        { "SoftmaxRows<Single,Exp,Log>", "ex2.approx.f32,lg2.approx.f32", "exp,log" },
        { "SoftmaxRows<Double,Exp,Log>", "", "exp,log" },
        { "SoftmaxCrossEntropyBackward<Single>", "", "" },
    };

    /// <summary>
    /// The PTX has the entry <c>Kernel_NAME</c> with one parameter per kernel parameter, uses the hardware
    /// approximations listed (no emulation: single-precision kernels call no routine) and defines every routine it
    /// calls; the OpenCL C has <c>kernel void Kernel_NAME</c> with one parameter per kernel parameter plus a buffer
    /// pointer per array view, and calls the listed built-ins.
    /// </summary>
    [Theory, MemberData(nameof(Cases))]
    public void CompilesToPtxAndOpenCL(string name, string ptxInstructions, string openClBuiltIns)
    {
        string method = name[..name.IndexOf('<')];
        var types = name[(name.IndexOf('<') + 1)..^1].Split(',')
            .Select(t => typeof(float).Assembly.GetType("System." + t) ?? typeof(Relu).Assembly.GetType("Tangent.Kernels.Ops." + t)!)
            .ToArray();
        var kernel = Kernel(method, types);
        var parameters = kernel.GetParameters();
        int views = parameters.Count(p => p.ParameterType.IsGenericType && p.ParameterType.GetGenericTypeDefinition() == typeof(ArrayView<>));
        string entry = "Kernel_" + method;
        using var context = Context.Create(b => b.Optimize(OptimizationLevel.O2).EnableAlgorithms());
        var backends = Backends(context);
        using (var ptxBackend = backends[0])
        {
            string ptx = ((PTXCompiledKernel)Compile(ptxBackend, kernel)).PTXAssembly;
            var signature = Regex.Match(ptx, $@"\.visible\s+\.entry\s+{entry}\s*\(([^)]*)\)");
            Assert.True(signature.Success, $"{name}: no '.entry {entry}' in the PTX");
            Assert.Equal(parameters.Length, Regex.Matches(signature.Groups[1].Value, @"\.param\b").Count);
            foreach (string instruction in Split(ptxInstructions))
                Assert.True(ptx.Contains(instruction, StringComparison.Ordinal), $"{name}: the PTX does not use {instruction}");
            var called = Regex.Matches(ptx, @"\bcall(?:\.uni)?\s+(?:\([^)]*\)\s*,\s*)?(\w+)\s*,").Select(m => m.Groups[1].Value).Distinct().ToList();
            if (types.Contains(typeof(float))) Assert.Empty(called);
            foreach (string routine in called)
                Assert.Matches($@"\.func\s+(?:\([^)]*\)\s*)?{routine}\s*\(", ptx);
        }
        using (var clBackend = backends[1])
        {
            string source = ((CLCompiledKernel)Compile(clBackend, kernel)).Source;
            var signature = Regex.Match(source, $@"kernel\s+void\s+{entry}\s*\(([^)]*)\)");
            Assert.True(signature.Success, $"{name}: no 'kernel void {entry}' in the OpenCL C source");
            Assert.Equal(parameters.Length + views, signature.Groups[1].Value.Split(',').Length);
            foreach (string builtIn in Split(openClBuiltIns))
                Assert.Matches($@"\b{builtIn}\s*\(", source);
        }
    }

    private static string[] Split(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries);

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
