namespace Tangent.Inference.Metrics;

/// <summary>Which confidences a binning counts and how bin edges are assigned.</summary>
public enum CalibrationBinning
{
    /// <summary>M equal-width bins [k/M, (k+1)/M), the last closed: every confidence in [0, 1] is counted (1 falls in the last bin, 0 in the first).</summary>
    EqualWidth,
    /// <summary>ScaLLA's code: bins (k/M, (k+1)/M] (a confidence of exactly 0 is not counted); 15 bins there.</summary>
    ScallaReference,
    /// <summary>
    /// laplace-redux's <c>get_calib</c>, used by VIKING (100 bins there): np.digitize on M+1 edges makes the M loop
    /// indices cover [0, (M−1)/M) only, so confidences ≥ (M−1)/M (≥ 0.99 for M = 100) are not counted, and ECE is
    /// weighted by the counted inputs. A quirk reproduced for comparison, not a definition to use.
    /// </summary>
    LaplaceReduxReference,
}

/// <summary>One bin of a reliability diagram.</summary>
/// <param name="Lower">Lower edge.</param>
/// <param name="Upper">Upper edge.</param>
/// <param name="Count">Confidences counted in the bin.</param>
/// <param name="MeanConfidence">Their mean (0 when empty).</param>
/// <param name="Accuracy">Fraction of them that are correct (0 when empty).</param>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double MeanConfidence, double Accuracy);

/// <summary>ECE, MCE and the reliability bins behind them.</summary>
/// <param name="Label">Names the variant: <c>equal-width-15</c>, <c>scalla-reference-15</c>, <c>laplace-redux-reference-100</c>.</param>
/// <param name="Binning">The binning rule.</param>
/// <param name="BinCount">M.</param>
/// <param name="Ece">Σ_b (n_b / n) |acc_b − conf_b| over the n counted inputs.</param>
/// <param name="Mce">max over non-empty bins of |acc_b − conf_b|.</param>
/// <param name="Counted">Inputs counted in some bin.</param>
/// <param name="Excluded">Inputs the rule leaves out (0 for <see cref="CalibrationBinning.EqualWidth"/>).</param>
/// <param name="Bins">The M bins in order.</param>
public sealed record CalibrationResult(string Label, CalibrationBinning Binning, int BinCount, double Ece, double Mce, int Counted, int Excluded,
    IReadOnlyList<ReliabilityBin> Bins);

/// <summary>Expected and maximum calibration error over equal-width confidence bins (METHODS.md §5), and the reference implementations' variants.</summary>
public static class Calibration
{
    /// <summary>ECE/MCE of predictions with confidence max_c p̄_c that are correct or not, over <paramref name="bins"/> bins.</summary>
    public static CalibrationResult Compute(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> correct, int bins,
        CalibrationBinning binning = CalibrationBinning.EqualWidth)
    {
        if (bins < 1) throw new ArgumentOutOfRangeException(nameof(bins), $"calibration needs at least one bin, got {bins}.");
        if (confidences.Length != correct.Length || confidences.Length == 0)
            throw new ArgumentException($"calibration needs one correctness flag per confidence: {confidences.Length} confidences, {correct.Length} flags.");
        var count = new int[bins];
        var confSum = new double[bins];
        var hits = new int[bins];
        int excluded = 0;
        for (int i = 0; i < confidences.Length; i++)
        {
            double c = confidences[i];
            if (double.IsNaN(c)) throw new ArgumentException($"confidence {i} is NaN.");
            int k = Bin(c, bins, binning);
            if (k < 0) { excluded++; continue; }
            count[k]++;
            confSum[k] += c;
            if (correct[i]) hits[k]++;
        }
        int counted = confidences.Length - excluded;
        double ece = 0, mce = 0;
        var result = new ReliabilityBin[bins];
        for (int k = 0; k < bins; k++)
        {
            double conf = count[k] > 0 ? confSum[k] / count[k] : 0, acc = count[k] > 0 ? (double)hits[k] / count[k] : 0;
            result[k] = new ReliabilityBin((double)k / bins, (double)(k + 1) / bins, count[k], conf, acc);
            if (count[k] == 0) continue;
            double gap = Math.Abs(acc - conf);
            ece += (double)count[k] / counted * gap;
            mce = Math.Max(mce, gap);
        }
        return new CalibrationResult(Label(binning, bins), binning, bins, counted > 0 ? ece : double.NaN, mce, counted, excluded, result);
    }

    /// <summary>ScaLLA's ECE/MCE: 15 bins on (lo, hi].</summary>
    public static CalibrationResult ScallaReference(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> correct) =>
        Compute(confidences, correct, 15, CalibrationBinning.ScallaReference);

    /// <summary>VIKING's (laplace-redux) ECE/MCE: 100 bins, confidences ≥ 0.99 not counted.</summary>
    public static CalibrationResult LaplaceReduxReference(ReadOnlySpan<double> confidences, ReadOnlySpan<bool> correct) =>
        Compute(confidences, correct, 100, CalibrationBinning.LaplaceReduxReference);

    /// <summary>The variant's label: <c>equal-width-M</c>, <c>scalla-reference-M</c>, <c>laplace-redux-reference-M</c>.</summary>
    public static string Label(CalibrationBinning binning, int bins) => binning switch
    {
        CalibrationBinning.EqualWidth => $"equal-width-{bins}",
        CalibrationBinning.ScallaReference => $"scalla-reference-{bins}",
        _ => $"laplace-redux-reference-{bins}",
    };

    /// <summary>The bin of confidence <paramref name="c"/> under the rule, or −1 when the rule does not count it. Edges are k/M in float64.</summary>
    public static int Bin(double c, int bins, CalibrationBinning binning)
    {
        double Edge(int k) => (double)k / bins;
        int k = (int)Math.Floor(Math.Clamp(c, 0, 1) * bins);
        switch (binning)
        {
            case CalibrationBinning.EqualWidth:
                // [k/M, (k+1)/M); 1 (and rounding just above it) joins the last bin.
                k = Math.Min(k, bins - 1);
                while (k > 0 && c < Edge(k)) k--;
                while (k < bins - 1 && c >= Edge(k + 1)) k++;
                return k;
            case CalibrationBinning.ScallaReference:
                // (k/M, (k+1)/M]: c > lo and c ≤ hi, as `gt(lo) * le(hi)`.
                if (!(c > 0) || c > 1) return -1;
                k = Math.Min(k, bins - 1);
                while (k > 0 && c <= Edge(k)) k--;
                while (k < bins - 1 && c > Edge(k + 1)) k++;
                return k;
            default:
                // np.digitize(c, edges) = j with edges[j−1] ≤ c < edges[j]; the loop over j < M keeps c < (M−1)/M, in bin j − 1.
                if (c < 0 || c >= Edge(bins - 1)) return -1;
                while (k > 0 && c < Edge(k)) k--;
                while (k < bins - 2 && c >= Edge(k + 1)) k++;
                return k;
        }
    }
}
