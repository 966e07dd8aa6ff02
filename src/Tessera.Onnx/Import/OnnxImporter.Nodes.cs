using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Onnx.Import;

public sealed partial class OnnxImporter
{
    /// <summary>The permutation that transposes a matrix.</summary>
    private static readonly int[] SwapAxes = { 1, 0 };

    // ---- folding helpers ----------------------------------------------------------------------------------------

    /// <summary>True when every present input is known and small enough to compute on the host.</summary>
    private bool AllConst()
    {
        bool any = false;
        for (int i = 0; i < InputCount; i++)
        {
            if (!Has(i)) continue;
            var c = ConstIn(i);
            if (c is null || c.Count > _options.MaxFoldedElements) return false;
            any = true;
        }
        return any;
    }

    private Value F32(int i, string what)
    {
        var v = In(i);
        if (v.DType != DType.Float32) throw Unsupported($"element type {v.DType} of input '{what}' (float32 only)");
        return v;
    }

    // ---- element-wise -------------------------------------------------------------------------------------------

    /// <summary>A unary op of the catalog; constants fold on the host (<see cref="ScalarMath.Unary"/>).</summary>
    private void Unary(UnaryOp op, UnaryParams p = default)
    {
        if (op is not (UnaryOp.LeakyRelu or UnaryOp.HardSigmoid)) KnownAttributes();
        if (AllConst() && ConstIn(0)!.IsFloat)
        {
            SetConst(0, HostOps.Map(Here, ConstIn(0)!.Type, new[] { ConstIn(0)! }, a => ScalarMath.Unary(op, a[0], p)));
            return;
        }
        if (AllConst() && op is UnaryOp.Neg or UnaryOp.Abs)
        {
            SetConst(0, HostOps.MapLong(Here, ConstIn(0)!.Type, new[] { ConstIn(0)! }, a => op == UnaryOp.Neg ? -a[0] : Math.Abs(a[0])));
            return;
        }
        Set(0, _g.Unary(op, F32(0, "X"), p, OutName()));
    }

    private void LeakyRelu()
    {
        KnownAttributes("alpha");
        Unary(UnaryOp.LeakyRelu, new UnaryParams(Float("alpha", 0.01f)));
    }

    private void HardSigmoid()
    {
        KnownAttributes("alpha", "beta");
        Unary(UnaryOp.HardSigmoid, new UnaryParams(Float("alpha", 0.2f), Float("beta", 0.5f)));
    }

    /// <summary>Integer semantics of the binary ops on the host (C arithmetic: division truncates; a negative integer
    /// exponent gives 1 for base 1, else 0).</summary>
    private static long IntegerBinary(string node, BinaryOp op, long a, long b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => b == 0 ? throw new TesseraArgumentException(node, "B", "integer division by zero") : a / b,
        BinaryOp.Pow => b < 0 ? (a == 1 ? 1 : 0) : (long)Math.Pow(a, b),
        BinaryOp.Max => Math.Max(a, b),
        BinaryOp.Min => Math.Min(a, b),
        _ => throw new TesseraArgumentException(node, "op", $"{op} has no integer form"),
    };

