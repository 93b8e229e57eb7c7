using Tangent.Inference.Posteriors;

namespace Tangent.Inference.Reports.Methods;

/// <summary>The MAP row: the trained network itself (a point posterior), evaluated from its checkpoint.</summary>
public sealed class MapMethod(string? paperRow) : ReproductionMethod("map", "MAP", paperRow)
{
    /// <inheritdoc />
    public override bool NeedsFit => false;

    /// <inheritdoc />
    public override string Settings(ulong seed) => "";

    /// <inheritdoc />
    public override string Description => "the trained network, point predictions";

    /// <inheritdoc />
    public override IPosterior Fit(FitContext context) => throw new InvalidOperationException("the MAP row is not fitted: it is the MAP checkpoint.");
}
