namespace Tangent.Kernels.Backends;

/// <summary>Argument checks shared by every backend's convolution kernels.</summary>
internal static class ConvShape
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the tensor, its length and the geometry when a view is too short.</summary>
    public static void Require<T>(string kernel, string name, BufferView<T> view, int needed, in Conv2dGeometry g) where T : unmanaged
    {
        if (view.IsNull)
            throw new ArgumentException($"{kernel}: {name} is not set.");
        if (view.Length < needed)
            throw new ArgumentException($"{kernel}: {name} has {view.Length} elements but {needed} are needed for " +
                $"input [{g.N},{g.C},{g.H},{g.W}], weight [{g.K},{g.C},{g.R},{g.S}], output [{g.N},{g.K},{g.OutH},{g.OutW}].");
    }

    /// <summary>Checks all three tensors of a convolution (input, weight, output) against the geometry.</summary>
    public static void Validate<T>(string kernel, in Conv2dGeometry g, string xName, BufferView<T> x, string wName, BufferView<T> w,
        string yName, BufferView<T> y) where T : unmanaged
    {
        if (g.N == 0) throw new ArgumentException($"{kernel}: the geometry is not set (default Conv2dGeometry).");
        Require(kernel, xName, x, g.InputLength, g);
        Require(kernel, wName, w, g.WeightLength, g);
        Require(kernel, yName, y, g.OutputLength, g);
    }

    /// <summary>
    /// Checks the set count and the weight-set and output lengths of <see cref="Backend.Conv2dForwardSets{T}"/>
    /// (the input is checked by each forward convolution, or by the caller).
    /// </summary>
    public static void ValidateSets<T>(string kernel, in Conv2dGeometry g, int sets, BufferView<T> w, BufferView<T> y) where T : unmanaged
    {
        if (g.N == 0) throw new ArgumentException($"{kernel}: the geometry is not set (default Conv2dGeometry).");
        if (sets < 1) throw new ArgumentOutOfRangeException(nameof(sets), $"{kernel}: sets must be at least 1 (got {sets}).");
        // Names formatted only on failure: this runs on every call of a steady-state plan.
        if (w.IsNull || w.Length < (long)sets * g.WeightLength) Require(kernel, $"w ({sets} sets)", w, checked(sets * g.WeightLength), g);
        if (y.IsNull || y.Length < (long)sets * g.OutputLength) Require(kernel, $"y ({sets} sets)", y, checked(sets * g.OutputLength), g);
    }
}
