using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Execution;
using Tangent.Engine.Linalg;
using Tangent.Engine.Tests.Support;
using Tangent.Engine.Tracing;
using Tangent.Engine.Transforms;
using Tangent.Kernels.Backends;
using Tangent.Kernels.Cpu;

namespace Tangent.Engine.Tests.Linalg;

/// <summary>
/// Operators from a traced network and a batch (float64), checked against the Jacobian materialised column by column
/// with <see cref="Jacobians.Materialize{T}"/> (identity tangents through the JVP; MathNet for the dense algebra):
/// J, Jᵀ, JJᵀ and the GGN, one vector and K at once; the kernel projection's properties; Hutchinson's tr P;
/// alternating projections over several batches against the dense projector onto the intersection of the kernels.
/// float64 tolerances: products 1e-11 relative (a few hundred roundings through the tape); projections to the
/// solver tolerance.
/// </summary>
public sealed class TapeOperatorTests
{
    private static readonly Backend Be = CpuBackend.Instance;

    /// <summary>A traced network bound to one random batch, with its dense Jacobians.</summary>
    private sealed class Net : IDisposable
    {
        public readonly Tape Tape;
        public readonly int P, B, C;
        public readonly DeviceBuffer<double> Theta, X;
        public readonly DeviceBuffer<int> Y;

        public Net(string kind, int batch, int seed, DeviceBuffer<double>? theta = null)
        {
            Tape = kind == "mlp" ? Models.Mlp(batch, [5, 8, 3], activation: 1) : Models.Cnn(batch, 1, 2, 3, 8, 3, activation: 1);
            P = Tape.Input("theta").TotalLength;
            B = batch;
            C = 3;
            var rng = new Random(seed);
            int inputLength = Tape.Input("x").TotalLength;
            var init = new Random(1000);
            Theta = theta ?? Be.Upload(Enumerable.Range(0, P).Select(_ => 0.6 * Dense.Normal(init)).ToArray());
            X = Be.Upload(Enumerable.Range(0, inputLength).Select(_ => Dense.Normal(rng)).ToArray());
            Y = Be.Upload(Enumerable.Range(0, batch).Select(_ => rng.Next(C)).ToArray());
            OwnsTheta = theta == null;
        }

        private bool OwnsTheta { get; }

        public void Bind(Plan<double> plan)
        {
            plan.Bind("theta", Theta.View);
            plan.Bind("x", X.View);
            plan.BindIndices("y", Y.View);
        }

        public void Bind(TapePlanSet<double> op)
        {
            op.Bind("theta", Theta.View);
            op.Bind("x", X.View);
            op.BindIndices("y", Y.View);
        }

        public Matrix<double> Jacobian(string output)
        {
            var j = Jacobians.Materialize<double>(Tape, "theta", output, Be, Bind);
            return Matrix<double>.Build.Dense(j.Length / P, P, (r, c) => j[r * P + c]);
        }

        public TapeJacobian<double> Operator(string output)
        {
            var op = TapeOperators.Jacobian<double>(Tape, "theta", output, Be);
            Bind(op);
            return op;
        }

        public double[] Logits()
        {
            using var plan = Tape.Plan<double>(Be);
            Bind(plan);
            plan.Run();
            return plan.ReadOutput("logits");
        }

        public void Dispose()
        {
            if (OwnsTheta) Theta.Dispose();
            X.Dispose();
            Y.Dispose();
        }
    }

    private static Matrix<double> Block(Random rng, int rows, int cols) => Dense.Gaussian(rows, cols, rng);

    /// <summary>Applies a batched product to the rows of <paramref name="input"/> and returns the rows of the result.</summary>
    private static Matrix<double> Many(Action<BufferView<double>, BufferView<double>, int> apply, Matrix<double> input, int outLength)
    {
        using var x = Dense.Upload<double>(Be, input);
        using var y = Be.Allocate<double>(input.RowCount * outLength);
        apply(x.View, y.View, input.RowCount);
        return Dense.DownloadBlock(y.View, input.RowCount, outLength);
    }

