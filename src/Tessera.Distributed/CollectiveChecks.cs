namespace Tessera.Distributed;

/// <summary>The argument checks every communicator makes before it starts a collective, so that bad input fails the
/// same way on every implementation (and before any rank waits on another).</summary>
internal static class CollectiveChecks
{
    public static void Tensor(string op, string name, Tensor t)
    {
        ArgumentNullException.ThrowIfNull(t, name);
        if (t.DType != DType.Float32)
            throw new TesseraDTypeException(op, name, $"collectives take Float32 tensors, got {t.DType}");
        if (!t.IsContiguous)
            throw new TesseraArgumentException(op, name, "collectives need a contiguous tensor");
    }

    public static void ReduceScatter(string op, Tensor input, Tensor output, int size)
    {
        Tensor(op, nameof(input), input);
        Tensor(op, nameof(output), output);
        if (input.ElementCount != output.ElementCount * size)
            throw new TesseraShapeException(op, nameof(input),
                $"{input.ElementCount} elements, expected {size} ranks × {output.ElementCount} (the output's size)");
    }

    public static void AllGather(string op, Tensor input, Tensor output, int size)
    {
        Tensor(op, nameof(input), input);
        Tensor(op, nameof(output), output);
        if (output.ElementCount != input.ElementCount * size)
            throw new TesseraShapeException(op, nameof(output),
                $"{output.ElementCount} elements, expected {size} ranks × {input.ElementCount} (the input's size)");
    }

    public static void Root(string op, int root, int size)
    {
        if (root < 0 || root >= size)
            throw new TesseraArgumentException(op, nameof(root), $"rank {root} is not in the group of {size}");
    }

    public static void Timeout(string op, TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
            throw new TesseraArgumentException(op, nameof(timeout), $"must be positive, got {timeout}");
    }
}
