using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>Fused epilogues against the reference: y = act(conv(x, w) + bias + residual) for every activation of
/// <see cref="Epilogue.Activations"/>, with and without a residual, on every convolution path of the CPU backend (direct
/// small-channel tiles of each shape, implicit-GEMM im2col with one and two depth blocks, padded rows (strided,
/// grouped, two depth blocks, pointwise in place, depthwise), depthwise channel blocks and planes, the transposed product of small maps, 1×1 direct operand, a one-row product, the tiny direct loop,
/// grouped, depthwise padded and tap-by-tap) — on OpenCL they exercise its
/// implicit GEMM and direct loops — and c = act(α·op(a)·op(b) + β·c + bias) for GEMM (transposes, odd sizes, the
/// one-row, tiny, zero-depth and two-depth-block paths, row and general biases, batches). Tolerances as the unfused
/// conformance tests (the activations' slopes are at most 1.5).</summary>
public class EpilogueTests
{
    private static IDevice Dev => TestDevices.Target;

    /// <summary>The epilogue each activation is tested with (Clamp with both bounds inside the outputs' range).</summary>
    public static Epilogue Of(UnaryOp activation) => activation switch
    {
        UnaryOp.Clamp => Epilogue.Clip(-0.3f, 0.4f),
        UnaryOp.LeakyRelu => Epilogue.LeakyRelu(0.1f),
        _ => new Epilogue(activation),
    };

    public sealed record ConvShape(int N, int C, int H, int W, int O, int KH, int KW, Conv2dParams P, bool Bias = true)
    {
        public int[] XShape => [N, C, H, W];
        public int[] WShape => [O, C / P.Groups, KH, KW];
    }

