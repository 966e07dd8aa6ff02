using Tessera.Devices;
using Tessera.Cpu;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>Conv2d (forward, data/weight/bias gradients) and max/avg pooling on the CPU against the reference.
/// Tolerances: convolution sums Cg·KH·KW products in float32 (atol 1e-4, rtol 1e-4); the weight and bias gradients
/// sum over N·OH·OW terms as well (atol scaled with the number of terms). Pooling is exact up to the average's
/// division (atol 1e-6).</summary>
public class ConvTests
{
    private static IDevice Dev => TestDevices.Target;

    public sealed record ConvCase(string Name, int N, int C, int H, int W, int O, int KH, int KW, Conv2dParams P,
        bool Bias = true, bool Strided = false)
    {
        public override string ToString() => Name;
        public int[] XShape => [N, C, H, W];
        public int[] WShape => [O, C / P.Groups, KH, KW];
    }

    public static TheoryData<ConvCase> ConvCases() => new()
    {
        new ConvCase("3x3 pad 1", 2, 3, 8, 8, 4, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("3x3 stride 2", 1, 4, 9, 11, 6, 3, 3, Conv2dParams.Square(2, 1)),
        new ConvCase("asymmetric pad", 1, 2, 7, 5, 3, 3, 2, new(1, 1, 0, 1, 2, 0)),
        new ConvCase("dilation 2", 2, 3, 10, 9, 2, 3, 3, Conv2dParams.Square(1, 2, 2)),
        new ConvCase("groups 2", 1, 4, 6, 6, 6, 3, 3, Conv2dParams.Square(1, 1, 1, 2)),
        new ConvCase("groups 3 stride 2 dilation 2", 2, 6, 13, 12, 9, 3, 3, new(2, 2, 2, 1, 1, 2, 2, 2, 3)),
        new ConvCase("depthwise 3x3", 2, 5, 9, 8, 5, 3, 3, Conv2dParams.Square(1, 1, 1, 5)),
        new ConvCase("depthwise stride 2 dilation 2", 1, 3, 11, 12, 3, 3, 3, Conv2dParams.Square(2, 2, 2, 3)),
        new ConvCase("depthwise asymmetric stride (1,3)", 2, 4, 17, 33, 4, 2, 5, new(1, 3, 1, 2, 0, 1, 1, 1, 4)),
        new ConvCase("depthwise unit W-stride, rect kernel, dilation, asymmetric pad", 2, 3, 17, 19, 3, 3, 2, new(2, 1, 1, 0, 2, 1, 1, 2, 3)),
        new ConvCase("depthwise narrow (OW < 8)", 1, 2, 6, 5, 2, 3, 3, Conv2dParams.Square(1, 0, 1, 2)),
        new ConvCase("depthwise multiplier 2", 1, 3, 7, 7, 6, 3, 3, Conv2dParams.Square(1, 1, 1, 3)),
        new ConvCase("depthwise 3x3 stride 2, register rows", 2, 4, 13, 21, 4, 3, 3, Conv2dParams.Square(2, 1, 1, 4)),
        new ConvCase("depthwise 5x5 register rows, partial blocks", 1, 3, 11, 19, 3, 5, 5, Conv2dParams.Square(1, 2, 1, 3)),
        new ConvCase("depthwise 5x5 stride 2, register rows", 1, 3, 15, 30, 3, 5, 5, Conv2dParams.Square(2, 2, 1, 3)),
        new ConvCase("pointwise 1x1", 2, 16, 7, 9, 8, 1, 1, Conv2dParams.Square()),
        new ConvCase("pointwise 1x1 grouped", 2, 8, 5, 5, 4, 1, 1, Conv2dParams.Square(1, 0, 1, 2)),
        new ConvCase("1x1 stride 2", 1, 8, 9, 9, 4, 1, 1, Conv2dParams.Square(2)),
        new ConvCase("1x1 pad 1", 1, 3, 4, 5, 2, 1, 1, Conv2dParams.Square(1, 1)),
        new ConvCase("5x5 17->33 channels", 1, 17, 12, 12, 33, 5, 5, Conv2dParams.Square(1, 2)),
        new ConvCase("kernel = input", 2, 3, 5, 5, 4, 5, 5, Conv2dParams.Square()),
        new ConvCase("1x3 on a row", 1, 2, 1, 17, 3, 1, 3, Conv2dParams.Square()),
        new ConvCase("rect stride/kernel/dilation", 2, 3, 11, 13, 5, 2, 3, new(2, 1, 1, 0, 0, 2, 1, 2, 1)),
        new ConvCase("7x7 stride 2 pad 3 stem", 1, 3, 17, 15, 4, 7, 7, Conv2dParams.Square(2, 3)),
        new ConvCase("no bias, strided x", 1, 4, 9, 11, 6, 3, 3, Conv2dParams.Square(2, 1), Bias: false, Strided: true),
        new ConvCase("depthwise strided x", 2, 5, 9, 8, 5, 3, 3, Conv2dParams.Square(1, 1, 1, 5), Strided: true),
        new ConvCase("empty batch", 0, 2, 5, 5, 3, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("wide 65", 1, 2, 3, 65, 3, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("column chunks (K = 4608)", 1, 512, 32, 32, 2, 3, 3, Conv2dParams.Square(1, 1)),
        // Small-channel layers: the direct tiles (groups 1, unit stride/dilation, OW ≥ 8: batch sizes, odd widths
        // (overlapping last chunk), channel counts not a multiple of the 4-channel tile, chunk counts not a multiple of
        // 3, padding), or the padded-row path where its rows are full enough (names "small-channel rows").
        new ConvCase("small-channel rows: LeNet conv1 pad 2", 3, 1, 28, 28, 6, 5, 5, Conv2dParams.Square(1, 2)),
        new ConvCase("direct LeNet conv2 14x14", 5, 6, 14, 14, 16, 5, 5, Conv2dParams.Square()),
        new ConvCase("direct LeNet conv2 12x12 batch 17", 17, 6, 12, 12, 16, 5, 5, Conv2dParams.Square()),
        new ConvCase("direct odd 11x13 o=5", 2, 3, 13, 15, 5, 3, 3, Conv2dParams.Square()),
        new ConvCase("direct OW = 8, 7 rows", 1, 2, 9, 10, 7, 3, 3, Conv2dParams.Square()),
        new ConvCase("direct 6-channel tile, odd chunk count", 2, 3, 9, 10, 6, 3, 3, Conv2dParams.Square()),
        new ConvCase("small-channel rows: o = 12, pad 1", 3, 2, 11, 9, 12, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("small-channel rows: o = 32, 77 positions", 2, 3, 9, 13, 32, 3, 3, Conv2dParams.Square()),
        new ConvCase("direct 16-channel tile, pad 2, OW = 9", 3, 2, 7, 9, 16, 5, 5, Conv2dParams.Square(1, 2)),
        new ConvCase("small-channel rows: asymmetric pad, rect kernel", 4, 2, 9, 17, 9, 2, 4, new(1, 1, 1, 2, 0, 1)),
        new ConvCase("direct strided x, no bias", 3, 4, 10, 19, 3, 3, 5, Conv2dParams.Square(1, 1), Bias: false, Strided: true),
        // Stride 2 with a multiple of 16 outputs (network stems): the padded-row path on even and odd sizes and a
        // 7x7 / 2 stem; the direct 16-channel tile where rows are too sparse for it (a stride of 2 along one axis only).
        new ConvCase("small-channel rows: stride 2 stem, o = 16, pad 1", 2, 3, 17, 22, 16, 3, 3, Conv2dParams.Square(2, 1)),
        new ConvCase("small-channel rows: stride 2, o = 32, no pad, odd sizes", 1, 3, 15, 13, 32, 3, 3, Conv2dParams.Square(2)),
        new ConvCase("small-channel rows: 7x7 / 2 stem pad 3, o = 16", 1, 3, 23, 19, 16, 7, 7, Conv2dParams.Square(2, 3)),
        new ConvCase("direct stride (2, 1), o = 16, strided x", 2, 2, 12, 11, 16, 3, 3, new(2, 1, 1, 1, 1, 1), Strided: true),
        // Padded-row path (RowConv: 6 output channels × 64 positions read in place from phase planes): a partial channel
        // block and a short last tile, two depth blocks, strides 2 and (3, 2) with odd sizes and asymmetric padding,
        // dilation with groups, dilation with stride; pointwise convolutions read x itself and accumulate in y.
        new ConvCase("rows 3x3 pad 1, o = 20, short last tile", 2, 18, 11, 11, 20, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("rows two depth blocks on a 7x7 map", 1, 64, 7, 7, 12, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("rows stride 2, odd sizes", 2, 20, 15, 33, 8, 3, 3, Conv2dParams.Square(2, 1)),
        new ConvCase("rows stride 2, o = 40: seven channel blocks a tile, a half tile", 1, 12, 17, 17, 40, 3, 3, Conv2dParams.Square(2, 1)),
        new ConvCase("rows stride 2, o = 40 on nine tiles: a tile's seven channel blocks in one item", 1, 8, 45, 45, 40, 3, 3, Conv2dParams.Square(2, 1)),
        new ConvCase("rows stride (3, 2), rect kernel, asymmetric pad", 1, 8, 20, 40, 7, 4, 3, new(3, 2, 2, 1, 0, 2)),
        new ConvCase("rows dilation 2, groups 2, strided x", 2, 24, 20, 20, 16, 3, 3, Conv2dParams.Square(1, 2, 2, 2), Strided: true),
        new ConvCase("rows stride 2 with dilation 2", 1, 16, 21, 40, 6, 3, 3, Conv2dParams.Square(2, 2, 2)),
        new ConvCase("rows pointwise in place, short last tile, partial channel block", 2, 20, 23, 23, 14, 1, 1, Conv2dParams.Square()),
        new ConvCase("rows pointwise 176 channels: every channel block a tile, two depth steps", 1, 176, 23, 23, 20, 1, 1, Conv2dParams.Square()),
        new ConvCase("rows pointwise grouped, whole tiles, strided x", 1, 40, 16, 32, 12, 1, 1, Conv2dParams.Square(1, 0, 1, 2), Strided: true),
        new ConvCase("rows depthwise 7x7 on 20x20", 2, 6, 20, 20, 6, 7, 7, Conv2dParams.Square(1, 3, 1, 6)),
        new ConvCase("rows depthwise 5x5 dilation 2, asymmetric pad", 1, 4, 20, 21, 4, 5, 5, new(1, 1, 4, 3, 2, 5, 2, 2, 4)),
        // Small maps, transposed product (positions as GEMM rows): edge rows and columns of the 8×8 transposes, a
        // pointwise layer read in place, two depth blocks.
        new ConvCase("tgemm 3x3 on 7x7, o = 37", 2, 12, 7, 7, 37, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("tgemm pointwise 9x9, o = 48", 1, 24, 9, 9, 48, 1, 1, Conv2dParams.Square()),
        new ConvCase("tgemm stride 2 to 5x6, two depth blocks", 1, 64, 10, 12, 33, 3, 3, Conv2dParams.Square(2, 1)),
        new ConvCase("tgemm 1-D signal read in place: kernel 20, stride 4, 246 outputs", 2, 1, 1, 1003, 33, 1, 20, new Conv2dParams(1, 4)),
        new ConvCase("tgemm pointwise on a 1x1 map: one position, y written in place, partial panel", 2, 48, 1, 1, 70, 1, 1, Conv2dParams.Square()),
        // Small-map depthwise with 16 channels a vector: a partial last block, stride 2 with a 5x5 window, a rectangular
        // window with asymmetric padding.
        new ConvCase("dwc 3x3 stride 2 to 7x7, 20 channels", 2, 20, 13, 13, 20, 3, 3, Conv2dParams.Square(2, 1, 1, 20)),
        new ConvCase("dwc 5x5 stride 2 on 13x13", 2, 16, 13, 13, 16, 5, 5, Conv2dParams.Square(2, 2, 1, 16)),
        new ConvCase("dwc 3x2 asymmetric pad, 33 channels", 1, 33, 6, 9, 33, 3, 2, new(1, 1, 2, 0, 1, 1, 1, 1, 33)),
        // Depthwise planes in 512-bit rows: an odd number of output rows (a last single row) and a partial last vector,
        // stride 2 from an odd left pad (the even/odd column split shifted) with masked row tails, 5x5 at stride 2,
        // a strided input without bias, a 1x1 window (63 elements: four vectors, the last masked).
        new ConvCase("dwp 3x3 on 37x23", 2, 3, 37, 23, 3, 3, 3, Conv2dParams.Square(1, 1, 1, 3)),
        new ConvCase("dwp 3x3 stride 2 on 41x70", 1, 4, 41, 70, 4, 3, 3, Conv2dParams.Square(2, 1, 1, 4)),
        new ConvCase("dwp 5x5 stride 2 on 33x45", 2, 3, 33, 45, 3, 5, 5, Conv2dParams.Square(2, 2, 1, 3)),
        new ConvCase("dwp 3x3 stride 2 read in place: odd width 65, 40 rows", 2, 3, 40, 65, 3, 3, 3, Conv2dParams.Square(2, 1, 1, 3)),
        new ConvCase("dwp 3x3 stride 2 unpadded, strided x, no bias", 2, 5, 40, 33, 5, 3, 3, Conv2dParams.Square(2, 0, 1, 5), Bias: false, Strided: true),
        new ConvCase("dwp 1x1 (a per-channel scale and shift) on 9x7", 2, 5, 9, 7, 5, 1, 1, Conv2dParams.Square(1, 0, 1, 5)),
        new ConvCase("dwp 3x3 on 70x200: read in place, the last vector half full", 1, 2, 70, 200, 2, 3, 3, Conv2dParams.Square(1, 1, 1, 2)),
        new ConvCase("dwp 3x3 stride 2 from 28x28 to a small map: read in place, not in channel blocks", 1, 20, 28, 28, 20, 3, 3, Conv2dParams.Square(2, 1, 1, 20)),
        new ConvCase("dwp 3x3 on 200x60: bands of rows", 1, 2, 200, 60, 2, 3, 3, Conv2dParams.Square(1, 1, 1, 2)),
        new ConvCase("dwp 5x5 stride 2 on 97x150: bands of rows, a last one of one row", 1, 2, 97, 150, 2, 5, 5, Conv2dParams.Square(2, 2, 1, 2)),
        // Winograd F(4x4, 3x3): maps that are not a multiple of the 4x4 tile (the last tiles partly outside), tile counts
        // not a multiple of the 6-tile block, a partial 16-channel input block, output channels ending in a half panel
        // (32) or a partial one, depth past 256, no padding, asymmetric padding, a strided input without bias; and
        // F(2x2, 3x3) on maps of at most 100 outputs (odd and even sides, a batch); tiles in chunks, the last one short.
        new ConvCase("wino 3x3 pad 1 on 14x14, batch 2", 2, 16, 14, 14, 32, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("wino 13x11, 20 -> 40 channels", 1, 20, 13, 11, 40, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("wino unpadded 17x19, 70 outputs, strided x, no bias", 1, 24, 17, 19, 70, 3, 3, Conv2dParams.Square(), Bias: false, Strided: true),
        new ConvCase("wino asymmetric pad, 33 -> 96 channels", 2, 33, 12, 15, 96, 3, 3, new(1, 1, 2, 0, 0, 2)),
        new ConvCase("wino depth 300 on 11x12", 1, 300, 11, 12, 64, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("wino 2x2 tiles on 7x7, 40 -> 96, batch 3", 3, 40, 7, 7, 96, 3, 3, Conv2dParams.Square(1, 1)),
        new ConvCase("wino 2x2 tiles unpadded 10x9, 16 -> 33", 1, 16, 10, 9, 33, 3, 3, Conv2dParams.Square()),
        new ConvCase("wino chunks of tiles: batch 3 on 63x64 (V and M past 8 MB)", 3, 16, 63, 64, 32, 3, 3, Conv2dParams.Square(1, 1)),
        // Stride-2 stems (2 rows x 16 positions x 8 channels over zero-padded planes): an odd row count (the last row
        // paired with itself) and a shifted last chunk, a 7x7 window, one channel unpadded with a strided input and no
        // bias, four channels with asymmetric padding and 64 outputs.
        new ConvCase("stem 3x3 / 2 pad 1 on 45x37, o = 32, batch 2", 2, 3, 45, 37, 32, 3, 3, Conv2dParams.Square(2, 1)),
        new ConvCase("stem 7x7 / 2 pad 3 on 40x50, o = 16", 1, 3, 40, 50, 16, 7, 7, Conv2dParams.Square(2, 3)),
        new ConvCase("stem 3x3 / 2 unpadded, one channel, o = 8, strided x, no bias", 1, 1, 35, 67, 8, 3, 3, Conv2dParams.Square(2), Bias: false, Strided: true),
        new ConvCase("stem asymmetric pad, 4 channels, o = 64", 1, 4, 33, 38, 64, 3, 3, new(2, 2, 0, 1, 1, 2)),
        new ConvCase("stem 3x3 / 2 pad 1 on 77x40, o = 24, batch 2: three bands of row pairs, odd last row", 2, 3, 77, 40, 24, 3, 3, Conv2dParams.Square(2, 1)),
        // 1xk windows padded along W run turned a quarter (planes transposed, a kx1 window on the padded-row path):
        // Inception's 1x7 on 17x17 with a batch, and an asymmetric 1x5 pad on a rectangular map, strided x, no bias.
        new ConvCase("turned 1x7 pad 3 on 17x17, 24 -> 20, batch 2", 2, 24, 17, 17, 20, 1, 7, new(1, 1, 0, 3, 0, 3)),
        new ConvCase("turned 1x5 pad (1, 2) on 9x23, strided x, no bias", 1, 16, 9, 23, 12, 1, 5, new(1, 1, 0, 1, 0, 2), Bias: false, Strided: true),
    };

    private static (Tensor X, Tensor W) Upload(ConvCase t, RefTensor x, RefTensor w) =>
        (t.Strided ? x.ToDeviceStrided(Dev) : x.ToDevice(Dev), t.Strided ? w.ToDeviceStrided(Dev) : w.ToDevice(Dev));

    [Theory]
    [MemberData(nameof(ConvCases))]
    [Covers(OpKind.Conv2d)]
    public void Conv2d(ConvCase t)
    {
        var rx = Rand.Uniform(1, t.XShape);
        var rw = Rand.Uniform(2, t.WShape);
        var rb = t.Bias ? Rand.Uniform(3, [t.O]) : null;
        var (x, w) = Upload(t, rx, rw);
        using (x)
        using (w)
        using (var b = rb?.ToDevice(Dev))
        using (var y = Ops.Conv2d(x, w, b, t.P))
        {
            var expected = RefConv.Conv2d(rx, rw, rb, t.P);
            Approx.Equal(expected, y, t.Name.StartsWith("wino ") ? WinogradAtol(expected) : 1e-4, 1e-4, t.Name);
        }
    }

    /// <summary>The absolute tolerance of a Winograd case: 1e-4 of the outputs' root mean square. F(4×4, 3×3) in float
    /// loses accuracy in its transforms (their ±4, ±5 and ⅙ factors), growing with the depth: its worst error measured
    /// 4.5e-5 of that scale at 300 input channels (a float64 emulation of the same arithmetic gives 4.3e-5), against
    /// ~1e-6 for the direct sum. Any wrong tap or tile would be off by the outputs' own scale.</summary>
    private static double WinogradAtol(RefTensor expected) =>
        1e-4 * Math.Sqrt(expected.Data.Sum(v => v * v) / Math.Max(1, expected.Length));

    [Theory]
    [MemberData(nameof(ConvCases))]
    [Covers(OpKind.Conv2dBackwardData)]
    public void Conv2dBackwardData(ConvCase t)
    {
        var rw = Rand.Uniform(4, t.WShape);
        var yShape = ShapeRules.Conv2d(new Shape(t.XShape), new Shape(t.WShape), t.P).ToArray();
        var rdy = Rand.Uniform(5, yShape);
        using var w = t.Strided ? rw.ToDeviceStrided(Dev) : rw.ToDevice(Dev);
        using var dy = t.Strided ? rdy.ToDeviceStrided(Dev) : rdy.ToDevice(Dev);
        using var dx = Ops.Conv2dBackwardData(dy, w, new Shape(t.XShape), t.P);
        Approx.Equal(RefConv.Conv2dBackwardData(rdy, rw, t.XShape, t.P), dx, 1e-4, 1e-4, t.Name);
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    [Covers(OpKind.Conv2dBackwardWeight)]
    public void Conv2dBackwardWeight(ConvCase t)
    {
        var rx = Rand.Uniform(6, t.XShape);
        var yShape = ShapeRules.Conv2d(new Shape(t.XShape), new Shape(t.WShape), t.P).ToArray();
        var rdy = Rand.Uniform(7, yShape);
        using var x = t.Strided ? rx.ToDeviceStrided(Dev) : rx.ToDevice(Dev);
        using var dy = rdy.ToDevice(Dev);
        using var dw = Ops.Conv2dBackwardWeight(x, dy, new Shape(t.WShape), t.P);
        double terms = (double)yShape[0] * yShape[2] * yShape[3];
        Approx.Equal(RefConv.Conv2dBackwardWeight(rx, rdy, t.WShape, t.P), dw, 1e-5 * (1 + terms / 16), 1e-4, t.Name);
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    [Covers(OpKind.Conv2dBackwardBias)]
    public void Conv2dBackwardBias(ConvCase t)
    {
        var yShape = ShapeRules.Conv2d(new Shape(t.XShape), new Shape(t.WShape), t.P).ToArray();
        var rdy = Rand.Uniform(8, yShape);
        using var dy = t.Strided ? rdy.ToDeviceStrided(Dev) : rdy.ToDevice(Dev);
        using var db = Ops.Conv2dBackwardBias(dy);
        double terms = (double)yShape[0] * yShape[2] * yShape[3];
        Approx.Equal(RefConv.Conv2dBackwardBias(rdy), db, 1e-5 * (1 + terms / 16), 1e-4, t.Name);
    }

    public sealed record PoolCase(string Name, int N, int C, int H, int W, Pool2dParams P, bool Strided = false)
    {
        public override string ToString() => Name;
        public int[] XShape => [N, C, H, W];
    }

    public static TheoryData<PoolCase> PoolCases() => new()
    {
        new PoolCase("2x2 stride 2", 1, 2, 8, 8, Pool2dParams.Square(2, 2)),
        new PoolCase("3x3 stride 2 pad 1", 2, 3, 9, 10, Pool2dParams.Square(3, 2, 1)),
        new PoolCase("3x3 stride 2 ceil", 1, 2, 8, 8, Pool2dParams.Square(3, 2) with { CeilMode = true }),
        new PoolCase("3x3 stride 2 pad 1 ceil", 1, 1, 10, 10, Pool2dParams.Square(3, 2, 1) with { CeilMode = true }),
        new PoolCase("2x2 stride 3 ceil", 1, 1, 7, 7, Pool2dParams.Square(2, 3) with { CeilMode = true }),
        new PoolCase("ceil drops window past input", 1, 1, 6, 6, Pool2dParams.Square(2, 2, 1) with { CeilMode = true }),
        new PoolCase("asymmetric", 1, 2, 7, 6, new(3, 2, 2, 1, 1, 0, 2, 1)),
        new PoolCase("asymmetric ceil", 2, 1, 9, 8, new(3, 3, 2, 2, 0, 1, 2, 0, CeilMode: true)),
        new PoolCase("kernel 1 stride 3", 1, 1, 10, 7, Pool2dParams.Square(1, 3)),
        new PoolCase("global", 1, 3, 5, 7, new(5, 7, 1, 1)),
        new PoolCase("stride > kernel", 1, 1, 11, 11, Pool2dParams.Square(2, 4)),
        new PoolCase("17x33", 1, 2, 17, 33, Pool2dParams.Square(2, 2)),
        new PoolCase("3x65 pad 1 ceil", 1, 1, 3, 65, new(3, 3, 1, 2, 1, 1, 1, 1, CeilMode: true)),
        new PoolCase("rect 2x3 stride (1,2)", 2, 2, 9, 12, new(2, 3, 1, 2, 1, 1, 0, 1)),
        new PoolCase("strided x", 2, 3, 9, 10, Pool2dParams.Square(3, 2, 1), Strided: true),
        new PoolCase("empty batch", 0, 3, 4, 4, Pool2dParams.Square(2, 2)),
        new PoolCase("1x1 input kernel 1", 1, 4, 1, 1, Pool2dParams.Square(1, 1)),
    };

    public static TheoryData<PoolCase> DilatedPoolCases() => new()
    {
        new PoolCase("dilation 2", 1, 2, 9, 9, new(3, 3, 1, 1, DilationH: 2, DilationW: 2)),
        new PoolCase("dilation (2,3) pad ceil", 2, 1, 12, 14, new(2, 3, 2, 2, 1, 2, 1, 2, 2, 3, CeilMode: true)),
        new PoolCase("dilation 3 stride 2", 1, 1, 15, 15, new(2, 2, 2, 2, 1, 1, 1, 1, 3, 3)),
    };

    private static Tensor Upload(PoolCase t, RefTensor x) => t.Strided ? x.ToDeviceStrided(Dev) : x.ToDevice(Dev);

    [Theory]
    [MemberData(nameof(PoolCases))]
    [MemberData(nameof(DilatedPoolCases))]
    [Covers(OpKind.MaxPool2d)]
    public void MaxPool2d(PoolCase t)
    {
        var rx = Rand.Uniform(11, t.XShape);
        var (ey, ei) = RefConv.MaxPool2d(rx, t.P);
        using var x = Upload(t, rx);
        var (y, idx) = Ops.MaxPool2d(x, t.P);
        using (y)
        using (idx)
        {
            Approx.Equal(ey, y, 0, 0, t.Name + " values");
            Approx.Equal(ei, idx, 0, 0, t.Name + " indices");
        }
    }

    [Theory]
    [MemberData(nameof(PoolCases))]
    [MemberData(nameof(DilatedPoolCases))]
    [Covers(OpKind.MaxPool2dBackward)]
    public void MaxPool2dBackward(PoolCase t)
    {
        var rx = Rand.Uniform(12, t.XShape);
        var (ey, ei) = RefConv.MaxPool2d(rx, t.P);
        var rdy = Rand.Uniform(13, ey.Shape);
        using var dy = t.Strided && rdy.Rank >= 2 ? rdy.ToDeviceStrided(Dev) : rdy.ToDevice(Dev);
        using var idx = ei.ToDeviceInt64(Dev);
        using var dx = Ops.MaxPool2dBackward(dy, idx, new Shape(t.XShape), t.P);
        Approx.Equal(RefConv.MaxPool2dBackward(rdy, ei, t.XShape), dx, 1e-6, 1e-6, t.Name);
    }

    [Fact]
    public void MaxPool2dPropagatesNaN()
    {
        var rx = Rand.Uniform(14, [1, 1, 4, 4]);
        rx[0, 0, 1, 1] = double.NaN;
        var p = Pool2dParams.Square(2, 2);
        var (ey, ei) = RefConv.MaxPool2d(rx, p);
        using var x = rx.ToDevice(Dev);
        var (y, idx) = Ops.MaxPool2d(x, p);
        using (y)
        using (idx)
        {
            Assert.True(float.IsNaN(y.ToArray<float>()[0]));
            Assert.Equal(5L, idx.ToArray<long>()[0]);
            Approx.Equal(ey, y, 0, 0);
            Approx.Equal(ei, idx, 0, 0);
        }
    }

    [Theory]
    [MemberData(nameof(PoolCases))]
    [Covers(OpKind.AvgPool2d, OpKind.AvgPool2dBackward)]
    public void AvgPool2dCountIncludePad(PoolCase t) => AvgPool(t with { P = t.P with { CountIncludePad = true } });

    [Theory]
    [MemberData(nameof(PoolCases))]
    [Covers(OpKind.AvgPool2d, OpKind.AvgPool2dBackward)]
    public void AvgPool2dExcludePad(PoolCase t) => AvgPool(t with { P = t.P with { CountIncludePad = false } });

    private static void AvgPool(PoolCase t)
    {
        var rx = Rand.Uniform(15, t.XShape);
        using var x = Upload(t, rx);
        using var y = Ops.AvgPool2d(x, t.P);
        Approx.Equal(RefConv.AvgPool2d(rx, t.P), y, 1e-6, 1e-5, t.Name + " forward");
        var rdy = Rand.Uniform(16, y.Shape.ToArray());
        using var dy = t.Strided && rdy.Rank >= 2 ? rdy.ToDeviceStrided(Dev) : rdy.ToDevice(Dev);
        using var dx = Ops.AvgPool2dBackward(dy, new Shape(t.XShape), t.P);
        Approx.Equal(RefConv.AvgPool2dBackward(rdy, t.XShape, t.P), dx, 1e-6, 1e-5, t.Name + " backward");
    }

    /// <summary>Known values: PyTorch's ceil-mode output sizes and count_include_pad divisors.</summary>
    [Fact]
    public void PoolShapesAndDivisorsMatchPyTorch()
    {
        // torch: max_pool2d(8x8, k3, s2, ceil) → 4x4 (floor → 3x3); k2 s2 p1 ceil on 6 → 4 (the 5th window would start in the padding).
        Assert.Equal(new Shape(1, 1, 4, 4), ShapeRules.Pool2d(new Shape(1, 1, 8, 8), Pool2dParams.Square(3, 2) with { CeilMode = true }));
        Assert.Equal(new Shape(1, 1, 3, 3), ShapeRules.Pool2d(new Shape(1, 1, 8, 8), Pool2dParams.Square(3, 2)));
        Assert.Equal(new Shape(1, 1, 4, 4), ShapeRules.Pool2d(new Shape(1, 1, 6, 6), Pool2dParams.Square(2, 2, 1) with { CeilMode = true }));
        // avg_pool2d(ones 2x2, k2, s1, p1): corner windows hold one element: 1/4 with count_include_pad, 1 without.
        using var x = Tensor.Full(Dev, 1f, 1, 1, 2, 2);
        using var inc = Ops.AvgPool2d(x, Pool2dParams.Square(2, 1, 1) with { CountIncludePad = true });
        using var exc = Ops.AvgPool2d(x, Pool2dParams.Square(2, 1, 1));
        Assert.Equal(0.25f, inc.ToArray<float>()[0]);
        Assert.Equal(1f, inc.ToArray<float>()[4]);
        Assert.All(exc.ToArray<float>(), v => Assert.Equal(1f, v));
    }
}
