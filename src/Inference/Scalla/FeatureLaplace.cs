using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine;
using Tangent.Engine.Execution;
using Tangent.Engine.Tracing;
using Tangent.Inference.Numerics;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Layers;

namespace Tangent.Inference.Scalla;

/// <summary>The GGN of the training set in feature space and the MAP's log-likelihood, from one pass over the data.</summary>
/// <param name="Precision">H = Σₙ g(xₙ) Λₙ g(xₙ)ᵀ, m×m row-major (float64 sums of float32 batch sums).</param>
/// <param name="Features">m.</param>
/// <param name="LogLikelihood">Σₙ log p(yₙ | f(xₙ; θ*)), the evidence's data term.</param>
/// <param name="Count">Training points summed.</param>
public sealed record FeaturePrecision(double[] Precision, int Features, double LogLikelihood, int Count);

/// <summary>Σ_w = (H + αI + jitter·I)⁻¹ with the jitter that the Cholesky factorisation needed (0 when none).</summary>
public sealed record FeatureCovariance(double[] Covariance, double Alpha, double Jitter);

/// <summary>The prior precision that maximises the Laplace evidence, and the evidence there and at α = 1.</summary>
public sealed record PriorPrecisionFit(double Alpha, double LogEvidence, double LogEvidenceAtOne, double EffectiveParameters);