    /// <summary>One shape per convolution path (names say which).</summary>
    public static readonly IReadOnlyDictionary<string, ConvShape> ConvPaths = new Dictionary<string, ConvShape>
    {
        ["direct 4-channel tiles"] = new(2, 3, 10, 12, 5, 3, 3, Conv2dParams.Square(1, 1)),
        ["direct 6-channel tiles"] = new(2, 2, 9, 11, 12, 3, 3, Conv2dParams.Square()),
        ["direct 16-channel tiles, no bias"] = new(1, 3, 7, 9, 16, 3, 3, Conv2dParams.Square(1, 1), Bias: false),
        ["im2col stride 2"] = new(2, 20, 9, 11, 7, 3, 3, Conv2dParams.Square(2, 1)),
        ["padded rows two depth blocks, threaded"] = new(1, 64, 10, 10, 40, 3, 3, Conv2dParams.Square(1, 1)),
        ["im2col two depth blocks, sparse rows"] = new(1, 64, 3, 5, 20, 3, 3, Conv2dParams.Square(1, 1)),
        ["transposed gemm on 7x7, o = 37"] = new(2, 12, 7, 7, 37, 3, 3, Conv2dParams.Square(1, 1)),
        ["1x1 direct operand"] = new(2, 24, 7, 9, 16, 1, 1, Conv2dParams.Square()),
        ["1x1 one output per group (gemv)"] = new(1, 8, 40, 40, 4, 1, 1, Conv2dParams.Square(1, 0, 1, 4)),
        ["tiny product, no bias"] = new(1, 17, 2, 2, 3, 1, 1, Conv2dParams.Square(), Bias: false),
        ["grouped 3x3"] = new(2, 20, 8, 9, 12, 3, 3, Conv2dParams.Square(1, 1, 1, 2)),
        ["padded rows stride 2, partial channel block"] = new(2, 20, 15, 33, 10, 3, 3, Conv2dParams.Square(2, 1)),
        ["padded rows grouped, dilation 2"] = new(1, 24, 20, 20, 16, 3, 3, Conv2dParams.Square(1, 2, 2, 2)),
        ["pointwise rows in place, short last tile"] = new(1, 20, 23, 23, 14, 1, 1, Conv2dParams.Square()),
        ["pointwise rows in place, two depth blocks"] = new(1, 520, 24, 24, 12, 1, 1, Conv2dParams.Square()),
        ["depthwise padded-row tiles 7x7"] = new(1, 6, 20, 20, 6, 7, 7, Conv2dParams.Square(1, 3, 1, 6)),
        ["depthwise channel blocks, stride 2 to 7x7, 20 channels"] = new(1, 20, 13, 13, 20, 3, 3, Conv2dParams.Square(2, 1, 1, 20)),
        ["depthwise planes 3x3 on 17x17"] = new(1, 6, 17, 17, 6, 3, 3, Conv2dParams.Square(1, 1, 1, 6)),
        ["depthwise planes 3x3 stride 2, odd width"] = new(2, 5, 31, 37, 5, 3, 3, Conv2dParams.Square(2, 1, 1, 5)),
        ["depthwise planes 5x5 stride 2"] = new(1, 4, 27, 41, 4, 5, 5, Conv2dParams.Square(2, 2, 1, 4)),
        ["depthwise planes 1x1"] = new(2, 6, 9, 13, 6, 1, 1, Conv2dParams.Square(1, 0, 1, 6)),
        ["depthwise padded rows, stride 2 dilation 2"] = new(2, 8, 15, 17, 8, 3, 3, Conv2dParams.Square(2, 2, 2, 8)),
        ["depthwise small map 5x5 stride 2"] = new(1, 6, 11, 12, 6, 5, 5, Conv2dParams.Square(2, 2, 1, 6)),
        ["depthwise stride 3 taps"] = new(1, 6, 11, 14, 6, 3, 3, Conv2dParams.Square(3, 1, 1, 6)),
        ["winograd 3x3, partial tiles and panel"] = new(2, 18, 11, 13, 40, 3, 3, Conv2dParams.Square(1, 1)),
        ["winograd 2x2 tiles on 7x7"] = new(1, 20, 7, 7, 36, 3, 3, Conv2dParams.Square(1, 1)),
        ["stem 3x3 / 2, odd rows, shifted chunk"] = new(2, 3, 33, 37, 16, 3, 3, Conv2dParams.Square(2, 1)),
        ["1x7 turned a quarter"] = new(1, 24, 17, 17, 20, 1, 7, new(1, 1, 0, 3, 0, 3)),
        // A squeeze-and-excitation block's layers on 1×1 maps: a row against the packed weight (y written in place),
        // and fewer outputs than a panel (dot products per output).
        ["1x1 map, 70 outputs: a row times the packed weight"] = new(2, 48, 1, 1, 70, 1, 1, Conv2dParams.Square()),
        ["1x1 map, 20 outputs: dot products"] = new(2, 200, 1, 1, 20, 1, 1, Conv2dParams.Square()),
    };

