using System.Runtime.InteropServices;
using Tessera.Onnx;

namespace Tessera.Bench.Models;

/// <summary>How far one engine's outputs are from another's (or from a reference), over all outputs:
/// <see cref="MaxAbs"/> = max |a − b|; <see cref="MaxRel"/> = max |a − b| / (1 + |b|); <see cref="Normalized"/> = max
/// |a − b| / (|b| + rms(b)), rms taken per output (<see cref="Verify"/>'s measure: relative where values are large, relative
/// to the output's scale where they are near zero). Integer and boolean outputs count their absolute differences.
/// A NaN or an infinity on either side is an infinite difference.</summary>
public sealed record OutputDiff(double MaxAbs, double MaxRel, double Normalized)
{
    /// <summary>The distance of <paramref name="actual"/> from <paramref name="expected"/> (same count, shapes and element
    /// types required: a mismatch is a <see cref="TesseraException"/> naming the output).</summary>
    public static OutputDiff Between(IReadOnlyList<OnnxTensor> actual, IReadOnlyList<OnnxTensor> expected)
    {
        const string op = "OutputDiff";
        ArgumentNullException.ThrowIfNull(actual);
        ArgumentNullException.ThrowIfNull(expected);
        if (actual.Count != expected.Count) throw new TesseraArgumentException(op, nameof(actual), $"{actual.Count} outputs vs {expected.Count}");
        double maxAbs = 0, maxRel = 0, normalized = 0;
        for (int i = 0; i < actual.Count; i++)
        {
            var (a, e) = (actual[i], expected[i]);
            if (a.DataType != e.DataType)
                throw new TesseraDTypeException(op, e.Name, $"output {i} is {a.DataType}, expected {e.DataType}");
            if (!a.Dims.SequenceEqual(e.Dims))
                throw new TesseraShapeException(op, e.Name, $"output {i} has shape [{string.Join(", ", a.Dims)}], expected [{string.Join(", ", e.Dims)}]");
            var (x, y) = (Values(a), Values(e));
            for (int j = 0; j < x.Length; j++)
            {
                double d = Math.Abs(x[j] - y[j]);
                if (double.IsNaN(d)) d = double.PositiveInfinity;
                maxAbs = Math.Max(maxAbs, d);
                maxRel = Math.Max(maxRel, d / (1 + Math.Abs(y[j])));
            }
            normalized = Math.Max(normalized, Verify.Close(e.Name, y, Array.ConvertAll(x, v => (float)v), double.PositiveInfinity).WorstError);
        }
        return new OutputDiff(maxAbs, maxRel, normalized);
    }

    private static double[] Values(OnnxTensor t) => t.DataType switch
    {
        OnnxDataType.Float => Array.ConvertAll(MemoryMarshal.Cast<byte, float>(t.RawData).ToArray(), v => (double)v),
        OnnxDataType.Double => MemoryMarshal.Cast<byte, double>(t.RawData).ToArray(),
        OnnxDataType.Int64 => Array.ConvertAll(MemoryMarshal.Cast<byte, long>(t.RawData).ToArray(), v => (double)v),
        OnnxDataType.Int32 => Array.ConvertAll(MemoryMarshal.Cast<byte, int>(t.RawData).ToArray(), v => (double)v),
        OnnxDataType.Bool or OnnxDataType.Uint8 => Array.ConvertAll(t.RawData, v => (double)v),
        _ => throw new TesseraDTypeException("OutputDiff", t.Name, $"element type {t.DataType} is not compared"),
    };
}
