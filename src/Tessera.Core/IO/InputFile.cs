using System.Runtime.InteropServices;

namespace Tessera.IO;

/// <summary>
/// Opens the files Tessera reads from users (ONNX models, TensorProto .pb and .npy arrays, checkpoints, datasets)
/// defensively: the path must name a regular file once symbolic links are followed (a device such as /dev/zero, a
/// FIFO, a socket or a directory is refused before it is opened), its size is taken from the file system and checked
/// against the reader's limit before anything is read, and at most that many bytes are read: a file that holds more
/// than its size said (it grows, or is not what its size says) is refused instead of being read without end. Errors
/// are <see cref="TesseraArgumentException"/>s naming the reader and the path.
/// </summary>
public static partial class InputFile
{
    /// <summary>Reads the whole file at <paramref name="path"/>, at most <paramref name="maxBytes"/> bytes (and never more
    /// than one array holds).</summary>
    public static byte[] ReadAll(string path, string op, long maxBytes)
    {
        using var stream = OpenRead(path, op, Math.Min(maxBytes, Array.MaxLength), out long length);
        var bytes = new byte[length];
        try
        {
            stream.ReadExactly(bytes);
            if (stream.ReadByte() >= 0)
                throw new TesseraArgumentException(op, nameof(path), $"'{path}' holds more than the {length} bytes its size says (it grew while being read)");
        }
        catch (EndOfStreamException)
        {
            throw new TesseraArgumentException(op, nameof(path), $"'{path}' ended before the {length} bytes its size says (it shrank while being read)");
        }
        catch (IOException e)
        {
            throw new TesseraArgumentException(op, nameof(path), $"cannot read '{path}': {e.Message}");
        }
        return bytes;
    }

    /// <summary>Opens the regular file at <paramref name="path"/> for reading after checking its size against
    /// <paramref name="maxBytes"/>; <paramref name="length"/> is that size. The caller reads at most
    /// <paramref name="length"/> bytes.</summary>
    public static FileStream OpenRead(string path, string op, long maxBytes, out long length)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(op);
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists && !Directory.Exists(path)) throw new TesseraArgumentException(op, nameof(path), $"file '{path}' does not exist");
            var kind = Kind(path);
            if (kind != FileKind.Regular)
                throw new TesseraArgumentException(op, nameof(path), $"'{path}' is not a regular file ({KindName(kind)}); only regular files are read");
            var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            length = stream.Length;
            if (length > maxBytes)
            {
                stream.Dispose();
                throw new TesseraArgumentException(op, nameof(path), $"'{path}' is {length} bytes, over the limit of {maxBytes} bytes for this kind of file");
            }
            return stream;
        }
        catch (IOException e) { throw new TesseraArgumentException(op, nameof(path), $"cannot read '{path}': {e.Message}"); }
        catch (UnauthorizedAccessException e) { throw new TesseraArgumentException(op, nameof(path), $"cannot read '{path}': {e.Message}"); }
        catch (ArgumentException e) { throw new TesseraArgumentException(op, nameof(path), $"'{path}' is not a usable path: {e.Message}"); }
    }

    /// <summary>What a path names once links are followed.</summary>
    private enum FileKind { Regular, Directory, CharacterDevice, BlockDevice, Fifo, Socket, Other }

    private static string KindName(FileKind kind) => kind switch
    {
        FileKind.Directory => "a directory",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Fifo => "a FIFO",
        FileKind.Socket => "a socket",
        _ => "not a regular file",
    };

    private static FileKind Kind(string path)
    {
        if (Directory.Exists(path)) return FileKind.Directory;
        if (!OperatingSystem.IsLinux()) return FileKind.Regular;   // elsewhere the size check and the bounded read guard
        var buffer = new StatxBuffer();
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, ref buffer) != 0) return FileKind.Regular;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return FileKind.Regular;   // no statx (an old C library): the size check and the bounded read still guard
        }
        return (buffer.Mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;

    /// <summary>struct statx of the Linux UAPI (its layout is the same on every architecture): stx_mode at byte 28.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 256)]
    private struct StatxBuffer
    {
        [FieldOffset(28)] public ushort Mode;
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref StatxBuffer buffer);
}
