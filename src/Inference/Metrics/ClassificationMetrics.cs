namespace Tangent.Inference.Metrics;

/// <summary>
/// Per-input terms of the classification metrics of METHODS.md §5, on rows of C class values: accuracy of the
/// arg-max of p̄; NLL = −log p̄(y) of the averaged predictive; the expected log-likelihood's −E_s log p_s(y) (sampled
/// posteriors); Brier = Σ_c (p̄_c − [c = y])². Each method returns the mean over the rows.
/// </summary>
public static class ClassificationMetrics
{
    /// <summary>Index of the largest of <paramref name="row"/> (the first on ties).</summary>
    public static int ArgMax(ReadOnlySpan<double> row)
    {
        int best = 0;
        for (int c = 1; c < row.Length; c++)
            if (row[c] > row[best]) best = c;
        return best;
    }

    /// <summary>Fraction of rows of <paramref name="probabilities"/> [N, C] whose arg-max is the label.</summary>
    public static double Accuracy(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int classes)
    {
        int n = Rows(probabilities, labels, classes), correct = 0;
        for (int i = 0; i < n; i++)
            if (ArgMax(probabilities.Slice(i * classes, classes)) == labels[i]) correct++;
        return (double)correct / n;
    }

    /// <summary>−mean_i log p̄_i(y_i) from <paramref name="logProbabilities"/> = log p̄ [N, C].</summary>
    public static double NegativeLogLikelihood(ReadOnlySpan<double> logProbabilities, ReadOnlySpan<int> labels, int classes)
    {
        int n = Rows(logProbabilities, labels, classes);
        double s = 0;
        for (int i = 0; i < n; i++) s -= logProbabilities[i * classes + labels[i]];
        return s / n;
    }

    /// <summary>
    /// −mean_i E_s log p_s(y_i) from <paramref name="expectedLogProbabilities"/> = E_s log p_s [N, C]: the expected
    /// log-likelihood that VIKING's code reports as "NLL" (≥ the NLL of the average, by Jensen).
    /// </summary>
    public static double ExpectedNegativeLogLikelihood(ReadOnlySpan<double> expectedLogProbabilities, ReadOnlySpan<int> labels, int classes) =>
        NegativeLogLikelihood(expectedLogProbabilities, labels, classes);

    /// <summary>mean_i Σ_c (p̄_ic − [c = y_i])² (the multi-class Brier score, in [0, 2]).</summary>
    public static double Brier(ReadOnlySpan<double> probabilities, ReadOnlySpan<int> labels, int classes)
    {
        int n = Rows(probabilities, labels, classes);
        double s = 0;
        for (int i = 0; i < n; i++)
            for (int c = 0; c < classes; c++)
            {
                double d = probabilities[i * classes + c] - (c == labels[i] ? 1 : 0);
                s += d * d;
            }
        return s / n;
    }

    private static int Rows(ReadOnlySpan<double> values, ReadOnlySpan<int> labels, int classes)
    {
        if (classes < 1 || labels.Length == 0 || values.Length != (long)labels.Length * classes)
            throw new ArgumentException($"metrics need N×C values for N labels: got {values.Length} values, {labels.Length} labels, C = {classes}.");
        return labels.Length;
    }
}
