namespace Tangent.Inference.Reports;

/// <summary>Files written to a temporary name beside the target and renamed into place, so an interrupted run never leaves half a file.</summary>
internal static class AtomicFile
{
    public static void WriteText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    public static void Copy(string source, string destination) => Write(destination, temp => File.Copy(source, temp, overwrite: true));

    public static void Write(string path, Action<string> write)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        string temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            write(temp);
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }
}