/// <summary>
/// ScaLLA's posterior in feature space (METHODS.md §2): with f(x) = f*(x) + g(x)ᵀw and w ~ N(0, α⁻¹I_m), the
/// GGN-Laplace posterior over w has precision H + αI, H = Σₙ g Λ gᵀ over the training set (Λ = diag p − ppᵀ), and
/// the logits' covariance is V(x) = g(x)ᵀ Σ_w g(x).
/// </summary>
public static class FeatureLaplace
{
    /// <summary>
    /// H and the MAP's training log-likelihood from one pass over <paramref name="train"/> in batches of
    /// <paramref name="batch"/> (a traced tape: MAP logits, softmax, features, g diag(p) gᵀ − (gp)(gp)ᵀ summed over the batch).
    /// </summary>
    public static FeaturePrecision Precision(Network map, ReadOnlySpan<float> theta, ReadOnlySpan<float> state, Network surrogate,
        ReadOnlySpan<float> phi, double scale, DataSet train, Backend backend, int batch = 250)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (!train.IsClassification) throw new ArgumentException($"ScaLLA's feature-space Laplace is for classification; '{train.Name}' is a regression set.");
        int m = surrogate.OutputShape[0];
        var h = new double[m * m];
        double logLikelihood = 0;
        using var thetaBuffer = backend.Upload(theta);
        using var stateBuffer = backend.Upload(state.IsEmpty ? [0f] : state);
        using var phiBuffer = backend.Upload(phi);
        var loader = new BatchLoader(train, Math.Min(batch, train.Count), 0, shuffle: false);
        loader.BeginEpoch(0);
        var hostH = new float[m * m];
        var hostLoss = new float[loader.BatchSize];
        Plan<float>? plan = null;
        int planned = 0;
        using var x = backend.Allocate<float>(loader.BatchSize * train.SampleSize);
        using var y = backend.Allocate<int>(loader.BatchSize);
        try
        {
            for (int b = 0; b < loader.BatchesPerEpoch; b++)
            {
                int n = loader.Fill(b);
                if (n != planned)
                {
                    plan?.Dispose();
                    plan = PrecisionTape(map, surrogate, n, scale).Plan<float>(backend);
                    plan.Bind(Network.ThetaGroup, thetaBuffer.View);
                    if (map.State.Count > 0) plan.Bind(Network.StateGroup, stateBuffer.View);
                    plan.Bind(SurrogateFeatures.PhiGroup, phiBuffer.View);
                    plan.Bind("x", x.Slice(0, n * train.SampleSize));
                    plan.BindIndices("y", y.Slice(0, n));
                    planned = n;
                }
                loader.Upload(x, y);
                plan!.Run();
                var hv = plan.Output("precision");
                hv.Buffer.CopyTo(hostH, hv.Offset);
                for (int i = 0; i < h.Length; i++) h[i] += hostH[i];
                var lv = plan.Output("loss");
                lv.Buffer.CopyTo(hostLoss.AsSpan(0, n), lv.Offset);
                for (int i = 0; i < n; i++) logLikelihood -= hostLoss[i];
            }
        }
        finally
        {
            plan?.Dispose();
        }
        // Symmetric up to float32 rounding of the batch sums; symmetrise so that the factorisations see one matrix.
        for (int i = 0; i < m; i++)
            for (int j = 0; j < i; j++)
                h[i * m + j] = h[j * m + i] = 0.5 * (h[i * m + j] + h[j * m + i]);
        return new FeaturePrecision(h, m, logLikelihood, train.Count);
    }

    /// <summary>Inputs <c>theta</c>, <c>x</c>, <c>y</c>, <c>phi</c> (and <c>state</c>); outputs <c>precision</c> [m, m] and <c>loss</c> [n].</summary>
    private static Tape PrecisionTape(Network map, Network surrogate, int n, double scale) => Tape.Trace(t =>
    {
        var x = t.Input("x", map.InputShape.Prepend(new Shape(n)));
        var logits = SurrogateFeatures.MapLogits(t, map, x);
        var labels = t.Input("y", new Shape(n), DType.Int32);
        int c = logits.Shape[1];
        var p = Fn.Softmax(logits);
        var g = SurrogateFeatures.Trace(t, surrogate, x, scale);
        // g Λ gᵀ = g diag(p) gᵀ − (g p)(g p)ᵀ, summed over the batch.
        var gp = Fn.MatMul(g, Fn.Reshape(p, new Shape(n, c, 1)));
        var weighted = Fn.Mul(g, Fn.Reshape(p, new Shape(n, 1, c)));
        var h = Fn.Sub(Fn.MatMul(weighted, g, transB: true, sumBatch: true), Fn.MatMul(gp, gp, transB: true, sumBatch: true));
        t.Output("precision", h);
        t.Output("loss", Fn.SoftmaxCrossEntropy(logits, labels));
    });

    /// <summary>
    /// Σ_w = (H + αI)⁻¹ by Cholesky with the inference core's jitter policy (<see cref="Cholesky.FactorWithJitter"/>):
    /// when H + αI is not numerically positive definite (e.g. α = 0 with a rank-deficient H) a diagonal jitter is added,
    /// and returned so that it can be reported.
    /// </summary>
    public static FeatureCovariance Covariance(FeaturePrecision precision, double alpha)
    {
        if (!(alpha >= 0) || !double.IsFinite(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), $"prior precision α = {alpha} must be a finite non-negative number.");
        int m = precision.Features;
        var factor = (double[])precision.Precision.Clone();
        for (int i = 0; i < m; i++) factor[i * m + i] += alpha;
        var outcome = Cholesky.FactorWithJitter(factor, m, $"the feature precision H + αI (α = {alpha})");
        // Σ_w = L⁻ᵀL⁻¹: entry (i, j) is the dot product of columns i and j of L⁻¹ (lower triangular, so rows k ≥ max(i, j)).
        var inverse = Cholesky.InvertFactor(factor, m);
        var covariance = new double[m * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j <= i; j++)
            {
                double sum = 0;
                for (int k = i; k < m; k++) sum += inverse[k * m + i] * inverse[k * m + j];
                covariance[i * m + j] = covariance[j * m + i] = sum;
            }
        return new FeatureCovariance(covariance, alpha, outcome.Jitter);
    }

    /// <summary>
    /// The α maximising the Laplace evidence of the linearised network with the surrogate's features
    /// (METHODS.md §6 with P′ = m): log p(D | α) ≈ log p(D | θ*) − ½α‖θ*‖² + ½ m log α − ½ Σᵢ log(λᵢ + α), λ the
    /// eigenvalues of H. The P − m directions the features do not see contribute (P − m)·log α to both the prior's
    /// and the posterior's log-determinant, which cancel. The stationary point is MacKay's α = γ/‖θ*‖², γ = Σ λᵢ/(λᵢ + α),
    /// found by bisection on log α (γ(α) − α‖θ*‖² decreases strictly, so the root is unique).
    /// </summary>
    public static PriorPrecisionFit OptimizePriorPrecision(FeaturePrecision precision, double thetaSquaredNorm)
    {
        if (!(thetaSquaredNorm > 0)) throw new ArgumentOutOfRangeException(nameof(thetaSquaredNorm), $"‖θ*‖² = {thetaSquaredNorm} must be positive.");
        int m = precision.Features;
        var lambda = Matrix<double>.Build.Dense(m, m, (i, j) => precision.Precision[i * m + j]).Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric)
            .EigenValues.Select(e => Math.Max(e.Real, 0)).ToArray();
        double Gamma(double alpha) => lambda.Sum(l => l / (l + alpha));
        double LogEvidence(double alpha) =>
            precision.LogLikelihood - 0.5 * alpha * thetaSquaredNorm + 0.5 * m * Math.Log(alpha) - 0.5 * lambda.Sum(l => Math.Log(l + alpha));
        double lo = Math.Log(1e-12), hi = Math.Log(1e12);
        for (int i = 0; i < 200 && hi - lo > 1e-12; i++)
        {
            double mid = 0.5 * (lo + hi), alpha = Math.Exp(mid);
            if (Gamma(alpha) - alpha * thetaSquaredNorm > 0) lo = mid;
            else hi = mid;
        }
        double best = Math.Exp(0.5 * (lo + hi));
        return new PriorPrecisionFit(best, LogEvidence(best), LogEvidence(1), Gamma(best));
    }
}
