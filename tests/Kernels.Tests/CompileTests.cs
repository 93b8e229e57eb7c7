using System.Globalization;
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
using Xunit;
using Xunit.Abstractions;

namespace Tangent.Kernels.Tests;

/// <summary>
/// Every method marked <see cref="IlgpuKernelAttribute"/> in Tangent.Kernels, compiled offline (no GPU, no OpenCL
/// device) to PTX for sm_80 at ISA 7.8 (what Debian's ptxas 11.8 assembles) and to OpenCL C. Generic parameters are
/// closed over float and double for the element type; each functor parameter takes every public struct of
/// Tangent.Kernels that implements its interface, while the other functor parameters keep their first choice (every
/// functor appears in every slot without the full cross product).
/// </summary>
public sealed partial class CompileTests(ITestOutputHelper output)
{
    /// <summary>A kernel closed over concrete type arguments.</summary>
    public sealed record Instance(MethodInfo Method)
    {
        public override string ToString() =>
            $"{Method.DeclaringType!.Name}.{Method.Name}<{string.Join(", ", Method.GetGenericArguments().Select(t => t.Name))}>";
    }

    private static readonly Type[] Elements = [typeof(float), typeof(double)];
    private static readonly Type[] FunctorInterfaces = [typeof(IUnaryOp<>), typeof(IBinaryOp<>), typeof(IReduceOp<>)];

