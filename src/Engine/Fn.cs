using Tangent.Engine.Primitives;
using Tangent.Engine.Tracing;
using Tangent.Kernels.Ops;

namespace Tangent.Engine;

/// <summary>
/// The traceable tensor API: each function records primitives on the tape of its operands. Composite functions
/// (linear layers, GELU, SiLU, layer/batch norm, Gaussian NLL, means) are written in terms of primitives, so their
/// derivatives of every order come from the primitives' rules.
/// </summary>
public static class Fn
{
    // ------------------------------------------------------------------ arithmetic

    /// <summary>a + b (broadcasting).</summary>
    public static Var Add(Var a, Var b) => a.Builder.Apply1(new Binary(BinaryKind.Add), a, b);

    /// <summary>a − b (broadcasting).</summary>
    public static Var Sub(Var a, Var b) => a.Builder.Apply1(new Binary(BinaryKind.Sub), a, b);

    /// <summary>a ⊙ b (broadcasting).</summary>
    public static Var Mul(Var a, Var b) => a.Builder.Apply1(new Binary(BinaryKind.Mul), a, b);

    /// <summary>c·x.</summary>
    public static Var Scale(Var x, double c) => c == 1 ? x : x.Builder.Apply1(new Unary(UnaryKind.Scale, c), x);

    /// <summary>x + c.</summary>
    public static Var AddScalar(Var x, double c) => c == 0 ? x : x.Builder.Apply1(new Unary(UnaryKind.AddScalar, c), x);

    /// <summary>x ⊙ x.</summary>
    public static Var Square(Var x) => Mul(x, x);

    /// <summary>eˣ.</summary>
    public static Var Exp(Var x) => x.Builder.Apply1(new Unary(UnaryKind.Exp), x);

    /// <summary>log x.</summary>
    public static Var Log(Var x) => x.Builder.Apply1(new Unary(UnaryKind.Log), x);

    /// <summary>√x.</summary>
    public static Var Sqrt(Var x) => x.Builder.Apply1(new Unary(UnaryKind.Sqrt), x);

    /// <summary>1/x.</summary>
    public static Var Reciprocal(Var x) => x.Builder.Apply1(new Unary(UnaryKind.Reciprocal), x);

    /// <summary>g(a)·b for the derivative g of an activation (used by the rules; see <see cref="DerivativeMul"/>).</summary>
    public static Var DerivativeMul(DerivativeKind kind, Var a, Var b) => a.Builder.Apply1(new DerivativeMul(kind), a, b);

    /// <summary>A constant tensor on <paramref name="builder"/>'s tape.</summary>
    public static Var Full(TapeBuilder builder, Shape shape, double value) => builder.Apply1(new Constant(shape, value));

    // ------------------------------------------------------------------ activations

    /// <summary>max(x, 0).</summary>
    public static Var Relu(Var x) => x.Builder.Apply1(new Unary(UnaryKind.Relu), x);

    /// <summary>tanh x.</summary>
    public static Var Tanh(Var x) => x.Builder.Apply1(new Unary(UnaryKind.Tanh), x);

    /// <summary>σ(x) = 1/(1 + e^(−x)).</summary>
    public static Var Sigmoid(Var x) => x.Builder.Apply1(new Unary(UnaryKind.Sigmoid), x);

    /// <summary>SiLU x·σ(x).</summary>
    public static Var Silu(Var x) => Mul(x, Sigmoid(x));

    /// <summary>GELU, tanh approximation: ½x(1 + tanh(√(2/π)(x + 0.044715x³))).</summary>
    public static Var Gelu(Var x)
    {
        const double k0 = 0.7978845608028654, k1 = 0.044715;
        var inner = Scale(Add(x, Scale(Mul(Square(x), x), k1)), k0);
        return Mul(Scale(x, 0.5), AddScalar(Tanh(inner), 1));
    }

    // ------------------------------------------------------------------ shapes and reductions

    /// <summary>The same elements with another shape (a view).</summary>
    public static Var Reshape(Var x, Shape shape) => x.Shape == shape ? x : x.Builder.Apply1(new Reshape(shape), x);

