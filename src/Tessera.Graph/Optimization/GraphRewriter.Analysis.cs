using Tessera.Graph.Operators;
using Tessera.Kernels;

namespace Tessera.Graph.Optimization;

/// <summary>The questions patterns ask of the source graph: who reads a value, what computes it, which values are
/// constants and what they hold.</summary>
public sealed partial class GraphRewriter
{
    private readonly List<(Node Node, int Input)>[] _uses;
    private readonly Dictionary<Value, float[]> _hostFloats = new();

    /// <summary>The nodes that read <paramref name="v"/>, with the input position (a node reading it twice appears twice).</summary>
    public IReadOnlyList<(Node Node, int Input)> Uses(Value v) => _uses[v.Id];

    /// <summary>Marked as an output or the loss of the graph: kept, whatever reads it.</summary>
    public static bool IsGraphOutput(Value v) => v.IsOutput || v.IsLoss;

    /// <summary>True when exactly one node reads <paramref name="v"/>, once, and it is not a graph output: a pattern
    /// that takes that node may absorb the value.</summary>
    public bool HasSingleUse(Value v) => !IsGraphOutput(v) && _uses[v.Id].Count == 1;

    /// <summary>The one node reading <paramref name="v"/> (<see cref="HasSingleUse"/>), else null.</summary>
    public Node? SingleUser(Value v) => HasSingleUse(v) ? _uses[v.Id][0].Node : null;

    /// <summary>True when only nodes of <paramref name="nodes"/> read <paramref name="v"/> and it is not a graph output.</summary>
    public bool UsedOnlyBy(Value v, IReadOnlySet<Node> nodes) => !IsGraphOutput(v) && _uses[v.Id].All(u => nodes.Contains(u.Node));

    /// <summary>True when <paramref name="nodes"/> may become one node computing <paramref name="result"/>: no edit has
    /// taken any of them, and every other value they compute is read only among them (and is no graph output).</summary>
    public bool CanFuse(IReadOnlyCollection<Node> nodes, Value result)
    {
        if (!AreFree(nodes)) return false;
        var set = nodes.ToHashSet();
        return nodes.SelectMany(n => n.Outputs).All(o => o == result || UsedOnlyBy(o, set));
    }

    /// <summary>True when <paramref name="v"/> is output 0 of a node running a <typeparamref name="TOp"/>.</summary>
    public static bool Computes<TOp>(Value v, out Node node, out TOp op) where TOp : GraphOp
    {
        if (v.Producer is { Op: TOp o } n && v.ProducerOutput == 0)
        {
            node = n;
            op = o;
            return true;
        }
        node = null!;
        op = null!;
        return false;
    }

    /// <summary>True when <paramref name="v"/> is computed by a binary op <paramref name="op"/> (inputs a, b).</summary>
    public static bool IsBinary(Value v, BinaryOp op, out Node node, out Value a, out Value b)
    {
        if (Computes<BinaryGraphOp>(v, out node, out var o) && o.Op == op)
        {
            a = node.Inputs[0];
            b = node.Inputs[1];
            return true;
        }
        a = b = null!;
        return false;
    }

    /// <summary>True when <paramref name="v"/> is computed by the unary op <paramref name="op"/> of input x.</summary>
    public static bool IsUnary(Value v, UnaryOp op, out Node node, out Value x, out UnaryParams p)
    {
        if (Computes<UnaryGraphOp>(v, out node, out var o) && o.Op == op)
        {
            x = node.Inputs[0];
            p = o.Params;
            return true;
        }
        x = null!;
        p = default;
        return false;
    }

    /// <summary>A value fixed for the life of the optimized graph: a constant, or a parameter or state value when
    /// <see cref="OptimizationOptions.FreezeParameters"/> says they will not change.</summary>
    public bool IsConstant(Value v) =>
        v.Bound is not null && (v.Kind == ValueKind.Constant || (Options.FreezeParameters && v.Kind is ValueKind.Parameter or ValueKind.State));

    /// <summary>The tensor of a constant value (<see cref="IsConstant"/>), else null.</summary>
    public Tensor? ConstantTensor(Value v) => IsConstant(v) ? v.Bound : null;

    /// <summary>The elements of a float32 constant, read to the host once, else null.</summary>
    public float[]? ConstantFloats(Value v)
    {
        if (v.DType != DType.Float32 || ConstantTensor(v) is not { } t) return null;
        if (!_hostFloats.TryGetValue(v, out var data)) _hostFloats[v] = data = t.ToArray<float>();
        return data;
    }

    /// <summary>True when <paramref name="v"/> is a float32 constant whose elements (at least one) all have the bits of one
    /// value.</summary>
    public bool IsUniformConstant(Value v, out float value)
    {
        value = 0;
        if (ConstantFloats(v) is not { Length: > 0 } data) return false;
        value = data[0];
        int bits = BitConverter.SingleToInt32Bits(data[0]);
        foreach (var x in data)
            if (BitConverter.SingleToInt32Bits(x) != bits) return false;
        return true;
    }

    /// <summary>True when <paramref name="v"/> is a one-element float32 constant of <paramref name="value"/> within a relative
    /// <paramref name="tolerance"/> (exporters write the constants of decomposed functions rounded to float32).</summary>
    public bool IsScalarConstant(Value v, double value, double tolerance = 1e-5) =>
        v.Shape.ElementCount == 1 && IsUniformConstant(v, out float c) && Math.Abs(c - value) <= tolerance * Math.Abs(value);

    /// <summary>True when <paramref name="v"/> is a one-element float32 constant; <paramref name="value"/> holds it.</summary>
    public bool IsScalarConstant(Value v, out float value)
    {
        value = 0;
        return v.Shape.ElementCount == 1 && IsUniformConstant(v, out value);
    }

    /// <summary>True when <paramref name="v"/> is <paramref name="x"/> multiplied by a scalar constant within tolerance of
    /// <paramref name="factor"/>: Mul by it (either side), Div by its reciprocal, or an Affine with that scale and no shift.</summary>
    public bool IsScaled(Value v, Value x, double factor, out Node node)
    {
        if (IsBinary(v, BinaryOp.Mul, out node, out var a, out var b))
            return (a == x && IsScalarConstant(b, factor)) || (b == x && IsScalarConstant(a, factor));
        if (IsBinary(v, BinaryOp.Div, out node, out a, out b))
            return a == x && IsScalarConstant(b, 1 / factor);
        if (IsUnary(v, UnaryOp.Affine, out node, out a, out var p))
            return a == x && p.Beta == 0 && Math.Abs(p.Alpha - factor) <= 1e-5 * Math.Abs(factor);
        return false;
    }

    /// <summary>The node's other input of a binary node, given one of them (null when <paramref name="one"/> is not an input).</summary>
    public static Value? Other(Node binary, Value one) =>
        binary.Inputs[0] == one ? binary.Inputs[1] : binary.Inputs[1] == one ? binary.Inputs[0] : null;
}
