using System.Buffers.Binary;
using System.IO.Compression;
using Tessera.IO;

namespace Tessera.Cli.Training;

/// <summary>An IDX file (the MNIST / Fashion-MNIST format): a magic number giving the element type and rank, big-endian
/// dimensions, then the data. Gzip-compressed files (".gz") are read transparently. Sizes are validated before any
/// allocation.</summary>
public sealed class IdxFile
{
    private IdxFile(int[] shape, byte[] data)
    {
        Shape = shape;
        Data = data;
    }

    public int[] Shape { get; }

    /// <summary>Unsigned bytes (the only element type the datasets use).</summary>
    public byte[] Data { get; }

    /// <summary>Reads an unsigned-byte IDX file (optionally .gz).</summary>
    public static IdxFile Read(string path)
    {
        const string op = "IdxFile.Read";
        using var file = InputFile.OpenRead(path, op, long.MaxValue, out _);
        using Stream s = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? new GZipStream(file, CompressionMode.Decompress) : file;
        Span<byte> header = stackalloc byte[4];
        ReadExactly(s, header, op, path);
        if (header[0] != 0 || header[1] != 0)
            throw new TesseraArgumentException(op, nameof(path), $"{path} is not an IDX file (bad magic {header[0]:x2}{header[1]:x2})");
        if (header[2] != 0x08)
            throw new TesseraArgumentException(op, nameof(path), $"{path}: element type 0x{header[2]:x2} is not unsigned byte (0x08)");
        int rank = header[3];
        if (rank is < 1 or > 4) throw new TesseraArgumentException(op, nameof(path), $"{path}: rank {rank} is outside 1..4");
        var shape = new int[rank];
        long count = 1;
        Span<byte> dim = stackalloc byte[4];
        for (int i = 0; i < rank; i++)
        {
            ReadExactly(s, dim, op, path);
            int d = BinaryPrimitives.ReadInt32BigEndian(dim);
            if (d < 0) throw new TesseraArgumentException(op, nameof(path), $"{path}: negative dimension {d}");
            shape[i] = d;
            count *= d;
            if (count > 1L << 31) throw new TesseraArgumentException(op, nameof(path), $"{path}: {count}+ elements is more than an IDX dataset may hold here");
        }
        if (!path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) && file.Length - file.Position < count)
            throw new TesseraArgumentException(op, nameof(path), $"{path}: declares {count} bytes of data but holds {file.Length - file.Position}");
        var data = new byte[SizeMath.HostArrayLength(op, nameof(path), count, 1)];
        ReadExactly(s, data, op, path);
        return new IdxFile(shape, data);
    }

    private static void ReadExactly(Stream s, Span<byte> buffer, string op, string path)
    {
        try { s.ReadExactly(buffer); }
        catch (EndOfStreamException) { throw new TesseraArgumentException(op, nameof(path), $"{path} is truncated"); }
        catch (InvalidDataException e) { throw new TesseraArgumentException(op, nameof(path), $"{path}: corrupt gzip data ({e.Message})"); }
    }
}
