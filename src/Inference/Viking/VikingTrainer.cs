using System.Diagnostics;
using System.Globalization;
using Tangent.Engine.Linalg;
using Tangent.Inference.Evaluation;
using Tangent.Inference.Posteriors;
using Tangent.Inference.Projection;
using Tangent.Kernels.Backends;
using Tangent.Models.Data;
using Tangent.Models.Optim;
using Tangent.Models.Training;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Viking;

/// <summary>
/// A report on a VIKING fit's progress (every few steps and at the end of each epoch). In the
/// <see cref="VikingPhase.Posterior"/> phase, <see cref="Step"/> and <see cref="Steps"/> count the batches of the
/// posterior passes and the ELBO quantities are NaN.
/// </summary>
/// <param name="Phase">The phase.</param>
/// <param name="Epoch">Epoch within the phase (from 1).</param>
/// <param name="Epochs">Epochs in the phase.</param>
/// <param name="Step">Step within the epoch (from 1).</param>
/// <param name="Steps">Steps per epoch.</param>
/// <param name="ExpectedNll">Mean over the epoch so far of ℓᵢ(θ_s) per example.</param>
/// <param name="Kl">KL of the latest step (unweighted).</param>
/// <param name="SigmaKernel">σ_ker = α^(−1/2).</param>
/// <param name="SigmaImage">σ_im.</param>
/// <param name="KernelFraction">R̂/P of the latest step.</param>
/// <param name="Accuracy">Accuracy of the samples θ_s on their batches over the epoch so far (NaN for regression).</param>
/// <param name="MeanResidual">Mean relative projection residual so far (whole fit).</param>
/// <param name="NotConverged">Projections flagged as not converged so far.</param>
/// <param name="Elapsed">Time since this run started.</param>
/// <param name="EndOfEpoch">True for the report closing an epoch.</param>
/// <param name="Validation">At the end of an epoch with a classification validation set: the mean θ̂'s own accuracy and NLL on it.</param>
public sealed record VikingProgress(VikingPhase Phase, int Epoch, int Epochs, int Step, int Steps, double ExpectedNll, double Kl, double SigmaKernel,
    double SigmaImage, double KernelFraction, double Accuracy, double MeanResidual, long NotConverged, TimeSpan Elapsed, bool EndOfEpoch,
    (double Accuracy, double Nll)? Validation = null);

/// <summary>Thrown when a quantity of the ELBO stops being finite; names the phase, epoch, step and quantity.</summary>
public sealed class VikingDivergedException(VikingPhase phase, int epoch, int step, long globalStep, string quantity, double value)
    : InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
        $"VIKING diverged: {quantity} is {value} at {phase} epoch {epoch}, step {step} (global step {globalStep}). Try a smaller learning rate or β."))
{
    /// <summary>The quantity that went non-finite.</summary>
    public string Quantity { get; } = quantity;

    /// <summary>Global ELBO step (from 0) where it happened.</summary>
    public long GlobalStep { get; } = globalStep;
}

/// <summary>
/// Fits VIKING (METHODS.md §3) with the reference's three-phase schedule: plain training of θ̂ (the engine's
/// <see cref="Trainer"/>), then the scales alone, then the full ELBO, each ELBO epoch starting from a fresh kernel
/// sample projected by one alternating pass over the training set at the current θ̂ (phase 2 does that pass once,
/// at its start); finally S fresh ε are projected by <see cref="VikingOptions.PosteriorPasses"/> passes at the final
/// θ̂. Batches are whole (the last partial batch of an epoch is left out), orders and draws are functions of the
/// seed and the step, and with <see cref="CheckpointPath"/> set the state is saved after phase 1 and every epoch so
/// that an interrupted fit resumes bit-identically. Every result states the adjoint used.
/// </summary>
public sealed class VikingTrainer(Backend backend, VikingOptions options)
{
    /// <summary>Philox stream of the fresh kernel samples before each pass (offset: epoch × P).</summary>
    public const ulong PassStartStream = (3UL << 32) + 2;

    /// <summary>The settings.</summary>
    public VikingOptions Options { get; } = options;

    /// <summary>Progress reports (phase 1's come from the trainer, mapped).</summary>
    public Action<VikingProgress>? Progress { get; init; }

