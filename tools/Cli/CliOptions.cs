using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Tangent.Models.Data;

namespace Tangent.Cli;

/// <summary>
/// Option factories shared by the commands. Values are parsed here (invariant culture) so that a malformed value is
/// reported as "--NAME needs …, got 'VALUE'" instead of System.CommandLine's type names.
/// </summary>
internal static class CliOptions
{
    /// <summary>A string option (a path or a name); <paramref name="required"/> ones are checked by the parser.</summary>
    public static Option<string> Text(string name, string helpName, string description, bool required = false) =>
        new(name) { Description = description, HelpName = helpName, Required = required };

    /// <summary>An integer option ≥ <paramref name="min"/>.</summary>
    public static Option<int> Int(string name, string description, int fallback, int min) => new(name)
    {
        Description = description,
        HelpName = "N",
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseInt(r, name, min),
    };

    /// <summary>An optional integer option ≥ <paramref name="min"/> (null when absent: the caller's default applies).</summary>
    public static Option<int?> OptionalInt(string name, string description, int min) => new(name)
    {
        Description = description,
        HelpName = "N",
        CustomParser = r => ParseInt(r, name, min),
    };

    /// <summary>A non-negative finite number.</summary>
    public static Option<double> Double(string name, string description, double fallback) => new(name)
    {
        Description = description,
        HelpName = "X",
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseDouble(r, name),
    };

    /// <summary>An optional non-negative (or, when <paramref name="positive"/>, positive) finite number; null when absent.</summary>
    public static Option<double?> OptionalDouble(string name, string description, bool positive = false) => new(name)
    {
        Description = description,
        HelpName = "X",
        CustomParser = r => ParseDouble(r, name, positive),
    };

    /// <summary>A flag (no value).</summary>
    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>An optional choice among <paramref name="choices"/> (case-insensitive); null when absent.</summary>
    public static Option<T?> OptionalChoice<T>(string name, string description, IReadOnlyDictionary<string, T> choices) where T : struct => new(name)
    {
        Description = description,
        HelpName = string.Join("|", choices.Keys),
        CustomParser = r => ParseChoice(r, name, choices),
    };

    /// <summary>A choice among <paramref name="choices"/> (case-insensitive), mapped to its value.</summary>
    public static Option<T> Choice<T>(string name, string description, T fallback, IReadOnlyDictionary<string, T> choices) where T : struct => new(name)
    {
        Description = description,
        HelpName = string.Join("|", choices.Keys),
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseChoice(r, name, choices) ?? fallback,
    };

    /// <summary>A required name from <paramref name="names"/> (case-insensitive); anything else lists the valid ones.</summary>
    public static Option<string> Name(string name, string what, string description, IReadOnlyList<string> names) => new(name)
    {
        Description = description,
        HelpName = "NAME",
        Required = true,
        CustomParser = r =>
        {
            string s = r.Tokens[^1].Value;
            string? match = names.FirstOrDefault(n => string.Equals(n, s, StringComparison.OrdinalIgnoreCase));
            if (match is not null) return match;
            r.AddError($"unknown {what} '{s}'. Valid {what}s: {string.Join(", ", names)}.");
            return s;
        },
    };

    /// <summary><c>--data NAME</c>: a named data set (<see cref="DataSets.Names"/>).</summary>
    public static Option<string> Data(string description = "data set") =>
        Name("--data", "data set", $"{description}: {string.Join(", ", DataSets.Names)}", DataSets.Names);

    /// <summary><c>--data-root DIR</c>: where the data sets are (default: $TANGENT_DATA, else the nearest data/).</summary>
    public static Option<string> DataRoot() =>
        Text("--data-root", "DIR", $"directory holding the data sets (default: ${Tangent.Models.Data.DataRoot.EnvironmentVariable}, else the nearest data/)");

    /// <summary><c>--json PATH</c>: a JSON record of the run, written atomically at the end (checked writable first).</summary>
    public static Option<string> Json() => Text("--json", "PATH", "also write the results as JSON to PATH");

    private static T? ParseChoice<T>(ArgumentResult r, string name, IReadOnlyDictionary<string, T> choices) where T : struct
    {
        string s = r.Tokens[^1].Value;
        if (choices.TryGetValue(s.ToLowerInvariant(), out var v)) return v;
        r.AddError($"{name} must be one of {string.Join(", ", choices.Keys)}, got '{s}'.");
        return null;
    }

    private static int ParseInt(ArgumentResult r, string name, int min)
    {
        string s = r.Tokens[^1].Value;
        if (int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min) return v;
        r.AddError($"{name} needs an integer ≥ {min}, got '{s}'.");
        return min;
    }

    private static double ParseDouble(ArgumentResult r, string name, bool positive = false)
    {
        string s = r.Tokens[^1].Value;
        if (double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v) && (positive ? v > 0 : v >= 0)) return v;
        r.AddError($"{name} needs a {(positive ? "positive" : "non-negative")} number, got '{s}'.");
        return 0;
    }
}
