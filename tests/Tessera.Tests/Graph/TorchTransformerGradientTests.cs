using System.Runtime.InteropServices;
using Tessera.Devices;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Training;
using Tessera.Onnx;
using Tessera.Onnx.Import;
using Tessera.Tests.Support;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Graph;

/// <summary>A transformer block exported from PyTorch trains through the graph: a pre-norm block (LayerNorm, two-head
/// self-attention with x [B, T, C] · W [C, C] projections, GELU MLP, residuals) written by torch.onnx, its gradients
/// from Tessera's autodiff and from the ONNX Gradient operator, and six Adam steps, against PyTorch autograd. The
/// fixtures in Graph/TorchTransformer are written by benchmarks/models/transformer_grad.py (torch's numbers in float64 on
/// the float32 weights, so the tolerance measures Tessera's float32 error alone).
/// Tolerance: per tensor, max |Tessera − torch| ≤ 1e-4 · max |torch| (float32, relative to the tensor's scale).</summary>
public class TorchTransformerGradientTests
{
    private const double Tolerance = 1e-4;
    private static readonly IDevice Dev = TestDevices.Target;

    private static string Fixture(string file) => Path.Combine(Repository.Root(), "tests", "Tessera.Tests", "Graph", "TorchTransformer", file);

    private static float[] Npy(string name)
    {
        var a = NpyFile.Read(Fixture(name + ".npy"));
        Assert.Equal(DType.Float32, a.DType);
        return MemoryMarshal.Cast<byte, float>(a.Data).ToArray();
    }

    /// <summary>The weights in the order of the generator's meta.json (ONNX initializer names; files use '_').</summary>
    private static readonly string[] Weights =
        ["wq", "wk", "wv", "wo", "bo", "w1", "b1", "w2", "b2", "ln1.weight", "ln1.bias", "ln2.weight", "ln2.bias"];

    private static string File(string name) => name.Replace('.', '_');

    private static void Close(float[] expected, float[] actual, string what, double tolerance = Tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(v => Math.Abs((double)v)), worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs((double)actual[i] - expected[i]));
        Assert.True(worst <= tolerance * scale, $"{what}: max |Tessera - torch| = {worst:G3}, {worst / scale:G3} of max |torch| = {scale:G3}");
    }

    /// <summary>block.onnx imported with its initializers trainable; loss = mean((y − target)²) built in the graph.</summary>
    private sealed class Imported : IDisposable
    {
        public readonly OnnxImportResult Import;
        public readonly Value X, Loss;
        public readonly Dictionary<string, Value> Params;
        public readonly IReadOnlyDictionary<Value, Value> Grads;
        public readonly ExecutionPlan Plan;

        public Imported()
        {
            var model = OnnxReader.ReadModel(Fixture("block.onnx"));
            Import = OnnxImporter.Import(model, Dev, new OnnxImportOptions { TrainableInitializers = true });
            var g = Import.Builder;
            X = Import.Inputs.Single(v => v.Name == "x");
            var y = Import.Outputs.Single(o => o.Name == "y").Value!;
            var target = g.Input("target", DType.Float32, y.Shape.ToArray());
            Loss = g.Loss(g.MseLoss(y, target));
            Params = Import.Graph.Parameters.ToDictionary(p => p.Name);
            Assert.Equal(Weights.Order(StringComparer.Ordinal), Params.Keys.Order(StringComparer.Ordinal));
            Grads = Autodiff.AppendBackward(g, Loss, Weights.Select(w => Params[w]).Append(X));
            Plan = ExecutionPlan.Compile(Import.Graph, Dev);
            Plan.Input("x").CopyFrom<float>(Npy("x"));
            Plan.Input("target").CopyFrom<float>(Npy("target"));
        }

        public float Run()
        {
            Plan.Run();
            return Plan[Loss].Item<float>();
        }

        public void Dispose()
        {
            Plan.Dispose();
            foreach (var t in Import.OwnedTensors) t.Dispose();
        }
    }

    [Fact]
    public void Autodiff_of_the_imported_block_matches_torch_autograd()
    {
        using var m = new Imported();
        float loss = m.Run();
        Close(Npy("loss"), [loss], "loss");
        foreach (var w in Weights)
        {
            Assert.Equal(m.Params[w].Shape, m.Grads[m.Params[w]].Shape);
            Close(Npy("grad_" + File(w)), m.Plan[m.Grads[m.Params[w]]].ToArray<float>(), $"d loss / d {w}");
        }
        Close(Npy("grad_x"), m.Plan[m.Grads[m.X]].ToArray<float>(), "d loss / d x");
    }

    [Fact]
    public void The_onnx_Gradient_operator_over_the_block_matches_torch_autograd()
    {
        // block-gradient.onnx computes the loss itself and ends in Gradient(xs = every weight and x, y = loss).
        using var program = new OnnxProgram(OnnxReader.ReadModel(Fixture("block-gradient.onnx")), Dev);
        var x = Npy("x");
        var target = Npy("target");
        long[] shape = [2, 5, 16];
        var outs = program.Run(new Dictionary<string, OnnxTensor>
        {
            ["x"] = Floats("x", x, shape),
            ["target"] = Floats("target", target, shape),
        });
        var names = program.OutputNames.ToArray();
        Assert.Equal(["loss", .. Weights.Select(w => "grad_" + File(w)), "grad_x"], names);
        Close(Npy("loss"), ToFloats(outs[0]), "loss");
        for (int k = 1; k < names.Length; k++) Close(Npy(names[k]), ToFloats(outs[k]), names[k]);
    }

    [Fact]
    public void Adam_steps_through_the_graph_follow_torch()
    {
        // Six steps of Adam (lr 1e-2, torch's defaults) on the imported block's weights: the loss before each step and
        // after the last, and the final weights, against torch.optim.Adam from the same start.
        using var m = new Imported();
        using var adam = new Adam(Weights.Select(w => (w, m.Plan[m.Params[w]])), lr: 1e-2);
        var expected = Npy("adam_losses");
        var losses = new float[expected.Length];
        for (int step = 0; step < expected.Length - 1; step++)
        {
            losses[step] = m.Run();
            adam.Step(Weights.Select(w => (w, m.Plan[m.Params[w]], m.Plan[m.Grads[m.Params[w]]])));
        }
        losses[^1] = m.Run();
        for (int i = 1; i < losses.Length; i++) Assert.True(losses[i] < losses[i - 1], $"the loss rose at step {i}: {string.Join(", ", losses)}");
        for (int i = 0; i < losses.Length; i++) Close([expected[i]], [losses[i]], $"loss after {i} Adam steps");
        foreach (var w in Weights) Close(Npy("adam_" + File(w)), m.Plan[m.Params[w]].ToArray<float>(), $"{w} after Adam");
    }
}