    private static Vector<double> One(Action<BufferView<double>, BufferView<double>> apply, Vector<double> input, int outLength)
    {
        using var x = Dense.Upload<double>(Be, input);
        using var y = Be.Allocate<double>(outLength);
        apply(x.View, y.View);
        return Dense.Download(y.View);
    }

    [Theory]
    [InlineData("mlp", "loss")]
    [InlineData("mlp", "logits")]
    [InlineData("cnn", "loss")]
    [InlineData("cnn", "logits")]
    public void Jacobian_transpose_and_outer_gram_match_the_materialised_jacobian(string kind, string output)
    {
        using var net = new Net(kind, 4, 1);
        var j = net.Jacobian(output);
        using var op = net.Operator(output);
        Assert.Equal(j.RowCount, op.Rows);
        Assert.Equal(net.P, op.Columns);
        int m = op.Rows, p = op.Columns;
        var rng = new Random(2);
        var v = Block(rng, 3, p);
        var lam = Block(rng, 3, m);

        Assert.InRange(Dense.RelativeError(One(op.Apply, v.Row(0), m), j * v.Row(0)), 0, 1e-11);
        Assert.InRange(Dense.RelativeError(One(op.ApplyTranspose, lam.Row(0), p), j.Transpose() * lam.Row(0)), 0, 1e-11);
        Assert.InRange(Dense.RelativeError(Many(op.ApplyMany, v, m), v * j.Transpose()), 0, 1e-11);
        Assert.InRange(Dense.RelativeError(Many(op.ApplyTransposeMany, lam, p), lam * j), 0, 1e-11);
        var gram = j * j.Transpose();
        Assert.InRange(Dense.RelativeError(One(op.OuterGram.Apply, lam.Row(1), m), gram * lam.Row(1)), 0, 1e-11);
        Assert.InRange(Dense.RelativeError(Many(op.OuterGram.ApplyMany, lam, m), lam * gram), 0, 1e-11);

        // K vectors through the K-tangent sweep equal the vectors one at a time (same tape, different batching).
        var single = Matrix<double>.Build.DenseOfRowVectors(Enumerable.Range(0, 3).Select(i => One(op.Apply, v.Row(i), m)));
        Assert.InRange(Dense.RelativeError(Many(op.ApplyMany, v, m), single), 0, 1e-13);
        var singleT = Matrix<double>.Build.DenseOfRowVectors(Enumerable.Range(0, 3).Select(i => One(op.ApplyTranspose, lam.Row(i), p)));
        Assert.InRange(Dense.RelativeError(Many(op.ApplyTransposeMany, lam, p), singleT), 0, 1e-13);
    }

    [Theory]
    [InlineData("mlp", OutputCurvature.Softmax)]
    [InlineData("cnn", OutputCurvature.Softmax)]
    [InlineData("mlp", OutputCurvature.Gaussian)]
    public void Ggn_matches_the_dense_product(string kind, OutputCurvature curvature)
    {
        using var net = new Net(kind, 4, 3);
        var j = net.Jacobian("logits");
        var z = net.Logits();
        int bc = net.B * net.C;
        var lambda = Matrix<double>.Build.Dense(bc, bc);
        const double variance = 0.5, alpha = 0.3;
        for (int b = 0; b < net.B; b++)
        {
            if (curvature == OutputCurvature.Gaussian)
            {
                for (int c = 0; c < net.C; c++) lambda[b * net.C + c, b * net.C + c] = 1 / variance;
                continue;
            }
            var e = Enumerable.Range(0, net.C).Select(c => Math.Exp(z[b * net.C + c])).ToArray();
            double s = e.Sum();
            for (int c = 0; c < net.C; c++)
                for (int d = 0; d < net.C; d++)
                    lambda[b * net.C + c, b * net.C + d] = (c == d ? e[c] / s : 0) - e[c] * e[d] / (s * s);
        }
        var g = j.Transpose() * lambda * j + alpha * Matrix<double>.Build.DenseIdentity(net.P);
        using var ggn = TapeOperators.Ggn<double>(net.Tape, "theta", "logits", Be, curvature, alpha, variance);
        net.Bind(ggn);
        var v = Block(new Random(4), 3, net.P);
        Assert.InRange(Dense.RelativeError(One(ggn.Apply, v.Row(0), net.P), g * v.Row(0)), 0, 1e-11);
        Assert.InRange(Dense.RelativeError(Many(ggn.ApplyMany, v, net.P), v * g), 0, 1e-11);
    }

