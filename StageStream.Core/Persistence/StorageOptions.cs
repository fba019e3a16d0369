namespace StageStream.Core.Persistence;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>The one folder that holds the database and the media; relative paths are under the content root.</summary>
    public string DataPath { get; set; } = "data";
}

/// <summary>The resolved data folder: the database file and media files live here.</summary>
public sealed class DataFolder
{
    public DataFolder(string root)
    {
        Root = Path.GetFullPath(root);
        Directory.CreateDirectory(Root);
        Directory.CreateDirectory(MediaRoot);
    }

    public string Root { get; }
    public string DatabasePath => Path.Combine(Root, "stagestream.db");
    public string MediaRoot => Path.Combine(Root, "media");

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
}
