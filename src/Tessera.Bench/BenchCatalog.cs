using Tessera.Bench.Baselines;
using Tessera.Kernels;

namespace Tessera.Bench;

/// <summary>Bench sizes: small (seconds, for CI and tests), medium (the shapes of PERFORMANCE.md's baselines), large.</summary>
public enum BenchSize
{
    /// <summary>Shapes that run in milliseconds: for tests and smoke runs.</summary>
    Small,
    /// <summary>The default shapes: typical layer sizes.</summary>
    Medium,
    /// <summary>Large shapes that stress memory bandwidth and caches.</summary>
    Large,
}

/// <summary>The catalog of bench cases. Every case verifies its kernel against <c>Tessera.Reference</c> before it is
/// timed; baselines compute the same op on the same host inputs.</summary>
public static partial class BenchCatalog
{
    /// <summary>All cases at a size, in a stable order.</summary>
    public static IReadOnlyList<BenchCase> Cases(BenchSize size)
    {
        int z = (int)size;
        int Pick(int small, int medium, int large) => z switch { 0 => small, 1 => medium, _ => large };
        var list = new List<BenchCase>();

        int g = Pick(256, 1024, 2048);
        list.Add(Gemm(g, g, g));
        list.Add(BatchedGemm(Pick(8, 32, 64), Pick(128, 256, 512)));

        var conv = (N: Pick(2, 8, 16), C: Pick(16, 64, 64), H: Pick(28, 56, 56), K: Pick(32, 64, 64));
        list.Add(ConvForward(conv.N, conv.C, conv.H, conv.K));
        list.Add(ConvBackwardData(conv.N, conv.C, conv.H, conv.K));
        list.Add(ConvBackwardWeight(conv.N, conv.C, conv.H, conv.K));
        list.AddRange(ConvShapeRows(Pick(1, 1, 8), Pick(28, 56, 56)));

        var img = (N: Pick(4, 8, 32), C: Pick(32, 64, 64), H: Pick(32, 56, 56));
        list.Add(MaxPool(img.N, img.C, img.H));
        list.Add(MaxPool3x3(Pick(1, 1, 8), 64, Pick(56, 112, 112)));
        list.Add(AvgPool(img.N, img.C, img.H));
        // Global average pooling as classifiers end it: many channels of 7×7 (the shape of ResNet's last stage).
        list.Add(GlobalAvgPool(Pick(4, 32, 64), Pick(64, 512, 2048), 7));
        list.Add(BatchNormForward(img.N, img.C, img.H));
        list.Add(BatchNormBackward(img.N, img.C, img.H));
        list.Add(BatchNormInference(img.N, img.C, img.H));

        var rows = (R: Pick(512, 8192, 16384), C: Pick(256, 1024, 1024));
        list.Add(LayerNormForward(rows.R, rows.C));
        list.Add(LayerNormBackward(rows.R, rows.C));
        list.Add(Softmax(rows.R, rows.C));
        list.Add(CrossEntropy(Pick(256, 1024, 4096), Pick(1000, 8192, 8192)));

        var att = (B: Pick(1, 4, 4), H: Pick(4, 8, 8), T: Pick(128, 512, 1024), D: 64);
        foreach (bool causal in new[] { false, true })
        {
            list.Add(AttentionForward(att.B, att.H, att.T, att.D, causal));
            list.Add(AttentionBackward(att.B, att.H, att.T, att.D, causal));
        }

        int p = Pick(1 << 18, 10_000_000, 40_000_000);
        list.Add(Adam(p));
        list.Add(Momentum(p));

        int e = Pick(1 << 20, 1 << 24, 1 << 26);
        list.Add(Relu(e));
        list.Add(Sigmoid(e));
        list.Add(Gelu(e));
        list.Add(GeluTanh(e));
        list.Add(Add(e));
        return WithDeviceBaselines(list);
    }

    private static BenchCase Relu(int e) =>
        Unary("relu", UnaryOp.Relu, e, 1, 1e-6, TensorPrimitivesBaseline.Relu(), OnnxRuntimeBaseline.Node("Relu", ["x"], [("y", [e])]));

