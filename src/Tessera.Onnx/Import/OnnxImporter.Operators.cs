using Tessera.Kernels;

namespace Tessera.Onnx.Import;

/// <summary>The operator table: every (domain, op_type) the importer maps, with the Tessera ops it lowers onto and the
/// method that imports it. onnx-test's scope rule (<see cref="Testing.OnnxTestRunner.InScope"/>) is derived from it, and
/// the op coverage test checks every Tessera op is reached by an entry or declared in <see cref="NotImported"/>.</summary>
public sealed partial class OnnxImporter
{
    private static OnnxOperator Op(string opType, Action<OnnxImporter> import, params Enum[] lowers) =>
        new("", opType, lowers, import);

    private static OnnxOperator Training(string opType, Action<OnnxImporter> import, params Enum[] lowers) =>
        new(TrainingDomain, opType, lowers, import);

    private static OnnxOperator UnaryEntry(string opType, UnaryOp op) => Op(opType, i => i.Unary(op), op);

    private static OnnxOperator BinaryEntry(string opType, BinaryOp op) => Op(opType, i => i.Binary(op), op) with { KeepsFloat64 = true };

    private static readonly OnnxOperator[] Entries =
    {
        BinaryEntry("Add", BinaryOp.Add), BinaryEntry("Sub", BinaryOp.Sub), BinaryEntry("Mul", BinaryOp.Mul), BinaryEntry("Div", BinaryOp.Div),
        Op("Pow", i => i.Pow(), BinaryOp.Pow, UnaryOp.PowScalar) with { KeepsFloat64 = true },
        UnaryEntry("Neg", UnaryOp.Neg), UnaryEntry("Abs", UnaryOp.Abs), UnaryEntry("Exp", UnaryOp.Exp), UnaryEntry("Log", UnaryOp.Log),
        UnaryEntry("Sqrt", UnaryOp.Sqrt), UnaryEntry("Reciprocal", UnaryOp.Reciprocal), UnaryEntry("Relu", UnaryOp.Relu),
        UnaryEntry("Sigmoid", UnaryOp.Sigmoid), UnaryEntry("Tanh", UnaryOp.Tanh), UnaryEntry("Erf", UnaryOp.Erf),
        Op("LeakyRelu", i => i.LeakyRelu(), UnaryOp.LeakyRelu),
        Op("HardSigmoid", i => i.HardSigmoid(), UnaryOp.HardSigmoid),
        Op("HardSwish", i => i.HardSwish(), UnaryOp.HardSigmoid, BinaryOp.Mul),
        Op("PRelu", i => i.PRelu(), BinaryOp.PRelu),
        Op("Clip", i => i.Clip(), UnaryOp.Clamp),
        Op("Identity", i => i.Identity()) with { KeepsFloat64 = true },
        Op("Sum", i => i.Variadic(BinaryOp.Add, mean: false), BinaryOp.Add, UnaryOp.Affine),
        Op("Mean", i => i.Variadic(BinaryOp.Add, mean: true), BinaryOp.Add, UnaryOp.Affine),
        Op("Max", i => i.Variadic(BinaryOp.Max, mean: false), BinaryOp.Max, UnaryOp.Affine),
        Op("Min", i => i.Variadic(BinaryOp.Min, mean: false), BinaryOp.Min, UnaryOp.Affine),
        Op("Gemm", i => i.Gemm(), OpKind.Gemm, UnaryOp.Affine, BinaryOp.Add),
        Op("MatMul", i => i.MatMul(), OpKind.Gemm),
        Op("Softmax", i => i.Softmax(log: false), OpKind.Softmax),
        Op("LogSoftmax", i => i.Softmax(log: true), OpKind.Softmax),
        Op("ReduceSum", i => i.Reduce(ReduceOp.Sum), ReduceOp.Sum),
        Op("ReduceMean", i => i.Reduce(ReduceOp.Mean), ReduceOp.Mean),
        Op("ReduceMax", i => i.Reduce(ReduceOp.Max), ReduceOp.Max),
        Op("ReduceMin", i => i.Reduce(ReduceOp.Min), ReduceOp.Min),
        Op("ArgMax", i => i.ArgMax(), OpKind.ArgMax),
        Op("Conv", i => i.Conv(), OpKind.Conv2d, BinaryOp.Add, UnaryOp.Affine, OpKind.Concat),
        Op("MaxPool", i => i.Pool(max: true), OpKind.MaxPool2d, BinaryOp.Max, OpKind.Concat, OpKind.Cast),
        Op("AveragePool", i => i.Pool(max: false), OpKind.AvgPool2d, BinaryOp.Add, UnaryOp.Affine, OpKind.Concat),
        Op("GlobalAveragePool", i => i.GlobalPool(ReduceOp.Mean), ReduceOp.Mean),
        Op("GlobalMaxPool", i => i.GlobalPool(ReduceOp.Max), ReduceOp.Max),
        Op("BatchNormalization", i => i.BatchNormalization(),
            BinaryOp.Mul, BinaryOp.Sub, BinaryOp.Add, UnaryOp.PowScalar, UnaryOp.Affine, ReduceOp.Mean),
        Op("LayerNormalization", i => i.LayerNormalization(), OpKind.LayerNorm, OpKind.Copy),
        Op("Dropout", i => i.Dropout(), OpKind.Dropout, BinaryOp.Mul, UnaryOp.Affine, OpKind.Cast),
        Op("Reshape", i => i.Reshape()), Op("Flatten", i => i.Flatten()),
        Op("Squeeze", i => i.Squeeze()), Op("Unsqueeze", i => i.Unsqueeze()),
        Op("Transpose", i => i.Transpose(), OpKind.Copy),
        Op("Concat", i => i.Concat(), OpKind.Concat),
        Op("Split", i => i.Split(), OpKind.Copy),
        Op("Slice", i => i.Slice(), OpKind.Copy),
        Op("Gather", i => i.Gather(), OpKind.Gather),
        Op("Pad", i => i.Pad(), OpKind.Pad),
        Op("Expand", i => i.Expand(), OpKind.Copy),
        Op("Shape", i => i.ShapeOp()),
        Op("Constant", i => i.Constant()) with { KeepsFloat64 = true },
        Op("ConstantOfShape", i => i.ConstantOfShape(), OpKind.Fill),
        Op("Cast", i => i.Cast(), OpKind.Cast) with { KeepsFloat64 = true },
        Op("Where", i => i.Where(), OpKind.Where),
        Op("Equal", i => i.Compare(CompareOp.Equal), CompareOp.Equal),
        Op("Less", i => i.Compare(CompareOp.Less), CompareOp.Less),
        Op("Greater", i => i.Compare(CompareOp.Greater), CompareOp.Greater),
        Op("Not", i => i.Not(), OpKind.LogicalNot),
        // The training domain: Gradient appends the graph's backward pass, so it reaches every gradient kernel.
        Training("Gradient", i => i.Gradient()),
        Training("Adam", i => i.Adam(), OpKind.AdamStep, OpKind.Copy),
        Training("Momentum", i => i.Momentum(), OpKind.MomentumStep, OpKind.Copy),
    };

