using Tangent.Models.Data;
using Tangent.Models.Tests.Support;

namespace Tangent.Models.Tests.Data;

public class CsvTableTests
{
    private static string Write(string text, string name = "t.csv")
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void ReadsAHeaderedTableAndSplitsOffTheTarget()
    {
        // The shape of sklearn's boston_house_prices.csv: a counts line, a quoted header, numeric rows.
        string path = Write("3,2,,\n\"A\",\"MEDV\",\"B\"\n1.5,24,-3\n2,21.6,4e-1\n\n0,34.7,7\n");
        var t = CsvTable.Read(path, new CsvOptions(SkipLines: 1));
        Assert.Equal(["A", "MEDV", "B"], t.Columns);
        Assert.Equal(3, t.Rows.Count);
        var d = t.ToRegression("MEDV", "toy");
        Assert.False(d.IsClassification);
        Assert.Equal(new Tangent.Engine.Shape(2), d.SampleShape);
        Assert.Equal([1.5f, -3f, 2f, 0.4f, 0f, 7f], d.Inputs);
        Assert.Equal([24f, 21.6f, 34.7f], d.Targets!);
        Assert.Equal(1, d.TargetSize);
    }

    [Fact]
    public void ReadsWhitespaceTablesWithoutHeaderAndJoinsTargets()
    {
        string data = Write("59 2 32.1\n48   1\t21.6\n", "data.csv");
        string target = Write("1.51e+02\n7.5e1\n", "target.csv");
        var ws = new CsvOptions(null, HasHeader: false);
        var t = CsvTable.Read(data, ws).Join(CsvTable.Read(target, ws), "target");
        Assert.Equal(["0", "1", "2", "target0"], t.Columns);
        var d = t.ToRegression("target0");
        Assert.Equal([59f, 2f, 32.1f, 48f, 1f, 21.6f], d.Inputs);
        Assert.Equal([151f, 75f], d.Targets!);
        var shortTarget = Write("1\n", "short.csv");
        Assert.Contains("has 2 rows but", Assert.Throws<DataFormatException>(() => CsvTable.Read(data, ws).Join(CsvTable.Read(shortTarget, ws))).Message);
    }

    [Fact]
    public void HandlesQuotedFieldsWithDelimitersAndEscapedQuotes()
    {
        string path = Write("\"a,b\",\"say \"\"hi\"\"\"\n1,2\n");
        Assert.Equal(["a,b", "say \"hi\""], CsvTable.Read(path).Columns);
        Assert.Contains("line 1: a quoted field is not closed", Assert.Throws<DataFormatException>(() => CsvTable.Read(Write("\"a,b\n1\n"))).Message);
    }

    [Fact]
    public void ABadValueNamesTheLineAndColumn()
    {
        string path = Write("x,y,z\n1,2,3\n4,abc,6\n");
        var e = Assert.Throws<DataFormatException>(() => CsvTable.Read(path));
        Assert.Contains($"{path}, line 3, column 2 ('y'): 'abc' is not a finite number", e.Message);
        Assert.Contains("line 2, column 3 ('z'): 'NaN'", Assert.Throws<DataFormatException>(() => CsvTable.Read(Write("x,y,z\n1,2,NaN\n"))).Message);
        Assert.Contains("line 3: 2 fields, expected 3 (as in the header)", Assert.Throws<DataFormatException>(() => CsvTable.Read(Write("x,y,z\n1,2,3\n1,2\n"))).Message);
        Assert.Contains("column name 'x' appears twice", Assert.Throws<DataFormatException>(() => CsvTable.Read(Write("x,x\n1,2\n"))).Message);
        Assert.Contains("has no data rows", Assert.Throws<DataFormatException>(() => CsvTable.Read(Write("x,y\n"))).Message);
    }

    [Fact]
    public void UnknownTargetListsTheColumns()
    {
        var t = CsvTable.Read(Write("x,y\n1,2\n"));
        var e = Assert.Throws<ArgumentException>(() => t.ToRegression("MEDV"));
        Assert.Contains("no column 'MEDV' (columns: x, y)", e.Message);
        var byIndex = t.ToRegression("0"); // a numeric index selects column 0 (x) as the target
        Assert.Equal([1f], byIndex.Targets!);
        Assert.Equal([2f], byIndex.Inputs);
    }

    [Fact]
    public void ClassificationLabelsMustBeClassIndices()
    {
        var t = CsvTable.Read(Write("3,2,a,b\n0.5,1.5,0\n2.5,3.5,1\n1,1,1\n"), new CsvOptions(SkipLines: 1, HasHeader: false));
        var d = t.ToClassification("2", 2);
        Assert.Equal([0, 1, 1], d.Labels);
        Assert.Equal([0.5f, 1.5f, 2.5f, 3.5f, 1f, 1f], d.Inputs);
        var bad = CsvTable.Read(Write("0.5,1.5,2\n"), new CsvOptions(HasHeader: false));
        Assert.Contains("data row 1, column '2': label 2 is not an integer in [0, 2)", Assert.Throws<DataFormatException>(() => bad.ToClassification("2", 2)).Message);
    }
}
