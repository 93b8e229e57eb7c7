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
    public static string Resolve(string? explicitRoot = null)
    {
        if (!string.IsNullOrEmpty(explicitRoot)) return Path.GetFullPath(explicitRoot);
        string? env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(env)) return Path.GetFullPath(env);
        string start = Directory.GetCurrentDirectory();
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
