using Tessera.Onnx;
using Tessera.Onnx.Protobuf;

namespace Tessera.Tests.Onnx;

/// <summary>Hostile and broken protobuf input: always an <see cref="OnnxFormatException"/> naming what is wrong.</summary>
public class OnnxMalformedTests
{
    private static OnnxFormatException Tensor(Pb t, string expect)
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxReader.ReadTensor(t.ToArray()));
        Assert.Contains(expect, e.Message);
        Assert.Equal("OnnxReader.ReadTensor", e.Op);
        return e;
    }

    private static OnnxFormatException Model(byte[] bytes, string expect)
    {
        var e = Assert.Throws<OnnxFormatException>(() => OnnxReader.ReadModel(bytes));
        Assert.Contains(expect, e.Message);
        return e;
    }

    [Fact]
    public void External_data_without_a_folder_is_rejected_with_a_clear_message()
    {
        // A lone tensor or a model read from bytes has no folder to find the file in (ExternalDataTests reads one from its path).
        var t = Pb.Tensor("w", 1, [4]).Msg(13, new Pb().Str(1, "location").Str(2, "w.bin")).Varint(14, 1);
        var e = Tensor(t, "external");
        Assert.Contains("'w'", e.Message);
        var model = Pb.Model(new Pb().Msg(5, t)).ToArray();
        Assert.Contains("'w.bin'", Model(model, "read the model from its path").Message);
    }

    [Fact]
    public void Raw_data_shorter_or_longer_than_its_dims()
    {
        Tensor(Pb.Tensor("w", 1, [3], new byte[8]), "raw_data holds 8 bytes");
        Tensor(Pb.Tensor("w", 1, [3], new byte[16]), "raw_data holds 16 bytes");
        Tensor(Pb.Tensor("w", 7, [2, 2], new byte[24]), "need 32");
    }

    [Fact]
    public void Typed_data_count_must_match_dims()
    {
        Tensor(Pb.Tensor("f", 1, [3]).PackedFloats(4, 1, 2), "float_data holds 8 bytes");
        Tensor(Pb.Tensor("i", 6, [3]).PackedVarints(5, 1, 2, 3, 4), "int32_data holds 4 values");
        Tensor(Pb.Tensor("l", 7, [2]), "int64_data holds 0 values");
        Tensor(Pb.Tensor("s", 8, [2]).Str(6, "x"), "1 strings");
        Tensor(Pb.Tensor("f", 1, [3]).Bytes(4, new byte[7]), "not a multiple of 4");
    }

    [Theory]
    [InlineData(new long[] { -1 }, "negative dimension -1")]
    [InlineData(new long[] { 4, -3 }, "negative dimension -3")]
    [InlineData(new long[] { 1L << 20, 1L << 20, 1L << 20 }, "exceed")]
    [InlineData(new long[] { 1L << 40 }, "absurd dimension")]
    [InlineData(new long[] { long.MaxValue, 0 }, "absurd dimension")]
    public void Absurd_and_negative_dims_are_refused_before_allocating(long[] dims, string expect)
    {
        Tensor(Pb.Tensor("x", 1, dims, new byte[4]), expect);
        Tensor(Pb.Tensor("x", 1, dims), expect);
    }

    [Fact]
    public void Wrong_wire_types_for_known_fields()
    {
        Tensor(new Pb().Varint(8, 5), "'TensorProto.name' has wire type Varint");
        Tensor(new Pb().Fixed32(1, 1f), "'TensorProto.dims' has wire type Fixed32");
        Tensor(new Pb().Str(2, "float"), "'TensorProto.data_type'");
        Model(new Pb().Varint(7, 1).ToArray(), "'ModelProto.graph' has wire type Varint");
        Model(Pb.Model(new Pb().Msg(1, new Pb().Varint(4, 3))).ToArray(), "NodeProto.op_type");
        Model(Pb.Model(new Pb().Msg(1, Pb.Node("X", [], [], new Pb().Str(1, "a").Str(2, "f")))).ToArray(), "AttributeProto.f");
    }

    [Fact]
    public void Invalid_tags_varints_and_lengths()
    {
        Tensor(new Pb().Raw(0x0F, 0x00), "invalid wire type 7");
        Tensor(new Pb().Raw(0x0B), "groups");
        Tensor(new Pb().Raw(0x00, 0x01), "invalid field number 0");
        Tensor(new Pb().Raw(0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F), "overflows 64 bits");
        Tensor(new Pb().Raw(0x08, 0xFF, 0xFF), "truncated varint");
        Tensor(new Pb().Tag(8, 2).VarintRaw(1000).Raw(1, 2, 3), "length 1000 runs past the end");
        Tensor(new Pb().Tag(8, 2).VarintRaw(ulong.MaxValue), "runs past the end");
        Tensor(new Pb().Tag(99, 1).Raw(1, 2, 3), "truncated fixed64");
        Tensor(new Pb().Tag(4, 5).Raw(1, 2), "truncated");
    }

    [Fact]
    public void Deep_nesting_is_limited()
    {
        var graph = new Pb().Msg(1, Pb.Node("Leaf", [], ["y"]));
        for (int i = 0; i < 40; i++)
            graph = new Pb().Msg(1, Pb.Node("If", [], ["y"], new Pb().Str(1, "then_branch").Varint(20, 5).Msg(6, graph)));
        Model(Pb.Model(graph).ToArray(), $"nested deeper than {ProtoReader.MaxDepth}");
        // A handful of levels is fine.
        var shallow = new Pb().Msg(1, Pb.Node("Leaf", [], ["y"]));
        for (int i = 0; i < 5; i++)
            shallow = new Pb().Msg(1, Pb.Node("If", [], ["y"], new Pb().Str(1, "g").Varint(20, 5).Msg(6, shallow)));
        var m = OnnxReader.ReadModel(Pb.Model(shallow).ToArray());
        Assert.Equal("If", m.Graph.Nodes[0].OpType);
    }

    [Fact]
    public void Missing_graph_duplicate_attribute_segments_and_unknown_types()
    {
        Model(new Pb().Varint(1, 8).ToArray(), "no graph");
        Model([], "no graph");
        var dup = Pb.Node("X", [], [], new Pb().Str(1, "a").Varint(3, 1), new Pb().Str(1, "a").Varint(3, 2));
        Model(Pb.Model(new Pb().Msg(1, dup)).ToArray(), "attribute 'a' twice");
        Tensor(Pb.Tensor("x", 1, [1], new byte[4]).Msg(3, new Pb().Varint(1, 0).Varint(2, 1)), "segment");
        Tensor(Pb.Tensor("x", 17, [1], new byte[1]), "unsupported data_type 17");
        Tensor(Pb.Tensor("x", 0, [1], new byte[4]), "unsupported data_type 0");
        Tensor(Pb.Tensor("x", 8, [1], new byte[4]), "string tensor with raw_data");
    }

    [Fact]
    public void Every_prefix_of_a_model_parses_or_fails_cleanly()
    {
        var graph = new Pb().Msg(1, Pb.Node("Gemm", ["x", "w"], ["y"], new Pb().Str(1, "alpha").Varint(20, 1).Fixed32(2, 2f)))
            .Msg(5, Pb.Tensor("w", 1, [2, 2]).PackedFloats(4, 1, 2, 3, 4)).Msg(11, Pb.ValueInfo("x", 1, "N", 2));
        byte[] full = Pb.Model(graph).ToArray();
        int failures = 0;
        for (int n = 0; n < full.Length; n++)
        {
            try { OnnxReader.ReadModel(full.AsSpan(0, n)); }
            catch (OnnxFormatException) { failures++; }
        }
        // Cutting inside the graph message (which is most of the file) always breaks a length.
        Assert.True(failures > full.Length / 2, $"{failures} of {full.Length} prefixes failed");
        Assert.Equal("Gemm", OnnxReader.ReadModel(full).Graph.Nodes[0].OpType);
    }
}
