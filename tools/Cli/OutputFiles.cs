namespace Tangent.Cli;

/// <summary>
/// Output paths (<c>--out</c>, <c>--json</c>, <c>--plots</c>): checked before any work starts, so a long run never
/// ends in "cannot write"; written to a temporary file beside the target and renamed, so an interrupted run leaves
/// no half-written file.
/// </summary>
internal static class OutputFiles
{
    /// <summary>
    /// Throws (naming <paramref name="flag"/> and <paramref name="path"/>) unless a file can be created at
    /// <paramref name="path"/>: it is not a directory, and its nearest existing ancestor is a directory in which a
    /// file can be created (missing directories below it are created at write time). Creates nothing that stays.
    /// </summary>
    public static void CheckWritable(string? path, string flag)
    {
        if (path is null) return;
        if (path.Length == 0) throw new ArgumentException($"{flag} needs a file path, got ''.");
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"cannot write {flag} '{path}': it is a directory.");
        CheckDirectoryWritable(Path.GetDirectoryName(full)!, flag, path);
    }

    /// <summary>Like <see cref="CheckWritable"/> for a directory that files will be written into (created if missing).</summary>
    public static void CheckDirectoryWritable(string? directory, string flag) =>
        CheckDirectoryWritable(directory is null ? null : Path.GetFullPath(directory), flag, directory);

    private static void CheckDirectoryWritable(string? full, string flag, string? shown)
    {
        if (full is null) return;
        if (File.Exists(full)) throw new IOException($"cannot write {flag} '{shown}': '{full}' is a file, not a directory.");
        var dir = new DirectoryInfo(full);
        while (!dir.Exists)
        {
            if (File.Exists(dir.FullName)) throw new IOException($"cannot write {flag} '{shown}': '{dir.FullName}' is a file, not a directory.");
            dir = dir.Parent ?? throw new IOException($"cannot write {flag} '{shown}': no existing directory above it.");
        }
        string probe = Path.Combine(dir.FullName, $".tangent-write-check-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            string why = e is UnauthorizedAccessException ? " (permission denied)" : "";
            throw new IOException($"cannot write {flag} '{shown}': cannot create files in '{dir.FullName}'{why}.");
        }
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> atomically (temporary file, then rename), creating its directory.</summary>
    public static void WriteText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    /// <summary>Lets <paramref name="write"/> fill a temporary file beside <paramref name="path"/>, then renames it into place.</summary>
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
