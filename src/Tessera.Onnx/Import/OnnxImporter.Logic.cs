using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Onnx.Import;

public sealed partial class OnnxImporter
{
    private void Compare(CompareOp op)
    {
        KnownAttributes();
        if (AllConst())
        {
            var a = ConstIn(0)!;
            var b = ConstIn(1)!;
            SetConst(0, a.IsFloat || b.IsFloat
                ? HostOps.Map(Here, OnnxDataType.Bool, new[] { a, b }, x => ScalarMath.Compare(op, x[0], x[1]) ? 1 : 0)
                : HostOps.MapLong(Here, OnnxDataType.Bool, new[] { a, b }, x => ScalarMath.Compare(op, x[0], x[1]) ? 1 : 0));
            return;
        }
        Set(0, _g.Compare(op, In(0), In(1), OutName()));
    }

    private void Where()
    {
        KnownAttributes();
        if (AllConst())
        {
            var c = ConstIn(0)!;
            var a = ConstIn(1)!;
            var b = ConstIn(2)!;
            SetConst(0, a.IsFloat
                ? HostOps.Map(Here, a.Type, new[] { c, a, b }, x => x[0] != 0 ? x[1] : x[2])
                : HostOps.MapLong(Here, a.Type, new[] { c, a, b }, x => x[0] != 0 ? x[1] : x[2]));
            return;
        }
        Set(0, _g.Where(In(0), In(1), In(2), OutName()));
    }

    private void Not()
    {
        KnownAttributes();
        if (AllConst())
        {
            SetConst(0, HostOps.MapLong(Here, OnnxDataType.Bool, new[] { ConstIn(0)! }, x => x[0] != 0 ? 0 : 1));
            return;
        }
        Set(0, _g.LogicalNot(In(0), OutName()));
    }

    private void Cast()
    {
        KnownAttributes(_opset >= 13 ? ["to", "saturate"] : ["to"]);
        var to = (OnnxDataType)RequiredInt("to");
        if (AllConst())
        {
            var c = ConstIn(0)!;
            if (to is OnnxDataType.String || c.Type is OnnxDataType.String) throw Unsupported($"cast between {c.Type} and {to}");
            SetConst(0, c.CastTo(to));
            return;
        }
        var x = In(0);
        // Tessera casts between float32, float16, bfloat16, int32, int64, uint8 and bool; float64 is kept as Float64 (cast on
        // the host) where the importer keeps it, else computed as float32, and narrow integers as int32
        // (HostTensor.ComputeDType), so a graph output of those types is converted at the end.
        if (to is OnnxDataType.Int8 or OnnxDataType.Int16 or OnnxDataType.Uint16 or OnnxDataType.Uint32 or OnnxDataType.Uint64)
            throw Unsupported($"'to' = {to} (the wrap-around of a narrowing cast has no Tessera kernel)");
        var dtype = HostTensor.ComputeDType(to, _keepF64) ?? throw Unsupported($"'to' = {to} (Tessera has no such element type)");
        if (x.DType == DType.Float64 || dtype == DType.Float64)
        {
            // Casts to or from a kept float64 value run on the host, as ONNX Cast does (HostTensor.CastTo).
            if (x.DType != dtype) { Set(0, _g.Apply1(new HostElementwiseOp("Cast", to, xs => xs[0].CastTo(to)), OutName(), x)); return; }
        }
        Set(0, x.DType == dtype ? _g.Apply1(new ReshapeGraphOp(x.Shape.ToArray()), OutName(), x) : _g.Cast(x, dtype, OutName()));
    }

    private void ArgMax()
    {
        KnownAttributes(_opset >= 12 ? ["axis", "keepdims", "select_last_index"] : ["axis", "keepdims"]);
        var x = F32(0, "data");
        int axis = Axis(Int("axis", 0), x.Shape.Rank);
        Set(0, _g.ArgMax(x, axis, Int("keepdims", 1) != 0, Int("select_last_index", 0) != 0, OutName()));
    }

    private void Split()
    {
        var x = ShapeOf(0);
        long[]? split;
        if (_opset >= 13) { KnownAttributes("axis"); split = Has(1) ? RequireConst(1, "split").AsLongs() : null; }
        else { KnownAttributes("axis", "split"); split = Ints("split"); }
        if (x.Length == 0) throw new TesseraShapeException(Here, "input", "is a scalar: Split needs at least one dimension");
        int axis = Axis(Int("axis", 0), x.Length);
        int parts = _node.Outputs.Count;
        if (parts == 0) throw new TesseraArgumentException(Here, "outputs", "Split needs at least one output");
        int[] sizes;
        if (split is null || split.Length == 0)
        {
            if (x[axis] % parts != 0) throw new TesseraShapeException(Here, "input", $"axis {axis} of size {x[axis]} does not split into {parts} equal parts");
            sizes = Enumerable.Repeat(x[axis] / parts, parts).ToArray();
        }
        else
        {
            if (split.Length != parts) throw new TesseraArgumentException(Here, "split", $"has {split.Length} sizes for {parts} outputs");
            if (split.Any(s => s < 0) || split.Sum() != x[axis])
                throw new TesseraShapeException(Here, "split", $"sizes [{string.Join(", ", split)}] do not sum to {x[axis]}");
            sizes = split.Select(s => ToInt(s, "split")).ToArray();
        }
        if (ConstIn(0) is { } c && c.Count <= _options.MaxFoldedElements)
        {
            int off = 0;
            for (int k = 0; k < parts; k++)
            {
                var dims = (int[])c.Dims.Clone();
                dims[axis] = sizes[k];
                SetConst(k, HostOps.Take(c, HostOps.AxisSelect(c.Dims, axis, Enumerable.Range(off, sizes[k]).Select(i => (long)i).ToArray()), dims));
                off += sizes[k];
            }
            return;
        }
        var outs = _g.Split(In(0), axis, sizes, OutName());
        for (int k = 0; k < parts; k++) Set(k, outs[k]);
    }

