using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Tessera.Onnx;
using Tessera.Tests.Support;

namespace Tessera.Tests.Onnx;

public class NpyFileTests
{
    /// <summary>A .npy file assembled by hand the way numpy lays it out (independent of NpyFile.ToBytes).</summary>
    private static byte[] Npy(string dict, byte[] data, int major = 1)
    {
        int prefix = major == 1 ? 10 : 12;
        int total = (prefix + dict.Length + 1 + 63) / 64 * 64;
        string header = dict + new string(' ', total - prefix - dict.Length - 1) + "\n";
        var b = new List<byte> { 0x93 };
        b.AddRange("NUMPY"u8.ToArray());
        b.Add((byte)major);
        b.Add(0);
        var len = new byte[major == 1 ? 2 : 4];
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(len, (ushort)header.Length);
        else BinaryPrimitives.WriteUInt32LittleEndian(len, (uint)header.Length);
        b.AddRange(len);
        b.AddRange(Encoding.ASCII.GetBytes(header));
        b.AddRange(data);
        return [.. b];
    }

    private static byte[] Bytes<T>(params T[] v) where T : unmanaged => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    [Fact]
    public void Reads_numpy_layout_headers_version_1_and_2()
    {
        var a = NpyFile.Read(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", Bytes(1f, 2, 3, 4, 5, 6)));
        Assert.Equal(DType.Float32, a.DType);
        Assert.Equal([2, 3], a.Shape);
        Assert.Equal(Bytes(1f, 2, 3, 4, 5, 6), a.Data);
        var b = NpyFile.Read(Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", Bytes(1L, -2, 3), major: 2));
        Assert.Equal(DType.Int64, b.DType);
        Assert.Equal([3], b.Shape);
        var s = NpyFile.Read(Npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", [9]));
        Assert.Empty(s.Shape);
        Assert.Equal(1, s.ElementCount);
        var reordered = NpyFile.Read(Npy("{\"shape\": (1, 2), \"fortran_order\": False, \"descr\": \"<i4\"}", Bytes(7, 8)));
        Assert.Equal(DType.Int32, reordered.DType);
        Assert.Equal([1, 2], reordered.Shape);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int64)]
    [InlineData(DType.Bool)]
    [InlineData(DType.UInt8)]
    public void Tensor_round_trip_through_a_file(DType dtype)
    {
        var dev = TestDevices.Cpu;
        var rng = new Random((int)dtype + 1);
        var src = new byte[2 * 3 * 5 * dtype.SizeOf()];
        rng.NextBytes(src);
        if (dtype == DType.Bool) for (int i = 0; i < src.Length; i++) src[i] &= 1;
        if (dtype == DType.Float32) for (int i = 0; i < src.Length; i += 4) src[i + 3] &= 0x3F;   // finite values
        var o = new OnnxTensor("x", OnnxTensors.ToOnnx(dtype), [2, 3, 5], src);
        using var t = OnnxTensors.ToTensor(o, dev);
        string path = Path.Combine(Path.GetTempPath(), $"tessera-npy-{Guid.NewGuid():N}.npy");
        try
        {
            NpyFile.Write(path, t);
            byte[] file = File.ReadAllBytes(path);
            Assert.Equal(0, (file.Length - src.Length) % 64);   // header padded to 64 bytes as numpy does
            Assert.Contains("'fortran_order': False", Encoding.ASCII.GetString(file, 10, file.Length - src.Length - 10));
            using var back = NpyFile.ReadTensor(path, dev);
            Assert.Equal(dtype, back.DType);
            Assert.Equal(t.Shape, back.Shape);
            Assert.Equal(src, OnnxTensors.FromTensor("b", back).RawData);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Written_bytes_match_the_hand_built_numpy_layout()
    {
        var a = new NpyArray(DType.Float32, [4], Bytes(1f, 2, 3, 4));
        Assert.Equal(Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", a.Data), NpyFile.ToBytes(a));
        var big = new NpyArray(DType.UInt8, [.. Enumerable.Repeat(1, 64)], [0]);   // 64-dim shape still fits version 1.0
        Assert.Equal([.. big.Shape], NpyFile.Read(NpyFile.ToBytes(big)).Shape);
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16, "Fortran")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", 16, "big-endian")]
    [InlineData("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", 32, "not supported")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 12, "truncated")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 20, "beyond")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 2), }", 16, "out of range")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000, 100000), }", 0, "exceeds")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, }", 16, "lacks")]
    [InlineData("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", 8, "True or False")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': 1}", 8, "unknown header key")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,x), }", 8, "integer")]
    [InlineData("{'descr: '<f4'", 8, "malformed")]
    public void Malformed_headers_and_data_are_refused(string dict, int dataBytes, string expect)
    {
        var e = Assert.Throws<OnnxFormatException>(() => NpyFile.Read(Npy(dict, new byte[dataBytes])));
        Assert.Contains(expect, e.Message);
    }

    [Fact]
    public void Broken_magic_version_and_header_length()
    {
        var good = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]);
        Assert.Throws<OnnxFormatException>(() => NpyFile.Read(good.AsSpan(0, 5)));
        var bad = (byte[])good.Clone();
        bad[1] = (byte)'X';
        Assert.Contains("magic", Assert.Throws<OnnxFormatException>(() => NpyFile.Read(bad)).Message);
        bad = (byte[])good.Clone();
        bad[6] = 9;
        Assert.Contains("version 9.0", Assert.Throws<OnnxFormatException>(() => NpyFile.Read(bad)).Message);
        bad = (byte[])good.Clone();
        bad[8] = 0xFF; bad[9] = 0xFF;
        Assert.Contains("runs past the end", Assert.Throws<OnnxFormatException>(() => NpyFile.Read(bad)).Message);
        // Every truncation fails cleanly.
        for (int n = 0; n < good.Length; n++)
            Assert.Throws<OnnxFormatException>(() => NpyFile.Read(good.AsSpan(0, n)));
    }

    [Fact]
    public void Float16_tensors_cannot_be_written()
    {
        using var t = Tensor.Empty(TestDevices.Cpu, DType.Float16, 2);
        Assert.Throws<TesseraDTypeException>(() => NpyFile.FromTensor(t));
    }
}
