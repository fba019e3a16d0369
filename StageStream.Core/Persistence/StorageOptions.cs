namespace StageStream.Core.Persistence;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The one folder that holds the database and the media; relative paths are under the content root.</summary>
    public string DataPath { get; set; } = "data";

    /// <summary>
    /// Where the media files live, if not in <c>{DataPath}/media</c>: on several hosts, a folder every host mounts
    /// (each host keeping its own data folder). Relative paths are under the content root.
    /// </summary>
    public string? MediaRoot { get; set; }

    /// <summary>Below this much free space on the data folder's disk, <c>/health</c> reports it Unhealthy.</summary>
    public int MinFreeMegabytes { get; set; } = 200;
}

/// <summary>The resolved data folder: the database file and media files live here (or media in a shared media root).</summary>
public sealed class DataFolder
{
    /// <summary>The ending of a media file being written; it becomes the file only once complete.</summary>
    public const string PartialSuffix = ".part";

    /// <exception cref="DataFolderException">The folder or its media folder cannot be created.</exception>
    public DataFolder(string root, string? mediaRoot = null)
    {
        Root = Path.GetFullPath(root);
        MediaRoot = Path.GetFullPath(mediaRoot ?? Path.Combine(Root, "media"));
        if (File.Exists(Root))
        {
            throw new DataFolderException(Root, "it is a file, not a folder", "Move the file away or set Storage:DataPath to a folder.");
        }
        try
        {
            Directory.CreateDirectory(Root);
            Directory.CreateDirectory(MediaRoot);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DataFolderException(Root, $"it cannot be created ({e.Message})", DataFolderException.MakeWritable);
        }
    }

    public string Root { get; }
    public const string DatabaseFileName = "stagestream.db";

    public string DatabasePath => Path.Combine(Root, DatabaseFileName);

    /// <summary>The media store: <c>{Root}/media</c>, or <c>Storage:MediaRoot</c> when set (a folder all hosts share).</summary>
    public string MediaRoot { get; }

    public bool MediaIsShared => !string.Equals(MediaRoot, Path.Combine(Root, "media"), StringComparison.Ordinal);

    /// <summary>The folder of one project's media, created on demand.</summary>
    public string ProjectMediaFolder(string projectId)
    {
        var folder = Path.Combine(MediaRoot, projectId);
        Directory.CreateDirectory(folder);
        return folder;
    }

    /// <summary>A media path as stored: relative to the media root, with forward slashes.</summary>
    public string ToRelative(string fullPath) => Path.GetRelativePath(MediaRoot, fullPath).Replace('\\', '/');

    public string ToFull(string relativePath) => Path.Combine(MediaRoot, relativePath);

    /// <summary>Where clients fetch a stored media file (the web host serves <see cref="MediaRoot"/> there).</summary>
    public const string UrlPrefix = "/media";

    public static string UrlOf(string relativePath) => $"{UrlPrefix}/{relativePath}";

    /// <summary>Deletes stored media files that a new run replaces; null paths are skipped.</summary>
    public void Delete(params string?[] relativePaths)
    {
        foreach (var path in relativePaths)
        {
            // A folder that is gone (or never was) holds no file to delete.
            if (!string.IsNullOrEmpty(path) && File.Exists(ToFull(path)))
            {
                File.Delete(ToFull(path));
            }
        }
    }

    /// <summary>
    /// Writes a media file so that it is never seen half-written: <paramref name="write"/> writes the path it is
    /// given (<c>{path}.part</c>), which then replaces <paramref name="path"/> in one rename. If the write fails
    /// (a full disk, a cancelled run) the partial file is removed; one left by a killed process is swept when its
    /// project's next media run starts, or at start-up (<see cref="SweepPartials"/>).
    /// </summary>
    public static async Task WriteAtomicallyAsync(string path, Func<string, Task> write)
    {
        var part = path + PartialSuffix;
        try
        {
            await write(part);
            File.Move(part, path, overwrite: true);
        }
        finally
        {
            try
            {
                File.Delete(part);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The write's own failure is what matters; a leftover is swept later.
            }
        }
    }

