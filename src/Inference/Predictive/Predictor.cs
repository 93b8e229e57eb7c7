using Tangent.Inference.Numerics;
using Tangent.Inference.Posteriors;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;

namespace Tangent.Inference.Predictive;

/// <summary>Logits that are NaN or infinite: names the input and the value.</summary>
public sealed class NonFiniteLogitsException(string message) : InferenceDataException(message);

/// <summary>
/// Turns a <see cref="LogitPrediction"/> into class probabilities on a backend (METHODS.md §1), with that backend's
/// kernels (RandomNormal, GemmStridedBatched, LogSoftmax, Reduce, broadcasting maps):
/// <list type="bullet">
/// <item>point logits f: p = softmax f;</item>
/// <item>Gaussian N(μ, V), Monte Carlo: f_s = μ + L z_s, L = chol V (host, float64, jitter reported), z_s Philox
/// normals; p̄ = mean_s softmax f_s, plus E_s log p_s and Var_s p_s;</item>
/// <item>Gaussian, probit: p̄ = softmax(μ / √(1 + π/8 · diag V));</item>
/// <item>sampled logits f_s: p̄ = mean_s softmax f_s, plus E_s log p_s, Var_s p_s and Var_s f_s.</item>
/// </list>
/// Monte Carlo draws for input i (its index in the evaluation, <c>firstIndex</c> + position in the batch) are
/// elements [i·S·C, (i+1)·S·C) of Philox stream <c>stream</c> under <see cref="PredictiveOptions.Seed"/>, so results
/// do not depend on how the inputs are batched. Buffers are reused across calls; one predictor serves one thread.
/// </summary>
public sealed class Predictor(Backend backend, PredictiveOptions options) : IDisposable
{
    private DeviceBuffer<float>? _a, _b, _c, _small1, _small2, _small3, _small4;
    private readonly PredictiveOptions _options = Validated(options);

    /// <summary>The backend the kernels run on.</summary>
    public Backend Backend { get; } = backend;

    /// <summary>The settings.</summary>
    public PredictiveOptions Options => _options;

    private static PredictiveOptions Validated(PredictiveOptions o)
    {
        o.Validate();
        return o;
    }

    /// <summary>
    /// The predictive for <paramref name="logits"/>, whose first input has index <paramref name="firstIndex"/> in
    /// the evaluation; <paramref name="stream"/> separates evaluations that must not share draws (test vs OOD set).
    /// </summary>
    public PredictiveBatch Compute(LogitPrediction logits, long firstIndex = 0, ulong stream = 0)
    {
        ArgumentNullException.ThrowIfNull(logits);
        CheckFinite(logits, firstIndex);
        return logits.Kind switch
        {
            PredictionKind.Point => Point(logits),
            PredictionKind.Gaussian when _options.Gaussian == GaussianPredictive.Probit => Probit(logits),
            PredictionKind.Gaussian => MonteCarlo(logits, firstIndex, stream),
            _ => SampleAverage(logits),
        };
    }

    private PredictiveBatch Point(LogitPrediction l)
    {
        int n = l.Batch * l.Classes;
        var f = Upload(ref _small1, l.Mean!);
        var lp = Ensure(ref _small2, n);
        var p = Ensure(ref _small3, n);
        Backend.LogSoftmax(f, l.Batch, l.Classes, lp);
        Backend.Softmax(f, l.Batch, l.Classes, p);
        return new PredictiveBatch(l.Batch, l.Classes, DownloadProbabilities(p), Download(lp));
    }

    private PredictiveBatch Probit(LogitPrediction l)
    {
        int b = l.Batch, c = l.Classes, n = b * c;
        var factors = CovarianceFactors.Of(l);
        var mu = Upload(ref _small1, l.Mean!);
        var scale = Upload(ref _small2, factors.DiagonalAsSingles());
        var kappaMu = Ensure(ref _small3, n);
        var lp = Ensure(ref _small4, n);
        // κ = √(1 + π/8 · v), the probit approximation of the Gaussian–softmax integral per logit.
        Backend.Map(new Affine(Math.PI / 8, 1), scale, scale);
        Backend.Map(new Sqrt(), scale, scale);
        Backend.Map2(new Div(), mu, scale, kappaMu);
        Backend.LogSoftmax(kappaMu, b, c, lp);
        Backend.Softmax(kappaMu, b, c, scale);
        var result = new PredictiveBatch(b, c, DownloadProbabilities(scale), Download(lp));
        factors.Describe(result);
        return result;
    }

    private PredictiveBatch MonteCarlo(LogitPrediction l, long firstIndex, ulong stream)
    {
        int b = l.Batch, c = l.Classes, s = _options.Samples, n = b * c;
        long total = (long)b * s * c;
        if (total > int.MaxValue) throw new ArgumentException($"{b} inputs × {s} samples × {c} classes exceed one device buffer; evaluate in smaller batches.");
        var factors = CovarianceFactors.Of(l);
        var z = Ensure(ref _a, (int)total);
        var f = Ensure(ref _b, (int)total);
        var centred = Ensure(ref _c, (int)total);
        var mu = Upload(ref _small1, l.Mean!);
        var chol = Upload(ref _small4, factors.FactorsAsSingles());
        Backend.RandomNormal(z, _options.Seed, stream, checked((ulong)firstIndex * (ulong)s * (ulong)c));
        // f_s = L z_s for every input at once: [S, C] · Lᵀ per input, then + μ broadcast over the samples.
        Backend.GemmStridedBatched(Transpose.No, Transpose.Yes, s, c, c, 1f, z, c, (long)s * c, chol, c, (long)c * c, 0f, f, c, (long)s * c, b);
        Backend.Map2Broadcast(new Add(), BroadcastLayout.Create([b, s, c], [b, 1, c]), f, mu, z);
        return Moments(z, f, centred, outer: b, samples: s, inner: c, BroadcastLayout.Create([b, s, c], [b, 1, c]), b, c, factors);
    }

