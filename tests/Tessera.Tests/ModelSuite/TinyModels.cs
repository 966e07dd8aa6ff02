using Tessera.Onnx;
using Tessera.Onnx.Protobuf;
using Tessera.Tests.Onnx;

namespace Tessera.Tests.ModelSuite;

/// <summary>Small models for the compare and run tests: Relu(x·W + b) with a batch dimension that is either fixed or
/// the symbolic "N", written as .onnx files (and as ONNX test cases with a reference output) where a test needs files.</summary>
internal static class TinyModels
{
    public const int In = 16, Out = 8;

    public static readonly float[] W = ImportModels.Data(101, In * Out), B = ImportModels.Data(102, Out);

    public static OnnxModel Mlp(long batch = 4, string? symbolic = null)
    {
        var m = new ImportModels(13).Init("W", W, In, Out).Init("B", B, Out).Output("y")
            .Node("MatMul", ["x", "W"], ["h"]).Node("Add", ["h", "B"], ["a"]).Node("Relu", ["a"], ["y"]).Build();
        var x = new OnnxValueInfo("x", OnnxDataType.Float, [symbolic is null ? batch : -1, In]) { DimParams = [symbolic, null] };
        return m with { Graph = m.Graph with { Inputs = [x] } };
    }

    /// <summary>The model's output for input <paramref name="x"/> (rows of <see cref="In"/>), in double precision.</summary>
    public static float[] Expected(float[] x) =>
        Enumerable.Range(0, x.Length / In * Out).Select(i =>
        {
            int r = i / Out, c = i % Out;
            double s = B[c];
            for (int k = 0; k < In; k++) s += (double)x[r * In + k] * W[k * Out + c];
            return (float)Math.Max(s, 0);
        }).ToArray();

    /// <summary>Writes <paramref name="model"/> as DIR/model.onnx with test_data_set_0 holding input <paramref name="x"/>
    /// and the output <paramref name="y"/>; returns DIR.</summary>
    public static string WriteCase(string dir, OnnxModel model, float[] x, float[] y)
    {
        Directory.CreateDirectory(Path.Combine(dir, "test_data_set_0"));
        File.WriteAllBytes(Path.Combine(dir, "model.onnx"), OnnxWriter.WriteModel(model));
        OnnxWriter.WriteTensor(Path.Combine(dir, "test_data_set_0", "input_0.pb"), ImportModels.Floats("x", x, x.Length / In, In));
        OnnxWriter.WriteTensor(Path.Combine(dir, "test_data_set_0", "output_0.pb"), ImportModels.Floats("y", y, y.Length / Out, Out));
        return dir;
    }
}
