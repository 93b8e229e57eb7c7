using System.Diagnostics;

namespace Tangent.Cli.Tests;

/// <summary>
/// The same errors through the <c>tools/tangent</c> launcher script, as a user meets them: exit code 2 and one line on
/// stderr. The launcher rebuilds the program only when a source is newer than it (the CI build makes it current).
/// </summary>
public sealed class LauncherTests
{
    private static (int Code, string Out, string Err) Launch(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("bash") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(CliRunner.RepositoryRoot(), "tools", "tangent"));
        foreach (var a in args) start.ArgumentList.Add(a);
        if (environment is not null)
            foreach (var (k, v) in environment)
                if (v is null) start.Environment.Remove(k); else start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "tools/tangent did not finish");
        // The launcher may say that it is building first; the program's own lines follow.
        string err = string.Join('\n', stderr.Result.Split('\n').Where(l => !l.StartsWith("tangent: building", StringComparison.Ordinal)));
        return (process.ExitCode, stdout.Result, err);
    }

    private static (int, string, string) Launch(params string[] args) => Launch(CliRunner.RepositoryRoot(), null, args);

    [Fact]
    public void ParseErrorsExitWithCodeTwoAndOneLine()
    {
        Assert.Contains("unknown command 'trian'", CliRunner.AssertUserError(Launch("trian"), ""));
        Assert.Contains("--epochs needs an integer ≥ 1, got 'ten'",
            CliRunner.AssertUserError(Launch("train", "--model", "lenet", "--data", "mnist", "--epochs", "ten"), "train"));
        var (code, output, _) = Launch("evaluate", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--model", output);
    }

    [Fact]
    public void CorruptDataAndMissingDataRootExitWithCodeTwoAndOneLine()
    {
        string root = CliRunner.DataRoot();
        string labels = Path.Combine(root, "fmnist", "train-labels-idx1-ubyte");
        File.WriteAllBytes(labels, [0, 0, 8, 3, 0, 0, 0, 1]);
        string line = CliRunner.AssertUserError(Launch("train", "--model", "lenet", "--data", "fmnist", "--data-root", root, "--epochs", "1"), "train");
        Assert.Contains(labels, line);

        // No TANGENT_DATA and no data/ above the working directory.
        string empty = CliRunner.TempDirectory();
        line = CliRunner.AssertUserError(Launch(empty, new Dictionary<string, string?> { ["TANGENT_DATA"] = null },
            "train", "--model", "lenet", "--data", "fmnist", "--epochs", "1"), "train");
        Assert.Contains("TANGENT_DATA", line);
    }

    [Fact]
    public void UnwritableJsonIsRefusedBeforeWork()
    {
        string root = CliRunner.DataRoot();
        string blocker = Path.Combine(root, "plain-file");
        File.WriteAllText(blocker, "");
        var result = Launch("train", "--model", "lenet", "--data", "fmnist", "--data-root", root, "--epochs", "1", "--json", Path.Combine(blocker, "x.json"));
        Assert.Contains("cannot write --json", CliRunner.AssertUserError(result, "train"));
        Assert.DoesNotContain("epoch", result.Item2);
    }
}
