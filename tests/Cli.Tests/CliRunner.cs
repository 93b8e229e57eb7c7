using Tangent.Cli;

namespace Tangent.Cli.Tests;

/// <summary>Tests that run the program in-process share the console, so they run one at a time in this collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}

/// <summary>Runs <c>tangent</c> in-process with the console captured, and builds data roots from the committed fixtures.</summary>
internal static class CliRunner
{
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var (o, e) = (Console.Out, Console.Error);
        var (so, se) = (new StringWriter(), new StringWriter());
        Console.SetOut(so);
        Console.SetError(se);
        try
        {
            int code = CommandLine.Run(args);
            return (code, so.ToString(), se.ToString());
        }
        finally
        {
            Console.SetOut(o);
            Console.SetError(e);
        }
    }

    /// <summary>The repository root (holds tools/tangent and tests/data).</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "tools", "tangent")) && Directory.Exists(Path.Combine(dir.FullName, "tests", "data", "fmnist")))
                return dir.FullName;
        throw new DirectoryNotFoundException("repository root (tools/tangent, tests/data) not found above the test binaries");
    }

    /// <summary>A fresh temporary directory.</summary>
    public static string TempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "tangent-cli-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A data root with <c>fmnist/</c> and <c>mnist/</c> whose train and t10k files are both the fixture's 256 test images, and the digits fixture.</summary>
    public static string DataRoot()
    {
        string root = TempDirectory();
        foreach (string set in new[] { "fmnist", "mnist" })
        {
            string dir = Path.Combine(root, set);
            Directory.CreateDirectory(dir);
            foreach (var kind in new[] { "images-idx3", "labels-idx1" })
            {
                string src = Path.Combine(RepositoryRoot(), "tests", "data", set, $"t10k-{kind}-ubyte");
                File.Copy(src, Path.Combine(dir, $"t10k-{kind}-ubyte"));
                File.Copy(src, Path.Combine(dir, $"train-{kind}-ubyte"));
            }
        }
        Directory.CreateDirectory(Path.Combine(root, "digits"));
        File.Copy(Path.Combine(RepositoryRoot(), "tests", "data", "digits", "digits.csv"), Path.Combine(root, "digits", "digits.csv"));
        return root;
    }

    /// <summary>
    /// A checkpoint of zoo model <paramref name="model"/> (configuration <paramref name="config"/>, k=v;…) with small
    /// deterministic weights θ_i = 0.05·sin(i), so predictions vary between inputs, in <paramref name="directory"/>;
    /// <paramref name="edit"/> may change θ before it is saved.
    /// </summary>
    public static string Checkpoint(string directory, string model, string? config = null, Action<float[]>? edit = null)
    {
        var zoo = Tangent.Models.Zoo.ModelZoo.Create(model, Tangent.Models.Zoo.ModelConfig.Parse(config));
        var theta = new float[zoo.Network.ParameterCount];
        for (int i = 0; i < theta.Length; i++) theta[i] = 0.05f * MathF.Sin(i);
        edit?.Invoke(theta);
        string path = Path.Combine(directory, $"{model}-{Guid.NewGuid():N}.safetensors");
        Tangent.Models.Zoo.ZooCheckpoint.Save(path, zoo, theta, zoo.Network.InitialState());
        return path;
    }

    /// <summary>An fmnist-cnn checkpoint as <see cref="Checkpoint"/> makes it.</summary>
    public static string FmnistCnnCheckpoint(string directory, Action<float[]>? edit = null) => Checkpoint(directory, "fmnist-cnn", null, edit);

    /// <summary>Asserts the shape of every user error: exit code 2, one line on stderr starting "tangent CMD: ", nothing else.</summary>
    public static string AssertUserError((int Code, string Out, string Err) result, string command)
    {
        Assert.True(result.Code == 2, $"exit code {result.Code}; stderr: {result.Err}");
        string[] lines = result.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one line on stderr, got {lines.Length}: {result.Err}");
        Assert.StartsWith(command.Length == 0 ? "tangent: " : $"tangent {command}: ", lines[0]);
        Assert.DoesNotContain("   at ", result.Err);
        return lines[0];
    }
}
