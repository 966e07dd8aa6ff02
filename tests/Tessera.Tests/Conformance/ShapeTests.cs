using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>Shape ops (concat, split, slice, gather, pad, expand backward, view facades) on the CPU against the
/// reference. Forward ops move values unchanged, so they must match exactly (atol 0); backward ops add a few float32
/// terms per element (atol 1e-5, rtol 1e-5).</summary>
public class ShapeTests
{
    private static IDevice Dev => TestDevices.Target;

    internal static int[] Dims(string spec) =>
        spec.Length == 0 ? Array.Empty<int>() : spec.Split('x').Select(int.Parse).ToArray();

    private static Tensor Upload(RefTensor r, bool strided) => strided ? r.ToDeviceStrided(Dev) : r.ToDevice(Dev);

    public static TheoryData<string, int, bool> ConcatCases()
    {
        var d = new TheoryData<string, int, bool>();
        var specs = new (string, int)[]
        {
            ("5|7|0|16", 0), ("2x3|2x5|2x0", 1), ("2x3|2x5|2x1", -1), ("3x4|1x4|0x4", 0), ("2x3x4|2x1x4|2x5x4", 1),
            ("2x3x4|2x3x1|2x3x17", 2), ("2x3x4|2x3x4", -3), ("1x1|1x1|1x1|1x1|1x1", 1), ("4x33|4x31|4x1", 1),
            ("0x3|0x3", 1), ("3x2x2x5|3x2x2x5|3x2x2x5", 2), ("65|63", 0),
        };
        foreach (var (s, a) in specs) { d.Add(s, a, false); d.Add(s, a, true); }
        return d;
    }

    [Theory]
    [MemberData(nameof(ConcatCases))]
    [Covers(OpKind.Concat)]
    public void Concat(string shapes, int axis, bool strided)
    {
        var refs = shapes.Split('|').Select((s, i) => Rand.Uniform(i + 1, Dims(s))).ToArray();
        var ts = refs.Select((r, i) => Upload(r, strided && i % 2 == 0)).ToArray();
        try
        {
            using var y = Ops.Concat(ts, axis);
            Approx.Equal(RefShape.Concat(refs, axis), y, 0, 0, $"concat {shapes} axis {axis}");

            // Backward: the pieces of dy.
            var dyRef = Rand.Uniform(99, y.Shape.ToArray());
            using var dy = Upload(dyRef, strided);
            var pieces = Ops.ConcatBackward(dy, refs.Select(r => new Shape(r.Shape)).ToArray(), axis);
            var expected = RefShape.ConcatBackward(dyRef, refs.Select(r => r.Shape).ToArray(), axis);
            for (int i = 0; i < pieces.Length; i++)
            {
                Approx.Equal(expected[i], pieces[i], 0, 0, $"concat backward piece {i}");
                pieces[i].Dispose();
            }
        }
        finally
        {
            foreach (var t in ts) t.Dispose();
        }
    }