    private void Binary(BinaryOp op)
    {
        KnownAttributes(_opset < 7 ? ["broadcast", "axis"] : []);
        if (_opset < 7 && Int("broadcast", 0) != 0 && Attr("axis") is not null && ConstIn(1) is null && ConstIn(0) is null)
        {
            // Legacy broadcasting (opset < 7): B's dims line up with A's starting at 'axis'.
            var a0 = In(0);
            var b0 = In(1);
            int axis = Axis(Int("axis", 0), a0.Shape.Rank);
            if (axis + b0.Shape.Rank > a0.Shape.Rank) throw new TesseraShapeException(Here, "B", $"{b0} does not fit {a0} from axis {axis}");
            var dims = Enumerable.Repeat(1, a0.Shape.Rank).ToArray();
            for (int i = 0; i < b0.Shape.Rank; i++) dims[axis + i] = b0.Shape[i];
            var b1 = _g.Reshape(b0, dims);
            if (a0.DType != DType.Float32 || b1.DType != DType.Float32) Set(0, HostBinary(op, a0, b1));
            else Set(0, _g.Binary(op, a0, b1, OutName()));
            return;
        }
        if (_opset < 7 && Int("broadcast", 0) != 0 && Attr("axis") is not null) throw Unsupported("legacy 'axis' broadcasting of a constant");
        if (AllConst())
        {
            var a = ConstIn(0)!;
            var b = ConstIn(1)!;
            string here = Here;
            SetConst(0, a.IsFloat || b.IsFloat
                ? HostOps.Map(here, a.Type, new[] { a, b }, x => ScalarMath.Binary(op, x[0], x[1]))
                : HostOps.MapLong(here, a.Type, new[] { a, b }, x => IntegerBinary(here, op, x[0], x[1])));
            return;
        }
        var va = In(0);
        var vb = In(1);
        if (va.DType != DType.Float32 || vb.DType != DType.Float32)
        {
            Set(0, HostBinary(op, va, vb));
            return;
        }
        Set(0, _g.Binary(op, va, vb, OutName()));
    }

    /// <summary>An element-wise op on integer (or mixed) inputs, computed exactly on the host (see <see cref="HostElementwiseOp"/>);
    /// the output takes the first input's type.</summary>
    private Value HostBinary(BinaryOp op, Value a, Value b)
    {
        string kind = op.ToString(), here = Here;
        var outType = HostTensor.ToOnnx(a.DType);
        bool ints = !a.DType.IsFloat() && !b.DType.IsFloat();
        return _g.Apply1(new HostElementwiseOp(kind, outType, xs => ints
            ? HostOps.MapLong(kind, outType, xs, x => IntegerBinary(here, op, x[0], x[1]))
            : HostOps.Map(kind, outType, xs, x => ScalarMath.Binary(op, x[0], x[1]))), OutName(), a, b);
    }

    private void Pow()
    {
        KnownAttributes();
        var b = ConstIn(1);
        if (AllConst())
        {
            SetConst(0, HostOps.Map(Here, ConstIn(0)!.Type, new[] { ConstIn(0)!, b! }, x => ScalarMath.Binary(BinaryOp.Pow, x[0], x[1])));
            return;
        }
        if (In(0).DType != DType.Float32 || (b is null && In(1).DType != DType.Float32))
        {
            Set(0, HostBinary(BinaryOp.Pow, In(0), In(1)));
            return;
        }
        var x = F32(0, "X");
        if (b is not null && b.Count == 1 && b.Rank <= x.Shape.Rank)
        {
            // A known scalar exponent (of any numeric type) whose rank does not broadcast the output: one unary kernel.
            Set(0, _g.Unary(UnaryOp.PowScalar, x, new UnaryParams((float)b.Get(0)), OutName()));
            return;
        }
        Set(0, _g.Binary(BinaryOp.Pow, x, Exponent(), OutName()));
    }

    private Value Exponent()
    {
        var c = ConstIn(1);
        if (c is not null && !c.IsFloat)
        {
            var t = c.CastTo(OnnxDataType.Float).ToTensor(_device, Here, InName(1));
            _owned.Add(t);
            return _g.Constant(InName(1) + ":float", t);
        }
        return F32(1, "Y");
    }

    private void PRelu()
    {
        KnownAttributes();
        var x = F32(0, "X");
        var slope = F32(1, "slope");
        // PRelu-6 and older take a per-channel slope [C] (channels on axis 1) without NumPy broadcasting.
        if (_opset < 7 && slope.Shape.Rank == 1 && x.Shape.Rank > 2 && slope.Shape[0] == x.Shape[1] && slope.Shape[0] != 1)
            slope = PerChannel(slope, x.Shape.Rank);
        Set(0, _g.Binary(BinaryOp.PRelu, x, slope, OutName()));
    }

