using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>Compare, Where, LogicalNot and PRelu on the CPU against the double reference, for every supported dtype,
/// with broadcasting, strided views, lengths around the 32-element vector step and a tensor large enough to run on
/// several threads. Comparisons and selection are exact; PRelu uses atol 1e-5, rtol 1e-4.</summary>
public class LogicalTests
{
    private static IDevice Dev => TestDevices.Target;

    private static readonly (int[] A, int[] B, bool Strided)[] PairShapes =
    {
        (new[] { 0 }, new[] { 0 }, false), (new[] { 1 }, new[] { 1 }, false), (new[] { 31 }, new[] { 31 }, false),
        (new[] { 32 }, new[] { 32 }, false), (new[] { 97 }, new[] { 97 }, false), (new[] { 257 }, Array.Empty<int>(), false),
        (Array.Empty<int>(), new[] { 65 }, false), (new[] { 33, 65 }, new[] { 65 }, false), (new[] { 33, 65 }, new[] { 33, 1 }, false),
        (new[] { 4, 1, 5 }, new[] { 3, 1 }, false), (new[] { 6, 17 }, new[] { 6, 17 }, true), (new[] { 9, 40 }, new[] { 40 }, true),
        (new[] { 70001 }, new[] { 70001 }, false), (new[] { 3, 33, 70 }, new[] { 33, 1 }, true),
    };

    /// <summary>Values drawn from a few small integers (scaled by ½ for floats) so that equal pairs are common.</summary>
    private static RefTensor Values(int seed, int[] shape, DType dtype)
    {
        var r = Rand.Ints(seed, shape, dtype is DType.Bool ? 2 : 7);
        for (int i = 0; i < r.Length; i++)
            r.Data[i] = dtype switch { DType.Float32 => (r.Data[i] - 3) * 0.5, DType.Bool or DType.UInt8 => r.Data[i], _ => r.Data[i] - 3 };
        return r;
    }

    public static TheoryData<CompareOp, DType, int> CompareCases()
    {
        var d = new TheoryData<CompareOp, DType, int>();
        foreach (var op in Enum.GetValues<CompareOp>())
            foreach (var dt in Enum.GetValues<DType>())
            {
                if (!ShapeRules.CompareSupports(op, dt)) continue;
                for (int i = 0; i < PairShapes.Length; i++) d.Add(op, dt, i);
            }
        return d;
    }

    [Theory]
    [MemberData(nameof(CompareCases))]
    [Covers(OpKind.Compare)]
    public void CompareMatchesReference(CompareOp op, DType dtype, int shapeCase)
    {
        var (sa, sb, strided) = PairShapes[shapeCase];
        var ar = Values(10 + shapeCase, sa, dtype);
        var br = Values(20 + shapeCase, sb, dtype);
        using var a = ar.ToDevice(Dev, dtype, strided);
        using var b = br.ToDevice(Dev, dtype, strided);
        if (strided && a.Rank > 0 && a.ElementCount > 1) Assert.False(a.IsContiguous);
        using var c = Ops.Compare(op, a, b);
        Assert.Equal(DType.Bool, c.DType);
        var expected = RefLogical.Compare(op, ar, br);
        Approx.Equal(expected, c, 0, 0, $"{op} {dtype} [{string.Join(",", sa)}] vs [{string.Join(",", sb)}]");
        if (ar.Length > 8 && br.Length > 8)
        {
            Assert.Contains(1.0, expected.Data); // the data exercises both outcomes
            Assert.Contains(0.0, expected.Data);
        }
    }

    [Fact]
    public void FloatComparisonsWithNaNAndInfinities()
    {
        float[] av = { float.NaN, 1, float.NaN, float.PositiveInfinity, float.NegativeInfinity, -0f, 2, 3 };
        float[] bv = { float.NaN, float.NaN, 1, float.PositiveInfinity, 0, 0f, 2, -3 };
        // 40 elements: the first 32 run the vector loop, the last 8 the scalar tail.
        var a40 = Enumerable.Range(0, 40).Select(i => av[i % 8]).ToArray();
        var b40 = Enumerable.Range(0, 40).Select(i => bv[i % 8]).ToArray();
        using var a = Tensor.FromArray(Dev, a40, 40);
        using var b = Tensor.FromArray(Dev, b40, 40);
        var ar = RefTensor.FromFloats(a40, 40);
        var br = RefTensor.FromFloats(b40, 40);
        foreach (var op in Enum.GetValues<CompareOp>())
        {
            using var c = Ops.Compare(op, a, b);
            Approx.Equal(RefLogical.Compare(op, ar, br), c, 0, 0, op.ToString());
        }
        using var eq = Ops.Equal(a, b);
        var e = eq.ToArray<byte>();
        Assert.Equal(0, e[0]);  // NaN ≠ NaN
        Assert.Equal(1, e[3]);  // ∞ = ∞
        Assert.Equal(1, e[5]);  // −0 = 0
    }

