using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Onnx.Import;

public sealed partial class OnnxImporter
{
    /// <summary>Padding of one spatial axis per auto_pad (SAME_UPPER/SAME_LOWER/VALID) or the explicit pads.</summary>
    private (int[] Begin, int[] End) SpatialPads(int[] input, int[] kernel, int[] stride, int[] dilation)
    {
        int n = input.Length;
        string autoPad = Str("auto_pad", "NOTSET");
        var begin = new int[n];
        var end = new int[n];
        switch (autoPad)
        {
            case "NOTSET":
                var pads = Ints("pads");
                if (pads is not null)
                {
                    if (pads.Length != 2 * n) throw new TesseraArgumentException(Here, "pads", $"needs {2 * n} values, got {pads.Length}");
                    if (pads.Any(p => p < 0)) throw new TesseraArgumentException(Here, "pads", "negative padding");
                    for (int i = 0; i < n; i++) { begin[i] = ToInt(pads[i], "pads"); end[i] = ToInt(pads[i + n], "pads"); }
                }
                break;
            case "VALID":
                break;
            case "SAME_UPPER":
            case "SAME_LOWER":
                for (int i = 0; i < n; i++)
                {
                    long outSize = ((long)input[i] + stride[i] - 1) / stride[i];
                    long extent = SizeMath.Add(Here, "dilations", SizeMath.Multiply(Here, "dilations", kernel[i] - 1L, dilation[i]), 1);
                    long span = SizeMath.Add(Here, "strides", SizeMath.Multiply(Here, "strides", outSize - 1, stride[i]), extent);
                    int total = SizeMath.Dim(Here, "pads", Math.Max(span - input[i], 0), $"the {autoPad} padding of spatial axis {i}");
                    int small = total / 2, large = total - small;
                    (begin[i], end[i]) = autoPad == "SAME_UPPER" ? (small, large) : (large, small);
                }
                break;
            default:
                throw Unsupported($"auto_pad '{autoPad}'");
        }
        return (begin, end);
    }

    private int[] SpatialInts(string name, int n, int fallback)
    {
        var v = Ints(name);
        if (v is null) return Enumerable.Repeat(fallback, n).ToArray();
        if (v.Length != n) throw new TesseraArgumentException(Here, name, $"needs {n} values, got {v.Length}");
        if (v.Any(x => x < 1)) throw new TesseraArgumentException(Here, name, $"values must be at least 1, got [{string.Join(", ", v)}]");
        return v.Select(x => ToInt(x, name)).ToArray();
    }

    /// <summary>x as 4-D NCHW: 1-D spatial inputs get a height of 1; other ranks are unsupported.</summary>
    private Value As4d(Value x, string what)
    {
        if (x.Shape.Rank == 4) return x;
        if (x.Shape.Rank == 3) return _g.Reshape(x, x.Shape[0], x.Shape[1], 1, x.Shape[2]);
        throw Unsupported($"{x.Shape.Rank - 2}-D spatial input '{what}' (1-D, 2-D and 3-D are supported)");
    }

    private static int[] Pad1(int[] v, int fill) => v.Length == 1 ? new[] { fill, v[0] } : v;

    private void Conv()
    {
        KnownAttributes("auto_pad", "dilations", "group", "kernel_shape", "pads", "strides");
        var x = F32(0, "X");
        var w = F32(1, "W");
        int sp = x.Shape.Rank - 2;
        if (sp < 1) throw new TesseraShapeException(Here, "X", $"needs rank 3 or more, got {x}");
        if (w.Shape.Rank != x.Shape.Rank) throw new TesseraShapeException(Here, "W", $"rank differs from X: {w} vs {x}");
        var kernel = Ints("kernel_shape")?.Select(k => ToInt(k, "kernel_shape")).ToArray() ?? w.Shape.ToArray()[2..];
        if (!kernel.AsSpan().SequenceEqual(w.Shape.ToArray().AsSpan(2))) throw new TesseraShapeException(Here, "kernel_shape", $"[{string.Join(", ", kernel)}] differs from W {w}");
        var strides = SpatialInts("strides", sp, 1);
        var dil = SpatialInts("dilations", sp, 1);
        var (b, e) = SpatialPads(x.Shape.ToArray()[2..], kernel, strides, dil);
        int group = ToInt(Int("group", 1), "group");
        if (sp == 3)
        {
            Set(0, Conv3d(x, w, Has(2) ? F32(2, "B") : null, strides, dil, b, e, group));
            return;
        }
        var x4 = As4d(x, "X");
        var w4 = sp == 1 ? _g.Reshape(w, w.Shape[0], w.Shape[1], 1, w.Shape[2]) : w;
        var s2 = Pad1(strides, 1);
        var d2 = Pad1(dil, 1);
        var b2 = Pad1(b, 0);
        var e2 = Pad1(e, 0);
        var p = new Conv2dParams(s2[0], s2[1], b2[0], b2[1], e2[0], e2[1], d2[0], d2[1], group);
        var y = _g.Conv2d(x4, w4, Has(2) ? F32(2, "B") : null, p, name: sp == 2 ? OutName() : null);
        if (sp == 1) y = _g.Reshape(y, y.Shape[0], y.Shape[1], y.Shape[3]);
        Set(0, y);
    }

