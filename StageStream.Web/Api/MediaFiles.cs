using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Primitives;

namespace StageStream.Web.Api;

/// <summary>
/// The media folder as the web serves it: a file is found only when it is a regular file and neither it nor any folder
/// between it and the media root is a symbolic link, so a link planted under <c>media/</c> cannot expose anything else.
/// </summary>
public sealed class MediaFiles(string root) : IFileProvider
{
    private readonly string _root = Path.GetFullPath(root);
    private readonly PhysicalFileProvider _files = new(root);

    public IFileInfo GetFileInfo(string subpath)
    {
        var file = _files.GetFileInfo(subpath);
        return file.Exists && file.PhysicalPath is { } path && IsPlain(path) ? file : new NotFoundFileInfo(subpath);
    }

    public IDirectoryContents GetDirectoryContents(string subpath) => NotFoundDirectoryContents.Singleton;

    public IChangeToken Watch(string filter) => NullChangeToken.Singleton;

    private bool IsPlain(string path)
    {
        var full = Path.GetFullPath(path);
        if (!full.StartsWith(_root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return false;
        }
        var info = new FileInfo(full);
        if (info.LinkTarget is not null || (info.Attributes & (FileAttributes.Directory | FileAttributes.Device | FileAttributes.ReparsePoint)) != 0)
        {
            return false;
        }
        for (var folder = info.Directory; folder is not null && folder.FullName.Length > _root.Length; folder = folder.Parent)
        {
            if (folder.LinkTarget is not null)
            {
                return false;
            }
        }
        return true;
    }
}