    /// <summary>
    /// x unchanged, but a constant to differentiation: its tangent and cotangent are symbolic zeros (see
    /// <see cref="Primitives.StopGradient"/>), e.g. a sample whose dependence on θ an estimator deliberately ignores.
    /// </summary>
    public static Var StopGradient(Var x) => x.Builder.Apply1(new StopGradient(), x);

    /// <summary>[N, …] → [N, rest].</summary>
    public static Var Flatten(Var x) => Reshape(x, new Shape(x.Shape[0], x.Shape.Length / Math.Max(x.Shape[0], 1)));

    /// <summary>Sum over the dimensions where <paramref name="shape"/> (right-aligned) is 1 or missing.</summary>
    public static Var SumTo(Var x, Shape shape) => x.Shape == shape ? x : x.Builder.Apply1(new SumTo(shape), x);

    /// <summary>Broadcast to <paramref name="shape"/>.</summary>
    public static Var BroadcastTo(Var x, Shape shape) => x.Shape == shape ? x : x.Builder.Apply1(new BroadcastTo(shape), x);

    /// <summary>Sum of all elements (a scalar).</summary>
    public static Var Sum(Var x) => SumTo(x, Shape.Scalar);

    /// <summary>Mean of all elements (a scalar).</summary>
    public static Var Mean(Var x) => Scale(Sum(x), 1.0 / x.Shape.Length);

    /// <summary>Sum over the last dimension, dropping it unless <paramref name="keepDim"/>.</summary>
    public static Var SumLastAxis(Var x, bool keepDim = false)
    {
        var kept = x.Shape.Take(x.Shape.Rank - 1);
        var s = SumTo(x, Shape.Concat(kept, new Shape(1)));
        return keepDim ? s : Reshape(s, kept);
    }

    /// <summary>Mean over the last dimension (kept as size 1).</summary>
    public static Var MeanLastAxis(Var x) => Scale(SumLastAxis(x, keepDim: true), 1.0 / x.Shape[-1]);

    // ------------------------------------------------------------------ layers

    /// <summary>a·b (or transposed) on the last two dimensions, batched where leading dimensions exist.</summary>
    public static Var MatMul(Var a, Var b, bool transA = false, bool transB = false, bool sumBatch = false) =>
        a.Builder.Apply1(new MatMul(transA, transB, sumBatch), a, b);

    /// <summary>Dense layer y = x·Wᵀ + b with W[out, in] (PyTorch layout) and optional b[out].</summary>
    public static Var Linear(Var x, Var weight, Var? bias = null)
    {
        var y = MatMul(x, weight, transB: true);
        return bias == null ? y : Add(y, bias);
    }

    /// <summary>2-D convolution of x[N, C, H, W] with w[K, C, R, S], optional bias b[K].</summary>
    public static Var Conv2d(Var x, Var weight, Var? bias = null, int stride = 1, int padding = 0)
    {
        var y = x.Builder.Apply1(new Conv(ConvProduct.Forward, new ConvWindow(stride, stride, padding, padding)), x, weight);
        return bias == null ? y : Add(y, Reshape(bias, new Shape(bias.Shape.Length, 1, 1)));
    }

    /// <summary>Max pooling over the last two dimensions.</summary>
    public static Var MaxPool2d(Var x, int window, int? stride = null, int padding = 0) =>
        x.Builder.Apply(new MaxPool(new PoolWindow(window, window, stride ?? window, stride ?? window, padding, padding)), x)[0];

    /// <summary>Average pooling over the last two dimensions (padding excluded from the divisor).</summary>
    public static Var AvgPool2d(Var x, int window, int? stride = null, int padding = 0) =>
        x.Builder.Apply1(new AvgPool(new PoolWindow(window, window, stride ?? window, stride ?? window, padding, padding)), x);

    /// <summary>Layer normalisation over the last dimension with scale γ and shift β (both [D]).</summary>
    public static Var LayerNorm(Var x, Var gamma, Var beta, double eps = 1e-5)
    {
        var centred = Sub(x, MeanLastAxis(x));
        var variance = MeanLastAxis(Square(centred));
        var inv = Reciprocal(Sqrt(AddScalar(variance, eps)));
        return Add(Mul(Mul(centred, inv), gamma), beta);
    }

