using System.Globalization;

namespace Tangent.Inference.Laplace;

/// <summary>The prior N(0, α⁻¹I) of a Laplace approximation: α given, or chosen by maximising the marginal likelihood.</summary>
public sealed class LaplacePrior
{
    private LaplacePrior(double? precision) => Precision = precision;

    /// <summary>The fixed α, or null when it is chosen by the marginal likelihood.</summary>
    public double? Precision { get; }

    /// <summary>A fixed prior precision α &gt; 0.</summary>
    public static LaplacePrior Fixed(double precision) => double.IsFinite(precision) && precision > 0
        ? new LaplacePrior(precision)
        : throw new ArgumentOutOfRangeException(nameof(precision), $"prior precision {precision.ToString(CultureInfo.InvariantCulture)} must be a positive finite number.");

    /// <summary>α* = argmax of the log marginal likelihood (METHODS.md §6).</summary>
    public static LaplacePrior MarginalLikelihood { get; } = new(null);

    /// <inheritdoc />
    public override string ToString() => Precision is { } a ? a.ToString("R", CultureInfo.InvariantCulture) : "marglik";
}
