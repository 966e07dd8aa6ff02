using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph;

public sealed partial class GraphBuilder
{
    // Comparisons and selection
    /// <summary>a op b with broadcasting → Bool.</summary>
    public Value Compare(CompareOp op, Value a, Value b, string? name = null) => Apply1(new CompareGraphOp(op), name, a, b);
    public Value Equal(Value a, Value b, string? name = null) => Compare(CompareOp.Equal, a, b, name);
    public Value Less(Value a, Value b, string? name = null) => Compare(CompareOp.Less, a, b, name);
    public Value Greater(Value a, Value b, string? name = null) => Compare(CompareOp.Greater, a, b, name);
    /// <summary>cond ? a : b, broadcasting all three (cond Bool; a, b of one dtype).</summary>
    public Value Where(Value cond, Value a, Value b, string? name = null) => Apply1(new WhereGraphOp(), name, cond, a, b);
    /// <summary>Logical not of a Bool value.</summary>
    public Value Not(Value x, string? name = null) => Apply1(new NotGraphOp(), name, x);

    // Element-wise
    /// <summary>ONNX PRelu: x ≥ 0 ? x : slope·x, the slope broadcast to x (unidirectionally).</summary>
    public Value PRelu(Value x, Value slope, string? name = null)
    {
        ShapeRules.PReluShape(name ?? "PRelu", x.Shape, slope.Shape);
        return Apply1(new BinaryGraphOp(BinaryOp.PRelu), name ?? "PRelu", x, slope);
    }

    /// <summary>x converted to <paramref name="dtype"/>.</summary>
    public Value Cast(Value x, DType dtype, string? name = null) => Apply1(new CastGraphOp(dtype), name, x);

    // Reductions and shape
    /// <summary>Int64 index of the maximum along <paramref name="axis"/>.</summary>
    public Value ArgMax(Value x, int axis, bool keepDims = false, bool selectLastIndex = false, string? name = null) =>
        Apply1(new ArgMaxGraphOp(axis, keepDims, selectLastIndex), name, x);
    /// <summary>ONNX Pad (pads = [begins..., ends...]).</summary>
    public Value Pad(Value x, PadParams p, string? name = null) => Apply1(new PadGraphOp(p), name, x);
    /// <summary>Pieces of x along <paramref name="axis"/> with the given sizes, one value per piece.</summary>
    public Value[] Split(Value x, int axis, int[] sizes, string? name = null) => Apply(new SplitGraphOp(axis, sizes), name, x);

    // ONNX training-domain optimizers
    /// <summary>ONNX Adam: <paramref name="tensors"/> = X1..Xn, G1..Gn, V1..Vn, H1..Hn; returns X1'..Xn', V1'..Vn', H1'..Hn'.</summary>
    public Value[] Adam(AdamParams p, Value learningRate, Value step, IReadOnlyList<Value> tensors, string? name = null) =>
        Apply(new AdamGraphOp(p), name, new[] { learningRate, step }.Concat(tensors).ToArray());
    /// <summary>ONNX Momentum: <paramref name="tensors"/> = X1..Xn, G1..Gn, V1..Vn; returns X1'..Xn', V1'..Vn'.</summary>
    public Value[] Momentum(MomentumParams p, Value learningRate, Value step, IReadOnlyList<Value> tensors, string? name = null) =>
        Apply(new MomentumGraphOp(p), name, new[] { learningRate, step }.Concat(tensors).ToArray());
}
