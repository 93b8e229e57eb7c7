using Tangent.Engine;
using Tangent.Models.Data;
using Tangent.Models.Zoo;

namespace Tangent.Cli;

/// <summary>
/// The out-of-distribution set of <c>tangent evaluate --ood</c>: a named data set (its test split, or its only split
/// for sets without one, such as <c>digits28</c>) or a path to an IDX image file whose images have the model's size.
/// </summary>
internal static class OodSets
{
    /// <summary>Loads <paramref name="value"/> (a name or a path) as inputs for <paramref name="model"/>; labels are not used.</summary>
    public static DataSet Load(string value, string? root, ZooModel model)
    {
        var input = model.Network.InputShape;
        if (DataSets.Names.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            DataSet data;
            try
            {
                data = DataSets.Load(value, DataSplit.Test, root);
            }
            catch (ArgumentException)
            {
                data = DataSets.Load(value, DataSplit.Train, root); // a set without a test split: all of it
            }
            if (data.SampleShape != input)
                throw new ArgumentException($"--ood {value}: its inputs are {data.SampleShape} but model {model.Name} takes {input}.");
            return data;
        }
        if (!File.Exists(value))
            throw new FileNotFoundException(
                $"--ood '{value}' is neither a data set name ({string.Join(", ", DataSets.Names)}) nor an existing IDX image file.", value);
        var images = IdxReader.ReadImages(value);
        if (input.Rank != 3 || input[0] != 1 || input[1] != images.Rows || input[2] != images.Columns)
            throw new ArgumentException(
                $"--ood '{value}' holds {images.Rows}×{images.Columns} images but model {model.Name} takes inputs {input}.");
        if (images.Count == 0) throw new ArgumentException($"--ood '{value}' holds no images.");
        return DataSet.FromBytes(Path.GetFileName(value), images.Pixels, new Shape(1, images.Rows, images.Columns), new int[images.Count], 1);
    }
}
