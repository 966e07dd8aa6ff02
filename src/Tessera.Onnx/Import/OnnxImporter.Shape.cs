using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Onnx.Import;

public sealed partial class OnnxImporter
{
    /// <summary>Output 0 is input 0 with new dims: a host reshape when known, else a graph reshape (a view).</summary>
    private void SetReshaped(int[] dims)
    {
        if (ConstIn(0) is { } c) SetConst(0, c.WithDims(dims));
        else Set(0, _g.Apply1(new ReshapeGraphOp(dims), OutName(), In(0)));
    }

    private void Reshape()
    {
        long[] target;
        bool allowZero = false;
        if (_opset < 5) throw Unsupported("Reshape-1 'shape' attribute");
        KnownAttributes(_opset >= 14 ? ["allowzero"] : []);
        allowZero = Int("allowzero", 0) != 0;
        target = RequireConst(1, "shape").AsLongs();
        var x = ShapeOf(0);
        var dims = new long[target.Length];
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == 0 && !allowZero)
            {
                if (i >= x.Length) throw new TesseraShapeException(Here, "shape", $"0 at position {i} copies a dimension the input (rank {x.Length}) lacks");
                dims[i] = x[i];
            }
            else dims[i] = target[i];
        }
        if (allowZero && target.Contains(0) && target.Contains(-1))
            throw new TesseraShapeException(Here, "shape", "allowzero with both 0 and -1 is invalid");
        int infer = Array.IndexOf(dims, -1L);
        if (dims.Count(d => d == -1) > 1 || dims.Any(d => d < -1)) throw new TesseraShapeException(Here, "shape", $"bad target shape [{string.Join(", ", target)}]");
        long total = SizeMath.Product(Here, "data", x);
        if (infer >= 0)
        {
            long known = SizeMath.Product(Here, "shape", dims.Where(d => d != -1).ToArray());
            if (known == 0 || total % known != 0) throw new TesseraShapeException(Here, "shape", $"cannot infer -1 reshaping [{string.Join(", ", x)}] to [{string.Join(", ", target)}]");
            dims[infer] = total / known;
        }
        if (SizeMath.Product(Here, "shape", dims) != total)
            throw new TesseraShapeException(Here, "shape", $"cannot reshape [{string.Join(", ", x)}] to [{string.Join(", ", dims)}]");
        SetReshaped(dims.Select(d => ToInt(d, "shape")).ToArray());
    }

    private void Flatten()
    {
        KnownAttributes("axis");
        var x = ShapeOf(0);
        long a = Int("axis", 1);   // in [-r, r]; negative counts from the end (axis + r)
        if (a < -x.Length || a > x.Length) throw new TesseraAxisException(Here, "axis", $"axis {a} is out of range [-{x.Length}, {x.Length}]");
        int axis = (int)(a < 0 ? a + x.Length : a);
        int outer = SizeMath.Dim(Here, "input", SizeMath.Product(Here, "input", x.AsSpan(0, axis)), "the flattened outer size");
        int inner = SizeMath.Dim(Here, "input", SizeMath.Product(Here, "input", x.AsSpan(axis)), "the flattened inner size");
        SetReshaped(new[] { outer, inner });
    }

    private void Squeeze()
    {
        var x = ShapeOf(0);
        long[]? axes;
        if (_opset >= 13) { KnownAttributes(); axes = Has(1) ? RequireConst(1, "axes").AsLongs() : null; }
        else { KnownAttributes("axes"); axes = Ints("axes"); }
        var drop = axes is null || axes.Length == 0
            ? Enumerable.Range(0, x.Length).Where(i => x[i] == 1).ToHashSet()
            : axes.Select(a => Axis(a, x.Length, "axes")).ToHashSet();
        foreach (var a in drop)
            if (x[a] != 1) throw new TesseraShapeException(Here, "axes", $"axis {a} has size {x[a]}, not 1");
        SetReshaped(Enumerable.Range(0, x.Length).Where(i => !drop.Contains(i)).Select(i => x[i]).ToArray());
    }

    private void Unsqueeze()
    {
        var x = ShapeOf(0);
        long[] axes;
        if (_opset >= 13) { KnownAttributes(); axes = RequireConst(1, "axes").AsLongs(); }
        else { KnownAttributes("axes"); axes = Ints("axes") ?? throw new TesseraArgumentException(Here, "axes", "required attribute is missing"); }
        int r = x.Length + axes.Length;
        var ins = axes.Select(a => Axis(a, r, "axes")).ToHashSet();
        if (ins.Count != axes.Length) throw new TesseraAxisException(Here, "axes", "repeats an axis");
        var dims = new int[r];
        int k = 0;
        for (int i = 0; i < r; i++) dims[i] = ins.Contains(i) ? 1 : x[k++];
        SetReshaped(dims);
    }

    private void Transpose()
    {
        KnownAttributes("perm");
        var x = ShapeOf(0);
        var perm = Ints("perm")?.Select(p => Axis(p, x.Length, "perm")).ToArray() ?? Enumerable.Range(0, x.Length).Reverse().ToArray();
        if (perm.Length != x.Length || perm.Distinct().Count() != x.Length)
            throw new TesseraAxisException(Here, "perm", $"[{string.Join(", ", perm)}] is not a permutation of {x.Length} axes");
        if (AllConst())
        {
            var c = ConstIn(0)!;
            SetConst(0, HostOps.Take(c, HostOps.TransposeIndex(c.Dims, perm), perm.Select(p => c.Dims[p]).ToArray()));
            return;
        }
        Set(0, _g.Apply1(new PermuteGraphOp(perm), OutName(), In(0)));
    }

    private void Concat()
    {
        KnownAttributes("axis");
        var present = Enumerable.Range(0, InputCount).Where(Has).ToArray();
        if (present.Length == 0) throw new TesseraArgumentException(Here, "inputs", "Concat needs at least one input");
        // The shape rule of Concat (equal ranks of at least 1, equal dimensions off the axis) for both paths below.
        var shapes = present.Select(i => Shape.Create(Here, ShapeOf(i))).ToArray();
        ShapeRules.Concat(Here, shapes, SizeMath.ToInt(Here, "axis", _opset < 4 ? Int("axis", 1) : RequiredInt("axis")), out int axis);
        if (AllConst())
        {
            SetConst(0, HostOps.Concat(Here, present.Select(i => ConstIn(i)!).ToArray(), axis));
            return;
        }
        var xs = present.Select(In).Where(v => v.Shape[axis] > 0 || present.Length == 1).ToArray();
        Set(0, _g.Apply1(new ConcatGraphOp(axis), OutName(), xs.Length > 0 ? xs : new[] { In(present[0]) }));
    }

    private void Gather()
    {
        KnownAttributes("axis");
        var data = ShapeOf(0);
        int axis = Axis(Int("axis", 0), data.Length);
        var idx = ConstIn(1);
        if (idx is not null)
        {
            // Negative indices count from the end; out-of-range ones are an error naming the node.
            var norm = idx.AsLongs().Select(i =>
            {
                long j = i < 0 ? i + data[axis] : i;
                if (j < 0 || j >= data[axis]) throw new TesseraArgumentException(Here, "indices", $"index {i} is out of range for axis {axis} of size {data[axis]}");
                return j;
            }).ToArray();
            var outDims = data[..axis].Concat(idx.Dims).Concat(data[(axis + 1)..]).ToArray();
            if (ConstIn(0) is { } c && c.Count <= _options.MaxFoldedElements)
            {
                SetConst(0, HostOps.Take(c, HostOps.AxisSelect(c.Dims, axis, norm), outDims));
                return;
            }
            var it = HostTensor.Of(OnnxDataType.Int64, idx.Dims, norm).ToTensor(_device, Here, InName(1));
            _owned.Add(it);
            Set(0, _g.Gather(In(0), _g.Constant(InName(1) + ":normalized", it), axis, OutName()));
            return;
        }
        Set(0, _g.Gather(In(0), In(1), axis, OutName()));
    }

    private void Slice()
    {
        var x = ShapeOf(0);
        long[] starts, ends;
        long[]? axes, steps = null;
        if (_opset < 10)
        {
            KnownAttributes("starts", "ends", "axes");
            starts = Ints("starts") ?? throw new TesseraArgumentException(Here, "starts", "required attribute is missing");
            ends = Ints("ends") ?? throw new TesseraArgumentException(Here, "ends", "required attribute is missing");
            axes = Ints("axes");
        }
        else
        {
            KnownAttributes();
            starts = RequireConst(1, "starts").AsLongs();
            ends = RequireConst(2, "ends").AsLongs();
            axes = Has(3) ? RequireConst(3, "axes").AsLongs() : null;
            steps = Has(4) ? RequireConst(4, "steps").AsLongs() : null;
        }
        axes ??= Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray();
        steps ??= Enumerable.Repeat(1L, starts.Length).ToArray();
        if (ends.Length != starts.Length || axes.Length != starts.Length || steps.Length != starts.Length)
            throw new TesseraArgumentException(Here, "starts", "starts, ends, axes and steps differ in length");
        // Per-axis index lists (ONNX clamping rules), applied one axis at a time.
        var plan = new List<(int Axis, long Start, long End, long Step)>();
        var seen = new HashSet<int>();
        for (int k = 0; k < starts.Length; k++)
        {
            int a = Axis(axes[k], x.Length, "axes");
            if (!seen.Add(a)) throw new TesseraAxisException(Here, "axes", $"axis {a} is repeated");
            long step = steps[k], dim = x[a];
            if (step == 0) throw new TesseraArgumentException(Here, "steps", "a step is 0");
            long s = starts[k] < 0 ? starts[k] + dim : starts[k];
            long e = ends[k] < 0 ? ends[k] + dim : ends[k];
            if (step > 0) { s = Math.Clamp(s, 0, dim); e = Math.Clamp(e, 0, dim); }
            else { s = Math.Clamp(s, 0, dim - 1); e = Math.Clamp(e, -1, dim - 1); }
            plan.Add((a, s, e, step));
        }
        static List<long> Indices(long s, long e, long step)
        {
            var l = new List<long>();
            if (step > 0) for (long i = s; i < e; i += step) l.Add(i);
            else for (long i = s; i > e; i += step) l.Add(i);
            return l;
        }
        if (AllConst() || (ConstIn(0) is { } known && known.Count <= _options.MaxFoldedElements))
        {
            var c = ConstIn(0)!;
            foreach (var (a, s, e, step) in plan)
            {
                var idx = Indices(s, e, step);
                var dims = (int[])c.Dims.Clone();
                dims[a] = idx.Count;
                c = HostOps.Take(c, HostOps.AxisSelect(c.Dims, a, idx), dims);
            }
            SetConst(0, c);
            return;
        }
        var v = In(0);
        foreach (var (a, s, e, step) in plan)
        {
            if (step > 0)
            {
                if (s == 0 && e == x[a] && step == 1) continue;
                v = _g.Slice(v, a, (int)s, (int)Math.Max(e, s), (int)Math.Min(step, int.MaxValue));
            }
            else
            {
                var idx = Indices(s, e, step);
                var t = HostTensor.Of(OnnxDataType.Int64, new[] { idx.Count }, idx.ToArray()).ToTensor(_device, Here, "steps");
                _owned.Add(t);
                v = _g.Gather(v, _g.Constant($"{OutName()}:indices{a}", t), a);
            }
        }
        if (v == In(0)) v = _g.Affine(v, 1f);
        Set(0, v);
    }

    private void Expand()
    {
        KnownAttributes();
        var shape = RequireConst(1, "shape").AsInts(Here, "shape");
        var x = ShapeOf(0);
        var dims = HostOps.Broadcast(Here, x, shape);
        long n = SizeMath.Product(Here, "shape", dims);
        CheckSize(dims, DTypeOf(0), "shape");
        if (ConstIn(0) is { } c && n <= _options.MaxFoldedElements)
        {
            SetConst(0, HostOps.Take(c, HostOps.BroadcastIndex(c.Dims, dims), dims));
            return;
        }
        Set(0, _g.Apply1(new ExpandGraphOp(dims), OutName(), In(0)));
    }

    private void ShapeOp()
    {
        KnownAttributes(_opset >= 15 ? ["start", "end"] : []);
        var x = ShapeOf(0);
        long r = x.Length;
        long s = Int("start", 0), e = Int("end", r);
        s = Math.Clamp(s < 0 ? s + r : s, 0, r);
        e = Math.Clamp(e < 0 ? e + r : e, 0, r);
        var dims = x.Skip((int)s).Take((int)Math.Max(e - s, 0)).Select(d => (long)d).ToArray();
        SetConst(0, HostTensor.Int64s(dims));
    }

    private void Constant()
    {
        if (_node.Attributes.Count != 1) throw new TesseraArgumentException(Here, "value", "Constant needs exactly one value attribute");
        var (name, a) = _node.Attributes.First();
        SetConst(0, name switch
        {
            "value" => HostTensor.FromOnnx(a.T ?? throw new TesseraArgumentException(Here, "value", "has no tensor"), Here),
            "value_float" => HostTensor.Of(OnnxDataType.Float, Array.Empty<int>(), new double[] { a.F }),
            "value_floats" => HostTensor.Of(OnnxDataType.Float, new[] { a.Floats?.Count ?? 0 }, (a.Floats ?? Array.Empty<float>()).Select(f => (double)f).ToArray()),
            "value_int" => HostTensor.Of(OnnxDataType.Int64, Array.Empty<int>(), new[] { a.I }),
            "value_ints" => HostTensor.Of(OnnxDataType.Int64, new[] { a.Ints?.Count ?? 0 }, (a.Ints ?? Array.Empty<long>()).ToArray()),
            _ => throw Unsupported($"attribute '{name}'"),
        });
    }

    private void ConstantOfShape()
    {
        KnownAttributes("value");
        var dims = RequireConst(0, "input").AsInts(Here, "input");
        if (dims.Any(d => d < 0)) throw new TesseraShapeException(Here, "input", $"negative dimension in [{string.Join(", ", dims)}]");
        var value = Attr("value")?.T is { } t ? HostTensor.FromOnnx(t, Here) : HostTensor.Of(OnnxDataType.Float, [1], [0.0]);
        if (value.Count != 1) throw new TesseraArgumentException(Here, "value", "must hold one element");
        long n = SizeMath.Product(Here, "input", dims);
        var dtype = HostTensor.ToDType(value.Type) ?? throw Unsupported($"element type {value.Type} of 'value'");
        CheckSize(dims, dtype, "input");
        if (n > _options.MaxFoldedElements)
        {
            var full = Tensor.Empty(_device, dtype, Shape.Create(Here, dims));
            _owned.Add(full);
            _device.Kernels.Fill(full, value.Get(0));
            Set(0, _g.Constant(OutName(), full));
            return;
        }
        SetConst(0, value.Floats is not null
            ? HostTensor.Of(value.Type, dims, Enumerable.Repeat(value.Floats[0], (int)n).ToArray())
            : HostTensor.Of(value.Type, dims, Enumerable.Repeat(value.Ints![0], (int)n).ToArray()));
    }
}