    [Theory]
    [InlineData("mlp", ProjectionSolver.FixedStepConjugateGradient)]
    [InlineData("mlp", ProjectionSolver.ConjugateGradient)]
    [InlineData("cnn", ProjectionSolver.ConjugateGradient)]
    [InlineData("cnn", ProjectionSolver.Lsmr)]
    public void Projection_onto_the_kernel_of_the_loss_jacobian(string kind, ProjectionSolver solver)
    {
        using var net = new Net(kind, 6, 5);
        var j = net.Jacobian("loss");
        var dense = Dense.NullSpaceProjector(j);
        using var op = net.Operator("loss");
        // Fixed steps: B steps of reorthogonalised CG solve the B×B system (Krylov space exhausted).
        var options = new KernelProjectionOptions(solver, Steps: 2 * net.B, Tolerance: 1e-12, MaxIterations: 200, Atol: 1e-13, Btol: 1e-13);
        using var projector = new KernelProjection<double>(Be, net.B, net.P, 3, options);
        var rng = new Random(6);
        var eps = Dense.Gaussian(net.P, rng);
        var other = Dense.Gaussian(net.P, rng);
        var pe = One((x, y) => projector.Project(op, x, y), eps, net.P);
        Assert.InRange((j * pe).L2Norm() / eps.L2Norm(), 0, 1e-6);
        Assert.InRange(Dense.RelativeError(pe, dense * eps), 0, 1e-7);
        var ppe = One((x, y) => projector.Project(op, x, y), pe, net.P);
        Assert.InRange(Dense.RelativeError(ppe, pe), 0, 1e-7);
        var po = One((x, y) => projector.Project(op, x, y), other, net.P);
        Assert.InRange(Math.Abs(pe.DotProduct(other) - eps.DotProduct(po)), 0, 1e-7 * eps.L2Norm() * other.L2Norm());

        // Many vectors at once (one K-tangent sweep per CG iteration) equal one at a time.
        var block = Matrix<double>.Build.DenseOfRowVectors(eps, other, eps - other);
        var many = Many((x, y, k) => projector.ProjectMany(op, x, y, k), block, net.P);
        var singles = Matrix<double>.Build.DenseOfRowVectors(pe, po, One((x, y) => projector.Project(op, x, y), eps - other, net.P));
        Assert.InRange(Dense.RelativeError(many, singles), 0, 1e-7);
    }

    [Fact]
    public void Hutchinson_trace_of_the_projection_is_within_three_standard_errors_of_p_minus_rank()
    {
        using var net = new Net("mlp", 6, 7);
        var j = net.Jacobian("loss");
        int rank = j.Rank();
        using var op = net.Operator("loss");
        using var projector = new KernelProjection<double>(Be, net.B, net.P, 16,
            new KernelProjectionOptions(ProjectionSolver.ConjugateGradient, Tolerance: 1e-12));
        using var pOp = LinearOperator.FromClosures<double>(Be, net.P, net.P, (x, y) => projector.Project(op, x, y),
            applyMany: (x, y, k) => projector.ProjectMany(op, x, y, k));
        using var hutchinson = new HutchinsonTrace<double>(Be, net.P, 16);
        var est = hutchinson.Estimate(pOp, 256, seed: 11);
        Assert.True(est.StandardError > 0);
        Assert.InRange(est.Estimate, net.P - rank - 3 * est.StandardError, net.P - rank + 3 * est.StandardError);
    }

