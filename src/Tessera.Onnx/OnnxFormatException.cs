namespace Tessera.Onnx;

/// <summary>An ONNX, protobuf or .npy file is malformed, truncated, or uses a feature Tessera does not read
/// (external data, segmented tensors, unsupported element types). <see cref="TesseraException.Op"/> names the reader
/// and the message names the message/field where reading stopped.</summary>
public sealed class OnnxFormatException : TesseraException
{
    /// <summary><paramref name="op"/> found a malformed model or tensor file, as <paramref name="message"/> says.</summary>
    public OnnxFormatException(string op, string message, Exception? inner = null) : base(op, message, inner) { }
}
