namespace Tessera.Onnx.Import;

/// <summary>An ONNX model uses an operator, attribute value or data type Tessera does not implement. The message names
/// the node, the operator and the attribute (or the reason, such as a shape that depends on data).</summary>
public class OnnxUnsupportedException : TesseraException
{
    /// <summary>Node <paramref name="node"/> of operator <paramref name="opType"/> uses <paramref name="what"/>, which Tessera does not implement.</summary>
    public OnnxUnsupportedException(string node, string opType, string what)
        : base($"ONNX import ({node})", $"unsupported: {opType}: {what}")
    {
        OpType = opType;
        What = what;
    }

    /// <summary>The ONNX operator type (with its domain when not the default one).</summary>
    public string OpType { get; }

    /// <summary>The attribute, input or feature that is not supported, with the value found.</summary>
    public string What { get; }
}

/// <summary>The importer needs the value of a graph input at import time (a shape, an axis list, a learning rate...):
/// <see cref="OnnxProgram"/> answers by importing again with that input's value bound as a constant.</summary>
public sealed class OnnxInputValueRequiredException : OnnxUnsupportedException
{
    /// <summary>Node <paramref name="node"/> of operator <paramref name="opType"/> needs the value of graph input <paramref name="input"/> at import time.</summary>
    public OnnxInputValueRequiredException(string node, string opType, string input)
        : base(node, opType, $"input '{input}' must be known at import time (it parametrises a shape or a step)") => Input = input;

    /// <summary>The graph input whose value is needed.</summary>
    public string Input { get; }
}