    private void Pool(bool max)
    {
        KnownAttributes(max
            ? ["auto_pad", "ceil_mode", "dilations", "kernel_shape", "pads", "storage_order", "strides"]
            : ["auto_pad", "ceil_mode", "count_include_pad", "kernel_shape", "pads", "strides"]);
        var x = In(0);
        if (max && x.DType == DType.UInt8 && !Wants(1))
        {
            // Max pooling of uint8 is exact in float32: pool the converted values and convert back.
            var saved = x;
            _values[InName(0)] = _g.Cast(x, DType.Float32);
            try { Pool(max); }
            finally { _values[InName(0)] = saved; }
            if (Wants(0)) Set(0, _g.Cast(_values[OutName()], DType.UInt8, OutName()));   // an omitted output is not computed
            return;
        }
        x = F32(0, "X");
        int sp = x.Shape.Rank - 2;
        if (sp is not (1 or 2 or 3)) throw Unsupported($"{sp}-D pooling (1-D, 2-D and 3-D are supported)");
        var kernel = SpatialInts("kernel_shape", sp, 0);
        if (Attr("kernel_shape") is null) throw new TesseraArgumentException(Here, "kernel_shape", "required attribute is missing");
        var strides = SpatialInts("strides", sp, 1);
        var dil = max ? SpatialInts("dilations", sp, 1) : Enumerable.Repeat(1, sp).ToArray();
        var (b, e) = SpatialPads(x.Shape.ToArray()[2..], kernel, strides, dil);
        bool ceil = Int("ceil_mode", 0) != 0;
        bool includePad = Int("count_include_pad", 0) != 0;
        if (max && Wants(1) && sp == 3) throw Unsupported("output 'Indices' of 3-D pooling");
        if (sp == 3)
        {
            Set(0, Pool3d(max, x, kernel, strides, dil, b, e, ceil, includePad));
            return;
        }
        var k2 = Pad1(kernel, 1);
        var s2 = Pad1(strides, 1);
        var d2 = Pad1(dil, 1);
        var b2 = Pad1(b, 0);
        var e2 = Pad1(e, 0);
        var p = new Pool2dParams(k2[0], k2[1], s2[0], s2[1], b2[0], b2[1], e2[0], e2[1], d2[0], d2[1], ceil, includePad);
        var x4 = As4d(x, "X");
        if (max && Wants(1))
        {
            var outs = _g.Apply(new Pool2dGraphOp(true, p), OutName(), x4);
            Set(0, sp == 1 ? _g.Reshape(outs[0], outs[0].Shape[0], outs[0].Shape[1], outs[0].Shape[3]) : outs[0]);
            Set(1, OnnxPoolIndices(outs[1], x4.Shape, sp, Int("storage_order", 0) != 0));
            return;
        }
        var y = max ? _g.MaxPool2d(x4, p, sp == 2 ? OutName() : null) : _g.AvgPool2d(x4, p, sp == 2 ? OutName() : null);
        if (sp == 1) y = _g.Reshape(y, y.Shape[0], y.Shape[1], y.Shape[3]);
        Set(0, y);
    }

