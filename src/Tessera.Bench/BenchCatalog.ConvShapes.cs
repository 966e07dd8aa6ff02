using Tessera.Bench.Baselines;
using Tessera.Kernels;
using Tessera.Reference;
using Attr = Tessera.Bench.Baselines.OnnxModelWriter.AttributeSpec;

namespace Tessera.Bench;

public static partial class BenchCatalog
{
    /// <summary>One convolution shape class of the model set, batch 1 unless asked: the square kernel, stride, padding and
    /// groups (groups = channels: depthwise).</summary>
    private readonly record struct ConvShape(int N, int C, int H, int K, int Kernel, int Stride, int Pad, int Groups)
    {
        public int OH => (H + 2 * Pad - Kernel) / Stride + 1;
        public Conv2dParams Params => Conv2dParams.Square(Stride, Pad, groups: Groups);
    }

    /// <summary>The convolution shape classes real CNNs spend their time in (rows besides the dense 3×3 <c>conv2d</c>):
    /// 1×1 pointwise (MobileNetV2's expansion 24 → 144 at 56²), depthwise 3×3 stride 1 and 2 (144 channels at 56²), and
    /// depthwise 5×5 (EfficientNet's 240 channels at 28²).</summary>
    private static IEnumerable<BenchCase> ConvShapeRows(int n, int h)
    {
        yield return ConvShapeCase("conv2d_1x1", new ConvShape(n, 24, h, 144, 1, 1, 0, 1));
        yield return ConvShapeCase("conv2d_dw3x3", new ConvShape(n, 144, h, 144, 3, 1, 1, 144));
        yield return ConvShapeCase("conv2d_dw3x3_s2", new ConvShape(n, 144, h, 144, 3, 2, 1, 144));
        yield return ConvShapeCase("conv2d_dw5x5", new ConvShape(n, 240, (h + 1) / 2, 240, 5, 1, 2, 240));
    }

    /// <summary>The max pooling after a network's stem: 3×3, stride 2, padding 1 (ResNet, ShuffleNet) over 64 channels.</summary>
    private static BenchCase MaxPool3x3(int n, int c, int h)
    {
        var p = Pool2dParams.Square(kernel: 3, stride: 2, pad: 1);
        int oh = (h + 2 - 3) / 2 + 1;
        return new("maxpool_3x3s2", OpKind.MaxPool2d, $"{Dims(n, c, h, h)} k3 s2 p1", "fwd", Work.Pool2d((long)n * c * h * h, (long)n * c * oh * oh, 9), ctx =>
        {
            var x = ctx.In("x", [n, c, h, h]); var y = ctx.Out(n, c, oh, oh);
            void Run() => ctx.Device.Kernels.MaxPool2d(x, y, null, p);
            return new BenchInstance(Run, () => { Run(); return Verify.Close("y", RefConv.MaxPool2d(ctx.Ref("x"), p).Y, y, 1e-6); }, ctx, y);
        }, [OnnxRuntimeBaseline.Node("MaxPool", ["x"], [("y", [n, c, oh, oh])],
            [new Attr("kernel_shape", Ints: [3, 3]), new Attr("strides", Ints: [2, 2]), new Attr("pads", Ints: [1, 1, 1, 1])])]);
    }

    private static BenchCase ConvShapeCase(string op, ConvShape s)
    {
        int cg = s.C / s.Groups, oh = s.OH;
        string groups = s.Groups > 1 ? $" groups {s.Groups}" : "";
        return new(op, OpKind.Conv2d, $"x {Dims(s.N, s.C, s.H, s.H)} w {Dims(s.K, cg, s.Kernel, s.Kernel)} stride {s.Stride} pad {s.Pad}{groups}", "fwd",
            Work.Conv2d(s.N, s.C, s.H, s.H, s.K, s.Kernel, s.Kernel, oh, oh, s.Groups), ctx =>
            {
                var x = ctx.In("x", [s.N, s.C, s.H, s.H]); var w = ctx.In("w", [s.K, cg, s.Kernel, s.Kernel]); var y = ctx.Out(s.N, s.K, oh, oh);
                void Run() => ctx.Device.Kernels.Conv2d(x, w, null, null, y, s.Params);
                int ns = VerifyUnits(s.N, 2.0 * s.K * oh * oh * cg * s.Kernel * s.Kernel);
                return new BenchInstance(Run, () =>
                {
                    Run();
                    return Verify.ClosePrefix("y", RefConv.Conv2d(ctx.RefPrefix("x", ns, s.C, s.H, s.H), ctx.Ref("w"), null, s.Params), y);
                }, ctx, y);
            }, [OnnxRuntimeBaseline.Node("Conv", ["x", "w"], [("y", [s.N, s.K, oh, oh])],
                [new Attr("kernel_shape", Ints: [s.Kernel, s.Kernel]), new Attr("pads", Ints: [s.Pad, s.Pad, s.Pad, s.Pad]),
                 new Attr("strides", Ints: [s.Stride, s.Stride]), new Attr("group", I: s.Groups)])]);
    }
}
