namespace Tangent.Inference.Metrics;

/// <summary>Out-of-distribution detection quality of one score.</summary>
/// <param name="Auroc">Area under the ROC curve: P(s_out &gt; s_in) + ½ P(s_out = s_in).</param>
/// <param name="Aupr">Area under the precision–recall curve with OOD as the positive class (trapezoid).</param>
/// <param name="Fpr95">False-positive rate (in-distribution inputs flagged) at the first threshold reaching 95 % true-positive rate.</param>
public sealed record OodMetrics(double Auroc, double Aupr, double Fpr95);

/// <summary>
/// OOD detection metrics. Convention: OOD inputs are the POSITIVE class and a score flags an input as OOD when it is
/// high, so callers pass scores oriented that way (the max-probability score enters negated; see
/// <see cref="OodScores.Oriented"/>). Thresholds are the distinct score values, so tied scores move together: AUROC
/// counts a tied (in, out) pair as one half (midranks), the precision–recall and ROC points are taken once per
/// distinct value.
/// </summary>
public static class OodDetection
{
    /// <summary>AUROC, AUPR and FPR at 95 % TPR of <paramref name="outScores"/> (positives) against <paramref name="inScores"/>.</summary>
    public static OodMetrics Evaluate(ReadOnlySpan<double> inScores, ReadOnlySpan<double> outScores) =>
        new(Auroc(inScores, outScores), Aupr(inScores, outScores), FalsePositiveRate(inScores, outScores, 0.95));

    /// <summary>
    /// P(s_out &gt; s_in) + ½ P(s_out = s_in) by the rank-sum (Mann–Whitney U) with midranks for ties:
    /// (Σ ranks of the OOD scores − n_out(n_out + 1)/2) / (n_in · n_out).
    /// </summary>
    public static double Auroc(ReadOnlySpan<double> inScores, ReadOnlySpan<double> outScores)
    {
        var (scores, isOut) = Sorted(inScores, outScores, descending: false);
        double rankSum = 0;
        for (int i = 0; i < scores.Length;)
        {
            int j = i;
            while (j < scores.Length && scores[j] == scores[i]) j++;
            double midrank = (i + 1 + j) / 2.0; // ranks i+1 … j share their mean
            for (int k = i; k < j; k++)
                if (isOut[k]) rankSum += midrank;
            i = j;
        }
        double nOut = outScores.Length, nIn = inScores.Length;
        return (rankSum - nOut * (nOut + 1) / 2) / (nIn * nOut);
    }

    /// <summary>
    /// Area under the precision–recall curve of the OOD class: the points (recall, precision) at every distinct
    /// threshold, from high to low, starting at (0, 1), joined by trapezoids (sklearn's <c>auc(recall, precision)</c>
    /// over <c>precision_recall_curve</c>, as laplace-redux computes AUPR).
    /// </summary>
    public static double Aupr(ReadOnlySpan<double> inScores, ReadOnlySpan<double> outScores)
    {
        var (scores, isOut) = Sorted(inScores, outScores, descending: true);
        double nOut = outScores.Length, area = 0, prevRecall = 0, prevPrecision = 1;
        int tp = 0, fp = 0;
        for (int i = 0; i < scores.Length;)
        {
            int j = i;
            for (; j < scores.Length && scores[j] == scores[i]; j++)
                if (isOut[j]) tp++; else fp++;
            double recall = tp / nOut, precision = (double)tp / (tp + fp);
            area += (recall - prevRecall) * (precision + prevPrecision) / 2;
            (prevRecall, prevPrecision) = (recall, precision);
            i = j;
        }
        return area;
    }

    /// <summary>
    /// The fraction of in-distribution scores ≥ t at the highest threshold t (a distinct score value) whose true-positive
    /// rate (fraction of OOD scores ≥ t) reaches <paramref name="truePositiveRate"/>.
    /// </summary>
    public static double FalsePositiveRate(ReadOnlySpan<double> inScores, ReadOnlySpan<double> outScores, double truePositiveRate)
    {
        var (scores, isOut) = Sorted(inScores, outScores, descending: true);
        int tp = 0, fp = 0;
        for (int i = 0; i < scores.Length;)
        {
            int j = i;
            for (; j < scores.Length && scores[j] == scores[i]; j++)
                if (isOut[j]) tp++; else fp++;
            if (tp >= truePositiveRate * outScores.Length) return (double)fp / inScores.Length;
            i = j;
        }
        return 1;
    }

    private static (double[] Scores, bool[] IsOut) Sorted(ReadOnlySpan<double> inScores, ReadOnlySpan<double> outScores, bool descending)
    {
        if (inScores.Length == 0 || outScores.Length == 0)
            throw new ArgumentException($"OOD metrics need scores of both sets: {inScores.Length} in-distribution, {outScores.Length} OOD.");
        int n = inScores.Length + outScores.Length;
        var scores = new double[n];
        var isOut = new bool[n];
        inScores.CopyTo(scores);
        outScores.CopyTo(scores.AsSpan(inScores.Length));
        for (int i = inScores.Length; i < n; i++) isOut[i] = true;
        for (int i = 0; i < n; i++)
        {
            if (double.IsNaN(scores[i])) throw new ArgumentException($"OOD score {i} ({(isOut[i] ? "OOD" : "in-distribution")}) is NaN.");
            if (descending) scores[i] = -scores[i];
        }
        Array.Sort(scores, isOut);
        if (descending) for (int i = 0; i < n; i++) scores[i] = -scores[i];
        return (scores, isOut);
    }
}
