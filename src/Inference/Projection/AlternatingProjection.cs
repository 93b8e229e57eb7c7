using Tangent.Kernels.Backends;
using Tangent.Models.Data;

namespace Tangent.Inference.Projection;

/// <summary>
/// Alternating projections over a data set (von Neumann; Miani et al. 2025; VIKING's posterior): v ← P_b v for
/// every batch b of one epoch of a loader, in order, each batch loaded once into one <see cref="BatchProjector"/>
/// (so memory does not grow with the data set; the engine's <c>KernelProjection.Alternate</c> needs every
/// operator alive at once). Passes converge to the projection onto ∩_b ker J_b.
/// </summary>
public static class AlternatingProjection
{
    /// <summary>
    /// One pass over epoch <paramref name="epoch"/>'s batches of <paramref name="loader"/> (which must drop a
    /// partial last batch) on <paramref name="count"/> vectors ([count, P], in place), at most
    /// <see cref="BatchProjector.MaxVectors"/> per batched projection; every projection is counted in
    /// <paramref name="tally"/>, and <paramref name="label"/> (e.g. "pass before ELBO epoch 3") names it in the log;
    /// <paramref name="batchDone"/> hears the number of batches done after each.
    /// </summary>
    public static void Pass(BatchProjector projector, BatchLoader loader, int epoch, BufferView<float> vectors, int count, ProjectionTally tally,
        string label, CancellationToken cancel = default, Action<int>? batchDone = null)
    {
        int p = projector.ParameterCount;
        if (count <= 0 || vectors.Length < (long)count * p)
            throw new ArgumentException($"alternating projection: {count} vectors of length {p} need {(long)count * p} elements, the buffer has {vectors.Length}.");
        loader.BeginEpoch(epoch);
        string where = $"{label}, batch";
        for (int b = 0; b < loader.BatchesPerEpoch; b++)
        {
            cancel.ThrowIfCancellationRequested();
            loader.Fill(b);
            projector.Load(loader);
            for (int start = 0; start < count; start += projector.MaxVectors)
            {
                int n = Math.Min(projector.MaxVectors, count - start);
                var block = vectors.Slice(start * p, n * p);
                var outcome = n == 1 ? projector.Project(block, block) : projector.ProjectMany(block, block, n);
                tally.Add(outcome, where, b + 1);
            }
            batchDone?.Invoke(b + 1);
        }
    }

    /// <summary>
    /// Posterior kernel samples: S = <paramref name="samples"/> fresh ε ~ N(0, I) (Philox key <paramref name="seed"/>,
    /// stream <paramref name="stream"/>, offset 0, [S, P] in order) after <paramref name="passes"/> passes at θ
    /// (<paramref name="theta"/>) over the loader's epochs <paramref name="firstEpoch"/>, … Returns the projected
    /// vectors [S, P] and the Hutchinson estimate of tr P with the ε as probes, mean_s ⟨ε_s, k_s⟩ (the reference's
    /// estimator: no extra projections). <paramref name="progress"/> hears (batches done, batches in all passes).
    /// </summary>
    public static (float[] Kernel, double Trace) ProjectNoise(BatchProjector projector, BatchLoader loader, BufferView<float> theta, int samples, int passes,
        int firstEpoch, ulong seed, ulong stream, ProjectionTally tally, string label, CancellationToken cancel = default, Action<int, int>? progress = null)
    {
        var backend = projector.Backend;
        int p = projector.ParameterCount;
        using var epsilon = backend.Allocate<float>(checked(samples * p));
        using var kernel = backend.Allocate<float>(checked(samples * p));
        backend.RandomNormal(epsilon.View, seed, stream, 0);
        backend.Copy(epsilon.View, kernel.View);
        projector.SetParameters(theta);
        int batches = loader.BatchesPerEpoch;
        for (int pass = 0; pass < passes; pass++)
        {
            int before = pass * batches;
            Pass(projector, loader, firstEpoch + pass, kernel.View, samples, tally, $"{label} pass {pass + 1}", cancel,
                progress == null ? null : done => progress(before + done, passes * batches));
        }
        double trace = 0;
        for (int i = 0; i < samples; i++) trace += backend.Dot(epsilon.Slice(i * p, p), kernel.Slice(i * p, p));
        return (kernel.ToArray(), trace / samples);
    }
}