    /// <summary>Log lines: projections that did not converge, phase changes.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Resume file: read at the start when present, written after phase 1 and each epoch.</summary>
    public string? CheckpointPath { get; init; }

    /// <summary>
    /// A classification set on which the mean θ̂'s point predictions are measured at the end of every epoch (a cheap
    /// running view; the posterior's predictive needs the final passes). Null: none.
    /// </summary>
    public DataSet? Validation { get; init; }

    /// <summary>Steps between in-epoch progress reports.</summary>
    public int ProgressInterval { get; init; } = 200;

    /// <summary>
    /// Fits the posterior of <paramref name="model"/> on <paramref name="train"/>. Phase 1 starts from
    /// <paramref name="initial"/> when given (else from the network's initialisation under the seed).
    /// </summary>
    public VikingPosterior Fit(ZooModel model, DataSet train, float[]? initial = null, CancellationToken cancel = default)
    {
        var o = Options;
        o.Validate();
        var network = model.Network;
        Likelihood.RequireStateless(network);
        if (train.Count < o.BatchSize) throw new ArgumentException($"VIKING: the training set has {train.Count} examples, fewer than one batch of {o.BatchSize}.");
        int p = network.ParameterCount;
        var clock = Stopwatch.StartNew();
        var resume = CheckpointPath != null && File.Exists(CheckpointPath) ? VikingCheckpoint.Load(CheckpointPath, o, model.Name, p) : null;
        var times = resume?.Times ?? new VikingTimes();
        float[] mean;
        double noise;
        if (resume == null)
        {
            (mean, noise) = PlainPhase(model, train, initial, clock, cancel);
            times.Plain += clock.Elapsed.TotalSeconds;
            var start = new VikingCheckpoint(VikingPhase.Scales, 0, [.. mean, (float)o.InitialLogPrecision, (float)o.InitialLogImageScale], new float[p],
                [], [], 0, noise, default, times);
            if (CheckpointPath != null) start.Save(CheckpointPath, o, model.Name);
        }
        else
        {
            mean = resume.Variational[..p];
            noise = resume.NoiseVariance;
            Log?.Invoke($"resuming from {CheckpointPath}: {resume.Phase} phase, {resume.EpochsDone} epochs done");
        }

        var likelihood = train.IsClassification ? Likelihood.Categorical : Likelihood.Gaussian(noise);
        var projectionOptions = new KernelProjectionOptions(o.Solver, o.ProjectionSteps);
        using var projector = new BatchProjector(network, likelihood, o.Jacobian, train, backend, o.BatchSize, 1, projectionOptions);
        using var elbo = new VikingElbo(projector, o, mean, train.Count);
        var tally = new ProjectionTally(o.ResidualLimit, Log);
        if (resume != null)
        {
            elbo.Variational.CopyFrom(resume.Variational);
            elbo.Carry.CopyFrom(resume.Carry);
            tally.Restore(resume.Counts.Projections, resume.Counts.NotConverged, resume.Counts.ResidualSum, resume.Counts.MaxResidual);
        }
        var run = new EpochRunner(this, model, projector, elbo, tally, times, noise, clock,
            new BatchLoader(train, o.BatchSize, o.Seed, shuffle: true, dropLast: true),
            new BatchLoader(train, o.BatchSize, o.Seed ^ 0x5041_5353UL, shuffle: true, dropLast: true));

        using (var scales = new Adam<float>(backend, 2, o.LearningRate))
        {
            int from = resume?.Phase == VikingPhase.Scales ? run.Restore(scales, resume) : resume == null ? 0 : o.ScaleEpochs;
            if (from == 0 && o.ScaleEpochs > 0) run.StartPass(0, "pass before scales epoch 1", cancel);
            for (int e = from; e < o.ScaleEpochs; e++) run.Epoch(VikingPhase.Scales, e, scales, cancel);
        }
        using (var full = new Adam<float>(backend, p + 2, o.LearningRate))
        {
            int from = resume?.Phase == VikingPhase.Elbo ? run.Restore(full, resume) : 0;
            for (int e = from; e < o.ElboEpochs; e++)
            {
                run.StartPass(o.ScaleEpochs + e, $"pass before ELBO epoch {e + 1}", cancel);
                run.Epoch(VikingPhase.Elbo, e, full, cancel);
            }
        }
        var kernel = run.PosteriorSamples(cancel);
        var (logPrecision, logImageScale) = elbo.Scales();
        var facts = Facts(likelihood, tally, times, clock.Elapsed, elbo.Beta);
        Log?.Invoke($"VIKING done ({o.Adjoint} adjoint): σ_ker {Math.Exp(-0.5 * logPrecision):G4}, σ_im {Math.Exp(logImageScale):G4}; " +
                    $"{tally.Projections} projections, {tally.NotConverged} not converged (residual > {o.ResidualLimit:G2}), mean residual {tally.MeanResidual:E2}; {times}");
        return new VikingPosterior(model, backend, elbo.Mean.Buffer.ToArray()[..p], logPrecision, logImageScale, kernel, o.Seed, facts, o.Linearized);
    }

