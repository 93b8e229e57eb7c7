using System.Globalization;
using System.Text;
using Tangent.Engine;

namespace Tangent.Models.Data;

/// <summary>How to read a delimited text table.</summary>
/// <param name="Delimiter">The field separator, or null for runs of whitespace (e.g. sklearn's <c>diabetes_data_raw.csv</c>).</param>
/// <param name="SkipLines">Lines to skip before the header (sklearn's tables start with a "rows,columns,…" line).</param>
/// <param name="HasHeader">Whether the first line read holds the column names (otherwise they are "0", "1", …).</param>
public sealed record CsvOptions(char? Delimiter = ',', int SkipLines = 0, bool HasHeader = true)
{
    /// <summary>Comma-separated with a header row.</summary>
    public static CsvOptions Default { get; } = new();
}

/// <summary>
/// A numeric table read from a delimited text file: named columns of doubles. Fields may be double-quoted (with
/// <c>""</c> for a quote); every data field must parse as a number (invariant culture); the errors name the file,
/// the line and the column.
/// </summary>
public sealed class CsvTable
{
    private CsvTable(string source, string[] columns, double[][] rows)
    {
        Source = source;
        Columns = columns;
        Rows = rows;
    }

    /// <summary>The file read.</summary>
    public string Source { get; }

    /// <summary>Column names.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>Rows of values.</summary>
    public IReadOnlyList<double[]> Rows { get; }

    /// <summary>Reads <paramref name="path"/> (raw or gzip-compressed).</summary>
    public static CsvTable Read(string path, CsvOptions? options = null)
    {
        options ??= CsvOptions.Default;
        ArgumentOutOfRangeException.ThrowIfNegative(options.SkipLines);
        byte[] bytes = IdxReader.ReadAllBytes(path);
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8);
        string[]? columns = null;
        var rows = new List<double[]>();
        int lineNo = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            if (lineNo <= options.SkipLines || line.Trim().Length == 0) continue;
            var fields = Split(path, lineNo, line, options.Delimiter);
            if (columns is null && options.HasHeader)
            {
                columns = fields.Select(f => f.Trim()).ToArray();
                var dup = columns.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1);
                if (dup is not null) throw new DataFormatException($"{path}, line {lineNo}: column name '{dup.Key}' appears twice in the header.");
                continue;
            }
            columns ??= Enumerable.Range(0, fields.Count).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
            if (fields.Count != columns.Length)
                throw new DataFormatException($"{path}, line {lineNo}: {fields.Count} fields, expected {columns.Length} ({(options.HasHeader ? "as in the header" : "as in the first row")}).");
            var row = new double[fields.Count];
            for (int c = 0; c < fields.Count; c++)
            {
                string f = fields[c].Trim();
                if (!double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out row[c]) || !double.IsFinite(row[c]))
                    throw new DataFormatException($"{path}, line {lineNo}, column {c + 1} ('{columns[c]}'): '{f}' is not a finite number.");
            }
            rows.Add(row);
        }
        if (rows.Count == 0) throw new DataFormatException($"{path} has no data rows.");
        return new CsvTable(path, columns!, rows.ToArray());
    }

    /// <summary>The index of column <paramref name="name"/> (or a numeric index given as text); an unknown one lists the columns.</summary>
    public int ColumnIndex(string name)
    {
        for (int i = 0; i < Columns.Count; i++)
            if (Columns[i] == name) return i;
        if (int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k < Columns.Count) return k;
        throw new ArgumentException($"{Source}: no column '{name}' (columns: {string.Join(", ", Columns)}).");
    }

    /// <summary>
    /// A regression set: every column but <paramref name="target"/> as the [F] inputs (in file order), the target
    /// column as the one target value per sample.
    /// </summary>
    public DataSet ToRegression(string target, string? name = null)
    {
        int t = ColumnIndex(target);
        int f = Columns.Count - 1;
        if (f == 0) throw new ArgumentException($"{Source}: the table has only the target column '{target}'.");
        var x = new float[(long)Rows.Count * f];
        var y = new float[Rows.Count];
        for (int i = 0; i < Rows.Count; i++)
        {
            int k = 0;
            for (int c = 0; c < Columns.Count; c++)
                if (c == t) y[i] = (float)Rows[i][c];
                else x[(long)i * f + k++] = (float)Rows[i][c];
        }
        return new DataSet(name ?? Path.GetFileNameWithoutExtension(Source), x, new Shape(f), [], 0, y, 1);
    }

    /// <summary>
    /// A classification set: every column but <paramref name="label"/> as the [F] inputs, the label column holding
    /// integers in [0, <paramref name="classCount"/>).
    /// </summary>
    public DataSet ToClassification(string label, int classCount, string? name = null)
    {
        int t = ColumnIndex(label);
        int f = Columns.Count - 1;
        if (f == 0) throw new ArgumentException($"{Source}: the table has only the label column '{label}'.");
        var x = new float[(long)Rows.Count * f];
        var y = new int[Rows.Count];
        for (int i = 0; i < Rows.Count; i++)
        {
            int k = 0;
            for (int c = 0; c < Columns.Count; c++)
                if (c != t) x[(long)i * f + k++] = (float)Rows[i][c];
            double v = Rows[i][t];
            if (v < 0 || v >= classCount || v != Math.Floor(v))
                throw new DataFormatException($"{Source}, data row {i + 1}, column '{Columns[t]}': label {v} is not an integer in [0, {classCount}).");
            y[i] = (int)v;
        }
        return new DataSet(name ?? Path.GetFileNameWithoutExtension(Source), x, new Shape(f), y, classCount);
    }

    /// <summary>The columns of this table followed by those of <paramref name="other"/> (same number of rows), e.g. sklearn's separate data and target files.</summary>
    public CsvTable Join(CsvTable other, string? rightPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Rows.Count != Rows.Count)
            throw new DataFormatException($"{Source} has {Rows.Count} rows but {other.Source} has {other.Rows.Count}; they cannot be joined.");
        var cols = Columns.Concat(other.Columns.Select(c => (rightPrefix ?? "") + c)).ToArray();
        var dup = cols.GroupBy(c => c).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new ArgumentException($"joining {Source} and {other.Source} gives column '{dup.Key}' twice; pass a prefix.");
        var rows = Rows.Select((r, i) => r.Concat(other.Rows[i]).ToArray()).ToArray();
        return new CsvTable($"{Source} + {other.Source}", cols, rows);
    }

    /// <summary>Splits one line into fields (RFC 4180 quoting for a character delimiter; whitespace runs otherwise).</summary>
    private static List<string> Split(string path, int lineNo, string line, char? delimiter)
    {
        if (delimiter is null) return line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
        char sep = delimiter.Value;
        var fields = new List<string>();
        var sb = new StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char ch = line[i];
            if (quoted)
            {
                if (ch != '"') sb.Append(ch);
                else if (i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i++; }
                else quoted = false;
            }
            else if (ch == '"' && sb.ToString().Trim().Length == 0) { sb.Clear(); quoted = true; }
            else if (ch == sep) { fields.Add(sb.ToString()); sb.Clear(); }
            else sb.Append(ch);
        }
        if (quoted) throw new DataFormatException($"{path}, line {lineNo}: a quoted field is not closed.");
        fields.Add(sb.ToString());
        return fields;
    }
}
