using System.Diagnostics;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Scalla;

/// <summary>What a ScaLLA fit produced besides the posterior: the loss curve, the feature-space Laplace quantities and timings.</summary>
/// <param name="Posterior">The fitted posterior.</param>
/// <param name="Curve">The surrogate's loss curve.</param>
/// <param name="Precision">H and the MAP's training log-likelihood.</param>
/// <param name="Covariance">Σ_w with α and the jitter used.</param>
/// <param name="Evidence">The evidence-maximising α when it was asked for, else null.</param>
/// <param name="TrainingSeconds">Surrogate training time (including the part before a resume).</param>
/// <param name="PosteriorSeconds">Time of the pass over the training set and the factorisation.</param>
public sealed record ScallaFitResult(ScallaPosterior Posterior, IReadOnlyList<LossPoint> Curve, FeaturePrecision Precision, FeatureCovariance Covariance,
    PriorPrecisionFit? Evidence, double TrainingSeconds, double PosteriorSeconds);

/// <summary>
/// ScaLLA end to end (METHODS.md §2): train the surrogate on the MAP network's NTK
/// (<see cref="SurrogateKernelTrainer"/>), then the feature-space Laplace posterior over the training set
/// (<see cref="FeatureLaplace"/>) with α fixed or chosen by the evidence.
/// </summary>
public static class ScallaFit
{
    /// <summary>The zoo name of the surrogate.</summary>
    public const string SurrogateModel = "scalla-surrogate";

    /// <summary>The surrogate for <paramref name="map"/>: the zoo's <c>scalla-surrogate</c> with m features, its classes and input shape.</summary>
    public static ZooModel CreateSurrogate(ZooModel map, int features)
    {
        var net = map.Network;
        if (net.OutputShape.Rank != 1) throw new ArgumentException($"ScaLLA needs a classifier with outputs [C]; '{map.Name}' outputs {net.OutputShape}.");
        var config = new ModelConfig { Classes = net.OutputShape[0], Input = net.InputShape, SurrogateRank = features };
        return ModelZoo.Create(SurrogateModel, config);
    }

    /// <summary>
    /// Fits ScaLLA around <paramref name="map"/> at θ* (and its state). <paramref name="alpha"/> is the prior precision,
    /// or null for the evidence-maximising one. With <paramref name="checkpointPath"/>, training is checkpointed every
    /// <paramref name="checkpointInterval"/> steps and, when <paramref name="resume"/> is set and the file exists,
    /// resumed from it.
    /// </summary>
    public static ScallaFitResult Run(ZooModel map, float[] parameters, float[] state, DataSet train, IContextSource? context, ScallaOptions options,
        double? alpha, Backend backend, Action<SurrogateProgress>? progress = null, string? checkpointPath = null, int checkpointInterval = 1000,
        bool resume = false, CancellationToken cancel = default)
    {
        var surrogate = CreateSurrogate(map, options.Features);
        if (options.AugmentContext && context != null) context = new ContextAugmentation(context, options.Seed);
        float[] phi;
        IReadOnlyList<LossPoint> curve;
        double trainingSeconds;
        using (var trainer = new SurrogateKernelTrainer(map.Network, parameters, surrogate.Network, train, context, options, backend, state))
        {
            if (resume && checkpointPath != null && File.Exists(checkpointPath)) trainer.Resume(checkpointPath);
            trainer.Train(progress, checkpointPath, checkpointInterval, cancel);
            phi = trainer.ReadSurrogateParameters();
            curve = trainer.Curve.ToList();
            trainingSeconds = trainer.Seconds;
        }
        var clock = Stopwatch.StartNew();
        double scale = SurrogateFeatures.OutputScale(map.Network.ParameterCount, options.Features);
        var precision = FeatureLaplace.Precision(map.Network, parameters, state, surrogate.Network, phi, scale, train, backend);
        PriorPrecisionFit? evidence = null;
        if (alpha is null)
        {
            double norm = 0;
            foreach (float t in parameters) norm += (double)t * t;
            evidence = FeatureLaplace.OptimizePriorPrecision(precision, norm);
        }
        var covariance = FeatureLaplace.Covariance(precision, alpha ?? evidence!.Alpha);
        var hyper = ScallaPosterior.DescribeHyperparameters(surrogate, covariance, scale, options, context?.Name);
        var posterior = new ScallaPosterior(map, parameters, state, surrogate, phi, precision.Precision, covariance.Covariance, hyper, backend);
        return new ScallaFitResult(posterior, curve, precision, covariance, evidence, trainingSeconds, clock.Elapsed.TotalSeconds);
    }
}
