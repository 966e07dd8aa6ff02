using System.Buffers.Binary;
using System.Text;
using Tessera.Devices;
using Tessera.IO;

namespace Tessera.Onnx;

/// <summary>Reads and writes NumPy .npy files (format versions 1.0, 2.0 and 3.0 are read; 1.0 is written, 2.0 when the
/// header does not fit). Element types: little-endian <c>&lt;f4</c> (Float32), <c>&lt;i4</c> (Int32), <c>&lt;i8</c>
/// (Int64), <c>|b1</c> (Bool) and <c>|u1</c> (UInt8), C order only. Anything else — Fortran order, big-endian data,
/// other dtypes, a truncated file — is an <see cref="OnnxFormatException"/>.</summary>
public static class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Largest element count accepted (2^31).</summary>
    public const long MaxElements = 1L << 31;

    /// <summary>Reads the .npy file at <paramref name="path"/> (a regular file, read at most to its size: see
    /// <see cref="InputFile"/>).</summary>
    public static NpyArray Read(string path)
    {
        const string op = "NpyFile.Read";
        return Read(InputFile.ReadAll(path, op, Array.MaxLength));
    }

    /// <summary>Reads a .npy file's bytes.</summary>
    public static NpyArray Read(ReadOnlySpan<byte> bytes)
    {
        const string op = "NpyFile.Read";
        if (bytes.Length < 10 || !bytes[..6].SequenceEqual(Magic))
            throw new OnnxFormatException(op, "not a .npy file (the \\x93NUMPY magic is missing)");
        int major = bytes[6], minor = bytes[7];
        int headerStart;
        long headerLen;
        switch (major)
        {
            case 1:
                headerLen = BinaryPrimitives.ReadUInt16LittleEndian(bytes[8..]);
                headerStart = 10;
                break;
            case 2 or 3:
                if (bytes.Length < 12) throw new OnnxFormatException(op, "truncated .npy header");
                headerLen = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
                headerStart = 12;
                break;
            default:
                throw new OnnxFormatException(op, $".npy format version {major}.{minor} is not supported (1.0, 2.0, 3.0 are)");
        }
        if (headerLen > bytes.Length - headerStart)
            throw new OnnxFormatException(op, $".npy header of {headerLen} bytes runs past the end of the file ({bytes.Length} bytes)");
        var headerBytes = bytes.Slice(headerStart, (int)headerLen);
        string header = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        var (descr, fortran, shape) = NpyHeader.Parse(header, op);
        if (fortran) throw new OnnxFormatException(op, "Fortran-order (column-major) .npy arrays are not supported; save in C order");
        var dtype = ParseDescr(descr, op);
        long count = 1;
        foreach (long d in shape)
        {
            if (d < 0 || d > int.MaxValue) throw new OnnxFormatException(op, $".npy shape ({string.Join(", ", shape)}) has dimension {d} out of range");
            count *= d;
            if (count > MaxElements) throw new OnnxFormatException(op, $".npy shape ({string.Join(", ", shape)}) exceeds {MaxElements} elements");
        }
        long need = count * dtype.SizeOf();
        var body = bytes[(headerStart + (int)headerLen)..];
        if (body.Length < need)
            throw new OnnxFormatException(op, $"truncated .npy data: shape ({string.Join(", ", shape)}) of '{descr}' needs {need} bytes, the file has {body.Length}");
        if (body.Length > need)
            throw new OnnxFormatException(op, $".npy data has {body.Length - need} bytes beyond shape ({string.Join(", ", shape)}) of '{descr}'");
        return new NpyArray(dtype, [.. shape.Select(d => (int)d)], body.ToArray());
    }

    /// <summary>Reads the .npy file at <paramref name="path"/> into a new tensor on <paramref name="device"/>.</summary>
    public static Tensor ReadTensor(string path, IDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        return ToTensor(Read(path), device);
    }

    /// <summary>A new tensor on <paramref name="device"/> holding <paramref name="a"/>.</summary>
    public static Tensor ToTensor(NpyArray a, IDevice device)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(device);
        var t = Tensor.Empty(device, a.DType, Shape.Create("NpyFile.ReadTensor", a.Shape));
        if (a.Data.Length > 0) device.CopyFromHost(a.Data, t.Storage.Buffer, 0);
        return t;
    }

    /// <summary>Serialises <paramref name="a"/> as .npy bytes.</summary>
    public static byte[] ToBytes(NpyArray a)
    {
        const string op = "NpyFile.Write";
        ArgumentNullException.ThrowIfNull(a);
        string descr = Descr(a.DType, op);
        long count = 1;
        foreach (int d in a.Shape)
        {
            if (d < 0) throw new TesseraShapeException(op, nameof(a), $"negative dimension {d}");
            count *= d;
        }
        if (a.Data.LongLength != count * a.DType.SizeOf())
            throw new TesseraShapeException(op, nameof(a), $"{a.Data.LongLength} bytes do not fill shape ({string.Join(", ", a.Shape)}) of {a.DType}");
        string shape = a.Shape.Length == 1 ? $"({a.Shape[0]},)" : $"({string.Join(", ", a.Shape)})";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        // Pad with spaces and a final newline so that magic + version + length + header is a multiple of 64.
        int prefix = 10;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        int major = 1;
        if (total - prefix > ushort.MaxValue) { prefix = 12; total = (prefix + dict.Length + 1 + 63) / 64 * 64; major = 2; }
        string header = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
        var result = new byte[total + a.Data.Length];
        Magic.CopyTo(result);
        result[6] = (byte)major;
        result[7] = 0;
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)header.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)header.Length);
        Encoding.Latin1.GetBytes(header, result.AsSpan(prefix));
        a.Data.CopyTo(result.AsSpan(total));
        return result;
    }

    /// <summary>Writes <paramref name="a"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, NpyArray a) => File.WriteAllBytes(path, ToBytes(a));

    /// <summary>Writes <paramref name="t"/>'s elements (row-major) to <paramref name="path"/>.</summary>
    public static void Write(string path, Tensor t) => Write(path, FromTensor(t));

    /// <summary>The elements of <paramref name="t"/> as an <see cref="NpyArray"/>.</summary>
    public static NpyArray FromTensor(Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t);
        Descr(t.DType, "NpyFile.Write");
        var o = OnnxTensors.FromTensor("", t);
        return new NpyArray(t.DType, t.Shape.ToArray(), o.RawData);
    }

    private static DType ParseDescr(string descr, string op)
    {
        switch (descr)
        {
            case "<f4": return DType.Float32;
            case "<i4": return DType.Int32;
            case "<i8": return DType.Int64;
            case "|b1": return DType.Bool;
            case "|u1": return DType.UInt8;
        }
        if (descr.Length > 0 && descr[0] == '>' && descr is not ">u1" and not ">b1" and not ">i1")
            throw new OnnxFormatException(op, $".npy dtype '{descr}' is big-endian; only little-endian data is read");
        throw new OnnxFormatException(op, $".npy dtype '{descr}' is not supported (<f4, <i4, <i8, |b1, |u1 are)");
    }

    private static string Descr(DType dtype, string op) => dtype switch
    {
        DType.Float32 => "<f4",
        DType.Int32 => "<i4",
        DType.Int64 => "<i8",
        DType.Bool => "|b1",
        DType.UInt8 => "|u1",
        _ => throw new TesseraDTypeException(op, "dtype", $"{dtype} has no .npy descr Tessera writes (Float32, Int32, Int64, Bool, UInt8)"),
    };
}
