using System.Diagnostics;
using System.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>
/// LSQR (Paige &amp; Saunders, ACM TOMS 8(1), 1982): min ‖Ax − b‖ or the damped min ‖Ax − b‖² + λ²‖x‖² by
/// Golub–Kahan bidiagonalisation; each iteration one product with A and one with Aᵀ. Stopping parameters and
/// their accuracy meaning: <see cref="LeastSquaresOptions"/>. ‖r‖ decreases monotonically; ‖Aᵀr‖ need not (use
/// <see cref="Lsmr{T}"/> when the iteration may be stopped early on ‖Aᵀr‖). Vectors stay on the device; a solve in
/// steady state allocates nothing.
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class Lsqr<T> : LeastSquaresSolver<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a solver for operators up to <paramref name="maxRows"/> × <paramref name="maxColumns"/>.</summary>
    public Lsqr(Backend backend, int maxRows, int maxColumns, LeastSquaresOptions? options = null)
        : base(backend, maxRows, maxColumns, options) { }

    private protected override string Name => "LSQR";

    private protected override SolveResult<T> SolveCore(ILinearOperator<T> a, BufferView<T> b, BufferView<T> x)
    {
        long start = Stopwatch.GetTimestamp();
        int m = a.Rows, n = a.Columns;
        var u = U.Slice(0, m);
        var au = Au.Slice(0, m);
        var v = V.Slice(0, n);
        var atv = Atv.Slice(0, n);
        var w = W1.Slice(0, n);
        Backend.Fill(x, T.Zero);
        double damp = Options.Damping, dampSq = damp * damp;

        bool ok = Bidiagonalize0(a, b, u, v, out double alpha, out double beta);
        double normB = beta;
        History[0] = beta;
        NormalHistory[0] = alpha * beta;
        Estimates = new LeastSquaresEstimates(0, 0, beta, alpha * beta, 0);
        if (!ok)
        {
            bool finite = double.IsFinite(alpha) && double.IsFinite(beta);
            return Finish(x, 0, normB, beta == 0 ? StopReason.ZeroRightHandSide : StopReason.LeastSquaresConverged, start, finite);
        }

        Backend.Copy(v, w);
        double rhoBar = alpha, phiBar = beta;
        double normA = 0, ddNorm = 0, res2 = 0, xxNorm = 0, z = 0, cs2 = -1, sn2 = 0, normX = 0, condA = 0;
        double normR = beta, normAr = alpha * beta;
        int it = 0;
        var reason = StopReason.Continue;
        bool allFinite = true;
        while (reason == StopReason.Continue)
        {
            it++;
            double alphaOld = alpha;
            Bidiagonalize(a, u, au, v, atv, ref alpha, ref beta);
            if (beta > 0) normA = Math.Sqrt(normA * normA + alphaOld * alphaOld + beta * beta + dampSq);

            // Eliminate the damping term, then the subdiagonal β by a plane rotation.
            double rhoBar1 = rhoBar, psi = 0;
            if (damp > 0)
            {
                rhoBar1 = Math.Sqrt(rhoBar * rhoBar + dampSq);
                double cs1 = rhoBar / rhoBar1, sn1 = damp / rhoBar1;
                psi = sn1 * phiBar;
                phiBar = cs1 * phiBar;
            }
            var (cs, sn, rho) = SymOrtho(rhoBar1, beta);
            double theta = sn * alpha;
            rhoBar = -cs * alpha;
            double phi = cs * phiBar;
            phiBar = sn * phiBar;
            double tau = sn * phi;

            // x ← x + (φ/ρ) w ; w ← v − (θ/ρ) w ; ‖w/ρ‖² accumulates into the cond(A) estimate.
            double wNorm = Scalar<T>.Norm(Backend, w);
            Backend.Axpy(Scalar<T>.Of(phi / rho), w, x);
            Backend.Scal(Scalar<T>.Of(-theta / rho), w);
            Backend.Axpy(T.One, v, w);
            ddNorm += wNorm * wNorm / (rho * rho);

            // ‖x‖ by the second QR factorisation of Paige–Saunders (no extra vector work).
            double delta = sn2 * rho, gamBar = -cs2 * rho, rhs = phi - delta * z, zBar = rhs / gamBar;
            normX = Math.Sqrt(xxNorm + zBar * zBar);
            double gamma = Math.Sqrt(gamBar * gamBar + theta * theta);
            cs2 = gamBar / gamma;
            sn2 = theta / gamma;
            z = rhs / gamma;
            xxNorm += z * z;

            condA = normA * Math.Sqrt(ddNorm);
            res2 += psi * psi;
            normR = Math.Sqrt(phiBar * phiBar + res2);
            normAr = alpha * Math.Abs(tau);
            History[it] = normR;
            NormalHistory[it] = normAr;
            if (!double.IsFinite(normR) || !double.IsFinite(normAr) || !double.IsFinite(normX) || !double.IsFinite(rho))
            {
                allFinite = false;
                break;
            }
            reason = Test(it, normR, normAr, normA, condA, normX, normB);
        }
        Estimates = new LeastSquaresEstimates(normA, condA, normR, normAr, normX);
        return Finish(x, it, normB, reason, start, allFinite);
    }
}