    private static BenchCase Sigmoid(int e) =>
        Unary("sigmoid", UnaryOp.Sigmoid, e, 4, 1e-5, TensorPrimitivesBaseline.Sigmoid(), OnnxRuntimeBaseline.Node("Sigmoid", ["x"], [("y", [e])]));

    private static BenchCase Gelu(int e) =>
        Unary("gelu", UnaryOp.GeluErf, e, 8, 1e-5, OnnxRuntimeBaseline.Node("Gelu", ["x"], [("y", [e])], opset: 20));

    private static BenchCase GeluTanh(int e) =>
        Unary("gelu_tanh", UnaryOp.GeluTanh, e, 8, 1e-5, OnnxRuntimeBaseline.Node("Gelu", ["x"], [("y", [e])],
            [new OnnxModelWriter.AttributeSpec("approximate", S: "tanh")], opset: 20));

    /// <summary>Adds the baselines every row has on a device: PyTorch on CUDA.</summary>
    private static List<BenchCase> WithDeviceBaselines(IEnumerable<BenchCase> cases) =>
        cases.Select(c => c with { Baselines = [.. c.Baselines, TorchBaseline.Row(c.Op, c.Pass)] }).ToList();

    private const string ElementPass = "one element-wise pass over its data: the relu, sigmoid, gelu, gelu_tanh and add rows time that loop";
    private const string DataMovement = "moves data without arithmetic, memory-bound like the add row";
    private const string RowReduction = "a row reduction like the softmax and cross_entropy rows";

    /// <summary>The kinds with no case of their own, and why a row would add nothing (the op coverage test requires a
    /// case or an entry here for every <see cref="OpKind"/>).</summary>
    public static IReadOnlyDictionary<OpKind, string> NotBenched { get; } = new Dictionary<OpKind, string>
    {
        [OpKind.Copy] = DataMovement, [OpKind.Fill] = DataMovement, [OpKind.Cast] = DataMovement,
        [OpKind.Concat] = DataMovement, [OpKind.Gather] = DataMovement, [OpKind.GatherBackward] = DataMovement,
        [OpKind.Pad] = DataMovement, [OpKind.PadBackward] = DataMovement, [OpKind.ExpandBackward] = DataMovement,
        [OpKind.UnaryBackward] = ElementPass, [OpKind.BinaryBackward] = ElementPass, [OpKind.Compare] = ElementPass,
        [OpKind.Where] = ElementPass, [OpKind.LogicalNot] = ElementPass, [OpKind.Dropout] = ElementPass,
        [OpKind.DropoutBackward] = ElementPass,
        [OpKind.ReduceBackward] = RowReduction, [OpKind.ArgMax] = RowReduction,
        [OpKind.SoftmaxBackward] = RowReduction, [OpKind.CrossEntropyBackward] = RowReduction, [OpKind.MseLoss] = RowReduction,
        [OpKind.MseLossBackward] = RowReduction,
        [OpKind.Conv2dBackwardBias] = "a channel sum of dy, small beside the conv2d_dgrad and conv2d_wgrad rows",
        [OpKind.MaxPool2dBackward] = "scatters the pooled gradient: memory-bound like the maxpool row",
        [OpKind.AvgPool2dBackward] = "spreads the pooled gradient: memory-bound like the avgpool row",
        [OpKind.SgdStep] = "one fused pass simpler than the momentum and adam rows",
    };

    /// <summary>Cases whose op name starts with one of <paramref name="ops"/> (all when empty).</summary>
    public static IReadOnlyList<BenchCase> Filter(IReadOnlyList<BenchCase> cases, IReadOnlyCollection<string> ops) =>
        ops.Count == 0 ? cases : cases.Where(c => ops.Any(o => c.Op.StartsWith(o, StringComparison.OrdinalIgnoreCase))).ToList();

    /// <summary>The op names of the catalog (for help and validation).</summary>
    public static IReadOnlyList<string> OpNames => Cases(BenchSize.Small).Select(c => c.Op).Distinct().ToList();

    private static string Dims(params int[] d) => string.Join("x", d);
}
