using System.Buffers.Binary;
using Tessera.Onnx;
using Tessera.Onnx.Import;
using Tessera.Tests.Support;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Onnx;

/// <summary>The ai.onnx.preview.training domain (Gradient through autodiff, Momentum and Adam through the fused
/// optimizer ops) and integer arithmetic, from in-memory models.</summary>
public class ImportTrainingTests
{
    private const string Training = OnnxImporter.TrainingDomain;

    private static OnnxTensor Scalar(string name, float v) => Floats(name, new[] { v });

    private static OnnxTensor Step(string name, long t) => Int64s(name, new[] { t });

    [Fact]
    public void Gradient_of_a_product_and_a_sum_seeds_ones()
    {
        float[] a = Data(50, 6), b = Data(51, 6);
        var m = new ImportModels(12, trainingOpset: 1).Input("a", 2, 3).Input("b", 2, 3).Output("y").Output("da").Output("db")
            .Node("Mul", new[] { "a", "b" }, new[] { "p" })
            .Node("Add", new[] { "p", "a" }, new[] { "y" })
            .NodeIn(Training, "Gradient", new[] { "a", "b" }, new[] { "da", "db" }, Ss("xs", "a", "b"), S("y", "y"));
        var outs = m.Run(("a", Floats("a", a, 2, 3)), ("b", Floats("b", b, 2, 3)));
        // y = a·b + a: ∂Σy/∂a = b + 1, ∂Σy/∂b = a.
        Close(a.Select((v, i) => (double)v * b[i] + v).ToArray(), ToFloats(outs[0]));
        Close(b.Select(v => v + 1.0).ToArray(), ToFloats(outs[1]));
        Close(a.Select(v => (double)v).ToArray(), ToFloats(outs[2]));
    }

    [Fact]
    public void Gradient_with_respect_to_an_initializer_binds_it_as_a_parameter()
    {
        float[] x = Data(59, 6), w = Data(60, 3);
        var m = new ImportModels(12, trainingOpset: 1).Input("x", 2, 3).Init("w", w, 3).Output("dw")
            .Node("Mul", new[] { "x", "w" }, new[] { "y" })
            .NodeIn(Training, "Gradient", new[] { "x" }, new[] { "dw" }, Ss("xs", "w"), S("y", "y"));
        var import = OnnxImporter.Import(m.Build(), TestDevices.Cpu);
        Assert.Contains(import.Graph.Parameters, p => p.Name == "w");
        foreach (var t in import.OwnedTensors) t.Dispose();
        var dw = ToFloats(m.Run(("x", Floats("x", x, 2, 3)))[0]);
        // y = x·w broadcast over rows: ∂Σy/∂w[j] = Σi x[i, j].
        Close(Enumerable.Range(0, 3).Select(j => (double)x[j] + x[3 + j]).ToArray(), dw);
    }

    [Theory]
    [InlineData("standard", 0L)]
    [InlineData("standard", 3L)]
    [InlineData("nesterov", 2L)]
    public void Momentum_follows_the_onnx_formulas(string mode, long t)
    {
        float[] x = Data(52, 4), g = Data(53, 4), v = Data(54, 4);
        const float r = 0.1f, alpha = 0.9f, beta = 0.3f, norm = 0.01f;
        var m = new ImportModels(12, trainingOpset: 1).Input("R").Input("T", OnnxDataType.Int64).Input("X", 4).Input("G", 4).Input("V", 4)
            .Output("X_new").Output("V_new")
            .NodeIn(Training, "Momentum", new[] { "R", "T", "X", "G", "V" }, new[] { "X_new", "V_new" },
                F("alpha", alpha), F("beta", beta), F("norm_coefficient", norm), S("mode", mode));
        var outs = m.Run(("R", Scalar("R", r)), ("T", Step("T", t)), ("X", Floats("X", x, 4)), ("G", Floats("G", g, 4)), ("V", Floats("V", v, 4)));
        var xe = new double[4];
        var ve = new double[4];
        for (int i = 0; i < 4; i++)
        {
            double gr = norm * x[i] + g[i];
            ve[i] = alpha * v[i] + (t > 0 ? beta : 1) * gr;
            xe[i] = mode == "standard" ? x[i] - r * ve[i] : x[i] - r * (gr + alpha * ve[i]);
        }
        Close(xe, ToFloats(outs[0]));
        Close(ve, ToFloats(outs[1]));
    }

