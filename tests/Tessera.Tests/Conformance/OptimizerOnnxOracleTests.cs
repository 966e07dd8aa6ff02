using Tessera.Devices;
using System.Text;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>External oracle: the ONNX backend node tests for the ai.onnx.preview.training Adam/Momentum operators
/// (Debian package libonnx-testdata). Attributes come from model.onnx, inputs and expected outputs from the
/// TensorProto files; both the reference and the CPU kernels must reproduce the expected outputs.</summary>
public class OptimizerOnnxOracleTests
{
    private const string Root = "/usr/share/libonnx-testdata/data/node";
    private static IDevice Dev => TestDevices.Target;

    public static TheoryData<string> Cases() => new()
    {
        "test_adam", "test_adam_multiple", "test_momentum", "test_momentum_multiple", "test_nesterov_momentum",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesOnnxBackendTestData(string name)
    {
        string dir = Path.Combine(Root, name);
        Requirement.Require(File.Exists(Path.Combine(dir, "model.onnx")),
            $"ONNX backend test data not found at {dir} (Debian package libonnx-testdata)");
        var node = OnnxMini.ReadSingleNode(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
        var inputs = Enumerable.Range(0, node.Inputs.Count)
            .Select(i => OnnxMini.ReadTensor(File.ReadAllBytes(Path.Combine(dir, "test_data_set_0", $"input_{i}.pb")))).ToArray();
        var outputs = Enumerable.Range(0, node.Outputs.Count)
            .Select(i => OnnxMini.ReadTensor(File.ReadAllBytes(Path.Combine(dir, "test_data_set_0", $"output_{i}.pb")))).ToArray();
        Assert.Equal("ai.onnx.preview.training", node.Domain);
        float r = (float)inputs[0].Data[0];
        long t = (long)inputs[1].Data[0];
        float alpha = node.Floats["alpha"], beta = node.Floats["beta"], norm = node.Floats.GetValueOrDefault("norm_coefficient");
        if (node.OpType == "Adam")
        {
            int k = (inputs.Length - 2) / 4;   // inputs: R, T, X1..Xk, G1..Gk, V1..Vk, H1..Hk; outputs: X.., V.., H..
            // test_adam_multiple's model omits the epsilon attribute (operator default 1e-6), but its expected outputs
            // were generated with epsilon = 0.01 (onnx/backend/test/case/node/adam.py, export_adam_multiple).
            float eps = node.Floats.TryGetValue("epsilon", out var e) ? e : name == "test_adam_multiple" ? 1e-2f : 1e-6f;
            var p = new AdamParams(r, alpha, beta, eps, norm, Step: t,
                Mode: OptimizerMode.DecayedRate, NormCoefficientPost: node.Floats.GetValueOrDefault("norm_coefficient_post"));
            for (int i = 0; i < k; i++)
            {
                RefTensor x = inputs[2 + i], g = inputs[2 + k + i], v = inputs[2 + 2 * k + i], h = inputs[2 + 3 * k + i];
                var (rx, rv, rh) = RefOptimizer.AdamStep(x, g, v, h, p);
                Approx.Equal(outputs[i], rx.Data, 1e-6, 1e-5, $"{name} reference X{i}");
                Approx.Equal(outputs[k + i], rv.Data, 1e-6, 1e-5, $"{name} reference V{i}");
                Approx.Equal(outputs[2 * k + i], rh.Data, 1e-6, 1e-5, $"{name} reference H{i}");
                using var dx = x.ToDevice(Dev);
                using var dg = g.ToDevice(Dev);
                using var dv = v.ToDevice(Dev);
                using var dh = h.ToDevice(Dev);
                Ops.AdamStep(dx, dg, dv, dh, p);
                Approx.Equal(outputs[i], dx, 1e-6, 1e-5, $"{name} cpu X{i}");
                Approx.Equal(outputs[k + i], dv, 1e-6, 1e-5, $"{name} cpu V{i}");
                Approx.Equal(outputs[2 * k + i], dh, 1e-6, 1e-5, $"{name} cpu H{i}");
            }
        }
        else
        {
            Assert.Equal("Momentum", node.OpType);
            int k = (inputs.Length - 2) / 3;   // inputs: R, T, X.., G.., V..; outputs: X.., V..
            var p = new MomentumParams(r, alpha, Dampening: 1 - beta, WeightDecay: norm,
                Nesterov: node.Strings["mode"] == "nesterov", Step: t, Mode: OptimizerMode.DecayedRate);
            for (int i = 0; i < k; i++)
            {
                RefTensor x = inputs[2 + i], g = inputs[2 + k + i], v = inputs[2 + 2 * k + i];
                var (rx, rv) = RefOptimizer.MomentumStep(x, g, v, p);
                Approx.Equal(outputs[i], rx.Data, 1e-6, 1e-5, $"{name} reference X{i}");
                Approx.Equal(outputs[k + i], rv.Data, 1e-6, 1e-5, $"{name} reference V{i}");
                using var dx = x.ToDevice(Dev);
                using var dg = g.ToDevice(Dev);
                using var dv = v.ToDevice(Dev);
                Ops.MomentumStep(dx, dg, dv, p);
                Approx.Equal(outputs[i], dx, 1e-6, 1e-5, $"{name} cpu X{i}");
                Approx.Equal(outputs[k + i], dv, 1e-6, 1e-5, $"{name} cpu V{i}");
            }
        }
    }
}

/// <summary>Just enough protobuf to read an ONNX single-node model's attributes and TensorProto files.</summary>
internal static class OnnxMini
{
    public sealed record Node(string OpType, string Domain, List<string> Inputs, List<string> Outputs,
        Dictionary<string, float> Floats, Dictionary<string, long> Ints, Dictionary<string, string> Strings);

    private ref struct Reader(ReadOnlySpan<byte> data)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _pos;
        public bool More => _pos < _data.Length;

        public ulong Varint()
        {
            ulong v = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = _data[_pos++];
                v |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80) return v;
            }
        }

