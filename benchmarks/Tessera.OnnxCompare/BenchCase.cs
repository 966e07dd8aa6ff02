using Tessera.Onnx;

namespace Tessera.OnnxCompare;

/// <summary>One benchmark model: its serialized bytes (what every engine loads), the parsed model, seeded inputs and
/// the floating-point operations of one forward pass (multiply-adds count two).</summary>
public sealed record BenchCase(string Name, byte[] ModelBytes, OnnxModel Model, IReadOnlyDictionary<string, OnnxTensor> Inputs, double Flops);