    /// <summary>The kernel entry points by reflection.</summary>
    public static MethodInfo[] KernelMethods() => typeof(IlgpuKernelAttribute).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly))
        .Where(m => m.GetCustomAttribute<IlgpuKernelAttribute>() is not null)
        .OrderBy(m => m.DeclaringType!.FullName, StringComparer.Ordinal).ThenBy(m => m.Name, StringComparer.Ordinal)
        .ToArray();

    /// <summary>The functor interface (open generic) a generic parameter is constrained to, or null for an element type.</summary>
    private static Type? FunctorInterface(Type parameter) => parameter.GetGenericParameterConstraints()
        .Where(c => c.IsGenericType).Select(c => c.GetGenericTypeDefinition())
        .FirstOrDefault(d => FunctorInterfaces.Contains(d));

    /// <summary>Public non-generic structs of Tangent.Kernels implementing <paramref name="closedInterface"/>.</summary>
    private static Type[] Functors(Type closedInterface) => typeof(IlgpuKernelAttribute).Assembly.GetTypes()
        .Where(t => t.IsValueType && t.IsPublic && !t.IsGenericTypeDefinition && closedInterface.IsAssignableFrom(t))
        .OrderBy(t => t.FullName, StringComparer.Ordinal).ToArray();

    /// <summary>Every closed instance of every kernel (see the class summary for the covering rule).</summary>
    public static List<Instance> Instances()
    {
        var result = new List<Instance>();
        foreach (var m in KernelMethods())
        {
            if (!m.IsGenericMethodDefinition) { result.Add(new Instance(m)); continue; }
            var parameters = m.GetGenericArguments();
            var seen = new HashSet<string>();
            foreach (var element in Elements)
            {
                var choices = parameters.Select(p => FunctorInterface(p) is { } i ? Functors(i.MakeGenericType(element)) : [element]).ToArray();
                if (choices.Any(c => c.Length == 0))
                    throw new InvalidOperationException($"{m.DeclaringType!.Name}.{m.Name}: no functor implements a parameter's interface for {element.Name}.");
                // Vary one parameter at a time over all its choices, the others at their first choice.
                for (int vary = 0; vary < parameters.Length; vary++)
                    foreach (var pick in choices[vary])
                    {
                        var args = choices.Select((c, k) => k == vary ? pick : c[0]).ToArray();
                        if (!seen.Add(string.Join(",", args.Select(a => a.FullName)))) continue;
                        result.Add(new Instance(m.MakeGenericMethod(args)));
                    }
            }
        }
        return result;
    }

    private static EntryPointDescription EntryOf(MethodInfo m)
    {
        var first = m.GetParameters().FirstOrDefault()?.ParameterType;
        bool implicitlyGrouped = first is not null && (first == typeof(Index1D) || first == typeof(Index2D) || first == typeof(Index3D)
            || first == typeof(LongIndex1D) || first == typeof(LongIndex2D) || first == typeof(LongIndex3D));
        return implicitlyGrouped ? EntryPointDescription.FromImplicitlyGroupedKernel(m) : EntryPointDescription.FromExplicitlyGroupedKernel(m);
    }

    /// <summary>Compiles every instance with <paramref name="backend"/>; returns the failures (one line each) and the count.</summary>
    private (List<string> Failures, int Count) CompileAll(Backend backend, Func<CompiledKernel, string?> check)
    {
        var failures = new List<string>();
        var instances = Instances();
        foreach (var instance in instances)
        {
            try
            {
                var entry = EntryOf(instance.Method);
                var compiled = backend.Compile(entry, KernelSpecialization.Empty);
                if (check(compiled) is { } problem) failures.Add($"{instance}: {problem}");
            }
            catch (Exception e)
            {
                failures.Add($"{instance}: {e.GetType().Name}: {e.Message}{(e.InnerException is { } inner ? $" ({inner.GetType().Name}: {inner.Message})" : "")}");
            }
        }
        output.WriteLine($"{backend.GetType().Name}: {instances.Count} kernel instances from {KernelMethods().Length} [IlgpuKernel] methods compiled, {failures.Count} failed.");
        return (failures, instances.Count);
    }

    [Fact]
    public void The_catalogue_has_kernels_for_every_family()
    {
        var names = KernelMethods().Select(m => $"{m.DeclaringType!.Name}.{m.Name}").ToHashSet();
        foreach (var expected in new[]
                 {
                     "GemmKernels.Tiled", "ConvKernels.Forward", "ConvKernels.BackwardInput", "ConvKernels.BackwardWeight",
                     "PoolKernels.MaxForward", "PoolKernels.MaxBackward", "PoolKernels.MaxGather", "PoolKernels.AvgForward", "PoolKernels.AvgBackward",
                     "IlgpuElementwiseKernels.Map", "IlgpuElementwiseKernels.Map2Broadcast", "IlgpuElementwiseKernels.ReduceAxis",
                     "IlgpuElementwiseKernels.Argmax", "IlgpuElementwiseKernels.SoftmaxRows",
                     "GatherKernels.GatherRows", "GatherKernels.ScatterAddRows", "RandomKernels.FillSingle", "RandomKernels.FillDouble",
                 })
            Assert.Contains(expected, names);
        output.WriteLine($"{names.Count} [IlgpuKernel] methods, {Instances().Count} closed instances.");
    }

    [Fact]
    public void Every_kernel_compiles_to_PTX_for_sm80_at_ISA_78()
    {
        // The CUDA backend's own context settings (O2 + ILGPU.Algorithms' math intrinsics, without which Exp/Log/Tanh
        // have no PTX implementation): this test fails if they are dropped.
        using var context = Context.Create(b => Backends.DeviceSelection.Configure(b, Backends.DeviceKind.Cuda));
        var architecture = CudaArchitecture.SM_80;
        using var backend = new PTXBackend(context, new CudaCapabilityContext(architecture), architecture, CudaInstructionSet.ISA_78, nvvmAPI: null);
        var versions = new SortedSet<Version>();
        var (failures, count) = CompileAll(backend, k =>
        {
            string ptx = ((PTXCompiledKernel)k).PTXAssembly;
            var version = PtxVersion().Match(ptx);
            if (!version.Success) return "no .version directive";
            var v = new Version(int.Parse(version.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(version.Groups[2].Value, CultureInfo.InvariantCulture));
            versions.Add(v);
            if (v > new Version(7, 8)) return $".version {v} is above 7.8";
            if (!ptx.Contains(".target sm_80", StringComparison.Ordinal)) return "no '.target sm_80'";
            if (!ptx.Contains($".entry {k.Name}", StringComparison.Ordinal)) return $"entry point '{k.Name}' missing";
            return null;
        });
        output.WriteLine($"PTX .version directives seen: {string.Join(", ", versions)}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} failed:\n{string.Join("\n", failures)}");
        Assert.True(count >= 60, $"only {count} instances: the reflection missed kernels?");
    }

    [Fact]
    public void Every_kernel_compiles_to_OpenCL_C()
    {
        using var context = Context.Create(b => Backends.DeviceSelection.Configure(b, Backends.DeviceKind.OpenCL));
        // What the PoCL device gets: float64, no float16/int64 atomics/subgroups, generic address space overridden on.
        var capabilities = new CLCapabilityContext(false, true, false, false, true);
        using var backend = new CLBackend(context, capabilities, CLDeviceVendor.Other, CLCVersion.CL30);
        var (failures, count) = CompileAll(backend, k =>
        {
            string source = ((CLCompiledKernel)k).Source;
            return Regex.IsMatch(source, $@"kernel\s+void\s+{Regex.Escape(k.Name)}\s*\(") ? null : $"kernel '{k.Name}' missing from the OpenCL C source";
        });
        Assert.True(failures.Count == 0, $"{failures.Count} of {count} failed:\n{string.Join("\n", failures)}");
    }

    [GeneratedRegex(@"\.version\s+(\d+)\.(\d+)")]
    private static partial Regex PtxVersion();
}
