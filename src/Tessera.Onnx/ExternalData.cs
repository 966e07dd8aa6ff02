using Tessera.IO;

namespace Tessera.Onnx;

/// <summary>Reads the data of tensors a model keeps in external files (onnx.save(..., save_as_external_data=True)):
/// files in the model's folder or below it only — a location that is absolute, climbs out with "..", or is a link
/// leading out of the folder is refused, as is a range past the file's end.</summary>
internal static class ExternalData
{
    private const string Op = "OnnxReader.ReadModel";

    /// <summary>The first tensor of <paramref name="graph"/> (initializers, node attributes, sub-graphs) whose data lies
    /// outside the model, or null.</summary>
    public static OnnxTensor? FirstExternal(OnnxGraph graph)
    {
        OnnxTensor? found = null;
        Map(graph, t => { found ??= t.External is null ? null : t; return t; });
        return found;
    }

    /// <summary><paramref name="graph"/> with every external tensor's data read from the folder <paramref name="folder"/>.</summary>
    public static OnnxGraph Resolve(OnnxGraph graph, string folder)
    {
        string root = Path.GetFullPath(folder);
        return Map(graph, t => t.External is { } e ? t with { RawData = Read(root, t.Name, e), External = null } : t);
    }

    private static byte[] Read(string root, string tensor, OnnxExternalData e)
    {
        string path = Inside(root, tensor, e.Location);
        using var stream = InputFile.OpenRead(path, Op, long.MaxValue, out long size);
        if (e.Offset > size || e.Length > size - e.Offset)
            throw new OnnxFormatException(Op, $"tensor '{tensor}': external file '{e.Location}' is {size} bytes, the data lies at {e.Offset}..{e.Offset + e.Length}");
        var data = new byte[e.Length];
        stream.Seek(e.Offset, SeekOrigin.Begin);
        try { stream.ReadExactly(data); }
        catch (EndOfStreamException) { throw new OnnxFormatException(Op, $"tensor '{tensor}': external file '{e.Location}' ended before {e.Offset + e.Length} bytes"); }
        catch (IOException x) { throw new OnnxFormatException(Op, $"tensor '{tensor}': cannot read external file '{e.Location}': {x.Message}"); }
        return data;
    }

    /// <summary>The full path of <paramref name="location"/> under <paramref name="root"/>, links followed, refused
    /// unless it stays inside.</summary>
    private static string Inside(string root, string tensor, string location)
    {
        string Refuse(string why) => throw new OnnxFormatException(Op, $"tensor '{tensor}': external data location '{location}' {why}; only files in the model's folder are read");
        if (Path.IsPathRooted(location) || location.Contains('\0')) Refuse("is not a relative path");
        string prefix = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        string full = Path.GetFullPath(Path.Combine(root, location));
        if (!full.StartsWith(prefix, StringComparison.Ordinal)) Refuse("leaves the model's folder");
        try
        {
            // Every link on the way (the file or a folder) must resolve inside the folder too.
            string resolvedRoot = Resolved(root);
            string resolvedPrefix = Path.EndsInDirectorySeparator(resolvedRoot) ? resolvedRoot : resolvedRoot + Path.DirectorySeparatorChar;
            if (!Resolved(full).StartsWith(resolvedPrefix, StringComparison.Ordinal)) Refuse("is a link leading out of the model's folder");
        }
        catch (IOException x) { throw new OnnxFormatException(Op, $"tensor '{tensor}': cannot resolve external data location '{location}': {x.Message}"); }
        return full;
    }

    /// <summary>The path with every link in it followed (the parts that do not exist are kept as they are).</summary>
    private static string Resolved(string path)
    {
        string? parent = Path.GetDirectoryName(path);
        string head = parent is null ? path : Path.Combine(Resolved(parent), Path.GetFileName(path));
        FileSystemInfo info = Directory.Exists(head) ? new DirectoryInfo(head) : new FileInfo(head);
        var target = info.Exists ? info.ResolveLinkTarget(returnFinalTarget: true) : null;
        return target is null ? head : Resolved(Path.GetFullPath(target.FullName));
    }

    private static OnnxGraph Map(OnnxGraph g, Func<OnnxTensor, OnnxTensor> f) => g with
    {
        Initializers = g.Initializers.Select(f).ToArray(),
        Nodes = g.Nodes.Select(n => n with { Attributes = n.Attributes.ToDictionary(kv => kv.Key, kv => Map(kv.Value, f)) }).ToArray(),
    };

    private static OnnxAttribute Map(OnnxAttribute a, Func<OnnxTensor, OnnxTensor> f) => a with
    {
        T = a.T is null ? null : f(a.T),
        G = a.G is null ? null : Map(a.G, f),
        Tensors = a.Tensors?.Select(f).ToArray(),
        Graphs = a.Graphs?.Select(x => Map(x, f)).ToArray(),
    };
}
