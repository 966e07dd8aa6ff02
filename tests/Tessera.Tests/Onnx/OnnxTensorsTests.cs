using System.Runtime.InteropServices;
using Tessera.Onnx;
using Tessera.Tests.Support;

namespace Tessera.Tests.Onnx;

public class OnnxTensorsTests
{
    private static OnnxTensor Make(OnnxDataType type, long[] dims, byte[] data) => new("t", type, dims, data);

    [Fact]
    public void Float_int32_int64_bool_uint8_round_trip_through_tensors()
    {
        var dev = TestDevices.Cpu;
        var f = new[] { 1.5f, -2f, 0f, 7.25f, float.NegativeInfinity, 3f };
        using (var t = OnnxTensors.ToTensor(Make(OnnxDataType.Float, [2, 3], MemoryMarshal.AsBytes(f.AsSpan()).ToArray()), dev))
        {
            Assert.Equal(DType.Float32, t.DType);
            Assert.Equal(new Shape(2, 3), t.Shape);
            Assert.Equal(f, t.ToArray<float>());
            var back = OnnxTensors.FromTensor("back", t);
            Assert.Equal(OnnxDataType.Float, back.DataType);
            Assert.Equal([2L, 3L], back.Dims);
            Assert.Equal(MemoryMarshal.AsBytes(f.AsSpan()).ToArray(), back.RawData);
        }
        var i = new[] { int.MinValue, -1, 5 };
        using (var t = OnnxTensors.ToTensor(Make(OnnxDataType.Int32, [3], MemoryMarshal.AsBytes(i.AsSpan()).ToArray()), dev))
            Assert.Equal(i, t.ToArray<int>());
        var l = new[] { long.MaxValue, -3L };
        using (var t = OnnxTensors.ToTensor(Make(OnnxDataType.Int64, [2, 1], MemoryMarshal.AsBytes(l.AsSpan()).ToArray()), dev))
        {
            Assert.Equal(l, t.ToArray<long>());
            Assert.Equal(OnnxDataType.Int64, OnnxTensors.FromTensor("l", t).DataType);
        }
        using (var t = OnnxTensors.ToTensor(Make(OnnxDataType.Bool, [4], [1, 0, 0, 1]), dev))
        {
            Assert.Equal(DType.Bool, t.DType);
            Assert.Equal(new byte[] { 1, 0, 0, 1 }, t.ToArray<byte>());
            Assert.Equal(OnnxDataType.Bool, OnnxTensors.FromTensor("b", t).DataType);
        }
        using (var t = OnnxTensors.ToTensor(Make(OnnxDataType.Uint8, [], [200]), dev))
        {
            Assert.Equal(DType.UInt8, t.DType);
            Assert.Equal(0, t.Rank);
            Assert.Equal((byte)200, t.Item<byte>());
        }
        using (var t = OnnxTensors.ToTensor(Make(OnnxDataType.Float, [0, 4], []), dev))
            Assert.Equal(0, t.ElementCount);
    }

    [Fact]
    public void From_tensor_copies_strided_views_in_row_major_order()
    {
        using var t = Tensor.FromArray(TestDevices.Cpu, new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var tt = t.Transpose(0, 1);
        var o = OnnxTensors.FromTensor("tt", tt);
        Assert.Equal([3L, 2L], o.Dims);
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, MemoryMarshal.Cast<byte, float>(o.RawData).ToArray());
    }

    [Fact]
    public void Double_is_refused_unless_conversion_is_asked_for()
    {
        var d = new[] { 0.1, -2.5 };
        var o = Make(OnnxDataType.Double, [2], MemoryMarshal.AsBytes(d.AsSpan()).ToArray());
        var e = Assert.Throws<TesseraDTypeException>(() => OnnxTensors.ToTensor(o, TestDevices.Cpu));
        Assert.Contains("convertDouble", e.Message);
        using var t = OnnxTensors.ToTensor(o, TestDevices.Cpu, convertDouble: true);
        Assert.Equal(DType.Float32, t.DType);
        Assert.Equal(new[] { 0.1f, -2.5f }, t.ToArray<float>());
    }

    [Fact]
    public void Strings_and_other_types_are_refused()
    {
        var s = new OnnxTensor("s", OnnxDataType.String, [1], []) { Strings = ["x"] };
        var e = Assert.Throws<TesseraDTypeException>(() => OnnxTensors.ToTensor(s, TestDevices.Cpu));
        Assert.Contains("'s'", e.Message);
        Assert.Throws<TesseraDTypeException>(() => OnnxTensors.ToTensor(Make(OnnxDataType.Int8, [1], [1]), TestDevices.Cpu));
        Assert.Throws<TesseraDTypeException>(() => OnnxTensors.ToTensor(Make(OnnxDataType.Uint64, [1], new byte[8]), TestDevices.Cpu));
    }

    [Fact]
    public void Inconsistent_hand_built_tensors_are_refused()
    {
        Assert.Throws<TesseraShapeException>(() => OnnxTensors.ToTensor(Make(OnnxDataType.Float, [3], new byte[8]), TestDevices.Cpu));
        Assert.Throws<TesseraShapeException>(() => OnnxTensors.ToTensor(Make(OnnxDataType.Float, [-1], []), TestDevices.Cpu));
        Assert.Throws<TesseraShapeException>(() => OnnxTensors.ToTensor(Make(OnnxDataType.Float, [1L << 33, 0], []), TestDevices.Cpu));
    }

    [Fact]
    public void Test_data_tensor_converts_to_the_same_values()
    {
        const string file = "/usr/share/libonnx-testdata/data/node/test_relu/test_data_set_0/input_0.pb";
        Requirement.Require(File.Exists(file), "Debian package libonnx-testdata is not installed");
        var o = OnnxReader.ReadTensor(file);
        using var t = OnnxTensors.ToTensor(o, TestDevices.Cpu);
        Assert.Equal(o.Dims.Select(d => (int)d), t.Shape.ToArray());
        Assert.Equal(MemoryMarshal.Cast<byte, float>(o.RawData).ToArray(), t.ToArray<float>());
        Assert.Equal(o.RawData, OnnxTensors.FromTensor(o.Name, t).RawData);
    }
}
