using System.Runtime.InteropServices;
using Tessera.Kernels;
using Tessera.Onnx;
using Tessera.Reference;

namespace Tessera.OnnxCompare;

/// <summary>Evaluates the benchmark models in double precision with Tessera's reference ops (<see cref="RefLinalg"/>,
/// <see cref="RefConv"/>, ...): an oracle independent of every engine, for the op subset the three models use (Gemm,
/// MatMul, Add, Relu, Conv, MaxPool, Reshape, Transpose, Softmax, LayerNormalization). The reference is slow: run it on
/// a small batch (see <see cref="BenchModels.Create"/>).</summary>
public static class ReferenceEvaluator
{
    public static IReadOnlyList<OnnxTensor> Run(OnnxModel model, IReadOnlyDictionary<string, OnnxTensor> inputs)
    {
        var env = new Dictionary<string, RefTensor>();
        var ints = new Dictionary<string, long[]>();
        foreach (var t in model.Graph.Initializers.Concat(inputs.Values))
        {
            if (t.DataType == OnnxDataType.Int64) ints[t.Name] = MemoryMarshal.Cast<byte, long>(t.RawData).ToArray();
            else env[t.Name] = ToRef(t);
        }
        foreach (var n in model.Graph.Nodes)
        {
            RefTensor In(int i) => env[n.Inputs[i]];
            long AttrI(string name, long d) => n.Attributes.TryGetValue(name, out var a) ? a.I : d;
            int Axis(long axis) => (int)(axis < 0 ? axis + In(0).Rank : axis);
            long[]? AttrInts(string name) => n.Attributes.TryGetValue(name, out var a) ? [.. a.Ints!] : null;
            env[n.Outputs[0]] = n.OpType switch
            {
                "Gemm" => RefLinalg.Gemm(In(0), In(1), n.Inputs.Count > 2 ? In(2) : null,
                    new GemmParams(AttrI("transA", 0) != 0, AttrI("transB", 0) != 0,
                        n.Attributes.TryGetValue("alpha", out var al) ? al.F : 1f, 0f)),
                "MatMul" => RefLinalg.MatMul(In(0), In(1)),
                "Add" => RefElementwise.Binary(BinaryOp.Add, In(0), In(1)),
                "Relu" => RefElementwise.Unary(UnaryOp.Relu, In(0)),
                "Conv" => Conv(In(0), In(1), n.Inputs.Count > 2 ? In(2) : null, AttrInts("pads"), AttrInts("strides")),
                "MaxPool" => MaxPool(In(0), AttrInts("kernel_shape")!, AttrInts("strides"), AttrInts("pads")),
                "Reshape" => Reshape(In(0), ints[n.Inputs[1]]),
                "Transpose" => Permute(In(0), AttrInts("perm")!),
                "Softmax" => RefReduction.Softmax(In(0), new SoftmaxParams(Axis(AttrI("axis", -1)))),
                "LayerNormalization" => RefNorm.LayerNorm(In(0), In(1), n.Inputs.Count > 2 ? In(2) : null,
                    new LayerNormParams(Axis(AttrI("axis", -1)), n.Attributes.TryGetValue("epsilon", out var e) ? e.F : 1e-5f)).Y,
                _ => throw new TesseraArgumentException("ReferenceEvaluator", n.OpType, "op is not in the benchmark subset"),
            };
        }
        return [.. model.Graph.Outputs.Select(o => FromRef(o.Name, env[o.Name]))];
    }

    private static RefTensor ToRef(OnnxTensor t)
    {
        if (t.DataType != OnnxDataType.Float) throw new TesseraDTypeException("ReferenceEvaluator", t.Name, $"{t.DataType} is not evaluated");
        return RefTensor.FromFloats(MemoryMarshal.Cast<byte, float>(t.RawData).ToArray(), [.. t.Dims.Select(d => (int)d)]);
    }

    private static OnnxTensor FromRef(string name, RefTensor r) =>
        new(name, OnnxDataType.Float, [.. r.Shape.Select(d => (long)d)], MemoryMarshal.AsBytes(r.ToFloats().AsSpan()).ToArray());

    private static RefTensor Conv(RefTensor x, RefTensor w, RefTensor? b, long[]? pads, long[]? strides)
    {
        var p = pads ?? [0, 0, 0, 0];
        var s = strides ?? [1, 1];
        return RefConv.Conv2d(x, w, b, new Conv2dParams((int)s[0], (int)s[1], (int)p[0], (int)p[1], (int)p[2], (int)p[3]));
    }

    private static RefTensor MaxPool(RefTensor x, long[] kernel, long[]? strides, long[]? pads)
    {
        var p = pads ?? [0, 0, 0, 0];
        var s = strides ?? [1, 1];
        return RefConv.MaxPool2d(x, new Pool2dParams((int)kernel[0], (int)kernel[1], (int)s[0], (int)s[1], (int)p[0], (int)p[1], (int)p[2], (int)p[3])).Y;
    }

    private static RefTensor Reshape(RefTensor x, long[] shape)
    {
        var dims = new int[shape.Length];
        int infer = -1;
        long known = 1;
        for (int i = 0; i < shape.Length; i++)
        {
            dims[i] = shape[i] == 0 ? x.Shape[i] : (int)shape[i];
            if (dims[i] == -1) infer = i;
            else known *= dims[i];
        }
        if (infer >= 0) dims[infer] = (int)(x.Length / known);
        return new RefTensor(dims, x.Data);
    }

    private static RefTensor Permute(RefTensor x, long[] perm)
    {
        var shape = perm.Select(p => x.Shape[p]).ToArray();
        var y = new RefTensor(shape);
        var src = new int[x.Rank];
        for (long flat = 0; flat < y.Length; flat++)
        {
            var idx = y.Unravel(flat);
            for (int i = 0; i < perm.Length; i++) src[perm[i]] = idx[i];
            y.Data[flat] = x[src];
        }
        return y;
    }
}
