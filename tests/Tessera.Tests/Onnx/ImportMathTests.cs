using Tessera.Onnx;
using Tessera.Tests.Support;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Onnx;

/// <summary>Element-wise, linear-algebra and reduction operators imported from in-memory models, against double loops.</summary>
public class ImportMathTests
{
    [Fact]
    public void Gemm_reads_every_attribute_and_broadcasts_C()
    {
        float[] a = Data(1, 4 * 3), b = Data(2, 5 * 4), c = Data(3, 5);
        var m = new ImportModels(13).Input("A", 4, 3).Input("B", 5, 4).Init("C", c, 5).Output("Y")
            .Node("Gemm", new[] { "A", "B", "C" }, new[] { "Y" }, I("transA", 1), I("transB", 1), F("alpha", 0.5f), F("beta", -2f));
        var y = ToFloats(m.Run(("A", Floats("A", a, 4, 3)), ("B", Floats("B", b, 5, 4)))[0]);
        // Y[i, j] = 0.5 · Σk A[k, i]·B[j, k] − 2·C[j]   (A is 4×3 → Aᵀ 3×4, B is 5×4 → Bᵀ 4×5)
        var expected = new double[3 * 5];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 5; j++)
            {
                double s = 0;
                for (int k = 0; k < 4; k++) s += (double)a[k * 3 + i] * b[j * 4 + k];
                expected[i * 5 + j] = 0.5 * s - 2 * c[j];
            }
        Close(expected, y);
    }

    [Fact]
    public void Dense_Gemm_with_a_constant_weight_becomes_one_linear_node()
    {
        float[] a = Data(13, 4 * 3), b = Data(14, 3 * 5), c = Data(15, 5);
        var m = new ImportModels(13).Input("A", 4, 3).Init("B", b, 3, 5).Init("C", c, 5).Output("Y")
            .Node("Gemm", new[] { "A", "B", "C" }, new[] { "Y" });
        var import = Tessera.Onnx.Import.OnnxImporter.Import(m.Build(), TestDevices.Cpu);
        Assert.Equal(new[] { "Linear" }, import.Graph.Nodes.Select(n => n.Op.Kind).ToArray());
        foreach (var t in import.OwnedTensors) t.Dispose();
        var y = ToFloats(m.Run(("A", Floats("A", a, 4, 3)))[0]);
        var expected = new double[4 * 5];
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 5; j++)
                expected[i * 5 + j] = Enumerable.Range(0, 3).Sum(k => (double)a[i * 3 + k] * b[k * 5 + j]) + c[j];
        Close(expected, y);
    }

    [Fact]
    public void MatMul_with_a_vector_operand_drops_the_vector_axis()
    {
        float[] a = Data(4, 2 * 3 * 4), v = Data(5, 4);
        var m = new ImportModels().Input("A", 2, 3, 4).Input("v", 4).Output("Y").Node("MatMul", new[] { "A", "v" }, new[] { "Y" });
        var outs = m.Run(("A", Floats("A", a, 2, 3, 4)), ("v", Floats("v", v, 4)));
        Assert.Equal(new long[] { 2, 3 }, outs[0].Dims);
        var expected = Enumerable.Range(0, 6).Select(r => Enumerable.Range(0, 4).Sum(k => (double)a[r * 4 + k] * v[k])).ToArray();
        Close(expected, ToFloats(outs[0]));
    }

    [Fact]
    public void Broadcast_binary_ops_and_unary_attributes_follow_the_spec_defaults()
    {
        float[] x = Data(6, 2 * 3), s = Data(7, 3, 0.5f, 2f);
        var m = new ImportModels(13).Input("x", 2, 3).Init("s", s, 3).Output("y")
            .Node("Div", new[] { "x", "s" }, new[] { "d" })
            .Node("LeakyRelu", new[] { "d" }, new[] { "l" })                 // alpha defaults to 0.01
            .Node("HardSigmoid", new[] { "l" }, new[] { "h" })               // alpha 0.2, beta 0.5
            .Node("Clip", new[] { "h", "", "hi" }, new[] { "y" })            // min absent, max from an initializer
            .Init("hi", new[] { 0.55f });
        var y = ToFloats(m.Run(("x", Floats("x", x, 2, 3)))[0]);
        var expected = x.Select((v, i) =>
        {
            double d = (double)v / s[i % 3];
            double l = d >= 0 ? d : 0.01 * d;
            double h = Math.Clamp(0.2 * l + 0.5, 0, 1);
            return Math.Min(h, 0.55);
        }).ToArray();
        Close(expected, y);
    }

    [Fact]
    public void HardSwish_is_x_times_hard_sigmoid_with_alpha_one_sixth()
    {
        float[] x = Data(40, 2 * 4, -5f, 5f);
        x[0] = -3f; x[1] = 3f; x[2] = 0f;   // the kinks of HardSigmoid(x / 6 + 0.5)
        var m = new ImportModels(14).Input("x", 2, 4).Output("y").Node("HardSwish", new[] { "x" }, new[] { "y" });
        var y = ToFloats(m.Run(("x", Floats("x", x, 2, 4)))[0]);
        Close(x.Select(v => v * Math.Clamp(v / 6.0 + 0.5, 0, 1)).ToArray(), y);
    }

    [Fact]
    public void Variadic_mean_max_and_sum()
    {
        float[] a = Data(8, 6), b = Data(9, 3), c = Data(10, 6);
        var m = new ImportModels(13).Input("a", 2, 3).Input("b", 3).Input("c", 2, 3).Output("mean").Output("max").Output("sum")
            .Node("Mean", new[] { "a", "b", "c" }, new[] { "mean" })
            .Node("Max", new[] { "a", "b", "c" }, new[] { "max" })
            .Node("Sum", new[] { "a" }, new[] { "sum" });
        var outs = m.Run(("a", Floats("a", a, 2, 3)), ("b", Floats("b", b, 3)), ("c", Floats("c", c, 2, 3)));
        Close(Enumerable.Range(0, 6).Select(i => ((double)a[i] + b[i % 3] + c[i]) / 3).ToArray(), ToFloats(outs[0]));
        Close(Enumerable.Range(0, 6).Select(i => (double)Math.Max(a[i], Math.Max(b[i % 3], c[i]))).ToArray(), ToFloats(outs[1]));
        Close(a.Select(v => (double)v).ToArray(), ToFloats(outs[2]));
    }

    [Fact]
    public void Softmax_before_opset_13_coerces_to_2d_and_after_uses_one_axis()
    {
        float[] x = Data(11, 2 * 3 * 4);
        var old = new ImportModels(11).Input("x", 2, 3, 4).Output("y").Node("Softmax", new[] { "x" }, new[] { "y" });   // axis 1: rows of 12
        var y11 = ToFloats(old.Run(("x", Floats("x", x, 2, 3, 4)))[0]);
        for (int n = 0; n < 2; n++)
        {
            var row = x.Skip(n * 12).Take(12).Select(v => Math.Exp(v)).ToArray();
            Close(row.Select(e => e / row.Sum()).ToArray(), y11.Skip(n * 12).Take(12).ToArray());
        }
        var cur = new ImportModels(13).Input("x", 2, 3, 4).Output("y").Node("LogSoftmax", new[] { "x" }, new[] { "y" }, I("axis", 1));
        var y13 = ToFloats(cur.Run(("x", Floats("x", x, 2, 3, 4)))[0]);
        for (int n = 0; n < 2; n++)
            for (int k = 0; k < 4; k++)
            {
                double lse = Math.Log(Enumerable.Range(0, 3).Sum(c => Math.Exp(x[n * 12 + c * 4 + k])));
                for (int c = 0; c < 3; c++) Assert.True(Math.Abs(x[n * 12 + c * 4 + k] - lse - y13[n * 12 + c * 4 + k]) < 1e-5);
            }
    }

    [Fact]
    public void ReduceSum_13_takes_axes_as_an_input_and_ReduceMax_as_an_attribute()
    {
        float[] x = Data(12, 2 * 3 * 4);
        var m = new ImportModels(13).Input("x", 2, 3, 4).InitInts("axes", new long[] { -1, 0 }, 2).Output("s").Output("mx")
            .Node("ReduceSum", new[] { "x", "axes" }, new[] { "s" }, I("keepdims", 0))
            .Node("ReduceMax", new[] { "x" }, new[] { "mx" }, Is("axes", 1));
        var outs = m.Run(("x", Floats("x", x, 2, 3, 4)));
        Assert.Equal(new long[] { 3 }, outs[0].Dims);
        Close(Enumerable.Range(0, 3).Select(c => Enumerable.Range(0, 2).Sum(n => Enumerable.Range(0, 4).Sum(k => (double)x[n * 12 + c * 4 + k]))).ToArray(), ToFloats(outs[0]));
        Assert.Equal(new long[] { 2, 1, 4 }, outs[1].Dims);   // keepdims defaults to 1
        Close(Enumerable.Range(0, 8).Select(i => (double)Enumerable.Range(0, 3).Max(c => x[(i / 4) * 12 + c * 4 + i % 4])).ToArray(), ToFloats(outs[1]));
    }
}