        public (int Field, int Wire) Tag() { ulong t = Varint(); return ((int)(t >> 3), (int)(t & 7)); }

        public ReadOnlySpan<byte> Bytes() { int n = (int)Varint(); var s = _data.Slice(_pos, n); _pos += n; return s; }

        public float Fixed32() { float f = BitConverter.ToSingle(_data.Slice(_pos, 4)); _pos += 4; return f; }

        public void Skip(int wire)
        {
            switch (wire)
            {
                case 0: Varint(); break;
                case 1: _pos += 8; break;
                case 2: Bytes(); break;
                case 5: _pos += 4; break;
                default: throw new InvalidDataException($"wire type {wire}");
            }
        }
    }

    public static Node ReadSingleNode(byte[] model)
    {
        var r = new Reader(model);
        while (r.More)
        {
            var (f, w) = r.Tag();
            if (f == 7 && w == 2) return ReadGraphNode(r.Bytes());   // ModelProto.graph
            r.Skip(w);
        }
        throw new InvalidDataException("no graph");
    }

    private static Node ReadGraphNode(ReadOnlySpan<byte> graph)
    {
        var r = new Reader(graph);
        while (r.More)
        {
            var (f, w) = r.Tag();
            if (f == 1 && w == 2) return ReadNode(r.Bytes());         // GraphProto.node (the first)
            r.Skip(w);
        }
        throw new InvalidDataException("no node");
    }

    private static Node ReadNode(ReadOnlySpan<byte> bytes)
    {
        var node = new Node("", "", new(), new(), new(), new(), new());
        string op = "", domain = "";
        var r = new Reader(bytes);
        while (r.More)
        {
            var (f, w) = r.Tag();
            switch (f)
            {
                case 1: node.Inputs.Add(Encoding.UTF8.GetString(r.Bytes())); break;
                case 2: node.Outputs.Add(Encoding.UTF8.GetString(r.Bytes())); break;
                case 4: op = Encoding.UTF8.GetString(r.Bytes()); break;
                case 7: domain = Encoding.UTF8.GetString(r.Bytes()); break;
                case 5: ReadAttribute(r.Bytes(), node); break;
                default: r.Skip(w); break;
            }
        }
        return node with { OpType = op, Domain = domain };
    }

    private static void ReadAttribute(ReadOnlySpan<byte> bytes, Node node)
    {
        var r = new Reader(bytes);
        string name = "";
        float? fv = null; long? iv = null; string? sv = null;
        while (r.More)
        {
            var (f, w) = r.Tag();
            if (f == 1 && w == 2) name = Encoding.UTF8.GetString(r.Bytes());
            else if (f == 2 && w == 5) fv = r.Fixed32();
            else if (f == 3 && w == 0) iv = (long)r.Varint();
            else if (f == 4 && w == 2) sv = Encoding.UTF8.GetString(r.Bytes());
            else r.Skip(w);
        }
        if (fv is float x) node.Floats[name] = x;
        if (iv is long i) node.Ints[name] = i;
        if (sv is string s) node.Strings[name] = s;
    }

    /// <summary>A TensorProto (float or int64; raw_data or typed fields) as a reference tensor.</summary>
    public static RefTensor ReadTensor(byte[] bytes)
    {
        var r = new Reader(bytes);
        var dims = new List<int>();
        int type = 0;
        var values = new List<double>();
        byte[]? raw = null;
        while (r.More)
        {
            var (f, w) = r.Tag();
            if (f == 1 && w == 0) dims.Add((int)r.Varint());
            else if (f == 1 && w == 2) { var p = new Reader(r.Bytes()); while (p.More) dims.Add((int)p.Varint()); }
            else if (f == 2 && w == 0) type = (int)r.Varint();
            else if (f == 4 && w == 2) { var p = new Reader(r.Bytes()); while (p.More) values.Add(p.Fixed32()); }
            else if (f == 4 && w == 5) values.Add(r.Fixed32());
            else if (f == 7 && w == 2) { var p = new Reader(r.Bytes()); while (p.More) values.Add((long)p.Varint()); }
            else if (f == 7 && w == 0) values.Add((long)r.Varint());
            else if (f == 9 && w == 2) raw = r.Bytes().ToArray();
            else r.Skip(w);
        }
        if (raw is not null)
        {
            values.Clear();
            if (type == 1) for (int i = 0; i < raw.Length; i += 4) values.Add(BitConverter.ToSingle(raw, i));
            else if (type == 7) for (int i = 0; i < raw.Length; i += 8) values.Add(BitConverter.ToInt64(raw, i));
            else throw new InvalidDataException($"tensor data type {type}");
        }
        return new RefTensor(dims.ToArray(), values.ToArray());
    }
}
