using Tessera.Devices;
using Tessera.Cpu;
using Tessera.Cpu.Kernels.Linalg;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>GEMM / MatMul / Linear on the CPU against the reference. Tolerance: float32 accumulation over K terms of
/// magnitude ≤ 1 drifts by about √K·ε per term, so atol grows with K (1e-5·(1 + K/16)) and rtol is 1e-4.</summary>
public class LinalgTests
{
    private static IDevice Dev => TestDevices.Target;

    private static double Atol(int k) => 1e-5 * (1 + k / 16.0);

    public sealed record GemmCase(string Name, int[] BatchA, int[] BatchB, int M, int N, int K, bool TransA = false, bool TransB = false,
        float Alpha = 1f, float Beta = 0f, int[]? Bias = null, bool Strided = false, bool NanInC = false)
    {
        public override string ToString() => Name;
    }

    public static TheoryData<GemmCase> GemmCases()
    {
        var d = new TheoryData<GemmCase>();
        int[] none = [];
        foreach (var s in new[] { 0, 1, 2, 3, 5, 7, 15, 16, 17, 31, 33, 63, 65 })
            d.Add(new GemmCase($"square {s}", none, none, s, s, s));
        foreach (var (m, n, k) in new[] { (1, 257, 3), (257, 1, 5), (6, 32, 256), (7, 33, 257), (13, 65, 31), (100, 70, 300),
                     (65, 17, 129), (2, 3, 0), (0, 5, 7), (5, 0, 7), (3, 4200, 5), (3100, 40, 20), (200, 300, 520), (12, 64, 1) })
            d.Add(new GemmCase($"rect {m}x{n}x{k}", none, none, m, n, k));
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            d.Add(new GemmCase($"trans {ta}/{tb} 17x31x33", none, none, 17, 31, 33, ta, tb));
            d.Add(new GemmCase($"trans {ta}/{tb} 64x65x63", none, none, 64, 65, 63, ta, tb));
            d.Add(new GemmCase($"strided {ta}/{tb} 33x17x65", none, none, 33, 17, 65, ta, tb, Strided: true));
        }
        d.Add(new GemmCase("gemv 1x300x200", none, none, 1, 300, 200));
        d.Add(new GemmCase("gemv transB 1x1100x70", none, none, 1, 1100, 70, TransB: true));
        d.Add(new GemmCase("gemv transA/B alpha beta", none, none, 1, 600, 65, true, true, 0.5f, 2f));
        d.Add(new GemmCase("gemv strided", none, none, 1, 257, 63, false, true, Strided: true));
        d.Add(new GemmCase("gemv NaN in C, bias", none, none, 1, 520, 33, Bias: [520], NanInC: true));
        d.Add(new GemmCase("gemv batched", [3], [3], 1, 100, 50, Beta: -1f));
        d.Add(new GemmCase("alpha 0.5", none, none, 19, 23, 29, Alpha: 0.5f));
        d.Add(new GemmCase("beta 1", none, none, 19, 23, 29, Beta: 1f));
        d.Add(new GemmCase("alpha 2 beta -0.5 trans", none, none, 31, 40, 17, true, true, 2f, -0.5f));
        d.Add(new GemmCase("alpha 0 beta 2", none, none, 9, 10, 11, Alpha: 0f, Beta: 2f));
        d.Add(new GemmCase("beta 0 ignores NaN in C", none, none, 37, 35, 33, NanInC: true));
        d.Add(new GemmCase("beta 0 ignores NaN in C, tiny", none, none, 3, 4, 5, NanInC: true));
        d.Add(new GemmCase("K 0 beta 0.5", none, none, 6, 7, 0, Beta: 0.5f));
        d.Add(new GemmCase("bias [N]", none, none, 17, 33, 20, Bias: [33]));
        d.Add(new GemmCase("bias [M,1]", none, none, 17, 33, 20, Bias: [17, 1]));
        d.Add(new GemmCase("bias [1]", none, none, 17, 33, 20, Bias: [1]));
        d.Add(new GemmCase("bias [M,N] beta 0.5", none, none, 17, 33, 20, Beta: 0.5f, Bias: [17, 33]));
        d.Add(new GemmCase("bias [N] NaN in C", none, none, 40, 50, 60, Bias: [50], NanInC: true));
        d.Add(new GemmCase("bias [N] alpha 3 beta 1", none, none, 8, 9, 70, Alpha: 3f, Beta: 1f, Bias: [9]));
        d.Add(new GemmCase("batched [2,1]x[3]", [2, 1], [3], 5, 6, 7));
        d.Add(new GemmCase("batched [2,1]x[3] packed", [2, 1], [3], 20, 33, 17));
        d.Add(new GemmCase("batched [4]x[]", [4], none, 17, 16, 15));
        d.Add(new GemmCase("batched []x[5] trans", none, [5], 9, 8, 40, true, true));
        d.Add(new GemmCase("batched [2,3]x[2,3]", [2, 3], [2, 3], 7, 9, 11));
        d.Add(new GemmCase("batched [1,3]x[2,1] strided", [1, 3], [2, 1], 12, 13, 14, false, true, Strided: true));
        d.Add(new GemmCase("batched 64 small", [64], [64], 4, 5, 6));
        d.Add(new GemmCase("batched with batch bias [3,1,N]", [3], [3], 10, 12, 30, Bias: [3, 1, 12]));
        d.Add(new GemmCase("batched empty batch", [0], [1], 3, 4, 5));
        return d;
    }

    [Theory]
    [MemberData(nameof(GemmCases))]
    [Covers(OpKind.Gemm)]
    public void Gemm(GemmCase t)
    {
        int[] aShape = [.. t.BatchA, .. t.TransA ? new[] { t.K, t.M } : new[] { t.M, t.K }];
        int[] bShape = [.. t.BatchB, .. t.TransB ? new[] { t.N, t.K } : new[] { t.K, t.N }];
        var ra = Rand.Uniform(1, aShape);
        var rb = Rand.Uniform(2, bShape);
        var rbias = t.Bias is null ? null : Rand.Uniform(3, t.Bias);
        int[] cShape = [.. RefElementwise.BroadcastShape(t.BatchA, t.BatchB), t.M, t.N];
        var rc = Rand.Uniform(4, cShape);
        if (t.NanInC) Array.Fill(rc.Data, double.NaN);
        var p = new GemmParams(t.TransA, t.TransB, t.Alpha, t.Beta);
        var expected = RefLinalg.Gemm(ra, rb, rbias, p, rc);

        using var a = t.Strided ? ra.ToDeviceStrided(Dev) : ra.ToDevice(Dev);
        using var b = t.Strided ? rb.ToDeviceStrided(Dev) : rb.ToDevice(Dev);
        using var bias = rbias?.ToDevice(Dev);
        using var c = rc.ToDevice(Dev);
        var result = Ops.Gemm(a, b, bias, p, c);
        Assert.Same(c, result);
        Approx.Equal(expected, c, Atol(t.K) * Math.Max(1, Math.Abs(t.Alpha)), 1e-4, t.Name);
    }

    /// <summary>A hand-computed product, so that the reference and the kernel cannot agree on a wrong answer.</summary>
    [Fact]
    public void MatMulKnownValues()
    {
        using var a = Tensor.FromArray(Dev, new float[] { 1, 2, 3, 4 }, 2, 2);
        using var b = Tensor.FromArray(Dev, new float[] { 5, 6, 7, 8 }, 2, 2);
        using var c = Ops.MatMul(a, b);
        Assert.Equal(new float[] { 19, 22, 43, 50 }, c.ToArray<float>());
        var r = RefLinalg.MatMul(a.ToRef(), b.ToRef());
        Assert.Equal(new double[] { 19, 22, 43, 50 }, r.Data);
        Assert.Equal(1f, new GemmParams().Alpha);
    }

    /// <summary>Operands whose both strides are non-unit (every second column) or zero (expanded rows and batches).</summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void GemmStepSlicedAndExpandedViews(bool ta, bool tb)
    {
        int m = 37, n = 45, k = 29;
        var rawA = Rand.Uniform(41, ta ? [k, 2 * m] : [m, 2 * k]);
        var rowB = Rand.Uniform(42, tb ? [1, k] : [1, n]);
        using var bigA = rawA.ToDevice(Dev);
        using var a = bigA.Slice(-1, 1, bigA.Shape[^1], 2);            // strides (2·cols, 2)
        using var small = rowB.ToDevice(Dev);
        using var b = small.Expand(3, tb ? n : k, tb ? k : n);       // strides (0, 0, 1)
        var ra = a.ToRef();
        var rb = b.ToRef();
        var p = new GemmParams(ta, tb, 1f, 0f);
        using var c = Ops.Gemm(a, b, null, p);
        Approx.Equal(RefLinalg.Gemm(ra, rb, null, p), c, Atol(k), 1e-4);
    }

    [Fact]
    public void GemmWithoutOutputIgnoresBeta()
    {
        var ra = Rand.Uniform(5, [20, 30]);
        var rb = Rand.Uniform(6, [30, 40]);
        using var a = ra.ToDevice(Dev);
        using var b = rb.ToDevice(Dev);
        using var c = Ops.Gemm(a, b, null, new GemmParams(Alpha: 2f, Beta: 5f));
        Approx.Equal(RefLinalg.Gemm(ra, rb, null, new GemmParams(Alpha: 2f)), c, Atol(30), 1e-4);
    }

    [Fact]
    public void GemmMultiThreadedMatchesSingleThreaded() // a property of the CPU backend's blocking, whatever the target
    {
        var ra = Rand.Uniform(7, [150, 300]);
        var rb = Rand.Uniform(8, [300, 170]);
        using var a = ra.ToDevice(TestDevices.Cpu);
        using var b = rb.ToDevice(TestDevices.Cpu);
        var dev = new CpuDevice { Threads = 1 };
        using var a1 = ra.ToDevice(dev);
        using var b1 = rb.ToDevice(dev);
        using var c4 = Ops.Gemm(a, b, null, new GemmParams());
        using var c1 = Ops.Gemm(a1, b1, null, new GemmParams());
        // Same blocking, same summation order per element: bit-identical whatever the thread count.
        Assert.Equal(c1.ToArray<float>(), c4.ToArray<float>());
        Approx.Equal(RefLinalg.Gemm(ra, rb, null, new GemmParams()), c4, Atol(300), 1e-4);
    }

    public static TheoryData<string, int, int, int, bool, bool, float> IsaCases()
    {
        var d = new TheoryData<string, int, int, int, bool, bool, float>();
        foreach (var isa in new[] { "Scalar", "Vector256", "Vector512" })
        {
            d.Add(isa, 37, 70, 600, false, false, 0f);   // K crosses the KC block boundary
            d.Add(isa, 6, 32, 16, true, false, 1f);
            d.Add(isa, 65, 33, 17, false, true, -0.5f);
            d.Add(isa, 13, 100, 257, true, true, 0f);
        }
        // B's slab (512 deep × 200 wide) is more than L2 keeps: row blocks grow tall (192 rows), split evenly in three.
        d.Add("Vector512", 400, 200, 600, false, false, 0.5f);
        d.Add("Vector256", 400, 200, 600, false, true, 0f);
        // A read in place (rows, then columns) with two rows left over: the last ten rows run as strips of 4 + 4 (+ 2);
        // 40 columns leave an edge of 8, which the one-vector kernel computes.
        d.Add("Vector512", 128, 96, 600, false, false, 0.5f);
        d.Add("Vector512", 14, 40, 700, true, false, 1f);
        // Deep blocks (512, 388) run adjacent full panels as 6 × 64 tiles, here with A read in place: strips of 6 take
        // the wide kernel, the last 4 + 4 rows each panel's own; the 22-column edge stays alone.
        d.Add("Vector512", 20, 150, 900, true, false, 1f);
        return d;
    }

    /// <summary>Each micro-kernel (the scalar and 256-bit fallbacks too) on edge tiles, transposes and β.</summary>
    [Theory]
    [MemberData(nameof(IsaCases))]
    public unsafe void SgemmMicroKernels(string isaName, int m, int n, int k, bool ta, bool tb, float beta)
    {
        var isa = Enum.Parse<GemmIsa>(isaName);
        Requirement.Require(isa != GemmIsa.Vector512 || Sgemm.Isa == GemmIsa.Vector512, "Vector512 micro-kernel needs AVX-512");
        Requirement.Require(isa != GemmIsa.Vector256 || Sgemm.Isa != GemmIsa.Scalar, "Vector256 micro-kernel needs AVX2+FMA");
        var ra = Rand.Uniform(11, ta ? [k, m] : [m, k]);
        var rb = Rand.Uniform(12, tb ? [n, k] : [k, n]);
        var rc = Rand.Uniform(13, [m, n]);
        var p = new GemmParams(ta, tb, 1.5f, beta);
        var expected = RefLinalg.Gemm(ra, rb, null, p, rc);
        using var a = ra.ToDevice(TestDevices.Cpu);
        using var b = rb.ToDevice(TestDevices.Cpu);
        using var c = rc.ToDevice(TestDevices.Cpu);
        long ars = ta ? 1 : k, acs = ta ? m : 1, brs = tb ? 1 : n, bcs = tb ? k : 1;
        Sgemm.Run(isa, TestDevices.Cpu.Memory, 1, m, n, k, 1.5f, a.F32(), ars, acs, new StridedPanels(b.F32(), brs, bcs), beta, c.F32(), n);
        Approx.Equal(expected, c, 1.5 * Atol(k), 1e-4, isa.ToString());
    }

    public static TheoryData<int[], int[], bool> MatMulCases() => new()
    {
        { [7], [7], false },
        { [33], [33, 17], false },
        { [17, 33], [33], false },
        { [16, 17], [17, 15], false },
        { [2, 1, 5, 6], [3, 6, 4], false },
        { [4, 17, 9], [9, 31], false },
        { [9, 31], [5, 31, 8], false },
        { [2, 3, 4, 5], [2, 3, 5, 6], true },
        { [1, 65, 33], [3, 33, 1], true },
        { [0, 4, 5], [5, 3], false },
        { [4, 0], [0, 3], false },
    };

    [Theory]
    [MemberData(nameof(MatMulCases))]
    [Covers(OpKind.Gemm)]
    public void MatMul(int[] aShape, int[] bShape, bool strided)
    {
        var ra = Rand.Uniform(21, aShape);
        var rb = Rand.Uniform(22, bShape);
        using var a = strided ? ra.ToDeviceStrided(Dev) : ra.ToDevice(Dev);
        using var b = strided ? rb.ToDeviceStrided(Dev) : rb.ToDevice(Dev);
        using var c = Ops.MatMul(a, b);
        Approx.Equal(RefLinalg.MatMul(ra, rb), c, Atol(aShape[^1]), 1e-4);
    }

    /// <summary>Backward sums over the batch dimensions an operand was broadcast along (more terms: looser atol).</summary>
    [Theory]
    [MemberData(nameof(MatMulCases))]
    [Covers(OpKind.Gemm)]
    public void MatMulBackward(int[] aShape, int[] bShape, bool strided)
    {
        var ra = Rand.Uniform(23, aShape);
        var rb = Rand.Uniform(24, bShape);
        var rdc = Rand.Uniform(25, RefLinalg.MatMul(ra, rb).Shape);
        var (eda, edb) = RefLinalg.MatMulBackward(ra, rb, rdc);
        using var a = strided ? ra.ToDeviceStrided(Dev) : ra.ToDevice(Dev);
        using var b = strided ? rb.ToDeviceStrided(Dev) : rb.ToDevice(Dev);
        using var dc = strided && rdc.Rank >= 2 ? rdc.ToDeviceStrided(Dev) : rdc.ToDevice(Dev);
        var (da, db) = Ops.MatMulBackward(a, b, dc);
        using (da)
        using (db)
        {
            Approx.Equal(eda, da, 1e-4, 1e-4, "da");
            Approx.Equal(edb, db, 1e-4, 1e-4, "db");
        }
    }

    public static TheoryData<int[], int, bool, bool> LinearCases() => new()
    {
        { [16], 17, true, false },
        { [5, 33], 65, true, false },
        { [2, 3, 31], 15, false, false },
        { [7, 20], 9, true, true },
        { [2, 6, 40], 33, true, true },
        { [1, 1], 1, true, false },
        { [3, 0], 4, true, false },
    };

    [Theory]
    [MemberData(nameof(LinearCases))]
    [Covers(OpKind.Gemm)]
    public void Linear(int[] xShape, int outF, bool withBias, bool strided)
    {
        int inF = xShape[^1];
        var rx = Rand.Uniform(31, xShape);
        var rw = Rand.Uniform(32, [outF, inF]);
        var rbias = withBias ? Rand.Uniform(33, [outF]) : null;
        using var x = strided ? rx.ToDeviceStrided(Dev) : rx.ToDevice(Dev);
        using var w = strided ? rw.ToDeviceStrided(Dev) : rw.ToDevice(Dev);
        using var bias = rbias?.ToDevice(Dev);
        using var y = Ops.Linear(x, w, bias);
        Approx.Equal(RefLinalg.Linear(rx, rw, rbias), y, Atol(inF), 1e-4);
    }

    [Theory]
    [MemberData(nameof(LinearCases))]
    [Covers(OpKind.Gemm)]
    public void LinearBackward(int[] xShape, int outF, bool withBias, bool strided)
    {
        _ = withBias;
        int inF = xShape[^1];
        var rx = Rand.Uniform(34, xShape);
        var rw = Rand.Uniform(35, [outF, inF]);
        var rdy = Rand.Uniform(36, RefLinalg.Linear(rx, rw, null).Shape);
        var (edx, edw, edb) = RefLinalg.LinearBackward(rx, rw, rdy);
        using var x = strided ? rx.ToDeviceStrided(Dev) : rx.ToDevice(Dev);
        using var w = strided ? rw.ToDeviceStrided(Dev) : rw.ToDevice(Dev);
        using var dy = strided && rdy.Rank >= 2 ? rdy.ToDeviceStrided(Dev) : rdy.ToDevice(Dev);
        var (dx, dw, db) = Ops.LinearBackward(x, w, dy);
        using (dx)
        using (dw)
        using (db)
        {
            Approx.Equal(edx, dx, 1e-4, 1e-4, "dx");
            Approx.Equal(edw, dw, 1e-4, 1e-4, "dw");
            Approx.Equal(edb, db, 1e-4, 1e-4, "db");
        }
    }
}
