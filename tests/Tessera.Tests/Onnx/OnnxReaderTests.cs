using System.Buffers.Binary;
using Tessera.Onnx;

namespace Tessera.Tests.Onnx;

/// <summary>Messages built with the test-side encoder read back field for field.</summary>
public class OnnxReaderTests
{
    private static byte[] FloatBytes(params float[] v)
    {
        var b = new byte[v.Length * 4];
        for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(i * 4), v[i]);
        return b;
    }

    [Fact]
    public void Model_fields_graph_nodes_and_value_infos_round_trip()
    {
        var graph = new Pb()
            .Msg(1, Pb.Node("Gemm", ["x", "w", ""], ["y"],
                new Pb().Str(1, "alpha").Varint(20, 1).Fixed32(2, 0.5f),
                new Pb().Str(1, "transB").Varint(20, 2).Varint(3, 1)))
            .Msg(1, Pb.Node("Relu", ["y"], ["z"]))
            .Str(2, "main")
            .Msg(5, Pb.Tensor("w", 1, [2, 3], FloatBytes(1, 2, 3, 4, 5, 6)))
            .Msg(11, Pb.ValueInfo("x", 1, null, 3L))
            .Msg(12, Pb.ValueInfo("z", 1, "batch", 2))
            .Msg(13, Pb.ValueInfo("y", 1, 4, 2));
        var bytes = Pb.Model(graph, 17).Msg(8, new Pb().Str(1, "com.example").Varint(2, 3)).ToArray();

        var m = OnnxReader.ReadModel(bytes);
        Assert.Equal(8, m.IrVersion);
        Assert.Equal("tessera-test", m.ProducerName);
        Assert.Equal(17, m.Opset());
        Assert.Equal(17, m.Opset("ai.onnx"));
        Assert.Equal(3, m.Opset("com.example"));
        Assert.Equal(0, m.Opset("nope"));
        var g = m.Graph;
        Assert.Equal("main", g.Name);
        Assert.Equal(2, g.Nodes.Count);
        var gemm = g.Nodes[0];
        Assert.Equal("Gemm", gemm.OpType);
        Assert.Equal("Gemm_node", gemm.Name);
        Assert.Equal(["x", "w", ""], gemm.Inputs);
        Assert.Equal(["y"], gemm.Outputs);
        Assert.Equal(OnnxAttributeType.Float, gemm.Attributes["alpha"].Type);
        Assert.Equal(0.5f, gemm.Attributes["alpha"].F);
        Assert.Equal(1, gemm.Attributes["transB"].I);
        Assert.Empty(g.Nodes[1].Attributes);
        var w = Assert.Single(g.Initializers);
        Assert.Equal("w", w.Name);
        Assert.Equal(OnnxDataType.Float, w.DataType);
        Assert.Equal([2L, 3L], w.Dims);
        Assert.Equal(FloatBytes(1, 2, 3, 4, 5, 6), w.RawData);
        Assert.Equal([-1L, 3L], g.Inputs[0].Dims!);
        Assert.Equal(OnnxDataType.Float, g.Inputs[0].ElemType);
        Assert.Equal([-1L, 2L], g.Outputs[0].Dims!);
        Assert.Equal("y", Assert.Single(g.ValueInfo).Name);
        Assert.Equal([4L, 2L], g.ValueInfo[0].Dims!);
    }

    [Fact]
    public void Attributes_of_every_kind_including_nested_graphs()
    {
        var sub = new Pb().Msg(1, Pb.Node("Identity", ["a"], ["b"])).Str(2, "body")
            .Msg(11, Pb.ValueInfo("a", 7, 1)).Msg(12, Pb.ValueInfo("b", 7, 1));
        var node = Pb.Node("Custom", ["x"], ["y"],
            new Pb().Str(1, "s").Varint(20, 3).Str(4, "héllo"),
            new Pb().Str(1, "t").Varint(20, 4).Msg(5, Pb.Tensor("c", 7, [2]).PackedVarints(7, -5, 1L << 40)),
            new Pb().Str(1, "g").Varint(20, 5).Msg(6, sub),
            new Pb().Str(1, "fs").Varint(20, 6).PackedFloats(7, 1.5f, -2f),
            new Pb().Str(1, "is").Varint(20, 7).PackedVarints(8, 3, -1),
            new Pb().Str(1, "ss").Varint(20, 8).Str(9, "a").Str(9, "bc"),
            new Pb().Str(1, "ts").Varint(20, 9).Msg(10, Pb.Tensor("t0", 6, [1]).PackedVarints(5, 7)).Msg(10, Pb.Tensor("t1", 6, [0])),
            new Pb().Str(1, "gs").Varint(20, 10).Msg(11, sub).Msg(11, sub),
            new Pb().Str(1, "empty_ints").Varint(20, 7));
        var m = OnnxReader.ReadModel(Pb.Model(new Pb().Msg(1, node)).ToArray());
        var a = m.Graph.Nodes[0].Attributes;
        Assert.Equal("héllo", a["s"].S);
        var t = a["t"].T!;
        Assert.Equal(OnnxDataType.Int64, t.DataType);
        Assert.Equal(-5L, BinaryPrimitives.ReadInt64LittleEndian(t.RawData));
        Assert.Equal(1L << 40, BinaryPrimitives.ReadInt64LittleEndian(t.RawData.AsSpan(8)));
        Assert.Equal("body", a["g"].G!.Name);
        Assert.Equal("Identity", a["g"].G!.Nodes[0].OpType);
        Assert.Equal([1.5f, -2f], a["fs"].Floats!);
        Assert.Equal([3L, -1L], a["is"].Ints!);
        Assert.Equal(["a", "bc"], a["ss"].Strings!);
        Assert.Equal(2, a["ts"].Tensors!.Count);
        Assert.Equal(7, BinaryPrimitives.ReadInt32LittleEndian(a["ts"].Tensors![0].RawData));
        Assert.Empty(a["ts"].Tensors![1].RawData);
        Assert.Equal(2, a["gs"].Graphs!.Count);
        Assert.Equal(OnnxAttributeType.Ints, a["empty_ints"].Type);
        Assert.Empty(a["empty_ints"].Ints!);
    }

    [Fact]
    public void Attribute_type_is_inferred_when_the_discriminator_is_missing()
    {
        var node = Pb.Node("Op", [], ["y"], new Pb().Str(1, "k").Varint(3, 42), new Pb().Str(1, "ks").Varint(8, 1).Varint(8, 2));
        var a = OnnxReader.ReadModel(Pb.Model(new Pb().Msg(1, node)).ToArray()).Graph.Nodes[0].Attributes;
        Assert.Equal(OnnxAttributeType.Int, a["k"].Type);
        Assert.Equal(42, a["k"].I);
        Assert.Equal(OnnxAttributeType.Ints, a["ks"].Type);
        Assert.Equal([1L, 2L], a["ks"].Ints!);   // unpacked repeated varints
    }

    [Fact]
    public void Unknown_fields_of_every_wire_type_are_skipped()
    {
        var tensor = Pb.Tensor("u", 1, [1]).Fixed32(4, 2.5f)
            .Varint(99, 12345).Fixed64(100, 1.0).Fixed32(101, 1f).Str(12, "doc").Bytes(1000, [1, 2, 3]);
        var t = OnnxReader.ReadTensor(tensor.ToArray());
        Assert.Equal(FloatBytes(2.5f), t.RawData);
        var graph = new Pb().Varint(77, 1).Msg(1, Pb.Node("Relu", ["x"], ["y"]).Str(6, "node doc")).Str(10, "graph doc");
        var m = OnnxReader.ReadModel(Pb.Model(graph).Str(6, "model doc").Varint(5, 3).ToArray());
        Assert.Equal("Relu", m.Graph.Nodes[0].OpType);
    }

    [Fact]
    public void Float_data_packed_and_unpacked_becomes_little_endian_raw_data()
    {
        var packed = OnnxReader.ReadTensor(Pb.Tensor("p", 1, [3]).PackedFloats(4, 1, -2, 3.25f).ToArray());
        var unpacked = OnnxReader.ReadTensor(Pb.Tensor("u", 1, [3]).Fixed32(4, 1).Fixed32(4, -2).Fixed32(4, 3.25f).ToArray());
        var mixed = OnnxReader.ReadTensor(Pb.Tensor("m", 1, [3]).Fixed32(4, 1).PackedFloats(4, -2, 3.25f).ToArray());
        Assert.Equal(FloatBytes(1, -2, 3.25f), packed.RawData);
        Assert.Equal(packed.RawData, unpacked.RawData);
        Assert.Equal(packed.RawData, mixed.RawData);
    }

    [Theory]
    [InlineData(6, 4, new long[] { -7, 0, int.MaxValue })]      // Int32
    [InlineData(5, 2, new long[] { -300, 2, 32767 })]           // Int16
    [InlineData(4, 2, new long[] { 65535, 1, 0 })]              // Uint16
    [InlineData(3, 1, new long[] { -128, 5, 127 })]             // Int8
    [InlineData(2, 1, new long[] { 255, 0, 17 })]               // Uint8
    [InlineData(10, 2, new long[] { 0x3C00, 0xBC00, 0x7C00 })]  // Float16 bit patterns
    public void Int32_data_is_narrowed_to_the_element_width(int dataType, int width, long[] values)
    {
        var t = OnnxReader.ReadTensor(Pb.Tensor("i", dataType, [values.Length]).PackedVarints(5, values).ToArray());
        Assert.Equal(values.Length * width, t.RawData.Length);
        for (int i = 0; i < values.Length; i++)
        {
            long got = width switch
            {
                1 => dataType == 3 ? (sbyte)t.RawData[i] : t.RawData[i],
                2 => dataType == 5 ? BinaryPrimitives.ReadInt16LittleEndian(t.RawData.AsSpan(i * 2)) : BinaryPrimitives.ReadUInt16LittleEndian(t.RawData.AsSpan(i * 2)),
                _ => BinaryPrimitives.ReadInt32LittleEndian(t.RawData.AsSpan(i * 4)),
            };
            Assert.Equal(values[i], got);
        }
    }

    [Fact]
    public void Bool_int64_double_and_uint64_typed_fields()
    {
        var b = OnnxReader.ReadTensor(Pb.Tensor("b", 9, [4]).PackedVarints(5, 1, 0, 1, 1).ToArray());
        Assert.Equal(new byte[] { 1, 0, 1, 1 }, b.RawData);
        var l = OnnxReader.ReadTensor(Pb.Tensor("l", 7, [2]).Varint(7, long.MinValue).Varint(7, -1).ToArray());
        Assert.Equal(long.MinValue, BinaryPrimitives.ReadInt64LittleEndian(l.RawData));
        Assert.Equal(-1L, BinaryPrimitives.ReadInt64LittleEndian(l.RawData.AsSpan(8)));
        var d = OnnxReader.ReadTensor(Pb.Tensor("d", 11, [2]).PackedDoubles(10, Math.PI, -0.5).ToArray());
        Assert.Equal(Math.PI, BinaryPrimitives.ReadDoubleLittleEndian(d.RawData));
        Assert.Equal(-0.5, BinaryPrimitives.ReadDoubleLittleEndian(d.RawData.AsSpan(8)));
        var u32 = OnnxReader.ReadTensor(Pb.Tensor("u32", 12, [1]).PackedVarints(11, uint.MaxValue).ToArray());
        Assert.Equal(uint.MaxValue, BinaryPrimitives.ReadUInt32LittleEndian(u32.RawData));
        var u64 = OnnxReader.ReadTensor(Pb.Tensor("u64", 13, [1]).PackedVarints(11, unchecked((long)ulong.MaxValue)).ToArray());
        Assert.Equal(ulong.MaxValue, BinaryPrimitives.ReadUInt64LittleEndian(u64.RawData));
        var c64 = OnnxReader.ReadTensor(Pb.Tensor("c", 14, [1]).PackedFloats(4, 1, 2).ToArray());
        Assert.Equal(FloatBytes(1, 2), c64.RawData);
    }

    [Fact]
    public void Scalars_empty_tensors_and_strings()
    {
        var scalar = OnnxReader.ReadTensor(Pb.Tensor("s", 1, []).Fixed32(4, 9f).ToArray());
        Assert.Empty(scalar.Dims);
        Assert.Equal(1, scalar.ElementCount);
        var empty = OnnxReader.ReadTensor(Pb.Tensor("e", 1, [0, 3]).ToArray());
        Assert.Equal(0, empty.ElementCount);
        Assert.Empty(empty.RawData);
        var s = OnnxReader.ReadTensor(Pb.Tensor("str", 8, [2]).Str(6, "ab").Str(6, "").ToArray());
        Assert.Equal(OnnxDataType.String, s.DataType);
        Assert.Equal(["ab", ""], s.Strings!);
    }

    [Fact]
    public void Non_tensor_value_types_are_marked()
    {
        var seqType = new Pb().Msg(4, new Pb().Msg(1, new Pb().Msg(1, new Pb().Varint(1, 1))));
        var graph = new Pb().Msg(11, new Pb().Str(1, "seq").Msg(2, seqType)).Msg(11, Pb.ValueInfo("x", 1, 2));
        var g = OnnxReader.ReadModel(Pb.Model(graph).ToArray()).Graph;
        Assert.False(g.Inputs[0].IsTensor);
        Assert.Null(g.Inputs[0].Dims!);
        Assert.True(g.Inputs[1].IsTensor);
    }

    [Fact]
    public void Files_are_read_from_disk()
    {
        string dir = Directory.CreateTempSubdirectory("tessera-onnx").FullName;
        try
        {
            string model = Path.Combine(dir, "m.onnx"), tensor = Path.Combine(dir, "t.pb");
            File.WriteAllBytes(model, Pb.Model(new Pb().Msg(1, Pb.Node("Relu", ["x"], ["y"]))).ToArray());
            File.WriteAllBytes(tensor, Pb.Tensor("t", 1, [1], FloatBytes(4)).ToArray());
            Assert.Equal("Relu", OnnxReader.ReadModel(model).Graph.Nodes[0].OpType);
            Assert.Equal(FloatBytes(4), OnnxReader.ReadTensor(tensor).RawData);
            var e = Assert.ThrowsAny<TesseraException>(() => OnnxReader.ReadModel(Path.Combine(dir, "missing.onnx")));
            Assert.Contains("does not exist", e.Message);
        }
        finally { Directory.Delete(dir, true); }
    }
}