    private static readonly Dictionary<(string Domain, string OpType), OnnxOperator> Table =
        Entries.ToDictionary(e => (e.Domain, e.OpType));

    /// <summary>Every operator the importer maps.</summary>
    public static IReadOnlyList<OnnxOperator> Operators => Entries;

    /// <summary>Tessera ops that no ONNX operator is imported onto, with the reason (the forward ops and op-enum values
    /// not named by any <see cref="OnnxOperator.Lowers"/>).</summary>
    public static IReadOnlyDictionary<Enum, string> NotImported { get; } = new Dictionary<Enum, string>
    {
        [OpKind.BatchNormTraining] = "ONNX BatchNormalization is lowered to element-wise arithmetic and means",
        [OpKind.BatchNormInference] = "ONNX BatchNormalization is lowered to element-wise arithmetic",
        [OpKind.CrossEntropy] = "SoftmaxCrossEntropyLoss (opset 12) is outside the importer's operators",
        [OpKind.MseLoss] = "ONNX has no mean-squared-error operator",
        [OpKind.Attention] = "ONNX Attention is opset 23; the importer reads opsets up to 17",
        [OpKind.SgdStep] = "ai.onnx.preview.training has no plain SGD operator (Adagrad, Adam and Momentum only)",
        [UnaryOp.Identity] = "ONNX Identity imports as its input value (no kernel)",
        [UnaryOp.GeluErf] = "ONNX Gelu is opset 20; the importer reads opsets up to 17",
        [UnaryOp.GeluTanh] = "ONNX Gelu is opset 20; the importer reads opsets up to 17",
        [CompareOp.LessOrEqual] = "LessOrEqual (opset 12) is outside the importer's operators",
        [CompareOp.GreaterOrEqual] = "GreaterOrEqual (opset 12) is outside the importer's operators",
    };

    /// <summary>The entry of a node's operator ("ai.onnx" is the default domain), or null.</summary>
    private static OnnxOperator? Find(OnnxNode n) => Table.GetValueOrDefault((n.Domain == "ai.onnx" ? "" : n.Domain, n.OpType));

    private void ImportNode(OnnxNode n)
    {
        var op = Find(n) ?? throw Unsupported(n.Domain is "" or "ai.onnx" or TrainingDomain ? "operator not implemented" : $"domain '{n.Domain}'");
        op.Import(this);
    }
}