    [Fact]
    public void Int64ComparisonsAndSelectionBeyondTheFloatRange()
    {
        long big = 1L << 60;
        // 40 elements (the pattern of 4 repeated): 32 through the vector loop, 8 through the scalar tail.
        long[] av = { big, big + 1, -big, long.MaxValue }, bv = { big + 1, big + 1, -big - 1, long.MinValue };
        var a40 = Enumerable.Range(0, 40).Select(i => av[i % 4]).ToArray();
        var b40 = Enumerable.Range(0, 40).Select(i => bv[i % 4]).ToArray();
        using var a = Tensor.FromArray(Dev, a40, 40);
        using var b = Tensor.FromArray(Dev, b40, 40);
        using var lt = Ops.Less(a, b);
        using var eq = Ops.Equal(a, b);
        using var ge = Ops.GreaterOrEqual(a, b);
        byte[] Expect(byte[] four) => Enumerable.Range(0, 40).Select(i => four[i % 4]).ToArray();
        Assert.Equal(Expect(new byte[] { 1, 0, 0, 0 }), lt.ToArray<byte>());
        Assert.Equal(Expect(new byte[] { 0, 1, 0, 0 }), eq.ToArray<byte>());
        Assert.Equal(Expect(new byte[] { 0, 1, 1, 1 }), ge.ToArray<byte>());
        using var sel = Ops.Where(lt, a, b);   // the smaller, exactly (doubles could not tell these apart)
        Assert.Equal(Enumerable.Range(0, 40).Select(i => Math.Min(a40[i], b40[i])).ToArray(), sel.ToArray<long>());
    }

    [Fact]
    public void CpuDeviceReportsTheSupportedDTypes()
    {
        Assert.True(Dev.Supports(OpKind.Compare, DType.Int64));
        Assert.True(Dev.Supports(OpKind.Compare, DType.UInt8));
        Assert.True(Dev.Supports(OpKind.Where, DType.Bool));
        Assert.False(Dev.Supports(OpKind.Where, DType.Float16));
        Assert.True(Dev.Supports(OpKind.LogicalNot, DType.Bool));
        Assert.False(Dev.Supports(OpKind.LogicalNot, DType.Float32));
    }

    private static readonly (int[] C, int[] A, int[] B, bool Strided)[] WhereShapes =
    {
        (new[] { 0 }, new[] { 0 }, new[] { 0 }, false), (new[] { 1 }, new[] { 1 }, new[] { 1 }, false),
        (new[] { 37 }, new[] { 37 }, new[] { 37 }, false), (new[] { 64 }, new[] { 64 }, Array.Empty<int>(), false),
        (new[] { 33, 65 }, new[] { 65 }, Array.Empty<int>(), false), (new[] { 4, 1, 5 }, new[] { 3, 1 }, new[] { 1, 5 }, false),
        (new[] { 2, 1, 3, 1 }, new[] { 1, 4, 1, 17 }, new[] { 17 }, false), (new[] { 1, 40 }, new[] { 8, 40 }, new[] { 8, 1 }, false),
        (Array.Empty<int>(), new[] { 5, 33 }, new[] { 33 }, false), (new[] { 6, 17 }, new[] { 6, 17 }, new[] { 6, 17 }, true),
        (new[] { 9, 40 }, new[] { 40 }, new[] { 9, 40 }, true), (new[] { 70001 }, new[] { 70001 }, new[] { 70001 }, false),
        (new[] { 300, 301 }, new[] { 300, 301 }, new[] { 1 }, false),
    };

    public static TheoryData<DType, int> WhereCases()
    {
        var d = new TheoryData<DType, int>();
        foreach (var dt in OpTable.Get(OpKind.Where).DTypes)
            for (int i = 0; i < WhereShapes.Length; i++) d.Add(dt, i);
        return d;
    }

    [Theory]
    [MemberData(nameof(WhereCases))]
    [Covers(OpKind.Where)]
    public void WhereMatchesReference(DType dtype, int shapeCase)
    {
        var (sc, sa, sb, strided) = WhereShapes[shapeCase];
        var cr = Rand.Ints(30 + shapeCase, sc, 2);
        var ar = dtype == DType.Float32 ? Rand.Uniform(31 + shapeCase, sa, -5, 5) : Values(31 + shapeCase, sa, dtype);
        var br = dtype == DType.Float32 ? Rand.Uniform(32 + shapeCase, sb, -5, 5) : Values(32 + shapeCase, sb, dtype);
        using var c = cr.ToDevice(Dev, DType.Bool, strided);
        using var a = ar.ToDevice(Dev, dtype, strided);
        using var b = br.ToDevice(Dev, dtype, strided);
        using var y = Ops.Where(c, a, b);
        Assert.Equal(dtype, y.DType);
        Approx.Equal(RefLogical.Where(cr, ar, br), y, 0, 0, $"Where {dtype} case {shapeCase}");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(10)]
    [InlineData(12)]
    [Covers(OpKind.Where, OpKind.Fill)]
    public void WhereBackwardMatchesReference(int shapeCase)
    {
        var (sc, sa, sb, strided) = WhereShapes[shapeCase];
        var cr = Rand.Ints(40 + shapeCase, sc, 2);
        var full = RefElementwise.BroadcastShape(RefElementwise.BroadcastShape(sc, sa), sb);
        var dcr = Rand.Uniform(41 + shapeCase, full);
        using var c = cr.ToDevice(Dev, DType.Bool, strided);
        using var dc = dcr.ToDevice(Dev, DType.Float32, strided);
        var (da, db) = Ops.WhereBackward(c, dc, new Shape(sa), new Shape(sb));
        using var _a = da; using var _b = db;
        var (rda, rdb) = RefLogical.WhereBackward(cr, sa, sb, dcr);
        double atol = 1e-5 * Math.Max(1, Math.Sqrt(dcr.Length / Math.Max(1.0, Math.Min(rda.Length, rdb.Length))));
        Approx.Equal(rda, da!, atol, 1e-4, "dWhere/da");
        Approx.Equal(rdb, db!, atol, 1e-4, "dWhere/db");
    }

