namespace Tangent.Models.Data;

/// <summary>Where named data sets live: <c>$TANGENT_DATA</c>, else the first <c>data/</c> directory found walking up from the current directory.</summary>
public static class DataRoot
{
    /// <summary>The environment variable that overrides the search.</summary>
    public const string EnvironmentVariable = "TANGENT_DATA";

    /// <summary>
    /// The data root: <paramref name="explicitRoot"/> when given, else <c>$TANGENT_DATA</c>, else the nearest
    /// <c>data/</c> directory in the current directory or one of its ancestors. Throws naming the places looked at
    /// when there is none.
    /// </summary>
    public static string Resolve(string? explicitRoot = null) =>
        Resolve(explicitRoot, Environment.GetEnvironmentVariable(EnvironmentVariable), Directory.GetCurrentDirectory());

    /// <summary><see cref="Resolve(string?)"/> with the environment variable's value and the current directory given.</summary>
    internal static string Resolve(string? explicitRoot, string? environment, string start)
    {
        if (!string.IsNullOrEmpty(explicitRoot)) return Path.GetFullPath(explicitRoot);
        if (!string.IsNullOrEmpty(environment)) return Path.GetFullPath(environment);
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        throw new DirectoryNotFoundException(
            $"no data directory: {EnvironmentVariable} is not set and there is no 'data/' in {start} or any parent. " +
            "Run tools/get-data.sh in the repository (it creates data/), or set TANGENT_DATA to the directory holding the data sets.");
    }
}