    private Dictionary<string, string> Facts(Likelihood likelihood, ProjectionTally tally, VikingTimes times, TimeSpan elapsed, double beta)
    {
        var o = Options;
        string F(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        var d = new Dictionary<string, string>
        {
            ["adjoint"] = o.Adjoint == ProjectionAdjoint.Exact ? "exact" : "stop",
            ["jacobian"] = o.Jacobian == KernelJacobian.Loss ? "loss" : "output",
            ["likelihood"] = likelihood.Kind == LikelihoodKind.Categorical ? "categorical" : "gaussian",
            ["schedule"] = o.Schedule,
            ["batch_size"] = o.BatchSize.ToString(CultureInfo.InvariantCulture),
            ["learning_rate"] = F(o.LearningRate),
            ["learning_rate_schedule"] = o.ElboSchedule == ElboLearningRate.Cosine ? "cosine over the ELBO phase" : "constant",
            ["gamma"] = F(o.Gamma),
            ["beta"] = F(beta),
            ["beta_rule"] = o.Beta is null ? "1/batches per epoch" : "given",
            ["cg_steps"] = o.ProjectionSteps.ToString(CultureInfo.InvariantCulture),
            ["solver"] = o.Solver == ProjectionSolver.Dense ? "dense" : "cg",
            ["posterior_solver"] = o.PosteriorSolver == ProjectionSolver.Dense ? "dense" : "cg",
            ["posterior_passes"] = o.PosteriorPasses.ToString(CultureInfo.InvariantCulture),
            ["seed"] = o.Seed.ToString(CultureInfo.InvariantCulture),
            ["projections"] = tally.Projections.ToString(CultureInfo.InvariantCulture),
            ["projections_not_converged"] = tally.NotConverged.ToString(CultureInfo.InvariantCulture),
            ["residual_limit"] = F(o.ResidualLimit),
            ["mean_residual"] = F(tally.MeanResidual),
            ["max_residual"] = F(tally.MaxResidual),
            ["fit_seconds_this_run"] = elapsed.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture),
        };
        if (likelihood.Kind == LikelihoodKind.Gaussian) d["noise_variance"] = F(likelihood.NoiseVariance);
        foreach (var (k, v) in times.Entries()) d[k] = v;
        return d;
    }

    /// <summary>Phase 1 with the engine's trainer; for regression without a given σ², σ² = the mean squared training residual.</summary>
    private (float[] Mean, double Noise) PlainPhase(ZooModel model, DataSet train, float[]? initial, Stopwatch clock, CancellationToken cancel)
    {
        var o = Options;
        var network = model.Network;
        var trainingOptions = new TrainingOptions
        {
            Epochs = Math.Max(o.PlainEpochs, 1), BatchSize = o.BatchSize, Seed = o.Seed, Optimizer = OptimizerKind.Adam,
            LearningRate = o.LearningRate, Schedule = ScheduleKind.None,
        };
        using var trainer = new Trainer(network, backend, trainingOptions);
        if (initial != null) trainer.Load(initial);
        if (o.PlainEpochs > 0)
        {
            Log?.Invoke($"phase 1: {o.PlainEpochs} epochs of plain training");
            var validation = Validation is { IsClassification: true } v ? v : null;
            trainer.Fit(train, validation, r => Progress?.Invoke(new VikingProgress(VikingPhase.Plain, r.Epoch, r.Epochs, r.Step, r.StepsPerEpoch, r.Loss,
                0, 0, 0, 0, r.Accuracy, 0, 0, clock.Elapsed, r.EndOfEpoch, r.Validation is { } e ? (e.Accuracy, e.Nll) : null)), cancel);
        }
        double noise = double.NaN;
        if (!train.IsClassification)
        {
            // The trainer's Gaussian NLL has unit variance: ℓ = ½‖r‖² + (C/2) log 2π, so mean r² per output = 2(ℓ − (C/2) log 2π)/C.
            int c = train.TargetSize;
            noise = o.NoiseVariance ?? Math.Max(2 * (trainer.Evaluate(train).Nll - 0.5 * c * Math.Log(2 * Math.PI)) / c, 1e-6);
        }
        return (trainer.ReadParameters(), noise);
    }