    /// <summary>
    /// At start-up, partial files untouched this long are swept: servers sharing the folder may be writing the
    /// younger ones. A younger leftover goes when its project's next media run starts.
    /// </summary>
    public static readonly TimeSpan StartSweepAge = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Deletes half-written media (<c>*.part</c>) left by interrupted runs: of one project when its media run
    /// starts (no other run of the project writes then), or, at start-up, of every project, if not written to
    /// for <paramref name="olderThan"/>. Returns how many were removed.
    /// </summary>
    public int SweepPartials(string? projectId = null, TimeSpan? olderThan = null)
    {
        var folder = projectId is null ? MediaRoot : Path.Combine(MediaRoot, projectId);
        if (!Directory.Exists(folder))
        {
            return 0;
        }
        var removed = 0;
        var cutoff = DateTime.UtcNow - (olderThan ?? TimeSpan.Zero);
        foreach (var part in Directory.EnumerateFiles(folder, "*" + PartialSuffix, SearchOption.AllDirectories))
        {
            if (olderThan is not null && File.GetLastWriteTimeUtc(part) > cutoff)
            {
                continue;
            }
            try
            {
                File.Delete(part);
                removed++;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
        return removed;
    }

    private volatile bool _unwritable;

    /// <summary>Free bytes for this process on the data folder's disk.</summary>
    public long FreeBytes => new DriveInfo(Root).AvailableFreeSpace;

    /// <summary>Free bytes for this process on the media store's disk.</summary>
    public long MediaFreeBytes => new DriveInfo(MediaRoot).AvailableFreeSpace;

    /// <summary>Why the media store cannot take a write now, or null when a probe file can be written, read back and removed there.</summary>
    public string? MediaWriteProblem()
    {
        var probe = Path.Combine(MediaRoot, $".write-probe-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, [1]);
            var read = File.ReadAllBytes(probe);
            File.Delete(probe);
            return read is [1] ? null : "a file written there reads back differently";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(probe);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
            }
            return StorageFaults.Describe(e);
        }
    }

    /// <summary>
    /// Why the folder cannot take a write now (read-only, no permission, disk full), or null when a small probe
    /// file can be written and removed in it.
    /// </summary>
    public string? WriteProblem()
    {
        var probe = Path.Combine(Root, $".write-probe-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, [1]);
            File.Delete(probe);
            if (_unwritable)
            {
                // Writable again: connections opened meanwhile are read-only.
                _unwritable = false;
                StorageFaults.ForgetReadOnlyConnections();
            }
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try
            {
                File.Delete(probe);
            }
            catch (Exception again) when (again is IOException or UnauthorizedAccessException)
            {
            }
            _unwritable = true;
            return StorageFaults.Describe(e);
        }
    }

    /// <summary>
    /// Checked before the app starts: the folder takes writes and the database file in it, if any, opens as a
    /// SQLite database. Then removes the partial media files that runs a stop interrupted left long ago.
    /// </summary>
    /// <exception cref="DataFolderException">What is wrong, with the folder and what to do.</exception>
    public void PrepareForStart()
    {
        if (WriteProblem() is { } problem)
        {
            throw new DataFolderException(Root, problem,
                problem == StorageFaults.Full ? DataFolderException.FreeSpace : DataFolderException.MakeWritable);
        }
        if (Directory.Exists(DatabasePath))
        {
            throw new DataFolderException(Root, $"{Path.GetFileName(DatabasePath)} in it is a folder, not a database file",
                "Move it away so a new database is created, or restore the database file.");
        }
        if (File.Exists(DatabasePath))
        {
            try
            {
                File.Open(DatabasePath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite).Dispose();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DataFolderException(Root, $"its database {Path.GetFileName(DatabasePath)} cannot be opened for writing ({e.Message})",
                    "Give the user running StageStream read and write access to it.");
            }
            try
            {
                using var connection = new Microsoft.Data.Sqlite.SqliteConnection(
                    new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
                connection.Open();
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT count(*) FROM sqlite_master;";
                command.ExecuteScalar();
            }
            catch (Microsoft.Data.Sqlite.SqliteException e)
            {
                throw new DataFolderException(Root, $"its database {Path.GetFileName(DatabasePath)} cannot be opened ({e.Message})",
                    "Restore the database file from a backup, or move it away to start with an empty one.");
            }
        }
        SweepPartials(olderThan: StartSweepAge);
    }
}
