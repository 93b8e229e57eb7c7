using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Inference.Tests.Laplace;

/// <summary>
/// A tiny classifier f(x) = W₂ tanh(W₁x + b₁) + b₂ (3 inputs, 4 hidden, 3 classes, P = 31) with its Jacobian written
/// out by hand in float64: the brute force the Laplace fits are checked against.
/// </summary>
internal sealed class ToyProblem
{
    public const int Inputs = 3, Hidden = 4, Classes = 3;

    public ToyProblem(int examples = 24, int seed = 1)
    {
        Model = ModelZoo.Create("mlp", ModelConfig.Parse($"input={Inputs};widths={Hidden};activation=tanh;classes={Classes}"));
        var rng = new Random(seed);
        // Larger weights than the initialiser's so that the softmax is not flat.
        Theta = Model.Network.InitialParameters((ulong)seed).Select(t => 3 * t).ToArray();
        var x = Enumerable.Range(0, examples * Inputs).Select(_ => (float)(2 * rng.NextDouble() - 1)).ToArray();
        var y = Enumerable.Range(0, examples).Select(_ => rng.Next(Classes)).ToArray();
        Train = new DataSet("toy", x, new Shape(Inputs), y, Classes);
        var t = Model.Network.Parameters;
        (W1, B1, W2, B2) = (t["fc1.weight"].Offset, t["fc1.bias"].Offset, t["fc2.weight"].Offset, t["fc2.bias"].Offset);
    }

    public ZooModel Model { get; }
    public float[] Theta { get; }
    public DataSet Train { get; }
    public int P => Theta.Length;
    private int W1 { get; }
    private int B1 { get; }
    private int W2 { get; }
    private int B2 { get; }

    /// <summary>Logits and the Jacobian [C, P] at input row <paramref name="x"/>.</summary>
    public (Vector<double> F, Matrix<double> J) Linearize(ReadOnlySpan<float> x)
    {
        var h = new double[Hidden];
        for (int j = 0; j < Hidden; j++)
        {
            double a = Theta[B1 + j];
            for (int k = 0; k < Inputs; k++) a += (double)Theta[W1 + j * Inputs + k] * x[k];
            h[j] = Math.Tanh(a);
        }
        var f = Vector<double>.Build.Dense(Classes);
        var jac = Matrix<double>.Build.Dense(Classes, P);
        for (int c = 0; c < Classes; c++)
        {
            f[c] = Theta[B2 + c];
            jac[c, B2 + c] = 1;
            for (int j = 0; j < Hidden; j++)
            {
                double w = Theta[W2 + c * Hidden + j];
                f[c] += w * h[j];
                jac[c, W2 + c * Hidden + j] = h[j];
                double dh = w * (1 - h[j] * h[j]);
                jac[c, B1 + j] = dh;
                for (int k = 0; k < Inputs; k++) jac[c, W1 + j * Inputs + k] = dh * x[k];
            }
        }
        return (f, jac);
    }

    /// <summary>The last layer's columns of J in the order of W̃ = [W₂ | b₂] rows: [C, C·(H+1)].</summary>
    public Matrix<double> LastLayerJacobian(Matrix<double> j)
    {
        int dt = Hidden + 1;
        var r = Matrix<double>.Build.Dense(Classes, Classes * dt);
        for (int c = 0; c < Classes; c++)
            for (int c2 = 0; c2 < Classes; c2++)
            {
                for (int k = 0; k < Hidden; k++) r[c, c2 * dt + k] = j[c, W2 + c2 * Hidden + k];
                r[c, c2 * dt + Hidden] = j[c, B2 + c2];
            }
        return r;
    }

    public static Vector<double> Softmax(Vector<double> f)
    {
        var e = (f - f.Maximum()).PointwiseExp();
        return e / e.Sum();
    }

    /// <summary>H = Σ Jᵀ(diag p − ppᵀ)J and log p(D | θ*), with <paramref name="restrict"/> mapping J to the covered parameters.</summary>
    public (Matrix<double> H, double LogLikelihood) Ggn(Func<Matrix<double>, Matrix<double>> restrict)
    {
        Matrix<double>? h = null;
        double ll = 0;
        for (int n = 0; n < Train.Count; n++)
        {
            var (f, j0) = Linearize(Train.Sample(n));
            var j = restrict(j0);
            var p = Softmax(f);
            ll += Math.Log(p[Train.Labels[n]]);
            var lambda = Matrix<double>.Build.DenseOfDiagonalVector(p) - p.OuterProduct(p);
            var term = j.TransposeThisAndMultiply(lambda * j);
            h = h == null ? term : h + term;
        }
        return (h!, ll);
    }

    /// <summary>log p(D | α) by its definition, with MathNet's log-determinant.</summary>
    public static double Evidence(Matrix<double> h, Vector<double> theta, double ll, double alpha) =>
        ll - 0.5 * alpha * theta.DotProduct(theta) + 0.5 * theta.Count * Math.Log(alpha)
        - 0.5 * (h + alpha * Matrix<double>.Build.DenseIdentity(h.RowCount)).Cholesky().DeterminantLn;

    /// <summary>argmax over α of <see cref="Evidence"/> by golden-section search in log α (unimodal: concave in log α).</summary>
    public static double BestAlpha(Matrix<double> h, Vector<double> theta, double ll)
    {
        double a = Math.Log(1e-6), b = Math.Log(1e6), g = (Math.Sqrt(5) - 1) / 2;
        while (b - a > 1e-12)
        {
            double u = b - g * (b - a), v = a + g * (b - a);
            if (Evidence(h, theta, ll, Math.Exp(u)) > Evidence(h, theta, ll, Math.Exp(v))) b = v; else a = u;
        }
        return Math.Exp(0.5 * (a + b));
    }
}
