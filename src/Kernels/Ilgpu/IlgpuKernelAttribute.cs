namespace Tangent.Kernels.Ilgpu;

/// <summary>
/// Marks a static method as an ILGPU kernel entry point. The compile tests find every marked method by
/// reflection, close its generic parameters (float and double for the element type; every functor in
/// <c>Tangent.Kernels.Ops</c> for functor parameters) and compile it to PTX and to OpenCL C.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class IlgpuKernelAttribute : Attribute;