    private PredictiveBatch SampleAverage(LogitPrediction l)
    {
        int b = l.Batch, c = l.Classes, s = l.SampleCount;
        var samples = Upload(ref _a, l.Samples!);
        var work = Ensure(ref _b, samples.Length);
        var centred = Ensure(ref _c, samples.Length);
        var layout = BroadcastLayout.Create([s, b, c], [1, b, c]);
        // Var_s f_s, from the centred logits (no E f² − (E f)² cancellation).
        var fSum = Ensure(ref _small4, b * c);
        Backend.Reduce(new SumOp(), samples, 1, s, b * c, fSum);
        Backend.Map(new Scale(1.0 / s), fSum, fSum);
        Backend.Map2Broadcast(new Sub(), layout, samples, fSum, centred);
        Backend.Map(new Square(), centred, centred);
        Backend.Reduce(new SumOp(), centred, 1, s, b * c, fSum);
        var logitVariance = Scaled(Download(fSum), 1.0 / s);
        var result = Moments(samples, work, centred, outer: 1, samples: s, inner: b * c, layout, b, c, null);
        result.LogitVariance = logitVariance;
        return result;
    }

    /// <summary>
    /// From sampled logits <paramref name="f"/> viewed as [outer, S, inner]: E_s log p_s, p̄ = E_s p_s and
    /// Var_s p_s (centred), reducing over the sample axis. <paramref name="work"/> and <paramref name="centred"/> are
    /// scratch of the same size; <paramref name="f"/> is not changed.
    /// </summary>
    private PredictiveBatch Moments(BufferView<float> f, BufferView<float> work, BufferView<float> centred, int outer, int samples, int inner,
        BroadcastLayout overSamples, int b, int c, CovarianceFactors? factors)
    {
        int n = b * c;
        var logSum = Ensure(ref _small1, n);
        var mean = Ensure(ref _small2, n);
        var squares = Ensure(ref _small3, n);
        Backend.LogSoftmax(f, b * samples, c, work);
        Backend.Reduce(new SumOp(), work, outer, samples, inner, logSum);
        Backend.Map(new Exp(), work, work);
        Backend.Reduce(new SumOp(), work, outer, samples, inner, mean);
        Backend.Map(new Scale(1.0 / samples), mean, mean);
        Backend.Map2Broadcast(new Sub(), overSamples, work, mean, centred);
        Backend.Map(new Square(), centred, centred);
        Backend.Reduce(new SumOp(), centred, outer, samples, inner, squares);
        var p = DownloadProbabilities(mean);
        var logP = new double[n];
        // log p̄ with p̄ floored at the smallest float: a class no draw gives any mass to.
        for (int i = 0; i < n; i++) logP[i] = Math.Log(Math.Max(p[i], float.Epsilon));
        var result = new PredictiveBatch(b, c, p, logP)
        {
            ExpectedLogProbabilities = Scaled(Download(logSum), 1.0 / samples),
            ProbabilityVariance = Scaled(Download(squares), 1.0 / samples),
        };
        factors?.Describe(result);
        return result;
    }

    private static void CheckFinite(LogitPrediction l, long firstIndex)
    {
        var arrays = new[] { ("logit", l.Mean), ("logit covariance", l.Covariance), ("sampled logit", l.Samples) };
        foreach (var (what, a) in arrays)
        {
            if (a is null) continue;
            int per = what switch { "logit" => l.Classes, "logit covariance" => l.Classes * l.Classes, _ => l.Classes };
            for (int i = 0; i < a.Length; i++)
            {
                if (float.IsFinite(a[i])) continue;
                int row = i / per, input = what == "sampled logit" ? row % l.Batch : row;
                string sample = what == "sampled logit" ? $" (sample {row / l.Batch})" : "";
                throw new NonFiniteLogitsException($"{what} value {a[i]} for input {firstIndex + input}{sample}: the posterior's logits must be finite.");
            }
        }
    }

    private static double[] Scaled(double[] v, double s)
    {
        for (int i = 0; i < v.Length; i++) v[i] *= s;
        return v;
    }

    private BufferView<float> Ensure(ref DeviceBuffer<float>? buffer, int length)
    {
        if (buffer == null || buffer.Length < length)
        {
            buffer?.Dispose();
            buffer = Backend.Allocate<float>(Math.Max(length, 1));
        }
        return buffer.Slice(0, length);
    }

    private BufferView<float> Upload(ref DeviceBuffer<float>? buffer, float[] values)
    {
        var v = Ensure(ref buffer, values.Length);
        v.Buffer.CopyFrom(values, v.Offset);
        return v;
    }

    /// <summary>
    /// Probabilities clamped into [0, 1]: a float32 average of S values in [0, 1] can round to just above 1, which
    /// would put a confidence outside the calibration bins.
    /// </summary>
    private static double[] DownloadProbabilities(BufferView<float> v)
    {
        var p = Download(v);
        for (int i = 0; i < p.Length; i++) p[i] = Math.Clamp(p[i], 0, 1);
        return p;
    }

    private static double[] Download(BufferView<float> v)
    {
        var host = new float[v.Length];
        v.Buffer.CopyTo(host, v.Offset);
        return Array.ConvertAll(host, x => (double)x);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var b in new[] { _a, _b, _c, _small1, _small2, _small3, _small4 }) b?.Dispose();
    }
}
