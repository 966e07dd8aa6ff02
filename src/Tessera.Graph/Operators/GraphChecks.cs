namespace Tessera.Graph.Operators;

/// <summary>Build-time checks for graph ops; errors name the node.</summary>
internal static class GraphChecks
{
    public static void Count(string node, IReadOnlyList<Value> inputs, int expected)
    {
        if (inputs.Count != expected)
            throw new TesseraArgumentException(node, "inputs", $"expected {expected} inputs, got {inputs.Count}");
    }

    public static void CountBetween(string node, IReadOnlyList<Value> inputs, int min, int max)
    {
        if (inputs.Count < min || inputs.Count > max)
            throw new TesseraArgumentException(node, "inputs", $"expected {min} to {max} inputs, got {inputs.Count}");
    }

    public static void Float32(string node, Value v, string name)
    {
        if (v.DType != DType.Float32) throw new TesseraDTypeException(node, name, $"expected Float32, got {v}");
    }

    public static void SameShape(string node, Value a, Value b, string name)
    {
        if (a.Shape != b.Shape) throw new TesseraShapeException(node, name, $"{b} must have the shape of {a}");
    }

    public static void Rank(string node, Value v, int rank, string name)
    {
        if (v.Shape.Rank != rank) throw new TesseraShapeException(node, name, $"expected rank {rank}, got {v}");
    }
}
