using Tessera.Cpu;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;
using Tessera.Kernels;

namespace Tessera.Tests.Core;

/// <summary>The C# example of the README, verbatim in substance, with its numbers checked by hand.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void EagerExampleRunsAndIsRight()
    {
        var cpu = CpuBackend.Device;
        using var scope = TensorScope.Begin();
        var x = Tensor.FromArray(cpu, new float[] { 1, -2, 3, -4, 5, -6 }, 2, 3);
        var w = Tensor.FromArray(cpu, new float[] { 0.5f, -1, 2, 1, 0, -0.5f }, 2, 3);
        var b = Tensor.FromArray(cpu, new float[] { 0.1f, 0.2f }, 2);
        var h = Ops.Relu(Ops.Linear(x, w, b));
        var p = Ops.Softmax(h, axis: -1);
        // Row 0: x·w0 = 0.5+2+6 = 8.5 (+0.1), x·w1 = 1+0-1.5 = -0.5 (+0.2) → relu [8.6, 0]
        Assert.Equal(new[] { 8.6f, 0f }, h.ToArray<float>().Take(2).Select(v => MathF.Round(v, 4)));
        var probs = p.ToArray<float>();
        Assert.Equal(1f, probs[0] + probs[1], 5);
        var t = x.Transpose();
        var s = Ops.Sum(t, new[] { 1 });
        Assert.Equal(new float[] { -3, 3, -3 }, s.ToArray<float>());
        var ex = Assert.Throws<TesseraShapeException>(() => Ops.Linear(x, Tensor.Zeros(cpu, DType.Float32, 2, 4)));
        Assert.Equal("Linear: argument 'w': x [2, 3] has 3 input features but w [2, 4] expects 4", ex.Message);
    }

    [Fact]
    public void GraphExampleRuns()
    {
        var cpu = CpuBackend.Device;
        var images = new float[64 * 784];
        var labels = Enumerable.Range(0, 64).Select(i => (long)(i % 10)).ToArray();
        var g = new GraphBuilder();
        var init = new Initializer(seed: 1);
        using var model = new Sequential(new Linear(cpu, init, 784, 128), Lambda.Relu(), new Linear(cpu, init, 128, 10));
        var x = g.Input("x", DType.Float32, 64, 784);
        var y = g.Input("y", DType.Int64, 64);
        var loss = g.Loss(g.CrossEntropy(model.Forward(g, x), y));
        var grads = Autodiff.AppendBackward(g, loss, model.Parameters().Select(p => g.Parameter(p.Name, p.Tensor)));
        using var plan = ExecutionPlan.Compile(g.Graph, cpu);
        Assert.Contains("CrossEntropy", g.Graph.Dump());
        Assert.True(plan.ArenaBytes < plan.NaiveBytes);
        plan.Input("x").CopyFrom<float>(images); plan.Input("y").CopyFrom<long>(labels);
        plan.Run();
        // All-zero images: the logits are the last bias, so the loss is the cross-entropy of a fixed row.
        Assert.InRange(plan[loss].Item<float>(), 1.5f, 3.5f);
        Assert.Equal(4, grads.Count);
    }
}
