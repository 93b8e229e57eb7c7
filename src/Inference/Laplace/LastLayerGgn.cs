using Tangent.Inference.Posteriors;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Ops;
using Tangent.Models.Data;

namespace Tangent.Inference.Laplace;

/// <summary>Progress of a Laplace fit: examples of the training set done.</summary>
/// <param name="Done">Examples done.</param>
/// <param name="Total">Examples in the training set.</param>
public readonly record struct LaplaceProgress(int Done, int Total);

/// <summary>
/// The last layer's GGN H = Σ_n J_nᵀ Λ_n J_n over the training set, with J_n = I_C ⊗ φ̃_nᵀ and
/// Λ_n = diag(p_n) − p_n p_nᵀ: block (c, c′) of H is Σ_n Λ_n[c, c′] φ̃_n φ̃_nᵀ. Only the C(C−1)/2 blocks c &lt; c′ are
/// formed, as one GEMM per batch on the backend in float64: T[n, (c,c′), a] = Λ_n[c, c′] φ̃_n[a] (a broadcast
/// product), H[(c,c′), a, b] += Σ_n T[n, (c,c′), a] φ̃_n[b]; the rows of Λ_n sum to zero (Σ_c′ p_c′ = 1), so the
/// diagonal blocks are H_cc = −Σ_{c′≠c} H_cc′ (a sum of same-signed terms, no cancellation). Costs C(C−1)/2 · D̃² per
/// example, no network pass beyond the trunk's forward. Also returns log p(D | θ*) = Σ_n log p_n(y_n).
/// </summary>
internal static class LastLayerGgn
{
    public static (double[] Ggn, double LogLikelihood) Accumulate(LastLayer layer, NetworkLogits<float> trunk, double[] wTilde, DataSet train, int batchSize,
        Backend backend, Action<LaplaceProgress>? progress)
    {
        int c = layer.Classes, dt = layer.AugmentedFeatures, pairs = c * (c - 1) / 2;
        int chunk = Math.Min(batchSize, train.Count);
        using var features = backend.Allocate<double>(chunk * dt);
        using var lambda = backend.Allocate<double>(chunk * pairs);
        using var products = backend.Allocate<double>(chunk * pairs * dt);
        using var blocks = backend.Allocate<double>(pairs * dt * dt);
        var phi = new double[chunk * dt];
        var lam = new double[chunk * pairs];
        double logLikelihood = 0;
        for (int start = 0; start < train.Count; start += chunk)
        {
            int n = Math.Min(chunk, train.Count - start);
            var raw = trunk.RunToHost(train.Inputs.AsSpan(start * train.SampleSize, n * train.SampleSize), n);
            for (int i = 0; i < n; i++)
            {
                var row = phi.AsSpan(i * dt, dt);
                for (int k = 0; k < layer.Features; k++) row[k] = raw[i * layer.Features + k];
                if (layer.HasBias) row[dt - 1] = 1;
                var p = LastLayerLaplace.Probabilities(wTilde, row, c);
                logLikelihood += Math.Log(p[train.Labels[i + start]]);
                int q = 0;
                for (int a = 0; a < c; a++)
                    for (int b = a + 1; b < c; b++) lam[i * pairs + q++] = -p[a] * p[b];
            }
            features.CopyFrom(phi.AsSpan(0, n * dt));
            lambda.CopyFrom(lam.AsSpan(0, n * pairs));
            var t = products.Slice(0, n * pairs * dt);
            backend.Map2Broadcast(new Mul(), BroadcastLayout.Create([n, pairs, 1], [n, 1, dt]), lambda.Slice(0, n * pairs), features.Slice(0, n * dt), t);
            backend.Gemm(Transpose.Yes, Transpose.No, pairs * dt, dt, n, 1.0, t, pairs * dt, features.Slice(0, n * dt), dt,
                start == 0 ? 0.0 : 1.0, blocks.View, dt);
            progress?.Invoke(new LaplaceProgress(start + n, train.Count));
        }
        return (Unpack(blocks.ToArray(), c, dt), logLikelihood);
    }

    /// <summary>H [(c, a), (c′, b)] from the blocks c &lt; c′ (each block is symmetric, H_{c′c} = H_{cc′}, H_cc = −Σ_{c′≠c} H_cc′).</summary>
    private static double[] Unpack(double[] blocks, int c, int dt)
    {
        int p = c * dt;
        var h = new double[(long)p * p];
        int q = 0;
        for (int a = 0; a < c; a++)
            for (int b = a + 1; b < c; b++, q++)
                for (int i = 0; i < dt; i++)
                    for (int j = 0; j < dt; j++)
                    {
                        double v = blocks[(q * dt + i) * dt + j];
                        h[(long)(a * dt + i) * p + b * dt + j] = v;
                        h[(long)(b * dt + i) * p + a * dt + j] = v;
                        h[(long)(a * dt + i) * p + a * dt + j] -= v;
                        h[(long)(b * dt + i) * p + b * dt + j] -= v;
                    }
        return h;
    }
}