    private void Clip()
    {
        float lo = float.NegativeInfinity, hi = float.PositiveInfinity;
        if (_opset < 11)
        {
            KnownAttributes("min", "max");
            lo = Float("min", float.MinValue);
            hi = Float("max", float.MaxValue);
        }
        else
        {
            KnownAttributes();
            if (Has(1)) lo = (float)RequireScalar(1, "min").Get(0);
            if (Has(2)) hi = (float)RequireScalar(2, "max").Get(0);
        }
        if (AllConst() && ConstIn(0)!.IsFloat)
        {
            var p = new UnaryParams(lo, hi);
            SetConst(0, HostOps.Map(Here, ConstIn(0)!.Type, new[] { ConstIn(0)! }, a => ScalarMath.Unary(UnaryOp.Clamp, a[0], p)));
            return;
        }
        var x = In(0);
        if (x.DType is DType.Int32 or DType.Int64 or DType.UInt8)
        {
            // Integer clipping, exactly on the host; bounds come from tensors of the input's type.
            long ilo = Has(1) && _opset >= 11 ? RequireScalar(1, "min").GetLong(0) : long.MinValue;
            long ihi = Has(2) && _opset >= 11 ? RequireScalar(2, "max").GetLong(0) : long.MaxValue;
            var t = HostTensor.ToOnnx(x.DType);
            Set(0, _g.Apply1(new HostElementwiseOp("Clip", t, xs => HostOps.MapLong(Here, t, xs, v => Math.Clamp(v[0], ilo, ihi))), OutName(), x));
            return;
        }
        Set(0, _g.Unary(UnaryOp.Clamp, F32(0, "input"), new UnaryParams(lo, hi), OutName()));
    }

    private void Identity()
    {
        KnownAttributes();
        PassThrough();
    }

    /// <summary>Output 0 is input 0 (same value or constant).</summary>
    private void PassThrough()
    {
        if (ConstIn(0) is { } c) SetConst(0, c);
        else Set(0, In(0));
    }

    private void Variadic(BinaryOp op, bool mean)
    {
        KnownAttributes();
        int n = Enumerable.Range(0, InputCount).Count(Has);
        if (n == 0) throw new TesseraArgumentException(Here, "inputs", "needs at least one input");
        var present = Enumerable.Range(0, InputCount).Where(Has).ToArray();
        if (AllConst())
        {
            var xs = present.Select(i => ConstIn(i)!).ToArray();
            var r = HostOps.Map(Here, xs[0].Type, xs, a =>
            {
                double acc = a[0];
                for (int k = 1; k < a.Length; k++) acc = ScalarMath.Binary(op, acc, a[k]);
                return mean ? acc / a.Length : acc;
            });
            SetConst(0, r);
            return;
        }
        if (present.Any(i => In(i).DType != DType.Float32) && !mean)
        {
            Value r = In(present[0]);
            for (int k = 1; k < n; k++) r = HostBinary(op, r, In(present[k]));
            if (n == 1) r = _g.Apply1(new HostElementwiseOp("Copy", HostTensor.ToOnnx(r.DType), xs => xs[0]), OutName(), r);
            Set(0, r);
            return;
        }
        Value acc = F32(present[0], "data_0");
        if (n == 1)
        {
            Set(0, _g.Affine(acc, 1f, 0f, OutName()));   // a copy: the output must be a value of its own
            return;
        }
        for (int k = 1; k < n; k++)
            acc = _g.Binary(op, acc, F32(present[k], $"data_{k}"), k == n - 1 && !mean ? OutName() : null);
        if (mean) acc = _g.Affine(acc, 1f / n, 0f, OutName());
        Set(0, acc);
    }

    // ---- linear algebra -----------------------------------------------------------------------------------------

