using System.Numerics.Tensors;

namespace Tessera.Bench.Baselines;

/// <summary>System.Numerics.Tensors.TensorPrimitives (single-threaded, out of place) on the host inputs.</summary>
public static class TensorPrimitivesBaseline
{
    /// <summary>The package's assembly version.</summary>
    public static string Version => typeof(TensorPrimitives).Assembly.GetName().Version?.ToString() ?? "?";

    /// <summary>y = max(x, 0) (TensorPrimitives has no Relu; Max with a scalar is the same op).</summary>
    public static BaselineSpec Relu() => Unary("TensorPrimitives.Max(x, 0)", (x, y) => TensorPrimitives.Max(x, 0f, y));

    /// <summary>Sigmoid by <c>TensorPrimitives.Sigmoid</c>.</summary>
    public static BaselineSpec Sigmoid() => Unary("TensorPrimitives.Sigmoid", (x, y) => TensorPrimitives.Sigmoid(x, y));

    /// <summary>c = a + b on host inputs "a" and "b".</summary>
    public static BaselineSpec Add() => new("TensorPrimitives.Add", (inst, _) =>
    {
        var a = inst.Context.Host["a"].Data; var b = inst.Context.Host["b"].Data;
        var c = new float[a.Length];
        return new BaselineRun(() => TensorPrimitives.Add(a, b, c), output: c);
    });

    /// <summary>Row-wise softmax of "x" [rows, cols] with TensorPrimitives.SoftMax per row.</summary>
    public static BaselineSpec Softmax() => new("TensorPrimitives.SoftMax (per row)", (inst, _) =>
    {
        var x = inst.Context.Host["x"];
        int cols = x.Shape[^1], rows = x.Data.Length / cols;
        var y = new float[x.Data.Length];
        return new BaselineRun(() =>
        {
            for (int r = 0; r < rows; r++)
                TensorPrimitives.SoftMax(x.Data.AsSpan(r * cols, cols), y.AsSpan(r * cols, cols));
        }, output: y);
    });

    private delegate void UnaryFn(ReadOnlySpan<float> x, Span<float> y);

    private static BaselineSpec Unary(string name, UnaryFn f) => new(name, (inst, _) =>
    {
        var x = inst.Context.Host["x"].Data;
        var y = new float[x.Length];
        return new BaselineRun(() => f(x, y), output: y);
    });
}