    /// <summary>Tessera's max-pool indices (ih·W + iw within each plane) as ONNX Indices: flat over the whole input,
    /// row-major (storage_order 0) or with the spatial axes column-major (storage_order 1: iw·H + ih).</summary>
    private Value OnnxPoolIndices(Value idx, Shape x4, int sp, bool columnMajor)
    {
        int n = x4[0], c = x4[1], h = x4[2], w = x4[3];
        var offsets = HostTensor.Of(OnnxDataType.Int64, new[] { n, c, 1, 1 },
            Enumerable.Range(0, n * c).Select(pl => (long)pl * h * w).ToArray());
        var offsetValue = BindConstant($"{OutName(1)}:plane_offsets", offsets);
        var onnx = _g.Apply1(new HostElementwiseOp("MaxPoolIndices", OnnxDataType.Int64, xs =>
            HostOps.MapLong(Here, OnnxDataType.Int64, xs, v => v[1] + (columnMajor ? (v[0] % w) * h + v[0] / w : v[0]))), null, idx, offsetValue);
        return sp == 1 ? _g.Reshape(onnx, onnx.Shape[0], onnx.Shape[1], onnx.Shape[3]) : onnx;
    }

    /// <summary>A host tensor bound as a graph constant on the device.</summary>
    private Value BindConstant(string name, HostTensor c)
    {
        var t = c.ToTensor(_device, Here, name);
        _owned.Add(t);
        return _g.Constant(name, t);
    }

    private void GlobalPool(ReduceOp op)
    {
        KnownAttributes();
        var x = F32(0, "X");
        if (x.Shape.Rank < 3) throw new TesseraShapeException(Here, "X", $"needs rank 3 or more, got {x}");
        Set(0, _g.Reduce(op, x, Enumerable.Range(2, x.Shape.Rank - 2).ToArray(), keepDims: true, name: OutName()));
    }

    /// <summary>A [C] vector reshaped to [C, 1, ..., 1] to broadcast against [N, C, spatial...].</summary>
    private Value PerChannel(Value v, int rank) =>
        _g.Reshape(v, new[] { v.Shape.ElementCount > 0 ? (int)v.Shape.ElementCount : 0 }.Concat(Enumerable.Repeat(1, Math.Max(rank - 2, 0))).ToArray());

    private void BatchNormalization()
    {
        var names = new List<string> { "epsilon", "momentum" };
        if (_opset < 9) names.Add("spatial");
        if (_opset < 7) names.Add("is_test");
        if (_opset >= 14) names.Add("training_mode");
        KnownAttributes(names.ToArray());
        if (_opset < 9 && Int("spatial", 1) != 1) throw Unsupported("spatial = 0");
        float eps = Float("epsilon", 1e-5f), momentum = Float("momentum", 0.9f);
        bool training = _opset >= 14 ? Int("training_mode", 0) != 0
            : _opset < 7 ? Int("is_test", 0) == 0 && (Wants(1) || Wants(2) || Wants(3) || Wants(4))
            : Wants(1) || Wants(2) || Wants(3) || Wants(4);
        var x = F32(0, "X");
        int r = x.Shape.Rank;
        if (r < 2) throw new TesseraShapeException(Here, "X", $"needs rank 2 or more, got {x}");
        var scale = F32(1, "scale");
        var bias = F32(2, "B");
        var mean = F32(3, "input_mean");
        var var_ = F32(4, "input_var");
        int c = x.Shape[1];
        foreach (var (v, n) in new[] { (scale, "scale"), (bias, "B"), (mean, "input_mean"), (var_, "input_var") })
            if (v.Shape.Rank != 1 || v.Shape[0] != c) throw new TesseraShapeException(Here, n, $"expected [{c}], got {v}");
        if (!training)
        {
            // y = x·a + b with a = scale/√(var+ε), b = B − mean·a.
            var a = _g.Mul(scale, _g.Unary(UnaryOp.PowScalar, _g.Affine(var_, 1f, eps), new UnaryParams(-0.5f)));
            var b = _g.Sub(bias, _g.Mul(mean, a));
            Set(0, _g.Add(_g.Mul(x, PerChannel(a, r)), PerChannel(b, r), OutName()));
            return;
        }
        var axes = Enumerable.Range(0, r).Where(i => i != 1).ToArray();
        var bm = _g.Mean(x, axes, keepDims: true);
        var d = _g.Sub(x, bm);
        var bv = _g.Mean(_g.Mul(d, d), axes, keepDims: true);
        var inv = _g.Unary(UnaryOp.PowScalar, _g.Affine(bv, 1f, eps), new UnaryParams(-0.5f));
        var y = _g.Add(_g.Mul(_g.Mul(d, inv), PerChannel(scale, r)), PerChannel(bias, r), OutName());
        Set(0, y);
        var bm1 = _g.Reshape(bm, c);
        var bv1 = _g.Reshape(bv, c);
        var runMean = _g.Add(_g.Affine(mean, momentum), _g.Affine(bm1, 1 - momentum));
        var runVar = _g.Add(_g.Affine(var_, momentum), _g.Affine(bv1, 1 - momentum));
        Set(1, runMean);
        Set(2, runVar);
        if (_opset < 14)
        {
            Set(3, bm1);
            Set(4, bv1);
        }
    }