    [Fact]
    public void ConcatInt64KeepsExactValues()
    {
        using var a = Tensor.FromArray(Dev, new long[] { long.MaxValue, -5, 7 }, 3, 1);
        using var b = Tensor.FromArray(Dev, new long[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        using var bt = b.Reshape(2, 3).Transpose();   // strided [3, 2]
        using var y = Ops.Concat(new[] { a, bt }, 1);
        Assert.Equal(new long[] { long.MaxValue, 1, 4, -5, 2, 5, 7, 3, 6 }, y.ToArray<long>());
    }

    [Fact]
    public void GatherInt64DataAndInt32Indices()
    {
        using var data = Tensor.FromArray(Dev, new long[] { 10, 11, 12, 20, 21, 22 }, 2, 3);
        using var idx = Tensor.FromArray(Dev, new[] { 2, -3, 2, 1 }, 2, 2);
        using var y = Ops.Gather(data, idx, 1);
        Assert.Equal(new[] { 2, 2, 2 }, y.Shape.ToArray());
        Assert.Equal(new long[] { 12, 10, 12, 11, 22, 20, 22, 21 }, y.ToArray<long>());
    }

    /// <summary>The interface's host fallback for ExpandBackward (used by backends without their own kernel) agrees
    /// with the reference too.</summary>
    [Fact]
    public void ExpandBackwardInterfaceFallbackMatchesReference()
    {
        var dyRef = Rand.Uniform(19, new[] { 3, 4, 5 });
        using var dy = dyRef.ToDeviceStrided(Dev);
        using var dx = Tensor.Empty(Dev, DType.Float32, new Shape(4, 1));
        IShapeKernels fallback = new NoShapeKernels();
        fallback.ExpandBackward(dy, dx);
        Approx.Equal(RefShape.ExpandBackward(dyRef, new[] { 4, 1 }), dx, 1e-5, 1e-5, "fallback expand backward");
    }

    private sealed class NoShapeKernels : IShapeKernels
    {
        public void Concat(IReadOnlyList<Tensor> inputs, Tensor output, int axis) => throw new NotSupportedException();
        public void Gather(Tensor data, Tensor indices, Tensor output, int axis) => throw new NotSupportedException();
        public void GatherBackward(Tensor indices, Tensor dOutput, Tensor dData, int axis) => throw new NotSupportedException();
        public void Pad(Tensor x, Tensor y, PadParams p) => throw new NotSupportedException();
        public void PadBackward(Tensor dy, Tensor dx, PadParams p) => throw new NotSupportedException();
    }

    public static TheoryData<string, int, string, bool, bool> GatherCases()
    {
        var d = new TheoryData<string, int, string, bool, bool>();
        var specs = new (string, int, string)[]
        {
            ("10", 0, "4"), ("10", 0, ""), ("7x5", 0, "3"), ("7x5", 1, "2x3"), ("7x5", -1, "6"), ("3x4x5", 1, "2x2"),
            ("3x4x5", 2, "17"), ("3x4x5", 0, "0"), ("50x33", 0, "40"), ("2x3x4x5", 3, "3"), ("5x0", 0, "3"),
        };
        foreach (var (s, a, i) in specs)
        {
            d.Add(s, a, i, false, false);
            d.Add(s, a, i, true, true);
        }
        return d;
    }

    /// <summary>Random indices in [−n, n) (negative ones count from the end), duplicates likely.</summary>
    private static (RefTensor Ref, Tensor Dev) Indices(int seed, int[] shape, int n, bool int64)
    {
        var rng = new Random(seed);
        var r = new RefTensor(shape);
        for (int i = 0; i < r.Length; i++) r.Data[i] = rng.Next(-n, n);
        var t = int64
            ? Tensor.FromArray(Dev, Array.ConvertAll(r.Data, x => (long)x), shape)
            : Tensor.FromArray(Dev, Array.ConvertAll(r.Data, x => (int)x), shape);
        return (r, t);
    }

    [Theory]
    [MemberData(nameof(GatherCases))]
    [Covers(OpKind.Gather)]
    public void Gather(string dataShape, int axis, string indexShape, bool int64, bool strided)
    {
        var dims = Dims(dataShape);
        int n = dims[axis < 0 ? axis + dims.Length : axis];
        var data = Rand.Uniform(3, dims);
        var (iref, idx) = Indices(4, Dims(indexShape), n, int64);
        using var idxOwner = idx;
        using var x = Upload(data, strided);
        using var y = Ops.Gather(x, idx, axis);
        Approx.Equal(RefShape.Gather(data, iref, axis), y, 0, 0, $"gather {dataShape} axis {axis} by {indexShape}");
    }

    [Theory]
    [MemberData(nameof(GatherCases))]
    [Covers(OpKind.GatherBackward)]
    public void GatherBackward(string dataShape, int axis, string indexShape, bool int64, bool strided)
    {
        var dims = Dims(dataShape);
        int n = dims[axis < 0 ? axis + dims.Length : axis];
        var (iref, idx) = Indices(5, Dims(indexShape), n, int64);
        using var idxOwner = idx;
        var outShape = ShapeRules.Gather("test", new Shape(dims), new Shape(Dims(indexShape)), axis, out _);
        var dyRef = Rand.Uniform(6, outShape.ToArray());
        using var dy = Upload(dyRef, strided);
        using var dx = Ops.GatherBackward(idx, dy, new Shape(dims), axis);
        Approx.Equal(RefShape.GatherBackward(iref, dyRef, dims, axis), dx, 1e-5, 1e-5, $"gather backward {dataShape} axis {axis}");
    }

    [Fact]
    public void EmbeddingLookupAndGradientWithManyRepeats()
    {
        var weight = Rand.Uniform(7, new[] { 11, 64 });
        var ids = new long[300];
        for (int i = 0; i < ids.Length; i++) ids[i] = (i * 7) % 11;
        using var w = weight.ToDevice(Dev);
        using var idx = Tensor.FromArray(Dev, ids, 3, 100);
        using var y = Ops.Embedding(w, idx);
        var iref = new RefTensor(new[] { 3, 100 }, Array.ConvertAll(ids, v => (double)v));
        Approx.Equal(RefShape.Gather(weight, iref, 0), y, 0, 0, "embedding");
        var dyRef = Rand.Uniform(8, new[] { 3, 100, 64 });
        using var dy = dyRef.ToDevice(Dev);
        using var dw = Ops.GatherBackward(idx, dy, new Shape(11, 64), 0);
        Approx.Equal(RefShape.GatherBackward(iref, dyRef, new[] { 11, 64 }, 0), dw, 1e-5, 1e-5, "embedding backward");
    }

    public static TheoryData<string, string, PadMode, bool> PadCases()
    {
        var d = new TheoryData<string, string, PadMode, bool>();
        var specs = new (string Shape, string Pads, bool ConstantOnly)[]
        {
            ("5", "2,3", false), ("5", "-1,2", false), ("3x4", "1,2,0,3", false), ("3x4", "-1,0,2,-2", false),
            ("2x3x4", "0,1,2,2,1,0", false), ("4x3", "5,0,5,0", false), ("1x17", "1,2,1,2", false),
            ("2x0", "1,1,1,1", true), ("3x33", "0,16,0,15", false), ("6", "-6,2", true), ("", "", false),
        };
        int k = 0;
        foreach (var (s, p, constantOnly) in specs)
            foreach (var mode in Enum.GetValues<PadMode>())
            {
                if (constantOnly && mode != PadMode.Constant) continue;
                d.Add(s, p, mode, k++ % 2 == 1);
            }
        return d;
    }

    private static int[] Pads(string spec) => spec.Length == 0 ? Array.Empty<int>() : spec.Split(',').Select(int.Parse).ToArray();

    [Theory]
    [MemberData(nameof(PadCases))]
    [Covers(OpKind.Pad)]
    public void Pad(string shape, string pads, PadMode mode, bool strided)
    {
        var p = new PadParams(Pads(pads), mode, 2.5f);
        var x = Rand.Uniform(9, Dims(shape));
        using var t = Upload(x, strided);
        using var y = Ops.Pad(t, p);
        Approx.Equal(RefShape.Pad(x, p), y, 0, 0, $"pad {shape} [{pads}] {mode}");
    }

    [Theory]
    [MemberData(nameof(PadCases))]
    [Covers(OpKind.PadBackward)]
    public void PadBackward(string shape, string pads, PadMode mode, bool strided)
    {
        var p = new PadParams(Pads(pads), mode, 2.5f);
        var xs = Dims(shape);
        var ys = ShapeRules.Pad("test", new Shape(xs), p).ToArray();
        var dyRef = Rand.Uniform(10, ys);
        using var dy = Upload(dyRef, strided);
        using var dx = Ops.PadBackward(dy, new Shape(xs), p);
        Approx.Equal(RefShape.PadBackward(dyRef, xs, p), dx, 1e-5, 1e-5, $"pad backward {shape} [{pads}] {mode}");
    }

    [Fact]
    public void PadInt32AndReflectValuesByHand()
    {
        using var x = Tensor.FromArray(Dev, new[] { 1, 2, 3 }, 3);
        using var c = Ops.Pad(x, new PadParams(new[] { 2, 1 }, PadMode.Constant, 7));
        Assert.Equal(new[] { 7, 7, 1, 2, 3, 7 }, c.ToArray<int>());
        using var r = Ops.Pad(x, new PadParams(new[] { 5, 4 }, PadMode.Reflect));
        Assert.Equal(new[] { 2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3 }, r.ToArray<int>());
        using var e = Ops.Pad(x, new PadParams(new[] { 2, -1 }, PadMode.Edge));
        Assert.Equal(new[] { 1, 1, 1, 2 }, e.ToArray<int>());
    }

    public static TheoryData<string, int, int, int, int, bool> SliceCases()
    {
        var d = new TheoryData<string, int, int, int, int, bool>();
        var specs = new (string, int, int, int, int)[]
        {
            ("10", 0, 1, -1, 3), ("10", 0, 5, 2, 1), ("7x9", 1, 2, 100, 2), ("7x9", 0, -3, 7, 1), ("3x4x5", 2, 0, 5, 4),
            ("3x4x5", -2, 1, 3, 1), ("33x17", 0, 0, 33, 16), ("4x0", 0, 1, 3, 1),
        };
        int k = 0;
        foreach (var (s, a, b, e, st) in specs) d.Add(s, a, b, e, st, k++ % 2 == 0);
        return d;
    }

    [Theory]
    [MemberData(nameof(SliceCases))]
    [Covers(OpKind.Copy, OpKind.Fill)]
    public void SliceAndBackward(string shape, int axis, int start, int end, int step, bool strided)
    {
        var x = Rand.Uniform(11, Dims(shape));
        using var t = Upload(x, strided);
        using var y = Ops.Slice(t, axis, start, end, step);
        Assert.True(y.IsContiguous);
        var expected = RefShape.Slice(x, axis, start, end, step);
        Approx.Equal(expected, y, 0, 0, $"slice {shape} axis {axis} {start}:{end}:{step}");
        var dyRef = Rand.Uniform(12, expected.Shape);
        using var dy = Upload(dyRef, strided);
        using var dx = Ops.SliceBackward(dy, new Shape(Dims(shape)), axis, start, end, step);
        Approx.Equal(RefShape.SliceBackward(dyRef, Dims(shape), axis, start, end, step), dx, 0, 0, "slice backward");
    }

    [Theory]
    [InlineData("10x3", 0, "3,0,7")]
    [InlineData("4x17", 1, "16,1")]
    [InlineData("2x3x4", -1, "1,1,2")]
    public void SplitBySizes(string shape, int axis, string sizes)
    {
        var x = Rand.Uniform(13, Dims(shape));
        using var t = x.ToDeviceStrided(Dev);
        var sz = sizes.Split(',').Select(int.Parse).ToArray();
        var pieces = Ops.Split(t, axis, sz);
        int a = axis < 0 ? axis + x.Rank : axis, off = 0;
        for (int i = 0; i < sz.Length; i++)
        {
            Approx.Equal(RefShape.Slice(x, a, off, off + sz[i], 1), pieces[i], 0, 0, $"split piece {i}");
            off += sz[i];
            pieces[i].Dispose();
        }
    }

    [Theory]
    [InlineData(12, 3, "4,4,4")]
    [InlineData(5, 4, "2,2,1,0")]
    [InlineData(7, 2, "4,3")]
    [InlineData(1, 1, "1")]
    public void EqualSplitFollowsOnnxNumOutputs(int n, int parts, string expected)
    {
        var x = Rand.Uniform(14, new[] { 2, n });
        using var t = x.ToDevice(Dev);
        var pieces = Ops.Split(t, 1, parts);
        Assert.Equal(expected, string.Join(",", pieces.Select(p => p.Shape[1])));
        int off = 0;
        foreach (var p in pieces)
        {
            Approx.Equal(RefShape.Slice(x, 1, off, off + p.Shape[1], 1), p, 0, 0, "equal split");
            off += p.Shape[1];
            p.Dispose();
        }
    }

    public static TheoryData<string, string, bool> ExpandCases()
    {
        var d = new TheoryData<string, string, bool>();
        var specs = new (string, string)[]
        {
            ("3", "4x3"), ("4x1", "4x17"), ("1x5", "33x5"), ("", "2x3"), ("2x1x3", "2x4x3"), ("1x1", "6x7"),
            ("5", "5"), ("3x1x1", "2x3x4x5"), ("1x16", "0x16"), ("17", "3x2x17"),
        };
        int k = 0;
        foreach (var (x, y) in specs) d.Add(x, y, k++ % 2 == 1);
        return d;
    }

    [Theory]
    [MemberData(nameof(ExpandCases))]
    [Covers(OpKind.Copy, OpKind.ExpandBackward)]
    public void ExpandAndBackward(string xShape, string yShape, bool strided)
    {
        var x = Rand.Uniform(15, Dims(xShape));
        using var t = x.ToDevice(Dev);
        using var e = Ops.Expand(t, Dims(yShape));
        Approx.Equal(RefShape.Expand(x, Dims(yShape)), e, 0, 0, $"expand {xShape} to {yShape}");
        var dyRef = Rand.Uniform(16, Dims(yShape));
        using var dy = Upload(dyRef, strided);
        using var dx = Ops.ExpandBackward(dy, new Shape(Dims(xShape)));
        // Sums of up to 33 float32 terms of magnitude ≤ 1.
        Approx.Equal(RefShape.ExpandBackward(dyRef, Dims(xShape)), dx, 1e-5, 1e-5, $"expand backward {yShape} to {xShape}");
    }

    [Fact]
    [Covers(OpKind.ExpandBackward)]
    public void ExpandBackwardLongReduction()
    {
        var dyRef = Rand.Uniform(17, new[] { 4000, 3 });
        using var dy = dyRef.ToDevice(Dev);
        using var dx = Ops.ExpandBackward(dy, new Shape(1, 3));
        // 4000 float32 additions of values in [-1, 1): error grows ~ √n·ε·Σ|x|; 1e-3 absolute leaves a wide margin.
        Approx.Equal(RefShape.ExpandBackward(dyRef, new[] { 1, 3 }), dx, 1e-3, 1e-4, "expand backward long");
    }

    [Fact]
    public void ViewFacadesShareStorageAndInvert()
    {
        var x = Rand.Uniform(18, new[] { 2, 3, 4 });
        using var t = x.ToDevice(Dev);
        using var p = Ops.Permute(t, 2, 0, 1);
        Assert.Same(t.Storage, p.Storage);
        Approx.Equal(RefConvert.Permute(x, new[] { 2, 0, 1 }), p, 0, 0, "permute");
        using var back = Ops.PermuteBackward(p, 2, 0, 1);
        Approx.Equal(x, back, 0, 0, "permute backward");
        using var tr = Ops.Transpose(t, 0, 2);
        Approx.Equal(RefConvert.Permute(x, new[] { 2, 1, 0 }), tr, 0, 0, "transpose");
        using var r = Ops.Reshape(t, 6, -1);
        Assert.Equal(new[] { 6, 4 }, r.Shape.ToArray());
        Assert.Same(t.Storage, r.Storage);
        using var rb = Ops.ReshapeBackward(r, new Shape(2, 3, 4));
        Approx.Equal(x, rb, 0, 0, "reshape backward");
    }
}
