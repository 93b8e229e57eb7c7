namespace Tangent.Models.Data;

/// <summary>
/// Per-column z-scores of a tabular set's features (and regression targets), fitted on one set and applied to others
/// (the training part's statistics, so that held-out data see the same transformation): x′ = (x − mean)/std, with a
/// constant column's std taken as 1. Image sets are left to their pixels/255 scaling.
/// </summary>
/// <param name="FeatureMean">Mean of each feature.</param>
/// <param name="FeatureScale">Standard deviation of each feature (1 where it is 0).</param>
/// <param name="TargetMean">Mean of each target (empty for classification).</param>
/// <param name="TargetScale">Standard deviation of each target (1 where it is 0; empty for classification).</param>
public sealed record Standardization(float[] FeatureMean, float[] FeatureScale, float[] TargetMean, float[] TargetScale)
{
    /// <summary>The statistics of <paramref name="data"/> (population standard deviations).</summary>
    public static Standardization Fit(DataSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count == 0) throw new ArgumentException($"data set '{data.Name}' is empty: nothing to standardise by.");
        var (fm, fs) = Moments(data.Inputs, data.SampleSize);
        var (tm, ts) = data.IsClassification ? ([], []) : Moments(data.Targets!, data.TargetSize);
        return new Standardization(fm, fs, tm, ts);
    }

    /// <summary>A copy of <paramref name="data"/> with its features (and targets) standardised.</summary>
    public DataSet Apply(DataSet data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.SampleSize != FeatureMean.Length)
            throw new ArgumentException($"data set '{data.Name}' has {data.SampleSize} features; the standardisation was fitted on {FeatureMean.Length}.");
        var x = Transform(data.Inputs, FeatureMean, FeatureScale);
        if (data.IsClassification) return new DataSet(data.Name, x, data.SampleShape, data.Labels, data.ClassCount);
        if (data.TargetSize != TargetMean.Length)
            throw new ArgumentException($"data set '{data.Name}' has {data.TargetSize} targets; the standardisation was fitted on {TargetMean.Length}.");
        return new DataSet(data.Name, x, data.SampleShape, [], 0, Transform(data.Targets!, TargetMean, TargetScale), data.TargetSize);
    }

    private static (float[] Mean, float[] Scale) Moments(float[] values, int width)
    {
        int n = values.Length / width;
        var mean = new double[width];
        var square = new double[width];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < width; j++)
            {
                double v = values[i * width + j];
                mean[j] += v;
                square[j] += v * v;
            }
        var m = new float[width];
        var s = new float[width];
        for (int j = 0; j < width; j++)
        {
            double mu = mean[j] / n, variance = Math.Max(square[j] / n - mu * mu, 0);
            m[j] = (float)mu;
            s[j] = variance > 0 ? (float)Math.Sqrt(variance) : 1f;
        }
        return (m, s);
    }

    private static float[] Transform(float[] values, float[] mean, float[] scale)
    {
        int width = mean.Length;
        var result = new float[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = (values[i] - mean[i % width]) / scale[i % width];
        return result;
    }
}