    /// <summary>The per-epoch machinery of a fit, sharing its projector, step, loaders and counters.</summary>
    private sealed class EpochRunner(VikingTrainer owner, ZooModel model, BatchProjector projector, VikingElbo elbo, ProjectionTally tally, VikingTimes times,
        double noise, Stopwatch clock, BatchLoader steps, BatchLoader passes)
    {
        private readonly VikingOptions _o = owner.Options;
        private readonly Backend _backend = projector.Backend;
        private readonly int _p = projector.ParameterCount;

        /// <summary>Loads the phase optimiser's state from the checkpoint; returns the epochs already done.</summary>
        public int Restore(Adam<float> optimizer, VikingCheckpoint c)
        {
            if (c.AdamFirst.Length > 0)
            {
                if (c.AdamFirst.Length != optimizer.ParameterCount)
                    throw new InvalidDataException($"{owner.CheckpointPath}: the optimiser state has {c.AdamFirst.Length} values, {optimizer.ParameterCount} expected.");
                optimizer.State[0].Buffer.CopyFrom(c.AdamFirst);
                optimizer.State[1].Buffer.CopyFrom(c.AdamSecond);
                optimizer.Restore(c.AdamSteps);
            }
            return c.EpochsDone;
        }

        /// <summary>k ← N(0, I) (a function of the epoch), then one alternating pass at θ̂.</summary>
        public void StartPass(int epochIndex, string label, CancellationToken cancel)
        {
            long t0 = Stopwatch.GetTimestamp();
            _backend.RandomNormal(elbo.Carry.View, _o.Seed, PassStartStream, checked((ulong)epochIndex * (ulong)_p));
            projector.SetParameters(elbo.Mean);
            AlternatingProjection.Pass(projector, passes, epochIndex, elbo.Carry.View, 1, tally, label, cancel);
            times.Passes += Stopwatch.GetElapsedTime(t0).TotalSeconds;
        }

        /// <summary>One epoch of ELBO steps (θ̂ trained in the ELBO phase only), then a checkpoint.</summary>
        public void Epoch(VikingPhase phase, int epoch, Adam<float> optimizer, CancellationToken cancel)
        {
            bool trainMean = phase == VikingPhase.Elbo;
            int epochs = trainMean ? _o.ElboEpochs : _o.ScaleEpochs;
            int epochIndex = trainMean ? _o.ScaleEpochs + epoch : epoch;
            int n = steps.BatchesPerEpoch;
            string where = $"{phase} epoch {epoch + 1}, step";
            var parameters = trainMean ? elbo.Variational.View : elbo.Variational.Slice(_p, 2);
            var gradient = trainMean ? elbo.Gradient.View : elbo.Gradient.Slice(_p, 2);
            steps.BeginEpoch(epochIndex);
            var schedule = trainMean && _o.ElboSchedule == ElboLearningRate.Cosine && _o.ElboEpochs > 0
                ? LearningRateSchedule.Cosine(_o.LearningRate, _o.ElboEpochs) : null;
            double nll = 0;
            long correct = 0, seen = 0;
            ElboStepResult r = default;
            for (int b = 0; b < n; b++)
            {
                cancel.ThrowIfCancellationRequested();
                long global = (long)epochIndex * n + b;
                steps.Fill(b);
                r = elbo.Step(steps, global, trainMean);
                tally.Add(r.Projection, where, b + 1);
                if (r.AdjointProjection is { } adjoint) tally.Add(adjoint, where + " (adjoint)", b + 1);
                Require(phase, epoch, b, global, "the expected negative log-likelihood", r.ExpectedNll);
                Require(phase, epoch, b, global, "the KL", r.Kl);
                if (trainMean) Require(phase, epoch, b, global, "the gradient norm of θ̂", r.MeanGradientNorm);
                long t0 = Stopwatch.GetTimestamp();
                if (schedule != null) optimizer.LearningRate = schedule.At(epoch, b, n);
                optimizer.Step(parameters, gradient);
                var (la, ls) = elbo.Scales();
                times.Add(r.Timings, Stopwatch.GetElapsedTime(t0));
                Require(phase, epoch, b, global, "log α", la);
                Require(phase, epoch, b, global, "log σ_im", ls);
                nll += r.ExpectedNll;
                correct += r.Correct;
                seen += _o.BatchSize;
                bool last = b == n - 1;
                if (last || (owner.ProgressInterval > 0 && (b + 1) % owner.ProgressInterval == 0))
                    owner.Progress?.Invoke(new VikingProgress(phase, epoch + 1, epochs, b + 1, n, nll / seen, r.Kl, Math.Exp(-0.5 * la), Math.Exp(ls),
                        r.KernelDimension / _p, steps.Data.IsClassification ? (double)correct / seen : double.NaN, tally.MeanResidual, tally.NotConverged,
                        clock.Elapsed, last, last ? MeanOnValidation() : null));
            }
            if (owner.CheckpointPath is { } path)
            {
                var state = optimizer.State;
                new VikingCheckpoint(phase, epoch + 1, elbo.Variational.ToArray(), elbo.Carry.ToArray(), state[0].Buffer.ToArray(), state[1].Buffer.ToArray(),
                    optimizer.StepCount, noise, new ProjectionCounts(tally.Projections, tally.NotConverged, tally.ResidualSum, tally.MaxResidual), times)
                    .Save(path, _o, model.Name);
            }
        }

        /// <summary>S fresh ε projected by the posterior passes at the final θ̂: the kernel samples [S, P].</summary>
        public float[] PosteriorSamples(CancellationToken cancel)
        {
            long t0 = Stopwatch.GetTimestamp();
            var (logPrecision, logImageScale) = elbo.Scales();
            int interval = Math.Max(owner.ProgressInterval / Math.Max(_o.PosteriorSamples / _o.ProjectionChunk, 1), 1);
            using var many = new BatchProjector(projector.Network, projector.Likelihood, projector.Jacobian, passes.Data, _backend, _o.BatchSize,
                Math.Min(_o.ProjectionChunk, _o.PosteriorSamples), new KernelProjectionOptions(_o.PosteriorSolver, _o.ProjectionSteps));
            var (kernel, _) = AlternatingProjection.ProjectNoise(many, passes, elbo.Mean, _o.PosteriorSamples, _o.PosteriorPasses,
                _o.ScaleEpochs + _o.ElboEpochs, _o.Seed, VikingPosterior.NoiseStream, tally, "posterior", cancel, (done, total) =>
                {
                    if (owner.Progress != null && (done == total || (owner.ProgressInterval > 0 && done % interval == 0)))
                        owner.Progress(new VikingProgress(VikingPhase.Posterior, 1, 1, done, total, double.NaN, double.NaN, Math.Exp(-0.5 * logPrecision),
                            Math.Exp(logImageScale), double.NaN, double.NaN, tally.MeanResidual, tally.NotConverged, clock.Elapsed, done == total));
                });
            times.Posterior += Stopwatch.GetElapsedTime(t0).TotalSeconds;
            return kernel;
        }

        /// <summary>The mean θ̂'s point accuracy and NLL on the validation set (null without a classification one).</summary>
        private (double, double)? MeanOnValidation()
        {
            if (owner.Progress == null || owner.Validation is not { IsClassification: true } v) return null;
            using var mean = new MapPosterior(model, elbo.Mean.Buffer.ToArray()[.._p], [], _backend);
            var r = Evaluator.Run(mean, v, null, new EvaluationOptions(), _backend);
            return (r.Accuracy, r.Nll);
        }

        private static void Require(VikingPhase phase, int epoch, int b, long global, string quantity, double value)
        {
            if (!double.IsFinite(value)) throw new VikingDivergedException(phase, epoch + 1, b + 1, global, quantity, value);
        }
    }
}
