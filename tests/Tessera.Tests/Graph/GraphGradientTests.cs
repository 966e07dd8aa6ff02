using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

/// <summary>Whole-graph gradients from autodiff against central finite differences of the same graph's forward pass.
/// The loss is Σ w·f(x) with fixed random weights w, so every output element matters.</summary>
public class GraphGradientTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    public static TheoryData<string> Networks => new() { "mlp", "cnn-bn-pool", "attention-block", "transformer-block", "vit-tiny", "shape-ops", "attention-views" };

    [Theory]
    [MemberData(nameof(Networks))]
    public void AutodiffMatchesFiniteDifferences(string name)
    {
        using var scope = TensorScope.Begin();
        var init = new Initializer(42);
        var g = new GraphBuilder();
        Module model;
        int[] xShape;
        switch (name)
        {
            case "mlp":
                model = new Sequential(new Linear(Dev, init, 7, 9), Lambda.Relu(), new Linear(Dev, init, 9, 5), Lambda.Gelu(), new Linear(Dev, init, 5, 3));
                xShape = new[] { 4, 7 };
                break;
            case "cnn-bn-pool":
                model = new Sequential(new Conv2d(Dev, init, 2, 4, 3, padding: 1), new BatchNorm2d(Dev, 4), Lambda.Relu(), new MaxPool2d(2, 2),
                    new Conv2d(Dev, init, 4, 3, 3, stride: 1, padding: 1), new AvgPool2d(2, 2), Lambda.Flatten(), new Linear(Dev, init, 3 * 2 * 2, 3));
                xShape = new[] { 3, 2, 8, 8 };
                break;
            case "attention-block":
                model = new MultiHeadAttention(Dev, init, 8, 2);
                xShape = new[] { 2, 5, 8 };
                break;
            case "transformer-block":
                model = new TransformerEncoderBlock(Dev, init, 8, 2, 16);
                xShape = new[] { 2, 5, 8 };
                break;
            case "vit-tiny":
                model = new Sequential(new Lambda((gb, x) => gb.Reshape(x, 2, 6, 4)), new TransformerEncoderBlock(Dev, init, 4, 2, 8),
                    new Lambda((gb, x) => gb.Reshape(gb.Slice(x, 1, 0, 1), 2, 4)), new Linear(Dev, init, 4, 3));
                xShape = new[] { 2, 24 };
                break;
            case "attention-views":
                // The attention op reading q, k, v as permuted views of [B, T, H, D] heads and writing its result
                // merged (what TransposeReshapeElimination makes of a head split): its gradients permuted back.
                model = new Sequential(new Linear(Dev, init, 8, 24), new Lambda((gb, x) =>
                {
                    Value Heads(int i) => gb.Reshape(gb.Slice(x, 2, 8 * i, 8 * i + 8), 2, 5, 2, 4);
                    int[] split = [0, 2, 1, 3];
                    var op = new Tessera.Graph.Operators.AttentionGraphOp(new AttentionParams(float.NaN, true),
                        new Tessera.Graph.Operators.AttentionOperands(split, split, split, split));
                    return gb.Reshape(gb.Apply(op, "attn", Heads(0), Heads(1), Heads(2))[0], 2, 5, 8);
                }));
                xShape = new[] { 2, 5, 8 };
                break;
            default:
                model = new Sequential(new Linear(Dev, init, 6, 6), new Lambda((gb, x) =>
                {
                    var a = gb.Slice(x, 1, 0, 4);
                    var b = gb.Permute(gb.Reshape(x, 3, 2, 3), 0, 2, 1);
                    var c = gb.Concat([a, gb.Reshape(b, 3, 6), gb.Expand(gb.Slice(x, 1, 2, 3), 3, 2)], 1);
                    return gb.Add(gb.Tanh(c), gb.Mean(c, new[] { 1 }, keepDims: true));
                }));
                xShape = new[] { 3, 6 };
                break;
        }
        using var _m = model;
        var xData = Rand.Uniform(7, xShape);
        var x = g.Input("x", DType.Float32, xShape);
        var parameters = model.Parameters().Select(p => (p.Name, p.Tensor, V: g.Parameter(p.Name, p.Tensor))).ToList();
        foreach (var (n, t) in model.State()) g.State(n, t);
        var y = model.Forward(g, x);
        var w = g.Constant("w", Rand.Uniform(8, y.Shape.ToArray()).ToDevice(Dev));
        var loss = g.Loss(g.Sum(g.Mul(y, w), Array.Empty<int>()));
        var grads = Autodiff.AppendBackward(g, loss, parameters.Select(p => p.V).Append(x));
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        plan.Input("x").CopyFrom<float>(xData.ToFloats());

        double Loss()
        {
            plan.Run();
            return plan[loss].Item<float>();
        }

        Loss();
        var rng = new Random(3);
        var targets = parameters.Select(p => (p.Name, p.Tensor, Grad: plan[grads[p.V]].ToArray<float>()))
            .Append(("x", plan.Input("x"), plan[grads[x]].ToArray<float>())).ToList();
        int checkedCount = 0;
        foreach (var (pname, tensor, grad) in targets)
        {
            var values = tensor.ToArray<float>();
            for (int trial = 0; trial < Math.Min(6, values.Length); trial++)
            {
                int i = rng.Next(values.Length);
                float orig = values[i];
                double Fd(float h)
                {
                    values[i] = orig + h; tensor.CopyFrom<float>(values); double lp = Loss();
                    values[i] = orig - h; tensor.CopyFrom<float>(values); double lm = Loss();
                    values[i] = orig; tensor.CopyFrom<float>(values);
                    return (lp - lm) / (2 * h);
                }
                double fd = Fd(4e-3f), fdHalf = Fd(2e-3f);
                // Where two step sizes disagree the loss is not smooth here (a ReLU or max-pool kink inside the
                // step): no derivative to compare, so the element is skipped.
                if (Math.Abs(fd - fdHalf) > 2e-3 + 2e-2 * Math.Abs(fd)) continue;
                double tol = 2e-3 + 3e-2 * Math.Abs(fd);
                Assert.True(Math.Abs(fd - grad[i]) <= tol, $"{name}: d loss / d {pname}[{i}]: autodiff {grad[i]:G6}, finite difference {fd:G6}");
                checkedCount++;
            }
        }
        Assert.True(checkedCount >= 8);
    }

    [Fact]
    public void GradientsAccumulateWhereAValueFeedsSeveralNodes()
    {
        // loss = Σ (x·x + x) = Σ x² + x  → d/dx = 2x + 1
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 5);
        var loss = g.Loss(g.Sum(g.Add(g.Mul(x, x), x), Array.Empty<int>()));
        var grads = Autodiff.AppendBackward(g, loss, new[] { x });
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        var data = new float[] { -2, -0.5f, 0, 1, 3 };
        plan.Input("x").CopyFrom<float>(data);
        plan.Run();
        Assert.Equal(data.Select(v => 2 * v + 1).ToArray(), plan[grads[x]].ToArray<float>());
    }

    [Fact]
    public void StopGradientBlocksTheFlow()
    {
        // loss = Σ x·stop(x) → d/dx = stop(x) = x (only through the first factor)
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 4);
        var loss = g.Loss(g.Sum(g.Mul(x, g.StopGradient(x)), Array.Empty<int>()));
        var grads = Autodiff.AppendBackward(g, loss, new[] { x });
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        plan.Input("x").CopyFrom<float>(new float[] { 1, 2, 3, 4 });
        plan.Run();
        Assert.Equal(new float[] { 1, 2, 3, 4 }, plan[grads[x]].ToArray<float>());
    }
}