    private void LayerNormalization()
    {
        KnownAttributes("axis", "epsilon", "stash_type");
        if (Int("stash_type", 1) != 1) throw Unsupported($"stash_type {Int("stash_type", 1)}");
        var x = F32(0, "X");
        int r = x.Shape.Rank;
        int axis = Axis(Int("axis", -1), r);
        float eps = Float("epsilon", 1e-5f);
        var affine = x.Shape.ToArray()[axis..];
        Value Affine(Value v) => v.Shape.ToArray().SequenceEqual(affine) ? v : _g.Expand(v, affine);
        var scale = Affine(F32(1, "Scale"));
        Value bias;
        if (Has(2)) bias = Affine(F32(2, "B"));
        else
        {
            var zeros = Tensor.Zeros(_device, DType.Float32, affine);
            _owned.Add(zeros);
            bias = _g.Constant($"{OutName()}:zero_bias", zeros);
        }
        var outs = _g.Apply(new LayerNormGraphOp(axis, eps), OutName(), x, scale, bias);
        Set(0, outs[0]);
        var statDims = x.Shape.ToArray()[..axis].Concat(Enumerable.Repeat(1, r - axis)).ToArray();
        if (Wants(1)) Set(1, _g.Reshape(outs[1], statDims));
        if (Wants(2)) Set(2, _g.Reshape(outs[2], statDims));
    }

    private void Dropout()
    {
        float ratio;
        bool training;
        if (_opset < 12)
        {
            KnownAttributes(_opset < 7 ? ["ratio", "is_test"] : ["ratio"]);
            ratio = Float("ratio", 0.5f);
            training = false;
        }
        else
        {
            KnownAttributes("seed");
            ratio = Has(1) ? (float)RequireScalar(1, "ratio").Get(0) : 0.5f;
            training = Has(2) && RequireScalar(2, "training_mode").GetLong(0) != 0;
        }
        var x = F32(0, "data");
        if (!training || ratio == 0)
        {
            Set(0, _g.Affine(x, 1f, 0f, OutName()));
            if (Wants(1)) SetConst(1, HostTensor.Of(_opset < 10 ? OnnxDataType.Float : OnnxDataType.Bool, x.Shape.ToArray(),
                Enumerable.Repeat(1L, SizeMath.HostArrayLength(Here, "mask", x.Shape.ElementCount, sizeof(long))).ToArray()));
            return;
        }
        if (Attr("seed") is not null)
        {
            // A fixed seed fixes the mask: draw it on the host the way the ONNX reference does (NumPy's legacy generator,
            // np.random.seed(seed) then uniform(0, 1, shape) row-major, kept where the draw >= ratio), and express the
            // node as x times the constant scaled mask.
            long seedValue = Int("seed", 0);
            if (seedValue is < 0 or > uint.MaxValue) throw new TesseraArgumentException(Here, "seed", $"{seedValue} is outside [0, 2^32) (NumPy's seed range)");
            if (ratio is < 0 or >= 1) throw new TesseraArgumentException(Here, "ratio", $"{ratio} is outside [0, 1)");
            int n = SizeMath.HostArrayLength(Here, "mask", x.Shape.ElementCount, sizeof(double));
            var rng = new Mt19937((uint)seedValue);
            var keep = new long[n];
            var scaled = new double[n];
            float scale = 1f / (1f - ratio);
            for (long i = 0; i < n; i++)
            {
                keep[i] = rng.NextDouble() >= ratio ? 1 : 0;
                scaled[i] = keep[i] * scale;
            }
            var dims = x.Shape.ToArray();
            Set(0, _g.Mul(x, BindConstant($"{OutName()}:scaled_mask", HostTensor.Of(OnnxDataType.Float, dims, scaled)), OutName()));
            if (Wants(1)) SetConst(1, HostTensor.Of(OnnxDataType.Bool, dims, keep));
            return;
        }
        var seed = 0UL;
        var outs = _g.Apply(new DropoutGraphOp(ratio, seed), OutName(), x);
        Set(0, outs[0]);
        if (Wants(1)) Set(1, _g.Cast(outs[1], DType.Bool));
    }
}