    private void Pad()
    {
        string modeName;
        long[] pads;
        float value = 0;
        var x = ShapeOf(0);
        if (_opset < 11)
        {
            KnownAttributes("mode", "pads", "value");
            modeName = Str("mode", "constant");
            pads = Ints("pads") ?? throw new TesseraArgumentException(Here, "pads", "required attribute is missing");
            value = Float("value", 0f);
        }
        else
        {
            KnownAttributes("mode");
            modeName = Str("mode", "constant");
            pads = RequireConst(1, "pads").AsLongs();
            if (Has(2)) value = (float)RequireScalar(2, "constant_value").Get(0);
            if (Has(3)) throw Unsupported("input 'axes' (opset 18)");
        }
        if (pads.Length != 2 * x.Length) throw new TesseraArgumentException(Here, "pads", $"needs {2 * x.Length} values for rank {x.Length}, got {pads.Length}");
        var mode = modeName switch
        {
            "constant" => PadMode.Constant,
            "reflect" => PadMode.Reflect,
            "edge" => PadMode.Edge,
            _ => throw Unsupported($"mode '{modeName}'"),
        };
        var p = new PadParams(pads.Select(v => ToInt(v, "pads")).ToArray(), mode, value);
        Set(0, _g.Pad(In(0), p, OutName()));
    }

    // ---- training domain ------------------------------------------------------------------------------------------

    private void Gradient()
    {
        KnownAttributes("xs", "y", "zs");
        var xs = Strings("xs") ?? throw new TesseraArgumentException(Here, "xs", "required attribute is missing");
        var yName = Str("y", "");
        if (yName.Length == 0) throw new TesseraArgumentException(Here, "y", "required attribute is missing");
        if (_node.Outputs.Count != xs.Length) throw new TesseraArgumentException(Here, "outputs", $"{_node.Outputs.Count} outputs for {xs.Length} names in 'xs'");
        if (!_values.TryGetValue(yName, out var y)) throw new TesseraArgumentException(Here, "y", $"'{yName}' is not a value computed by the graph");
        // A target must be a value the forward graph computed with (an input, or an initializer bound on the device);
        // one the importer folded away on the host has no path to y in the graph.
        var targets = xs.Select(name => _values.TryGetValue(name, out var v) ? v
            : throw new TesseraArgumentException(Here, "xs", $"'{name}' is not a value of the graph (folded constants have no gradient path)")).ToArray();
        // The gradient of y is seeded with ones: differentiate the sum of its elements.
        var loss = y.Shape.ElementCount == 1 ? y : _g.Sum(y, Enumerable.Range(0, y.Shape.Rank).ToArray());
        var grads = Autodiff.AppendBackward(_g, loss, targets);
        for (int k = 0; k < xs.Length; k++) Set(k, grads[targets[k]]);
    }

    private Value[] OptimizerTensors(int groups, out int n)
    {
        n = InputCount - 2;
        if (n <= 0 || n % groups != 0) throw new TesseraArgumentException(Here, "inputs", $"expects R, T and {groups}·n tensors, got {InputCount} inputs");
        n /= groups;
        return Enumerable.Range(2, InputCount - 2).Select(i => In(i)).ToArray();
    }

    private void Adam()
    {
        KnownAttributes("alpha", "beta", "epsilon", "norm_coefficient", "norm_coefficient_post");
        var tensors = OptimizerTensors(4, out _);
        // R and T are read from their tensors at run time; LearningRate and Step here are placeholders the op replaces.
        var p = new AdamParams(0f, Float("alpha", 0.9f), Float("beta", 0.999f), Float("epsilon", 1e-6f), Float("norm_coefficient", 0f),
            Decoupled: false, Step: 0, Mode: OptimizerMode.DecayedRate, NormCoefficientPost: Float("norm_coefficient_post", 0f));
        var outs = _g.AdamStep(In(0), In(1), tensors, p, OutName());
        for (int k = 0; k < outs.Length; k++) Set(k, outs[k]);
    }

    private void Momentum()
    {
        KnownAttributes("alpha", "beta", "mode", "norm_coefficient");
        var tensors = OptimizerTensors(3, out _);
        string mode = Str("mode", "");
        if (mode is not ("standard" or "nesterov")) throw Unsupported($"mode '{mode}'");
        var p = new MomentumParams(0f, RequiredFloat("alpha"), 1f - RequiredFloat("beta"), RequiredFloat("norm_coefficient"),
            Nesterov: mode == "nesterov", Step: 0, Mode: OptimizerMode.DecayedRate);
        var outs = _g.MomentumStep(In(0), In(1), tensors, p, OutName());
        for (int k = 0; k < outs.Length; k++) Set(k, outs[k]);
    }
}