    [Theory]
    [InlineData(new[] { 0 }, false)]
    [InlineData(new[] { 31 }, false)]
    [InlineData(new[] { 100 }, false)]
    [InlineData(new[] { 70001 }, false)]
    [InlineData(new[] { 7, 45 }, true)]
    [InlineData(new[] { 3, 40 }, true)]
    [Covers(OpKind.LogicalNot)]
    public void LogicalNotMatchesReference(int[] shape, bool strided)
    {
        var xr = Rand.Ints(50, shape, 2);
        using var x = xr.ToDevice(Dev, DType.Bool, strided);
        using var y = Ops.LogicalNot(x);
        Assert.Equal(DType.Bool, y.DType);
        Approx.Equal(RefLogical.Not(xr), y, 0, 0, "Not");
    }

    // ---- PRelu (unidirectional broadcast of the slope, as ONNX) ----

    private static readonly (int[] X, int[] Slope, bool Strided)[] PReluShapes =
    {
        (new[] { 0 }, new[] { 1 }, false), (new[] { 37 }, new[] { 37 }, false), (new[] { 3, 4, 5 }, new[] { 5 }, false),
        (new[] { 2, 3, 4, 5 }, new[] { 3, 1, 1 }, false), (new[] { 2, 3, 4, 5 }, Array.Empty<int>(), false),
        (new[] { 9, 40 }, new[] { 40 }, true), (new[] { 70001 }, new[] { 1 }, false), (new[] { 4, 70 }, new[] { 4, 1 }, true),
    };

    public static TheoryData<int> PReluCases()
    {
        var d = new TheoryData<int>();
        for (int i = 0; i < PReluShapes.Length; i++) d.Add(i);
        return d;
    }

    [Theory]
    [MemberData(nameof(PReluCases))]
    [Covers(OpKind.Binary, OpKind.BinaryBackward)]
    public void PReluMatchesReference(int shapeCase)
    {
        var (sx, ss, strided) = PReluShapes[shapeCase];
        var xr = Rand.Uniform(60 + shapeCase, sx, -3, 3);
        var sr = Rand.Uniform(61 + shapeCase, ss, -0.5, 1);
        using var x = xr.ToDevice(Dev, DType.Float32, strided);
        using var s = sr.ToDevice(Dev, DType.Float32, strided);
        using var y = Ops.PRelu(x, s);
        Assert.Equal(x.Shape, y.Shape);
        Approx.Equal(RefElementwise.Binary(BinaryOp.PRelu, xr, sr), y, 1e-6, 1e-6, $"PRelu case {shapeCase}");

        var dyr = Rand.Uniform(62 + shapeCase, sx);
        using var dy = dyr.ToDevice(Dev, DType.Float32, strided);
        var (dx, ds) = Ops.PReluBackward(x, s, dy);
        using var _x = dx; using var _s = ds;
        var (rdx, rds) = RefElementwise.BinaryBackward(BinaryOp.PRelu, xr, sr, dyr);
        Approx.Equal(rdx, dx!, 1e-6, 1e-5, "dPRelu/dx");
        double atol = 1e-5 * Math.Max(1, Math.Sqrt(dyr.Length / Math.Max(1.0, rds.Length)));
        Approx.Equal(rds, ds!, atol, 1e-4, "dPRelu/dslope");
    }

    [Fact]
    public void PReluMatchesItsDefinitionOnKnownValues()
    {
        using var x = Tensor.FromArray(Dev, new float[] { -2, -0.5f, 0, 1.5f, -4, 3 }, 2, 3);
        using var s = Tensor.FromArray(Dev, new float[] { 0.1f, 0.2f, 0.3f }, 3);
        using var y = Ops.PRelu(x, s);
        Assert.Equal(new float[] { -0.2f, -0.1f, 0, 1.5f, -0.8f, 3 }, y.ToArray<float>());
    }
}