    /// <summary>
    /// Batch normalisation over channel dimension 1 of x[N, C, …] with batch statistics (training mode): the mean and
    /// biased variance over all other dimensions, differentiated through.
    /// </summary>
    public static Var BatchNormTraining(Var x, Var gamma, Var beta, double eps = 1e-5)
    {
        var stat = ChannelShape(x);
        double count = (double)x.Shape.Length / x.Shape[1];
        var mean = Scale(SumTo(x, stat), 1 / count);
        var centred = Sub(x, mean);
        var variance = Scale(SumTo(Square(centred), stat), 1 / count);
        var inv = Reciprocal(Sqrt(AddScalar(variance, eps)));
        return Add(Mul(Mul(centred, inv), Reshape(gamma, stat)), Reshape(beta, stat));
    }

    /// <summary>Batch normalisation with given statistics (evaluation mode): (x − μ)/√(σ² + ε)·γ + β, all stats [C].</summary>
    public static Var BatchNormEvaluation(Var x, Var gamma, Var beta, Var runningMean, Var runningVariance, double eps = 1e-5)
    {
        var stat = ChannelShape(x);
        var inv = Reciprocal(Sqrt(AddScalar(Reshape(runningVariance, stat), eps)));
        return Add(Mul(Mul(Sub(x, Reshape(runningMean, stat)), inv), Reshape(gamma, stat)), Reshape(beta, stat));
    }

    private static Shape ChannelShape(Var x)
    {
        if (x.Shape.Rank < 2) throw new TraceShapeException("batch_norm", x.Builder.CurrentScope, [x.Shape], "input must be [N, C, …]");
        var d = new int[x.Shape.Rank - 1];
        Array.Fill(d, 1);
        d[0] = x.Shape[1];
        return new Shape(d);
    }

    // ------------------------------------------------------------------ losses

    /// <summary>Per-example softmax cross-entropy ℓ[B] of logits[B, C] with integer labels[B].</summary>
    public static Var SoftmaxCrossEntropy(Var logits, Var labels) => logits.Builder.Apply(new SoftmaxCrossEntropy(), logits, labels)[0];

    /// <summary>p − onehot(labels) for probabilities p[B, C] (see <see cref="CrossEntropyGradient"/>).</summary>
    public static Var CrossEntropyGradient(Var probs, Var labels) => probs.Builder.Apply1(new CrossEntropyGradient(), probs, labels);

    /// <summary>Softmax over the last dimension.</summary>
    public static Var Softmax(Var x) => x.Builder.Apply1(new Softmax(), x);

    /// <summary>
    /// Per-example Gaussian negative log-likelihood with fixed variance σ²:
    /// ℓᵢ = ½ Σ_c (yᵢc − μᵢc)²/σ² + (C/2)·log(2πσ²), for mean[B, C] and target[B, C].
    /// </summary>
    public static Var GaussianNll(Var mean, Var target, double variance = 1)
    {
        var r = Sub(target, mean);
        double c = mean.Shape[-1];
        return AddScalar(Scale(SumLastAxis(Square(r)), 0.5 / variance), 0.5 * c * Math.Log(2 * Math.PI * variance));
    }

    /// <summary>
    /// Per-example Gaussian negative log-likelihood with per-output variances v[B, C] (heteroscedastic):
    /// ℓᵢ = ½ Σ_c [(yᵢc − μᵢc)²/vᵢc + log vᵢc] + (C/2)·log 2π.
    /// </summary>
    public static Var GaussianNll(Var mean, Var target, Var variance)
    {
        var r = Sub(target, mean);
        double c = mean.Shape[-1];
        var terms = Add(Mul(Square(r), Reciprocal(variance)), Log(variance));
        return AddScalar(Scale(SumLastAxis(terms), 0.5), 0.5 * c * Math.Log(2 * Math.PI));
    }

    /// <summary>
    /// The softmax cross-entropy Hessian (w.r.t. logits) applied to a tangent: (diag p − ppᵀ)·ż per row,
    /// i.e. p ⊙ ż − p (pᵀż); ż may carry leading stacked dimensions. The GGN's middle factor.
    /// </summary>
    public static Var SoftmaxCrossEntropyHessianProduct(Var logits, Var zdot) => Primitives.Softmax.Derivative(Softmax(logits), zdot);
}