    public static TheoryData<string, UnaryOp, bool> ConvCases()
    {
        var d = new TheoryData<string, UnaryOp, bool>();
        foreach (var path in ConvPaths.Keys)
            foreach (var act in Epilogue.Activations)
                foreach (bool residual in new[] { false, true })
                    d.Add(path, act, residual);
        return d;
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    [Covers(OpKind.Conv2d)]
    public void Conv2dEpilogue(string path, UnaryOp activation, bool residual)
    {
        var s = ConvPaths[path];
        var p = s.P with { Epilogue = Of(activation) };
        var rx = Rand.Uniform(1, s.XShape);
        var rw = Rand.Uniform(2, s.WShape);
        var rb = s.Bias ? Rand.Uniform(3, [s.O]) : null;
        var yShape = ShapeRules.Conv2d(new Shape(s.XShape), new Shape(s.WShape), p).ToArray();
        var rr = residual ? Rand.Uniform(4, yShape) : null;
        using var x = rx.ToDevice(Dev);
        using var w = rw.ToDevice(Dev);
        using var b = rb?.ToDevice(Dev);
        using var r = rr?.ToDevice(Dev);
        using var y = Ops.Conv2d(x, w, b, p, r);
        Approx.Equal(RefConv.Conv2d(rx, rw, rb, p, rr), y, 2e-4, 1e-4, $"{path} {p.Epilogue}{(residual ? " +residual" : "")}");
    }

    /// <summary>A strided residual view and a strided input: the kernels read them through their strides.</summary>
    [Fact]
    [Covers(OpKind.Conv2d)]
    public void Conv2dEpilogueStridedResidual()
    {
        var s = ConvPaths["im2col stride 2"];
        var p = s.P with { Epilogue = Epilogue.Silu };
        var rx = Rand.Uniform(5, s.XShape);
        var rw = Rand.Uniform(6, s.WShape);
        var rb = Rand.Uniform(7, [s.O]);
        var rr = Rand.Uniform(8, ShapeRules.Conv2d(new Shape(s.XShape), new Shape(s.WShape), p).ToArray());
        using var x = rx.ToDeviceStrided(Dev);
        using var w = rw.ToDevice(Dev);
        using var b = rb.ToDevice(Dev);
        using var r = rr.ToDeviceStrided(Dev);
        Assert.False(r.IsContiguous);
        using var y = Ops.Conv2d(x, w, b, p, r);
        Approx.Equal(RefConv.Conv2d(rx, rw, rb, p, rr), y, 2e-4, 1e-4, "strided residual");
    }

    public sealed record GemmShape(int[] Batch, int M, int N, int K, bool TransA = false, bool TransB = false,
        float Alpha = 1f, float Beta = 0f, int[]? Bias = null);

    /// <summary>One shape per GEMM path and bias kind (names say which).</summary>
    public static readonly IReadOnlyDictionary<string, GemmShape> GemmPaths = new Dictionary<string, GemmShape>
    {
        ["packed 33x33x33, bias [N]"] = new([], 33, 33, 33, Bias: [33]),
        ["transposed 17x31x33, bias [1, N]"] = new([], 17, 31, 33, true, true, Bias: [1, 31]),
        ["transB odd 13x65x31, no bias"] = new([], 13, 65, 31, TransB: true),
        ["two depth blocks 40x70x600, bias [N]"] = new([], 40, 70, 600, Bias: [70]),
        ["one row 1x600x65, bias [N]"] = new([], 1, 600, 65, TransB: true, Bias: [600]),
        ["tiny 3x4x5, bias [N]"] = new([], 3, 4, 5, Bias: [4]),
        ["depth 0, bias [N]"] = new([], 6, 7, 0, Bias: [7]),
        ["bias [M, 1], alpha 2"] = new([], 17, 33, 20, Alpha: 2f, Bias: [17, 1]),
        ["beta 0.5 onto c, bias [N]"] = new([], 19, 23, 29, Beta: 0.5f, Bias: [23]),
        ["batched [3], bias [N]"] = new([3], 10, 12, 30, Bias: [12]),
    };

    public static TheoryData<string, UnaryOp> GemmCases()
    {
        var d = new TheoryData<string, UnaryOp>();
        foreach (var path in GemmPaths.Keys)
            foreach (var act in Epilogue.Activations)
                d.Add(path, act);
        return d;
    }

    [Theory]
    [MemberData(nameof(GemmCases))]
    [Covers(OpKind.Gemm)]
    public void GemmEpilogue(string path, UnaryOp activation)
    {
        var t = GemmPaths[path];
        int[] aShape = [.. t.Batch, .. t.TransA ? new[] { t.K, t.M } : new[] { t.M, t.K }];
        int[] bShape = [.. t.Batch, .. t.TransB ? new[] { t.N, t.K } : new[] { t.K, t.N }];
        var ra = Rand.Uniform(1, aShape);
        var rb = Rand.Uniform(2, bShape);
        var rbias = t.Bias is null ? null : Rand.Uniform(3, t.Bias);
        var rc = Rand.Uniform(4, [.. t.Batch, t.M, t.N]);
        var p = new GemmParams(t.TransA, t.TransB, t.Alpha, t.Beta, Of(activation));
        var expected = RefLinalg.Gemm(ra, rb, rbias, p, rc);
        using var a = ra.ToDevice(Dev);
        using var b = rb.ToDevice(Dev);
        using var bias = rbias?.ToDevice(Dev);
        using var c = rc.ToDevice(Dev);
        Ops.Gemm(a, b, bias, p, c);
        Approx.Equal(expected, c, 1e-5 * (1 + t.K / 16.0) * Math.Max(1, t.Alpha) * 1.5, 1e-4, $"{path} {p.Epilogue}");
    }
}
