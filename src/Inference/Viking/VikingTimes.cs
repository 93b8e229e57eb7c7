using System.Globalization;

namespace Tangent.Inference.Viking;

/// <summary>
/// Where a VIKING fit's time went, in seconds, accumulated across resumed runs: the plain-training phase, the
/// ELBO steps (phases 2 and 3) split into projection, loss forward/backward, exact adjoint, KL and optimiser, the
/// alternating-projection passes before each epoch, and the posterior samples' pass.
/// </summary>
public sealed class VikingTimes
{
    private static readonly string[] Names = ["plain", "projection", "loss", "adjoint", "kl", "optimizer", "passes", "posterior"];
    private readonly double[] _seconds = new double[Names.Length];

    /// <summary>Phase 1.</summary>
    public double Plain { get => _seconds[0]; set => _seconds[0] = value; }

    /// <summary>Steps: drawing and projecting ε̃.</summary>
    public double Projection { get => _seconds[1]; set => _seconds[1] = value; }

    /// <summary>Steps: the loss forward and backward pass at the sample.</summary>
    public double Loss { get => _seconds[2]; set => _seconds[2] = value; }

    /// <summary>Steps: the exact adjoint.</summary>
    public double Adjoint { get => _seconds[3]; set => _seconds[3] = value; }

    /// <summary>Steps: KL and gradient assembly.</summary>
    public double Kl { get => _seconds[4]; set => _seconds[4] = value; }

    /// <summary>Steps: Adam.</summary>
    public double Optimizer { get => _seconds[5]; set => _seconds[5] = value; }

    /// <summary>The alternating-projection pass before each epoch.</summary>
    public double Passes { get => _seconds[6]; set => _seconds[6] = value; }

    /// <summary>The posterior samples' alternating projections.</summary>
    public double Posterior { get => _seconds[7]; set => _seconds[7] = value; }

    /// <summary>All of it.</summary>
    public double Total => _seconds.Sum();

    /// <summary>Adds one step's timings.</summary>
    public void Add(ElboTimings t, TimeSpan optimizer)
    {
        Projection += t.Projection.TotalSeconds;
        Loss += t.Loss.TotalSeconds;
        Adjoint += t.Adjoint.TotalSeconds;
        Kl += t.Kl.TotalSeconds;
        Optimizer += optimizer.TotalSeconds;
    }

    /// <summary>The figures as <c>time_NAME_s</c> entries (invariant culture), for metadata.</summary>
    public IEnumerable<KeyValuePair<string, string>> Entries() =>
        Names.Select((n, i) => KeyValuePair.Create($"time_{n}_s", _seconds[i].ToString("F3", CultureInfo.InvariantCulture)));

    /// <summary>Reads <see cref="Entries"/>' form back (missing entries count as 0).</summary>
    public static VikingTimes From(IReadOnlyDictionary<string, string> metadata)
    {
        var t = new VikingTimes();
        for (int i = 0; i < Names.Length; i++)
            if (metadata.TryGetValue($"time_{Names[i]}_s", out var s)) t._seconds[i] = double.Parse(s, CultureInfo.InvariantCulture);
        return t;
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"plain {Plain:F0} s; steps: projection {Projection:F0} s, loss {Loss:F0} s, adjoint {Adjoint:F0} s, KL {Kl:F1} s, optimiser {Optimizer:F1} s; " +
        $"passes {Passes:F0} s; posterior {Posterior:F0} s; total {Total:F0} s");
}
