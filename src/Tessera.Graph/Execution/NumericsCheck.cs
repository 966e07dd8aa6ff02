namespace Tessera.Graph.Execution;

/// <summary>The checks of <see cref="ExecutionPlan.CheckNumerics"/>: the first NaN or ±∞ in a floating-point tensor,
/// reported with the node that wrote it (or the input that brought it).</summary>
internal static class NumericsCheck
{
    private const string Op = "ExecutionPlan.Run (numerics check)";

    /// <summary>Checks the fed inputs, parameters and state of <paramref name="graph"/>: a non-finite value there is the
    /// caller's, not a node's.</summary>
    public static void Inputs(ExecutionPlan plan, ComputeGraph graph)
    {
        foreach (var v in graph.Values)
        {
            if (v.Kind is not (ValueKind.Input or ValueKind.Parameter or ValueKind.State)) continue;
            if (FirstNonFinite(plan[v]) is { } bad)
                throw new TesseraNumericsException(Op, $"{v.Kind.ToString().ToLowerInvariant()} '{v.Name}' {v.Shape} holds {Describe(bad.Value)} " +
                    $"at index {bad.Index} before any node ran");
        }
    }

    /// <summary>Checks the outputs <paramref name="node"/> just wrote.</summary>
    public static void Outputs(Node node, IReadOnlyList<Tensor> outputs)
    {
        for (int k = 0; k < outputs.Count; k++)
            if (FirstNonFinite(outputs[k]) is { } bad)
                throw new TesseraNumericsException(Op, $"node '{node.Name}' ({node.Op.Describe()}) wrote {Describe(bad.Value)} to '{node.Outputs[k].Name}' " +
                    $"{node.Outputs[k].Shape} at index {bad.Index}: the first non-finite value of the run (inputs: " +
                    $"{string.Join(", ", node.Inputs.Select(i => $"{i.Name} {i.Shape}"))})");
    }

    /// <summary>The first non-finite element (row-major index and value) of a floating-point tensor; null when every
    /// element is finite or the tensor holds no floating-point type.</summary>
    private static (long Index, double Value)? FirstNonFinite(Tensor t)
    {
        switch (t.DType)
        {
            case DType.Float32:
            {
                var a = t.ToArray<float>();
                for (int i = 0; i < a.Length; i++) if (!float.IsFinite(a[i])) return (i, a[i]);
                return null;
            }
            case DType.Float64:
            {
                var a = t.ToArray<double>();
                for (int i = 0; i < a.Length; i++) if (!double.IsFinite(a[i])) return (i, a[i]);
                return null;
            }
            case DType.Float16:
            {
                var a = t.ToArray<Half>();
                for (int i = 0; i < a.Length; i++) if (!Half.IsFinite(a[i])) return (i, (double)a[i]);
                return null;
            }
            case DType.BFloat16:
            {
                // bfloat16 is the upper half of a float32: all exponent bits set means NaN or ±∞.
                var a = t.ToArray<ushort>();
                for (int i = 0; i < a.Length; i++)
                    if ((a[i] & 0x7F80) == 0x7F80) return (i, BitConverter.Int32BitsToSingle(a[i] << 16));
                return null;
            }
            default:
                return null;
        }
    }

    private static string Describe(double v) => double.IsNaN(v) ? "NaN" : v > 0 ? "+∞" : "−∞";
}
