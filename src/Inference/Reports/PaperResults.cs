namespace Tangent.Inference.Reports;

/// <summary>One row of a paper's table: the method as the paper names it and its numbers by <see cref="ReportMetrics"/> key.</summary>
/// <param name="Method">The paper's name of the method.</param>
/// <param name="Values">Its published numbers.</param>
public sealed record PaperRow(string Method, IReadOnlyDictionary<string, double> Values);

/// <summary>A paper's results table as published.</summary>
/// <param name="Citation">Authors, title and arXiv number.</param>
/// <param name="Protocol">How the paper measured (data, OOD set, metric variants), one line.</param>
/// <param name="Rows">Its rows in the paper's order.</param>
public sealed record PaperTable(string Citation, string Protocol, IReadOnlyList<PaperRow> Rows)
{
    /// <summary>The row of <paramref name="method"/>, or null.</summary>
    public PaperRow? Row(string? method) => method is null ? null : Rows.FirstOrDefault(r => r.Method == method);
}

/// <summary>The reference numbers of METHODS.md (§2 ScaLLA, §3 VIKING), as data.</summary>
public static class PaperResults
{
    /// <summary>ScaLLA's paper row names.</summary>
    public const string ScallaMap = "MAP", ScallaLla = "LLA (KFAC, marglik prior)", Scalla = "ScaLLA", ScallaBias = "ScaLLA-bias";

    /// <summary>VIKING's paper row names.</summary>
    public const string VikingMap = "MAP", Viking = "VIKING", Miani = "Miani et al.", Ivon = "IVON", LastLayerLa = "Last-layer LA";

    /// <summary>ScaLLA, FashionMNIST test, OOD KMNIST test.</summary>
    public static PaperTable ScallaFmnist { get; } = new(
        "Ortega, Rodríguez-Santana, Hernández-Lobato, \"Scalable Linearized Laplace Approximation via Surrogate Neural Kernel\", arXiv 2601.21835 (ESANN 2026)",
        "FashionMNIST test; OOD KMNIST test; ECE 15 bins on (lo, hi]; MC predictive with 2048 samples; predictive entropy computed on softmax of the averaged probabilities",
        [
            Row(ScallaMap, 0.9101, 0.2539, 0.0102, 0.1313, 0.7732, null),
            Row(ScallaLla, 0.9092, 0.2714, 0.0239, 0.1367, 0.8415, 0.9928),
            Row(Scalla, 0.9103, 0.2528, 0.0078, 0.1311, 0.7891, 0.7846),
            Row(ScallaBias, 0.9099, 0.2530, 0.0084, 0.1311, 0.8214, 0.9827),
        ]);

    /// <summary>VIKING, MNIST (LeNet, 55k/5k split).</summary>
    public static PaperTable VikingMnist { get; } = VikingTable("MNIST",
    [
        VikingRow(VikingMap, 0.986, 0.070, 0.247, 0.861),
        VikingRow(Viking, 0.991, 0.055, 0.096, 0.690),
        VikingRow(Miani, 0.949, 1.225, 0.666, 0.894),
        VikingRow(Ivon, 0.989, 0.043, 0.077, 0.651),
        VikingRow(LastLayerLa, 0.975, 0.090, 0.784, 0.887),
    ]);

    /// <summary>VIKING, FashionMNIST (LeNet, 55k/5k split).</summary>
    public static PaperTable VikingFmnist { get; } = VikingTable("FashionMNIST",
    [
        VikingRow(VikingMap, 0.883, 0.410, 0.153, 0.590),
        VikingRow(Viking, 0.900, 0.332, 0.075, 0.611),
        VikingRow(Miani, 0.871, 1.529, 0.617, 0.901),
        VikingRow(Ivon, 0.897, 0.335, 0.073, 0.683),
        VikingRow(LastLayerLa, 0.896, 0.339, 0.727, 0.902),
    ]);

    private static PaperTable VikingTable(string data, PaperRow[] rows) => new(
        "Fadel, Roy, Krämer, Zainchkovskyy, Syrota, Valverde Mahou, Ek, Hauberg, \"Deep variational inference with stochastic projections\", arXiv 2510.23684 (NeurIPS 2025)",
        $"{data} test, LeNet on a 55k/5k split; mean over seeds; NLL = expected log-likelihood; ECE/MCE laplace-redux style, 100 bins (confidences ≥ 0.99 not counted)",
        rows);

    private static PaperRow Row(string method, double acc, double nll, double ece, double brier, double aurocEntropy, double? aurocGaussian)
    {
        var v = new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["accuracy"] = acc, ["nll"] = nll, ["ece_scalla"] = ece, ["brier"] = brier, ["auroc_predictive_entropy"] = aurocEntropy,
        };
        if (aurocGaussian is { } g) v["auroc_gaussian_entropy"] = g;
        return new PaperRow(method, v);
    }

    private static PaperRow VikingRow(string method, double acc, double nll, double ece, double mce) => new(method,
        new Dictionary<string, double>(StringComparer.Ordinal) { ["accuracy"] = acc, ["expected_nll"] = nll, ["ece_redux"] = ece, ["mce_redux"] = mce });
}
