using Tessera.Graph;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>x·sigmoid(x) onto Silu and x·hardsigmoid(x) onto HardSwish. Each test runs a graph built for the pass before
/// and after it and compares the outputs.</summary>
public class SiluFusionTests
{
    private static readonly UnaryParams TorchHardSigmoid = new(1f / 6, 0.5f);

    [Fact]
    public void A_value_gated_by_its_sigmoid_or_hard_sigmoid_becomes_one_node()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Affine(g.Input("x", DType.Float32, 2, 3, 5), 4f, name: "x4");   // reaches both saturated ends of each gate
        var a = g.Mul(x, g.Sigmoid(x), "a");                                       // x·σ(x), as torch.onnx writes SiLU
        var h = g.Relu(x, "h");
        var b = g.Mul(g.Sigmoid(h), h, "b");                                       // σ(h)·h
        var c = g.Mul(x, g.Unary(UnaryOp.HardSigmoid, x, TorchHardSigmoid), "c"); // nn.Hardswish below opset 14
        g.Output(a, b, c);
        using var r = Check(g.Graph, [a, b, c], [new SiluFusion()]);
        Assert.Equal(["Affine", "Silu", "Relu", "Silu", "HardSwish"], r.Graph.Nodes.Select(n => n.Op.Kind).ToArray());
        Assert.Equal(["a", "b", "c"], r.Graph.Nodes.Where(n => n.Op.Kind is "Silu" or "HardSwish").Select(n => n.Name).ToArray());
        Assert.Equal(3, r.Report.ChangesOf("silu").Count());
    }

    [Fact]
    public void Other_gates_and_gates_read_elsewhere_are_left_alone()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 4, 6);
        var z = g.Input("z", DType.Float32, 4, 6);
        var gatedByOther = g.Mul(x, g.Sigmoid(z), "other");                        // x·σ(z)
        var s = g.Sigmoid(x, "s");
        var sharedGate = g.Add(g.Mul(x, s), s, "shared");                           // σ(x) read twice
        var outputGate = g.Sigmoid(z, "output_gate");
        var gateIsOutput = g.Mul(z, outputGate, "gate_is_output");                 // σ(z) is an output of the graph
        var hardSigmoid = g.Mul(x, g.Unary(UnaryOp.HardSigmoid, x, new UnaryParams(0.2f, 0.5f)), "onnx_default_slope");
        var squared = g.Mul(g.Sigmoid(x), g.Sigmoid(x), "squared");                // σ(x)·σ(x)
        g.Output(gatedByOther, sharedGate, outputGate, gateIsOutput, hardSigmoid, squared);
        Value[] outputs = [gatedByOther, sharedGate, outputGate, gateIsOutput, hardSigmoid, squared];
        using var r = Check(g.Graph, outputs, [new SiluFusion()], exact: true);
        Assert.Equal(g.Graph.Nodes.Count, r.Graph.Nodes.Count);
        Assert.Empty(r.Report.Passes);
    }
}
