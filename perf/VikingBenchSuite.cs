using Tangent.Engine;
using Tangent.Engine.Linalg;
using Tangent.Inference.Projection;
using Tangent.Inference.Viking;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;
using Tangent.Models.Optim;
using Tangent.Models.Zoo;

namespace Tangent.Perf;

/// <summary>
/// VIKING on LeNet (METHODS.md §3; 44,426 parameters), float32 on the cpu backend, synthetic 28×28 inputs and labels:
/// one ELBO step at batch 32 with stop-gradient and with the exact adjoint (the projection, the sample's loss forward
/// and backward, the adjoint, the KL and Adam, broken down per part), one projection of the per-epoch alternating
/// pass, one 20-vector projection of the posterior pass, and the predictive's throughput at S = 100 samples. From
/// these it estimates the full 5 + 5 + 50-epoch schedule on 55,000 examples.
/// </summary>
public sealed class VikingBenchSuite : IBenchSuite
{
    private const int Batch = 32, Examples = 55_000, Samples = 100, Chunk = 100;

    /// <inheritdoc />
    public string Name => "viking";

    /// <inheritdoc />
    public string Description => "VIKING on LeNet b32: ELBO step (stop-gradient, exact adjoint) with its breakdown, pass projections, predictive at S=100 (float32, cpu)";

    /// <inheritdoc />
    public IReadOnlyList<BenchRecord> Run(BenchContext context)
    {
        var be = CpuBackend.Instance;
        var model = ModelZoo.Create("lenet");
        var data = Synthetic(Batch * 16);
        var theta = model.Network.InitialParameters(1);
        var records = new List<BenchRecord>();
        // The reference's 10-step CG (the default for steps and passes; record names without a solver part) and the dense
        // solver ("dense/"; the default for the posterior pass).
        foreach (var solver in new[] { ProjectionSolver.FixedStepConjugateGradient, ProjectionSolver.Dense })
            records.AddRange(Schedule(context, be, model, data, theta, solver));
        records.Add(Predict(context, be, model, data, theta));
        int perEpoch = Examples / Batch;
        double Ms(string name) => records.First(r => r.Name == name).MedianMs;
        foreach (var adjoint in new[] { "stop", "exact" })
        {
            double steps = 5 * perEpoch * Ms("viking/lenet/b32/step-stop") + 50 * perEpoch * Ms($"viking/lenet/b32/step-{adjoint}");
            double passes = 51.0 * perEpoch * Ms("viking/lenet/b32/pass-projection");
            double posterior = perEpoch * Math.Ceiling((double)Samples / Chunk) * Ms($"viking/lenet/b32/dense/posterior-projection-x{Chunk}");
            context.Log.WriteLine($"estimated default schedule ({adjoint}; CG steps and passes, dense posterior) without phase 1: steps {steps / 60e3:F1} min + " +
                                  $"passes {passes / 60e3:F1} min + posterior pass {posterior / 60e3:F1} min = {(steps + passes + posterior) / 60e3:F1} min");
        }
        return records;
    }

    private static IEnumerable<BenchRecord> Schedule(BenchContext context, Backend be, ZooModel model, DataSet data, float[] theta, ProjectionSolver solver)
    {
        var records = new List<BenchRecord>();
        string tag = solver == ProjectionSolver.Dense ? "dense/" : "";
        var steps = new Dictionary<ProjectionAdjoint, BenchRecord>();
        foreach (var adjoint in new[] { ProjectionAdjoint.Stop, ProjectionAdjoint.Exact })
        {
            var r = Step(context, be, model, data, theta, adjoint, solver, tag);
            steps[adjoint] = r;
            records.Add(r);
        }
        var (single, many) = Projections(context, be, model, data, theta, solver, tag);
        records.Add(single);
        records.Add(many);

        // The schedule: 5 plain epochs (not timed here), 55 epochs of ELBO steps, one single-vector pass before each of
        // the 51 epochs that have one (phase 2's first, and each of phase 3's), and the posterior pass over S vectors.
        int perEpoch = Examples / Batch;
        double passes = 51.0 * perEpoch * single.MedianMs, posterior = perEpoch * Math.Ceiling((double)Samples / Chunk) * many.MedianMs;
        foreach (var (adjoint, r) in steps)
        {
            double stepsMs = (5 * perEpoch) * steps[ProjectionAdjoint.Stop].MedianMs + 50 * perEpoch * r.MedianMs;
            context.Log.WriteLine($"estimated {adjoint} schedule ({(solver == ProjectionSolver.Dense ? "dense" : "10-step CG")} projections) without phase 1: steps {stepsMs / 60e3:F1} min + passes {passes / 60e3:F1} min + " +
                                  $"posterior pass {posterior / 60e3:F1} min = {(stepsMs + passes + posterior) / 60e3:F1} min");
        }
        context.Log.WriteLine($"exact adjoint step / stop-gradient step ({(solver == ProjectionSolver.Dense ? "dense" : "10-step CG")}): {steps[ProjectionAdjoint.Exact].MedianMs / steps[ProjectionAdjoint.Stop].MedianMs:F2}");
        return records;
    }

