using MathNet.Numerics.LinearAlgebra;
using Tangent.Engine.Linalg;
using Tangent.Inference.Projection;
using Tangent.Inference.Tests.Viking;
using Tangent.Kernels.Cpu;
using Tangent.Models.Data;

namespace Tangent.Inference.Tests.Projection;

/// <summary>
/// The dense solver on a batch (<see cref="BatchProjector"/> writes J's rows example by example from a batch-1 tape):
/// one vector and many at once against the float64 projector I − Jᵀ(JJᵀ)⁻¹J of the materialised Jacobian, for the
/// loss Jacobian (B rows) and the output Jacobian (B·C rows), with a residual at float32 rounding.
/// </summary>
public sealed class DenseBatchProjectionTests
{
    [Theory]
    [InlineData(KernelJacobian.Loss)]
    [InlineData(KernelJacobian.Output)]
    public void Dense_projection_of_a_batch_matches_the_float64_projector(KernelJacobian kind)
    {
        const int n = 5, k = 3;
        var model = Tiny.Mlp(3, 6, 3);
        var data = Tiny.Classes(n, 3, 3, seed: 11);
        var theta = Tiny.Parameters(model, 5, scale: 2);
        var be = CpuBackend.Instance;
        using var projector = new BatchProjector(model.Network, Likelihood.Categorical, kind, data, be, n, k,
            new KernelProjectionOptions(ProjectionSolver.Dense));
        using var mean = be.Upload<float>(theta);
        projector.SetParameters(mean.View);
        projector.Load(Tiny.WholeBatch(data));

        var j = new DenseReference(projector.Tape, data).Jacobian(theta.Select(v => (double)v).ToArray(), kind == KernelJacobian.Loss ? "loss" : "logits");
        Assert.Equal(kind == KernelJacobian.Loss ? n : n * 3, j.RowCount);
        var reference = DenseReference.KernelProjector(j);
        int p = theta.Length;
        var rng = new Random(3);
        var eps = Enumerable.Range(0, k * p).Select(_ => (float)Tiny.Normal(rng)).ToArray();
        using var e = be.Upload<float>(eps);
        using var result = be.Allocate<float>(k * p);

        var many = projector.ProjectMany(e.View, result.View, k);
        Assert.Equal(SolverBreakdown.None, many.Breakdown);
        Assert.InRange(many.Residual, 0, 1e-4);
        var got = result.ToArray();
        for (int v = 0; v < k; v++)
        {
            var ev = Vector<double>.Build.Dense(p, i => eps[v * p + i]);
            var expected = reference * ev;
            var row = Vector<double>.Build.Dense(p, i => got[v * p + i]);
            // float32 rows and Gram: rounding (6e-8) times the conditioning of the normalised Gram (~10² here).
            Assert.InRange((row - expected).L2Norm() / ev.L2Norm(), 0, 1e-4);
            Assert.InRange((j * row).L2Norm() / (j * ev).L2Norm(), 0, 1e-4);
        }

        // One vector: the same as the first of the block.
        using var single = be.Allocate<float>(p);
        var one = projector.Project(e.Slice(0, p), single.View);
        Assert.InRange(one.Residual, 0, 1e-4);
        var s = single.ToArray();
        for (int i = 0; i < p; i++) Assert.Equal(got[i], s[i], 1e-5f);
    }
}
