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
}
