namespace Tangent.Models.Tests.Support;

/// <summary>Locations of the committed fixtures and a scratch directory per test class.</summary>
public static class TestPaths
{
    /// <summary>The repository's <c>tests/data</c> directory, found by walking up from the test binary.</summary>
    public static string Fixtures { get; } = FindFixtures();

    /// <summary>A fresh empty temporary directory (deleted by the caller or left to the OS temp cleaner).</summary>
    public static string NewTempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tangent-models-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindFixtures()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "data");
            if (Directory.Exists(Path.Combine(candidate, "fmnist"))) return candidate;
        }
        throw new DirectoryNotFoundException($"tests/data not found above {AppContext.BaseDirectory}.");
    }
}
