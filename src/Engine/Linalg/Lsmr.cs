using System.Diagnostics;
using System.Numerics;
using Tangent.Kernels.Backends;

namespace Tangent.Engine.Linalg;

/// <summary>
/// LSMR (Fong &amp; Saunders, SIAM J. Sci. Comput. 33(5), 2011): MINRES applied to the normal equations
/// AᵀA x = Aᵀb through Golub–Kahan bidiagonalisation, for min ‖Ax − b‖ or the damped problem. Each iteration is
/// one product with A and one with Aᵀ; ‖Aᵀr‖ and ‖r‖ both decrease monotonically, so stopping early on atol is
/// safer than with LSQR. Stopping parameters: <see cref="LeastSquaresOptions"/>. This is the solver VIKING's
/// library uses for the kernel projection (min ‖Jᵀλ − ε‖ with atol = btol = 1e-8).
/// </summary>
/// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
public sealed class Lsmr<T> : LeastSquaresSolver<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates a solver for operators up to <paramref name="maxRows"/> × <paramref name="maxColumns"/>.</summary>
    public Lsmr(Backend backend, int maxRows, int maxColumns, LeastSquaresOptions? options = null)
        : base(backend, maxRows, maxColumns, options) { }

    private protected override string Name => "LSMR";

    private protected override SolveResult<T> SolveCore(ILinearOperator<T> a, BufferView<T> b, BufferView<T> x)
    {
        long start = Stopwatch.GetTimestamp();
        int m = a.Rows, n = a.Columns;
        var u = U.Slice(0, m);
        var au = Au.Slice(0, m);
        var v = V.Slice(0, n);
        var atv = Atv.Slice(0, n);
        var h = W1.Slice(0, n);
        var hBar = W2.Slice(0, n);
        Backend.Fill(x, T.Zero);
        double damp = Options.Damping;

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

        double zetaBar = alpha * beta, alphaBar = alpha, rho = 1, rhoBar = 1, cBar = 1, sBar = 0;
        Backend.Copy(v, h);
        Backend.Fill(hBar, T.Zero);
        // Quantities of the ‖r‖ estimate (Fong–Saunders §5.3).
        double betaDd = beta, betaD = 0, rhoDOld = 1, tauTildeOld = 0, thetaTilde = 0, zeta = 0, d = 0;
        double normA2 = alpha * alpha, maxRBar = 0, minRBar = double.MaxValue, normA = Math.Sqrt(normA2), condA = 1, normX = 0;
        double normR = beta, normAr = alpha * beta;
        int it = 0;
        var reason = StopReason.Continue;
        bool allFinite = true;
        while (reason == StopReason.Continue)
        {
            it++;
            Bidiagonalize(a, u, au, v, atv, ref alpha, ref beta);

            // Rotation Q̂ eliminating the damping, then P_k and P̄_k of the two QR factorisations.
            var (cHat, sHat, alphaHat) = SymOrtho(alphaBar, damp);
            double rhoOld = rho;
            (double c, double s, rho) = SymOrtho(alphaHat, beta);
            double thetaNew = s * alpha;
            alphaBar = c * alpha;
            double rhoBarOld = rhoBar, zetaOld = zeta, thetaBar = sBar * rho, rhoTemp = cBar * rho;
            (cBar, sBar, rhoBar) = SymOrtho(cBar * rho, thetaNew);
            zeta = cBar * zetaBar;
            zetaBar = -sBar * zetaBar;

            // h̄ ← h − (θ̄ρ/(ρ_old ρ̄_old)) h̄ ; x ← x + (ζ/(ρρ̄)) h̄ ; h ← v − (θ_new/ρ) h.
            Backend.Scal(Scalar<T>.Of(-(thetaBar * rho / (rhoOld * rhoBarOld))), hBar);
            Backend.Axpy(T.One, h, hBar);
            Backend.Axpy(Scalar<T>.Of(zeta / (rho * rhoBar)), hBar, x);
            Backend.Scal(Scalar<T>.Of(-(thetaNew / rho)), h);
            Backend.Axpy(T.One, v, h);

            // ‖r‖ estimate.
            double betaAcute = cHat * betaDd, betaCheck = -sHat * betaDd;
            double betaHat = c * betaAcute;
            betaDd = -s * betaAcute;
            double thetaTildeOld = thetaTilde;
            var (cTildeOld, sTildeOld, rhoTildeOld) = SymOrtho(rhoDOld, thetaBar);
            thetaTilde = sTildeOld * rhoBar;
            rhoDOld = cTildeOld * rhoBar;
            betaD = -sTildeOld * betaD + cTildeOld * betaHat;
            tauTildeOld = (zetaOld - thetaTildeOld * tauTildeOld) / rhoTildeOld;
            double tauD = (zeta - thetaTilde * tauTildeOld) / rhoDOld;
            d += betaCheck * betaCheck;
            normR = Math.Sqrt(d + (betaD - tauD) * (betaD - tauD) + betaDd * betaDd);

            // ‖A‖ and cond(A) estimates.
            normA2 += beta * beta;
            normA = Math.Sqrt(normA2);
            normA2 += alpha * alpha;
            maxRBar = Math.Max(maxRBar, rhoBarOld);
            if (it > 1) minRBar = Math.Min(minRBar, rhoBarOld);
            condA = Math.Max(maxRBar, rhoTemp) / Math.Min(minRBar, rhoTemp);

            normAr = Math.Abs(zetaBar);
            normX = Scalar<T>.Norm(Backend, x);
            History[it] = normR;
            NormalHistory[it] = normAr;
            if (!double.IsFinite(normR) || !double.IsFinite(normAr) || !double.IsFinite(normX))
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
