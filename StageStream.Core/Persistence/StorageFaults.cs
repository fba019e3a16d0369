using StageStream.Core.Projects;

namespace StageStream.Core.Persistence;

/// <summary>507 (full) or 503 (not writable): the data folder refused a write, and nothing of the request was stored.</summary>
public sealed class StorageFaultException(bool full, string title, string detail, Exception inner) : ProjectRequestException(title, detail, inner)
{
    public bool Full { get; } = full;
}

/// <summary>The data folder cannot be used: the message names the folder, what is wrong and what to do.</summary>
public sealed class DataFolderException(string folder, string problem, string remedy)
    : Exception($"The data folder {folder} (Storage:DataPath) cannot be used: {problem}. {remedy}")
{
    public const string MakeWritable =
        "Make it a folder the user running StageStream can write (not read-only), or set Storage:DataPath to one.";

    public const string FreeSpace = "Free space on its disk, or set Storage:DataPath to a folder on a disk with room.";

    public string Folder { get; } = folder;
}

/// <summary>Recognizes storage failures, however they are wrapped: a full disk, a read-only or unwritable folder.</summary>
public static class StorageFaults
{
    private const int SqliteFull = 13;
    private const int SqliteReadOnly = 8;
    private const int SqliteIoError = 10;
    private const int SqliteCantOpen = 14;
    private const int Enospc = 28;
    private const int Erofs = 30;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>SQLite's "database or disk is full" or the file system's "No space left on device".</summary>
    public static bool IsDiskFull(Exception exception) => Chain(exception).Any(e => e switch
    {
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode == SqliteFull,
        IOException io => io.HResult is Enospc or WindowsDiskFull or WindowsHandleDiskFull
            || io.Message.Contains("No space left on device", StringComparison.OrdinalIgnoreCase),
        _ => false,
    });

    /// <summary>A write refused by the storage: read-only, no permission, or SQLite unable to open or write its files.</summary>
    public static bool IsUnwritable(Exception exception) => Chain(exception).Any(e => e switch
    {
        Microsoft.Data.Sqlite.SqliteException sqlite => sqlite.SqliteErrorCode is SqliteReadOnly or SqliteCantOpen or SqliteIoError,
        UnauthorizedAccessException => true,
        IOException io => io.HResult == Erofs || io.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase),
        _ => false,
    });

    public const string Full = "it is full";

    /// <summary>
    /// The refusal to report when <paramref name="exception"/> is the data folder failing a write (full, read-only,
    /// not permitted), naming the folder by its setting's value <paramref name="dataPath"/>; else null.
    /// </summary>
    public static StorageFaultException? AsFault(Exception exception, string dataPath) =>
        exception is StorageFaultException known ? known
        : IsDiskFull(exception) ? new StorageFaultException(true, "Data folder full",
            $"The data folder '{dataPath}' (Storage:DataPath) is full, so nothing was stored. " +
            "Free space on its disk (or move the data folder to a larger disk), then try again.", exception)
        : IsUnwritable(exception) ? new StorageFaultException(false, "Data folder not writable",
            $"The data folder '{dataPath}' (Storage:DataPath) cannot be written: {Describe(exception)}, so nothing was stored. " +
            "Make it writable for the user running StageStream, then try again.", exception)
        : null;

    /// <summary>What a failed write says of the folder, for messages: full, read-only, not permitted, or the error itself.</summary>
    public static string Describe(Exception exception) =>
        IsDiskFull(exception) ? Full
        : Chain(exception).Any(e => e is IOException { HResult: Erofs } || e.Message.Contains("Read-only file system", StringComparison.OrdinalIgnoreCase)) ? "it is read-only"
        : Chain(exception).Any(e => e is UnauthorizedAccessException) ? "this user may not write in it"
        : $"a write failed ({exception.GetBaseException().Message})";

    /// <summary>
    /// SQLite opens a database it cannot write read-only, and a pooled connection stays so: drops the idle ones,
    /// so the first request after the folder is fixed opens the database afresh.
    /// </summary>
    public static void ForgetReadOnlyConnections() => Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

    private static IEnumerable<Exception> Chain(Exception? exception)
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            yield return exception;
        }
    }
}
