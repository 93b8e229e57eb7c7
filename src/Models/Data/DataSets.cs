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
/// <item><term>cifar10</term><description><c>cifar10/</c> (or <c>cifar-10-batches-bin/</c>): <c>data_batch_1..5.bin</c>, <c>test_batch.bin</c>: [N, 3, 32, 32], 10 classes.</description></item>
/// <item><term>cifar100, cifar100-coarse</term><description><c>cifar100/</c> (or <c>cifar-100-binary/</c>): <c>train.bin</c>, <c>test.bin</c>: [N, 3, 32, 32], 100 fine or 20 coarse classes.</description></item>
/// <item><term>svhn</term><description><c>svhn/{train,test}_32x32.mat</c>: [N, 3, 32, 32], 10 classes.</description></item>
/// <item><term>boston, diabetes</term><description><c>sklearn/</c> tables: [F] features, one regression target (no test split).</description></item>
/// <item><term>iris, wine, breast-cancer</term><description><c>sklearn/</c> tables: [F] features, class labels (no test split).</description></item>
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
        new("cifar10", "CIFAR-10 binary version, 50k/10k 32×32 colour, 10 classes (supply the files yourself)",
            (root, split) => Cifar(root, split, "cifar10", CifarLabels.Cifar10)),
        new("cifar100", "CIFAR-100 binary version, 50k/10k 32×32 colour, 100 fine classes (supply the files yourself)",
            (root, split) => Cifar(root, split, "cifar100", CifarLabels.Cifar100Fine)),
        new("cifar100-coarse", "CIFAR-100 with its 20 coarse superclasses (supply the files yourself)",
            (root, split) => Cifar(root, split, "cifar100-coarse", CifarLabels.Cifar100Coarse)),
        new("svhn", "SVHN cropped digits (.mat), 73,257/26,032 32×32 colour, 10 classes (supply the files yourself)",
            (root, split) => SvhnReader.Read(Find(root, "svhn", $"svhn/{(split == DataSplit.Train ? "train" : "test")}_32x32.mat"), $"svhn/{Lower(split)}")),
        new("boston", "Boston housing (sklearn), 506 rows, 13 features, regression target MEDV (train only)", (root, split) =>
            CsvTable.Read(Find(root, "boston", TrainOnly("boston", split, "sklearn/boston_house_prices.csv")), new CsvOptions(SkipLines: 1))
                .ToRegression("MEDV", "boston")),
        new("diabetes", "diabetes (sklearn, raw), 442 rows, 10 features, regression target (train only)", (root, split) =>
            CsvTable.Read(Find(root, "diabetes", TrainOnly("diabetes", split, "sklearn/diabetes_data_raw.csv")), new CsvOptions(null, HasHeader: false))
                .Join(CsvTable.Read(Find(root, "diabetes", "sklearn/diabetes_target.csv"), new CsvOptions(null, HasHeader: false)), "target")
                .ToRegression("target0", "diabetes")),
        Tabular("iris", "iris (sklearn), 150 rows, 4 features, 3 classes (train only)", "sklearn/iris.csv", 3),
        Tabular("wine", "wine (sklearn), 178 rows, 13 features, 3 classes (train only)", "sklearn/wine_data.csv", 3),
        Tabular("breast-cancer", "breast cancer Wisconsin (sklearn), 569 rows, 30 features, 2 classes (train only)", "sklearn/breast_cancer.csv", 2),
    ];

    /// <summary>The valid names.</summary>
    public static IReadOnlyList<string> Names { get; } = Entries.Select(e => e.Name).ToArray();

    /// <summary>One line per name: "name: description".</summary>
    public static string Describe() => string.Join(Environment.NewLine, Entries.Select(e => $"{e.Name}: {e.Description}"));

    /// <summary>
    /// Loads data set <paramref name="name"/>'s <paramref name="split"/> from <paramref name="root"/> (default:
    /// <see cref="DataRoot.Resolve(string?)"/>). Unknown names list the valid ones; missing files are named together with
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

    /// <summary>
    /// The first of <paramref name="candidates"/> (each also tried with a <c>.gz</c> suffix) that exists under
    /// <paramref name="root"/>; otherwise a <see cref="FileNotFoundException"/> listing every path tried.
    /// </summary>
    public static string FindAny(string root, string set, params IReadOnlyList<string> candidates)
    {
        var tried = new List<string>();
        foreach (string relative in candidates)
        {
            string plain = Path.Combine(root, relative);
            if (File.Exists(plain)) return plain;
            if (File.Exists(plain + ".gz")) return plain + ".gz";
            tried.Add(plain);
        }
        throw new FileNotFoundException(
            $"data set '{set}': none of {string.Join(", ", tried)} exists (nor with .gz; data root {root}). " +
            "Run tools/get-data.sh to fetch FMNIST, MNIST, digits and the sklearn tables; other sets (KMNIST, CIFAR, SVHN) must be copied there by hand, " +
            "or set TANGENT_DATA to a directory that holds them.", tried.FirstOrDefault());
    }

    private static DataSet Cifar(string root, DataSplit split, string name, CifarLabels labels)
    {
        bool ten = labels == CifarLabels.Cifar10;
        string[] dirs = ten
            ? ["cifar10", "cifar10/cifar-10-batches-bin", "cifar-10-batches-bin"]
            : ["cifar100", "cifar100/cifar-100-binary", "cifar-100-binary"];
        string[] files = (ten, split) switch
        {
            (true, DataSplit.Train) => ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"],
            (true, _) => ["test_batch.bin"],
            (false, DataSplit.Train) => ["train.bin"],
            _ => ["test.bin"],
        };
        // All files of a split come from the directory where the first one is found.
        string first = FindAny(root, name, dirs.Select(d => $"{d}/{files[0]}").ToArray());
        string dir = Path.GetDirectoryName(first)!;
        var paths = files.Select(f => Find(dir, name, f)).ToArray();
        return CifarReader.Read($"{name}/{Lower(split)}", labels, paths);
    }

    private static Entry Tabular(string name, string description, string relative, int classes) => new(name, description, (root, split) =>
    {
        // sklearn's classification tables: a "rows,features,class names…" line, then rows of features and the label.
        var table = CsvTable.Read(Find(root, name, TrainOnly(name, split, relative)), new CsvOptions(SkipLines: 1, HasHeader: false));
        return table.ToClassification(table.Columns[^1], classes, name);
    });

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