    private static BenchRecord Step(BenchContext context, Backend be, ZooModel model, DataSet data, float[] theta, ProjectionAdjoint adjoint,
        ProjectionSolver solver, string tag)
    {
        var options = new VikingOptions { Adjoint = adjoint, Solver = solver };
        using var projector = new BatchProjector(model.Network, Likelihood.Categorical, KernelJacobian.Loss, data, be, Batch, 1,
            new KernelProjectionOptions(solver, options.ProjectionSteps));
        using var elbo = new VikingElbo(projector, options, theta, Examples);
        using var adam = new Adam<float>(be, elbo.Variational.Length, options.LearningRate);
        var loader = new BatchLoader(data, Batch, 0, shuffle: true, dropLast: true);
        loader.BeginEpoch(0);
        var parts = new List<(ElboTimings Timings, double OptimizerMs)>();
        long step = 0;
        string name = $"viking/lenet/b32/{tag}" + (adjoint == ProjectionAdjoint.Stop ? "step-stop" : "step-exact");
        var record = context.Measure(name, $"B={Batch} P={model.Network.ParameterCount}", () =>
        {
            loader.Fill((int)(step % loader.BatchesPerEpoch));
            var r = elbo.Step(loader, step++, trainMean: true);
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            adam.Step(elbo.Variational.View, elbo.Gradient.View);
            parts.Add((r.Timings, System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds));
        });
        var extra = new Dictionary<string, double>(record.Extra!)
        {
            ["projection_ms"] = Median(parts.Select(p => p.Timings.Projection.TotalMilliseconds)),
            ["loss_fwd_bwd_ms"] = Median(parts.Select(p => p.Timings.Loss.TotalMilliseconds)),
            ["adjoint_ms"] = Median(parts.Select(p => p.Timings.Adjoint.TotalMilliseconds)),
            ["kl_ms"] = Median(parts.Select(p => p.Timings.Kl.TotalMilliseconds)),
            ["optimizer_ms"] = Median(parts.Select(p => p.OptimizerMs)),
        };
        context.Log.WriteLine($"  {name} breakdown (medians over {parts.Count} steps): projection {extra["projection_ms"]:F3} ms, " +
                              $"loss fwd+bwd {extra["loss_fwd_bwd_ms"]:F3} ms, adjoint {extra["adjoint_ms"]:F3} ms, KL {extra["kl_ms"]:F3} ms, Adam {extra["optimizer_ms"]:F3} ms");
        return record with { Extra = extra };
    }

    /// <summary>One projection of the pass before each epoch (one vector) and of the posterior pass (<see cref="Chunk"/> vectors).</summary>
    private static (BenchRecord Single, BenchRecord Many) Projections(BenchContext context, Backend be, ZooModel model, DataSet data, float[] theta,
        ProjectionSolver solver, string tag)
    {
        int p = model.Network.ParameterCount;
        using var projector = new BatchProjector(model.Network, Likelihood.Categorical, KernelJacobian.Loss, data, be, Batch, Chunk,
            new KernelProjectionOptions(solver, 10));
        using var mean = be.Upload<float>(theta);
        using var vectors = be.Allocate<float>(Chunk * p);
        using var results = be.Allocate<float>(Chunk * p);
        be.RandomNormal(vectors.View, 3, 0, 0);
        projector.SetParameters(mean.View);
        var loader = new BatchLoader(data, Batch, 0, shuffle: true, dropLast: true);
        loader.BeginEpoch(0);
        int b = 0;
        void Next()
        {
            loader.Fill(b++ % loader.BatchesPerEpoch);
            projector.Load(loader);
        }
        var single = context.Measure($"viking/lenet/b32/{tag}pass-projection", $"B={Batch} 1 vector", () =>
        {
            Next();
            projector.Project(vectors.Slice(0, p), results.Slice(0, p));
        });
        var many = context.Measure($"viking/lenet/b32/{tag}posterior-projection-x{Chunk}", $"B={Batch} {Chunk} vectors", () =>
        {
            Next();
            projector.ProjectMany(vectors.View, results.View, Chunk);
        });
        return (single, many);
    }

    /// <summary>Predictions of a posterior with S = 100 samples on 500 inputs, in images per second.</summary>
    private static BenchRecord Predict(BenchContext context, Backend be, ZooModel model, DataSet data, float[] theta)
    {
        const int inputs = 500;
        int p = model.Network.ParameterCount;
        var kernel = new float[Samples * p];
        var rng = new Random(4);
        for (int i = 0; i < kernel.Length; i++) kernel[i] = (float)(rng.NextDouble() - 0.5);
        using var posterior = new VikingPosterior(model, be, theta, 4, -2, kernel, 0);
        var x = data.Inputs.AsSpan(0, inputs * data.SampleSize).ToArray();
        var r = context.Measure($"viking/lenet/predict-s{Samples}", $"{inputs} images S={Samples}", () => posterior.Predict(x, inputs, 0));
        double perSecond = inputs / (r.MedianMs / 1e3);
        context.Log.WriteLine($"  predictive throughput at S = {Samples}: {perSecond:F0} images/s");
        return r with { Extra = new Dictionary<string, double>(r.Extra!) { ["images_per_s"] = perSecond } };
    }

    /// <summary>n examples of uniform [0, 1) 28×28 pixels with uniform labels.</summary>
    private static DataSet Synthetic(int n)
    {
        var rng = new Random(2);
        var x = new float[n * 784];
        for (int i = 0; i < x.Length; i++) x[i] = (float)rng.NextDouble();
        return new DataSet("synthetic", x, new Shape(1, 28, 28), Enumerable.Range(0, n).Select(_ => rng.Next(10)).ToArray(), 10);
    }

    private static double Median(IEnumerable<double> values)
    {
        var s = values.Order().ToArray();
        return s.Length == 0 ? 0 : s.Length % 2 == 1 ? s[s.Length / 2] : 0.5 * (s[s.Length / 2 - 1] + s[s.Length / 2]);
    }
}