    [Fact]
    public void Adam_defaults_epsilon_to_1e_6_and_applies_the_post_norm()
    {
        float[] x = Data(55, 3), g = Data(56, 3), v = Data(57, 3), h = Data(58, 3, 0.1f, 1f);
        const float r = 0.05f;
        const long t = 4;
        var m = new ImportModels(12, trainingOpset: 1).Input("R").Input("T", OnnxDataType.Int64).Input("X", 3).Input("G", 3).Input("V", 3).Input("H", 3)
            .Output("X_new").Output("V_new").Output("H_new")
            .NodeIn(Training, "Adam", new[] { "R", "T", "X", "G", "V", "H" }, new[] { "X_new", "V_new", "H_new" }, F("norm_coefficient_post", 0.2f));
        var outs = m.Run(("R", Scalar("R", r)), ("T", Step("T", t)), ("X", Floats("X", x, 3)), ("G", Floats("G", g, 3)), ("V", Floats("V", v, 3)), ("H", Floats("H", h, 3)));
        for (int i = 0; i < 3; i++)
        {
            double vn = 0.9 * v[i] + 0.1 * g[i], hn = 0.999 * h[i] + 0.001 * g[i] * g[i];
            double ra = r * Math.Sqrt(1 - Math.Pow(0.999, t)) / (1 - Math.Pow(0.9, t));
            double xn = (1 - 0.2) * (x[i] - ra * vn / (Math.Sqrt(hn) + 1e-6));
            Assert.True(Math.Abs(xn - ToFloats(outs[0])[i]) < 1e-5, $"X_new[{i}]: {xn} vs {ToFloats(outs[0])[i]}");
            Assert.True(Math.Abs(vn - ToFloats(outs[1])[i]) < 1e-6);
            Assert.True(Math.Abs(hn - ToFloats(outs[2])[i]) < 1e-6);
        }
    }

    [Fact]
    public void Integer_arithmetic_is_exact_and_wraps_to_the_declared_type()
    {
        var u8 = new OnnxTensor("a", OnnxDataType.Uint8, new long[] { 4 }, new byte[] { 250, 7, 100, 0 });
        var u8b = new OnnxTensor("b", OnnxDataType.Uint8, new long[] { 4 }, new byte[] { 10, 3, 200, 0 });
        var m = new ImportModels(14).Input("a", OnnxDataType.Uint8, 4).Input("b", OnnxDataType.Uint8, 4).Output("s", OnnxDataType.Uint8).Output("q", OnnxDataType.Uint8)
            .Node("Add", new[] { "a", "b" }, new[] { "s" })
            .Node("Div", new[] { "a", "b2" }, new[] { "q" })
            .Node("Max", new[] { "b", "one" }, new[] { "b2" });
        var model = m.Build();
        model = model with { Graph = model.Graph with { Initializers = new[] { new OnnxTensor("one", OnnxDataType.Uint8, new long[] { 1 }, new byte[] { 1 }) } } };
        using var p = new OnnxProgram(model, TestDevices.Cpu);
        var outs = p.Run(new Dictionary<string, OnnxTensor> { ["a"] = u8, ["b"] = u8b });
        Assert.Equal(new byte[] { 4, 10, 44, 0 }, outs[0].RawData);          // 250 + 10 wraps to 4; 100 + 200 to 44
        Assert.Equal(new byte[] { 25, 2, 0, 0 }, outs[1].RawData);           // truncating division by max(b, 1)
        var big = new ImportModels(14).Input("a", OnnxDataType.Int64, 2).Output("y", OnnxDataType.Int64).InitInts("k", new long[] { 3 }, 1)
            .Node("Mul", new[] { "a", "k" }, new[] { "y" });
        var y = big.Run(("a", Int64s("a", new[] { 1L << 40, -5 }, 2)))[0];
        Assert.Equal(new[] { 3L << 40, -15 }, ToLongs(y));                   // beyond float32's exact range
    }
}
