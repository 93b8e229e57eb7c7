namespace Tangent.Inference.Metrics;

/// <summary>
/// Regression metrics of sampled predictions: S output samples f_s(x_i) [S, N, C] under a Gaussian likelihood with
/// noise variance σ². RMSE of the predictive mean (mean_s f_s) against the targets, and the Gaussian NLL of the
/// predictive mixture p(y | x) = mean_s N(y; f_s(x), σ²I), per example (log-mean-exp over the samples, exact for
/// any S), both optionally in the targets' original units (a scale per output, e.g. a standardisation's std).
/// </summary>
public static class RegressionMetrics
{
    /// <summary>√(mean over examples and outputs of (ȳ − y)²·scale²), ȳ = mean_s f_s.</summary>
    public static double Rmse(ReadOnlySpan<float> samples, int sampleCount, ReadOnlySpan<float> targets, ReadOnlySpan<float> scale = default)
    {
        int nc = Check(samples, sampleCount, targets);
        int c = scale.IsEmpty ? 1 : scale.Length;
        double sum = 0;
        for (int k = 0; k < nc; k++)
        {
            double mean = 0;
            for (int s = 0; s < sampleCount; s++) mean += samples[s * nc + k];
            double r = (mean / sampleCount - targets[k]) * (scale.IsEmpty ? 1 : scale[k % c]);
            sum += r * r;
        }
        return Math.Sqrt(sum / nc);
    }

    /// <summary>
    /// −mean_i log mean_s Π_c N(y_ic; f_s,ic, σ²·scale_c²): the predictive mixture's NLL per example, with the
    /// outputs of each example multiplied and, with <paramref name="scale"/>, in original units (the Jacobian of the
    /// standardisation, log scale_c, subtracted per output).
    /// </summary>
    public static double GaussianNll(ReadOnlySpan<float> samples, int sampleCount, ReadOnlySpan<float> targets, int outputs, double noiseVariance,
        ReadOnlySpan<float> scale = default)
    {
        int nc = Check(samples, sampleCount, targets);
        if (outputs <= 0 || nc % outputs != 0) throw new ArgumentException($"{nc} target values are not a whole number of {outputs}-output examples.");
        if (!(noiseVariance > 0)) throw new ArgumentOutOfRangeException(nameof(noiseVariance), $"noise variance {noiseVariance} must be positive.");
        int n = nc / outputs;
        double logNorm = -0.5 * outputs * Math.Log(2 * Math.PI * noiseVariance), total = 0;
        for (int c = 0; c < outputs && !scale.IsEmpty; c++) logNorm -= Math.Log(scale[c]);
        var terms = new double[sampleCount];
        for (int i = 0; i < n; i++)
        {
            double max = double.NegativeInfinity;
            for (int s = 0; s < sampleCount; s++)
            {
                double q = 0;
                for (int c = 0; c < outputs; c++)
                {
                    double r = samples[s * nc + i * outputs + c] - targets[i * outputs + c];
                    q += r * r;
                }
                terms[s] = logNorm - 0.5 * q / noiseVariance;
                max = Math.Max(max, terms[s]);
            }
            double sum = 0;
            foreach (double t in terms) sum += Math.Exp(t - max);
            total -= max + Math.Log(sum / sampleCount);
        }
        return total / n;
    }

    private static int Check(ReadOnlySpan<float> samples, int sampleCount, ReadOnlySpan<float> targets)
    {
        if (sampleCount <= 0 || targets.Length == 0 || samples.Length != (long)sampleCount * targets.Length)
            throw new ArgumentException($"{samples.Length} sampled outputs are not {sampleCount} samples of {targets.Length} target values.");
        return targets.Length;
    }
}
