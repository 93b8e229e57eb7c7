using Tangent.Engine;
using Tangent.Inference.Laplace;
using Tangent.Inference.Metrics;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Predictive;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Perf;

/// <summary>
/// The inference core's pieces of <c>tangent evaluate</c> and <c>tangent fit last-layer</c> (cpu): per batch of 500
/// inputs of the FMNIST CNN, its MAP logits, last-layer Laplace's Gaussian logits, and the Monte Carlo (S = 2048) and
/// probit predictives; the OOD metrics and ECE on 10k + 10k scores; and the Laplace step for LeNet's last layer
/// (P′ = 850: eigenvalues, α*, Cholesky, Σ). Synthetic inputs; weights from the initialiser (time does not depend
/// on their values). A full evaluation of 10k + 10k inputs is 40 batches of each piece.
/// </summary>
public sealed class InferenceBenchSuite : IBenchSuite
{
    private const int Batch = 500, Classes = 10, Samples = 2048;

    /// <inheritdoc />
    public string Name => "inference";

    /// <inheritdoc />
    public string Description => "inference core: MAP and last-layer Laplace logits, MC/probit predictives (b500), OOD metrics, Laplace step (P′=850), cpu";

    /// <inheritdoc />
    public IReadOnlyList<BenchRecord> Run(BenchContext context)
    {
        var be = CpuBackend.Instance;
        var records = new List<BenchRecord>();
        var model = ModelZoo.Create("fmnist-cnn");
        var theta = model.Network.InitialParameters(1);
        var rng = new Random(2);
        var inputs = Enumerable.Range(0, Batch * 784).Select(_ => (float)rng.NextDouble()).ToArray();
        string shape = $"B={Batch} P={model.Network.ParameterCount}";

        using (var map = new MapPosterior(model, theta, [], be))
            records.Add(context.Measure("map/fmnist-cnn/logits", shape, () => map.Predict(inputs, Batch, 0)));

        var train = new DataSet("synthetic", Enumerable.Range(0, 1000 * 784).Select(_ => (float)rng.NextDouble()).ToArray(), new Shape(1, 28, 28),
            Enumerable.Range(0, 1000).Select(i => i % Classes).ToArray(), Classes);
        using (var la = LastLayerLaplace.Fit(model, theta, [], train, new LaplaceOptions(LaplacePrior.Fixed(1)), be))
        {
            var gaussian = la.Predict(inputs, Batch, 0);
            records.Add(context.Measure("last-layer/fmnist-cnn/logits", $"{shape} P'={la.Layer.ParameterCount}", () => la.Predict(inputs, Batch, 0)));
            using var mc = new Predictor(be, new PredictiveOptions(GaussianPredictive.MonteCarlo, Samples));
            records.Add(context.Measure("predictive/mc", $"B={Batch} C={Classes} S={Samples}", () => mc.Compute(gaussian)));
            using var probit = new Predictor(be, new PredictiveOptions(GaussianPredictive.Probit));
            records.Add(context.Measure("predictive/probit", $"B={Batch} C={Classes}", () => probit.Compute(gaussian)));
        }

        var scoresIn = Enumerable.Range(0, 10_000).Select(_ => rng.NextDouble()).ToArray();
        var scoresOut = Enumerable.Range(0, 10_000).Select(_ => rng.NextDouble() + 0.3).ToArray();
        var correct = scoresIn.Select(s => rng.NextDouble() < s).ToArray();
        records.Add(context.Measure("metrics/ood", "10k in + 10k out", () => OodDetection.Evaluate(scoresIn, scoresOut)));
        records.Add(context.Measure("metrics/ece", "10k, 15 bins", () => Calibration.Compute(scoresIn, correct, 15)));

        // The Laplace step of LeNet's last layer on a GGN-like H = BᵀB (rank 400 of 850, like Λ's null directions).
        const int p = 850, rank = 400;
        var b = Enumerable.Range(0, rank * p).Select(_ => rng.NextDouble() - 0.5).ToArray();
        var h = new double[p * p];
        using (var db = be.Upload<double>(b))
        using (var dh = be.Allocate<double>(p * p))
        {
            be.Gemm(Kernels.Backends.Transpose.Yes, Kernels.Backends.Transpose.No, p, p, rank, 1.0, db.View, p, db.View, p, 0.0, dh.View, p);
            dh.CopyTo(h);
        }
        var coordinates = Enumerable.Range(0, p).Select(_ => rng.NextDouble() - 0.5).ToArray();
        records.Add(context.Measure("laplace/marglik-step", $"P'={p}", () => GgnLaplace.Fit(h, coordinates, -100, LaplacePrior.MarginalLikelihood, be, "bench")));
        return records;
    }
}
