namespace Tangent.Models.Data;

/// <summary>Which part of a named data set to load.</summary>
public enum DataSplit
{
    /// <summary>The training set (all rows for sets without an official split).</summary>
    Train,
    /// <summary>The test set.</summary>
    Test,
}

/// <summary>
/// Named data sets resolved under a data root (<see cref="DataRoot"/>), in the layout <c>tools/get-data.sh</c>
/// writes. Each file may also be present gzip-compressed with a <c>.gz</c> suffix.
/// </summary>
/// <remarks>
/// <list type="table">
/// <item><term>fmnist, mnist, kmnist</term><description><c>NAME/{train,t10k}-{images-idx3,labels-idx1}-ubyte</c>: [N, 1, 28, 28], 10 classes.</description></item>
/// <item><term>digits</term><description><c>digits/digits.csv</c>: 1797 images [1, 8, 8], 10 classes (no test split).</description></item>
/// <item><term>digits28</term><description>the same upscaled bilinearly to [1, 28, 28] (context points for 28×28 models).</description></item>
/// </list>
/// </remarks>
public static class DataSets
{
    private sealed record Entry(string Name, string Description, Func<string, DataSplit, DataSet> Load);

    private static readonly Entry[] Entries =
    [
        Idx("fmnist", "Fashion-MNIST, 60k/10k 28×28 grey, 10 classes"),
        Idx("mnist", "MNIST, 60k/10k 28×28 grey, 10 classes"),
        Idx("kmnist", "Kuzushiji-MNIST, 60k/10k 28×28 grey, 10 classes (supply the files yourself)"),
        new("digits", "sklearn 8×8 digits, 1797 images, 10 classes (train only)", (root, split) => Digits(root, split, 8)),
        new("digits28", "sklearn digits upscaled bilinearly to 28×28 (train only)", (root, split) => Digits(root, split, 28)),
    ];

    /// <summary>The valid names.</summary>
    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    /// <summary>One line per name: "name: description".</summary>
    public static string Describe() => string.Join(Environment.NewLine, Entries.Select(e => $"{e.Name}: {e.Description}"));

    /// <summary>
    /// Loads data set <paramref name="name"/>'s <paramref name="split"/> from <paramref name="root"/> (default:
    /// <see cref="DataRoot.Resolve"/>). Unknown names list the valid ones; missing files are named together with
    /// the places looked at and the hint to run <c>tools/get-data.sh</c>.
    /// </summary>
    public static DataSet Load(string name, DataSplit split, string? root = null)
    {
        var entry = Entries.FirstOrDefault(e => string.Equals(e.Name, name, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"unknown data set '{name}'; valid names: {string.Join(", ", Names)}.", nameof(name));
        return entry.Load(DataRoot.Resolve(root), split);
    }

    /// <summary>
    /// The training set split into training and validation parts: the first <paramref name="trainCount"/>
    /// samples and the rest (MNIST-like sets: 55,000 / 5,000), optionally after a seeded permutation.
    /// </summary>
    public static (DataSet Train, DataSet Validation) LoadWithValidation(string name, int trainCount, ulong? seed = null, string? root = null)
    {
        var all = Load(name, DataSplit.Train, root);
        var (train, validation) = all.Split(trainCount, seed);
        return (train, validation);
    }

    /// <summary>
    /// The path of a file of data set <paramref name="set"/> under <paramref name="root"/>: <paramref name="relative"/>
    /// itself or with a <c>.gz</c> suffix; otherwise a <see cref="FileNotFoundException"/> naming both candidates.
    /// </summary>
    public static string Find(string root, string set, string relative)
    {
        string plain = Path.Combine(root, relative);
        if (File.Exists(plain)) return plain;
        string gz = plain + ".gz";
        if (File.Exists(gz)) return gz;
        throw new FileNotFoundException(
            $"data set '{set}': neither {plain} nor {gz} exists (data root {root}). " +
            "Run tools/get-data.sh to fetch FMNIST, MNIST, digits and the sklearn tables; other sets (KMNIST, CIFAR, SVHN) must be copied there by hand, " +
            "or set TANGENT_DATA to a directory that holds them.", plain);
    }

    private static Entry Idx(string name, string description) => new(name, description, (root, split) =>
    {
        string prefix = split == DataSplit.Train ? "train" : "t10k";
        return IdxReader.ReadDataSet($"{name}/{Lower(split)}",
            Find(root, name, $"{name}/{prefix}-images-idx3-ubyte"),
            Find(root, name, $"{name}/{prefix}-labels-idx1-ubyte"), 10);
    });

    private static DataSet Digits(string root, DataSplit split, int side) =>
        DigitsReader.Read(Find(root, "digits", TrainOnly(side == 8 ? "digits" : "digits28", split, "digits/digits.csv")), side, side == 8 ? "digits" : "digits28");

    private static string TrainOnly(string name, DataSplit split, string relative) => split == DataSplit.Train
        ? relative
        : throw new ArgumentException($"data set '{name}' has no test split; load the train split and divide it with DataSet.Split.");

    private static string Lower(DataSplit split) => split == DataSplit.Train ? "train" : "test";
}