    private void Gemm()
    {
        KnownAttributes(_opset < 7 ? ["alpha", "beta", "transA", "transB", "broadcast"] : ["alpha", "beta", "transA", "transB"]);
        float alpha = Float("alpha", 1f), beta = Float("beta", 1f);
        bool ta = Int("transA", 0) != 0, tb = Int("transB", 0) != 0;
        var a = F32(0, "A");
        var b = F32(1, "B");
        if (a.Shape.Rank != 2 || b.Shape.Rank != 2) throw new TesseraShapeException(Here, "A", $"Gemm takes matrices, got {a} and {b}");
        bool hasC = Has(2) && beta != 0;
        // The common dense layer (alpha = beta = 1, C a row vector or absent) is one GEMM with the bias fused: Linear
        // takes the weight as [N, K], which is B itself under transB and B transposed on the host when B is constant.
        if (!ta && alpha == 1 && (!hasC || (beta == 1 && ShapeOf(2) is { Length: 1 } cs && cs[0] == (tb ? b.Shape[0] : b.Shape[1]))))
        {
            Value? w = tb ? b : null;
            if (w is null && ConstIn(1) is { } bc)
                w = BindConstant($"{InName(1)}:transposed", HostOps.Take(bc, HostOps.TransposeIndex(bc.Dims, SwapAxes), new[] { bc.Dims[1], bc.Dims[0] }));
            if (w is not null)
            {
                Set(0, hasC ? _g.Linear(a, w, F32(2, "C"), OutName()) : _g.Linear(a, w, null, OutName()));
                return;
            }
        }
        var y = _g.Gemm(a, b, null, new GemmParams(ta, tb, alpha), hasC ? null : OutName());
        if (hasC)
        {
            var c = F32(2, "C");
            if (beta != 1) c = _g.Affine(c, beta);
            y = _g.Add(y, c, OutName());
        }
        Set(0, y);
    }

    private void MatMul()
    {
        KnownAttributes();
        Set(0, _g.MatMul(F32(0, "A"), F32(1, "B"), OutName()));
    }

    private void Softmax(bool log)
    {
        KnownAttributes("axis");
        var x = F32(0, "input");
        int r = x.Shape.Rank;
        if (_opset >= 13)
        {
            Set(0, _g.Apply1(new SoftmaxGraphOp(Axis(Int("axis", -1), r), log), OutName(), x));
            return;
        }
        // Opsets < 13 coerce the input to 2-D [prod(dims[:axis]), prod(dims[axis:])] and normalise the rows.
        int axis = Axis(Int("axis", 1), r);
        int outer = SizeMath.Dim(Here, "input", SizeMath.Product(Here, "input", x.Shape.Dims[..axis]), "the outer size of the 2-D view");
        int inner = SizeMath.Dim(Here, "input", SizeMath.Product(Here, "input", x.Shape.Dims[axis..]), "the inner size of the 2-D view");
        var y = _g.Apply1(new SoftmaxGraphOp(1, log), null, _g.Reshape(x, outer, inner));
        Set(0, _g.Reshape(y, x.Shape.ToArray()));
    }

    private void Reduce(ReduceOp op)
    {
        bool axesInput = op == ReduceOp.Sum && _opset >= 13;
        KnownAttributes(axesInput ? ["keepdims", "noop_with_empty_axes"] : ["axes", "keepdims"]);
        bool keep = Int("keepdims", 1) != 0;
        long[]? axes = axesInput ? (Has(1) ? RequireConst(1, "axes").AsLongs() : null) : Ints("axes");
        int[] shape = ShapeOf(0);
        int r = shape.Length;
        if (axes is null || axes.Length == 0)
        {
            if (axesInput && Int("noop_with_empty_axes", 0) != 0)
            {
                PassThrough();
                return;
            }
            axes = Enumerable.Range(0, r).Select(i => (long)i).ToArray();
        }
        var norm = axes.Select(a => Axis(a, r, "axes")).Distinct().OrderBy(a => a).ToArray();
        if (r == 0)
        {
            PassThrough();
            return;
        }
        var x = F32(0, "data");
        Set(0, _g.Reduce(op, x, norm, keep, OutName()));
    }
}
