using Tangent.Models.Data;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests.Data;

/// <summary>The named sets beyond the IDX ones, resolved from a synthetic data root laid out as the tarballs unpack.</summary>
public class NamedImageSetsTests
{
    private static byte[] Records(int count, int labelBytes, byte label) =>
        Enumerable.Range(0, count).SelectMany(n => Enumerable.Repeat(label, labelBytes).Concat(Enumerable.Repeat((byte)n, 3072))).ToArray();

    [Fact]
    public void Cifar10IsFoundInTheTarballDirectoryAndConcatenatesFiveBatches()
    {
        string root = TestPaths.NewTempDirectory();
        string dir = Path.Combine(root, "cifar-10-batches-bin");
        Directory.CreateDirectory(dir);
        for (int b = 1; b <= 5; b++) File.WriteAllBytes(Path.Combine(dir, $"data_batch_{b}.bin"), Records(2, 1, (byte)b));
        File.WriteAllBytes(Path.Combine(dir, "test_batch.bin"), Records(3, 1, 9));
        var train = DataSets.Load("cifar10", DataSplit.Train, root);
        Assert.Equal([1, 1, 2, 2, 3, 3, 4, 4, 5, 5], train.Labels);
        Assert.Equal(3, DataSets.Load("cifar10", DataSplit.Test, root).Count);
        File.Delete(Path.Combine(dir, "data_batch_4.bin"));
        var e = Assert.Throws<FileNotFoundException>(() => DataSets.Load("cifar10", DataSplit.Train, root));
        Assert.Contains("data_batch_4.bin", e.Message);
    }

    [Fact]
    public void Cifar100FineAndCoarseShareFiles()
    {
        string root = TestPaths.NewTempDirectory();
        Directory.CreateDirectory(Path.Combine(root, "cifar100"));
        File.WriteAllBytes(Path.Combine(root, "cifar100", "test.bin"), Records(2, 2, 7));
        Assert.Equal([7, 7], DataSets.Load("cifar100", DataSplit.Test, root).Labels);
        Assert.Equal(20, DataSets.Load("cifar100-coarse", DataSplit.Test, root).ClassCount);
    }

    [Fact]
    public void MissingCifarOrSvhnListsEveryPathTriedAndTheScript()
    {
        string root = TestPaths.NewTempDirectory();
        var e = Assert.Throws<FileNotFoundException>(() => DataSets.Load("cifar10", DataSplit.Test, root));
        foreach (string d in new[] { "cifar10", Path.Combine("cifar10", "cifar-10-batches-bin"), "cifar-10-batches-bin" })
            Assert.Contains(Path.Combine(root, d, "test_batch.bin"), e.Message);
        Assert.Contains("tools/get-data.sh", e.Message);
        var s = Assert.Throws<FileNotFoundException>(() => DataSets.Load("svhn", DataSplit.Test, root));
        Assert.Contains(Path.Combine("svhn", "test_32x32.mat"), s.Message);
    }

    [Fact]
    public void SvhnAndTabularSetsLoadByName()
    {
        string root = TestPaths.NewTempDirectory();
        Directory.CreateDirectory(Path.Combine(root, "svhn"));
        File.WriteAllBytes(Path.Combine(root, "svhn", "test_32x32.mat"), new MatWriter()
            .AddBytes("X", [32, 32, 3, 2], new byte[6144])
            .Add("y", MatClass.Double, [2, 1], MatDataType.Double, [10, 2]).ToBytes(compressAll: true));
        Assert.Equal([0, 2], DataSets.Load("svhn", DataSplit.Test, root).Labels);

        Directory.CreateDirectory(Path.Combine(root, "sklearn"));
        File.WriteAllText(Path.Combine(root, "sklearn", "boston_house_prices.csv"), "2,2,,\n\"CRIM\",\"ZN\",\"MEDV\"\n0.1,18,24\n0.2,0,21.6\n");
        var boston = DataSets.Load("boston", DataSplit.Train, root);
        Assert.Equal([24f, 21.6f], boston.Targets!);
        Assert.Equal([0.1f, 18f, 0.2f, 0f], boston.Inputs);
        Assert.Throws<ArgumentException>(() => DataSets.Load("boston", DataSplit.Test, root));

        File.WriteAllText(Path.Combine(root, "sklearn", "diabetes_data_raw.csv"), "59 2 32.1\n48 1 21.6\n");
        File.WriteAllText(Path.Combine(root, "sklearn", "diabetes_target.csv"), "1.51e+02\n7.5e+01\n");
        var diabetes = DataSets.Load("diabetes", DataSplit.Train, root);
        Assert.Equal([151f, 75f], diabetes.Targets!);
        Assert.Equal(3, diabetes.SampleSize);

        File.WriteAllText(Path.Combine(root, "sklearn", "iris.csv"), "2,2,setosa,versicolor,virginica\n5.1,3.5,0\n6.3,2.9,2\n");
        var iris = DataSets.Load("iris", DataSplit.Train, root);
        Assert.Equal([0, 2], iris.Labels);
        Assert.Equal(3, iris.ClassCount);
    }
}