    [Fact]
    public void Alternating_projections_over_batches_converge_to_the_projection_onto_the_intersection_of_kernels()
    {
        var nets = new List<Net> { new("mlp", 4, 21) };
        try
        {
            nets.Add(new Net("mlp", 4, 22, nets[0].Theta));
            nets.Add(new Net("mlp", 4, 23, nets[0].Theta));
            var jacobians = nets.Select(n => n.Jacobian("loss")).ToList();
            var stacked = Matrix<double>.Build.DenseOfMatrixArray(new[,] { { jacobians[0] }, { jacobians[1] }, { jacobians[2] } });
            var dense = Dense.NullSpaceProjector(stacked);
            var ops = nets.Select(n => n.Operator("loss")).ToList();
            int p = nets[0].P;
            using var projector = new KernelProjection<double>(Be, 4, p, 2, new KernelProjectionOptions(ProjectionSolver.ConjugateGradient, Tolerance: 1e-13));
            var eps = Block(new Random(24), 2, p);
            using var v = Dense.Upload<double>(Be, eps);
            var result = projector.Alternate(ops.Cast<ILinearOperator<double>>().ToList(), v.View, 2, passes: 60);
            Assert.Equal(180, result.Projections);
            Assert.Equal(SolverBreakdown.None, result.Breakdown);
            var got = Dense.DownloadBlock(v.View, 2, p);
            Assert.InRange(Dense.RelativeError(got, eps * dense), 0, 1e-6);
            // The limit is in every kernel, which no single projection achieves.
            Assert.InRange((stacked * got.Transpose()).FrobeniusNorm() / eps.FrobeniusNorm(), 0, 1e-6);
            foreach (var op in ops) op.Dispose();
        }
        finally
        {
            foreach (var n in nets) n.Dispose();
        }
    }

    [Fact]
    public void Rebinding_a_new_batch_needs_no_retracing_and_products_allocate_nothing()
    {
        using var first = new Net("cnn", 4, 31);
        using var second = new Net("cnn", 4, 32, first.Theta);
        using var op = first.Operator("loss");
        var rng = new Random(33);
        var v = Block(rng, 3, op.Columns);
        var lam = Block(rng, 3, op.Rows);
        Assert.InRange(Dense.RelativeError(Many(op.ApplyMany, v, op.Rows), v * first.Jacobian("loss").Transpose()), 0, 1e-11);
        op.Bind("x", second.X.View);
        op.BindIndices("y", second.Y.View);
        var j2 = second.Jacobian("loss");
        Assert.InRange(Dense.RelativeError(Many(op.ApplyMany, v, op.Rows), v * j2.Transpose()), 0, 1e-11);
        Assert.InRange(Dense.RelativeError(Many(op.OuterGram.ApplyMany, lam, op.Rows), lam * (j2 * j2.Transpose())), 0, 1e-11);

        // θ changed in place (an optimiser step): Invalidate() recomputes the cached primal pass of the fused JJᵀ.
        first.Theta.CopyFrom(first.Theta.ToArray().Select(t => 0.7 * t + 0.05).ToArray());
        op.Invalidate();
        var j3 = second.Jacobian("loss");
        Assert.True(Dense.RelativeError(j3, j2) > 1e-3);
        Assert.InRange(Dense.RelativeError(Many(op.OuterGram.ApplyMany, lam, op.Rows), lam * (j3 * j3.Transpose())), 0, 1e-11);

        // Steady state: once the plans for a count exist, products allocate no managed memory.
        using var x = Dense.Upload<double>(Be, v);
        using var y = Be.Allocate<double>(3 * op.Rows);
        using var back = Be.Allocate<double>(3 * op.Columns);
        using var gy = Be.Allocate<double>(3 * op.Rows);
        op.Prepare(3);
        op.Prepare(1);
        void All()
        {
            op.ApplyMany(x.View, y.View, 3);
            op.ApplyTransposeMany(y.View, back.View, 3);
            op.OuterGram.ApplyMany(y.View, gy.View, 3);
            op.Apply(x.View.Slice(0, op.Columns), y.View.Slice(0, op.Rows));
            op.ApplyTranspose(y.View.Slice(0, op.Rows), back.View.Slice(0, op.Columns));
        }
        All();
        All();
        Assert.Equal(0, Allocations.SteadyStateBytes(All));
    }
}
