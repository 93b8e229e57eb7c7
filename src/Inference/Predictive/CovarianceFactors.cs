using Tangent.Inference.Numerics;
using Tangent.Inference.Posteriors;

namespace Tangent.Inference.Predictive;

/// <summary>
/// The Cholesky factors L_b of each input's logit covariance V_b (float64 on the host, <see cref="Cholesky"/>'s
/// jitter policy), with log det V_b and diag V_b: what the Monte Carlo draws, the probit scaling and the Gaussian
/// entropy score need. C×C per input is small dense work, so it stays on the host.
/// </summary>
internal sealed class CovarianceFactors
{
    private readonly int _batch, _classes;
    private readonly double[] _factors, _diagonal, _logDet;
    private int _jittered;
    private double _maxJitter, _maxRelative;

    private CovarianceFactors(int batch, int classes)
    {
        _batch = batch;
        _classes = classes;
        _factors = new double[batch * classes * classes];
        _diagonal = new double[batch * classes];
        _logDet = new double[batch];
    }

    public static CovarianceFactors Of(LogitPrediction l)
    {
        int b = l.Batch, c = l.Classes, cc = c * c;
        var result = new CovarianceFactors(b, c);
        var v = l.Covariance!;
        for (int i = 0; i < b; i++)
        {
            var block = result._factors.AsSpan(i * cc, cc);
            for (int k = 0; k < cc; k++) block[k] = v[i * cc + k];
            for (int k = 0; k < c; k++) result._diagonal[i * c + k] = block[k * c + k];
            var outcome = Cholesky.FactorWithJitter(block, c, $"logit covariance of input {i} in the batch");
            result._logDet[i] = Cholesky.LogDeterminant(block, c);
            if (outcome.Jitter > 0)
            {
                result._jittered++;
                result._maxJitter = Math.Max(result._maxJitter, outcome.Jitter);
                result._maxRelative = Math.Max(result._maxRelative, outcome.RelativeJitter);
            }
        }
        return result;
    }

    public float[] FactorsAsSingles() => Array.ConvertAll(_factors, x => (float)x);

    public float[] DiagonalAsSingles() => Array.ConvertAll(_diagonal, x => (float)x);

    /// <summary>Records diag V, log det V and the jitter on <paramref name="result"/>.</summary>
    public void Describe(PredictiveBatch result)
    {
        result.LogitVariance = (double[])_diagonal.Clone();
        result.LogDeterminant = (double[])_logDet.Clone();
        result.JitteredInputs = _jittered;
        result.MaxJitter = _maxJitter;
        result.MaxRelativeJitter = _maxRelative;
    }
}
