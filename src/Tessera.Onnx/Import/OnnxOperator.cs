namespace Tessera.Onnx.Import;

/// <summary>One ONNX operator the importer maps (an entry of <see cref="OnnxImporter.Operators"/>).</summary>
public sealed record OnnxOperator
{
    internal OnnxOperator(string domain, string opType, IReadOnlyList<Enum> lowers, Action<OnnxImporter> import)
    {
        Domain = domain;
        OpType = opType;
        Lowers = lowers;
        Import = import;
    }

    /// <summary>"" for the default domain (ai.onnx), else the domain's name.</summary>
    public string Domain { get; }

    /// <summary>The operator's name in its domain.</summary>
    public string OpType { get; }

    /// <summary>The Tessera ops it is lowered onto: <see cref="Kernels.OpKind"/> values, or values of the op enums
    /// (<see cref="Kernels.UnaryOp"/>, <see cref="Kernels.BinaryOp"/>, <see cref="Kernels.CompareOp"/>,
    /// <see cref="Kernels.ReduceOp"/>) for the element-wise and reduction kinds. Empty for operators that become views or
    /// values known at import time.</summary>
    public IReadOnlyList<Enum> Lowers { get; }

    /// <summary>"OpType" in the default domain, "domain:OpType" in any other (the names onnx-test's selection rule uses).</summary>
    public string Name => Domain.Length == 0 ? OpType : $"{Domain}:{OpType}";

    /// <summary>True for the operators that compute float64 values exactly on the host (element-wise arithmetic through
    /// <see cref="HostElementwiseOp"/>, Cast, Identity and Constant as they are): a float64 value may reach them while the
    /// import keeps float64.</summary>
    public bool KeepsFloat64 { get; init; }

    /// <summary>How many leading inputs every node of the operator must give (the operands ONNX requires in every opset
    /// the importer reads; later inputs are optional or read by the import method). A node that leaves one of them out,
    /// or names it "", is refused before the import method sees it.</summary>
    public int RequiredInputs { get; init; } = 1;

    /// <summary>Adds the operator's nodes for the importer's current ONNX node.</summary>
    internal Action<OnnxImporter> Import { get; }
}
