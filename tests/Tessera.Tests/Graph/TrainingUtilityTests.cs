using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

public class TrainingUtilityTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    [Fact]
    public void SchedulesFollowTheirFormulas()
    {
        Assert.Equal(0.1, new LearningRateSchedule.Constant(0.1).At(1000));
        var step = new LearningRateSchedule.StepDecay(1.0, 10, 0.5);
        Assert.Equal(1.0, step.At(9));
        Assert.Equal(0.5, step.At(10));
        Assert.Equal(0.25, step.At(25));
        var cos = new LearningRateSchedule.CosineWithWarmup(1.0, 10, 110, 0.1);
        Assert.Equal(0.1, cos.At(0), 12);        // (0+1)/10
        Assert.Equal(1.0, cos.At(9), 12);
        Assert.Equal(1.0, cos.At(10), 12);       // start of the cosine
        Assert.Equal(0.55, cos.At(60), 12);      // halfway: min + (max-min)/2
        Assert.Equal(0.1, cos.At(110), 12);
        Assert.Equal(0.1, cos.At(500), 12);
    }

    [Fact]
    public void InitializersAreSeededAndScaled()
    {
        var a = new Initializer(7).KaimingUniform(new[] { 64, 100 });
        var b = new Initializer(7).KaimingUniform(new[] { 64, 100 });
        Assert.Equal(a, b);
        Assert.NotEqual(a, new Initializer(8).KaimingUniform(new[] { 64, 100 }));
        double bound = Math.Sqrt(6.0 / 100);
        Assert.All(a, v => Assert.InRange(v, -bound, bound));
        // Uniform(-b, b) has variance b²/3 = 2/fan_in.
        double var = a.Select(v => (double)v * v).Average();
        Assert.InRange(var, 0.8 * 2.0 / 100, 1.2 * 2.0 / 100);
        var n = new Initializer(3).XavierNormal(new[] { 200, 300 });
        double nvar = n.Select(v => (double)v * v).Average();
        Assert.InRange(nvar, 0.9 * 2.0 / 500, 1.1 * 2.0 / 500);
        Assert.Equal((27, 36), Initializer.Fans(new[] { 4, 3, 3, 3 }));
        Assert.Throws<TesseraShapeException>(() => Initializer.Fans(new[] { 5 }));
    }

    [Fact]
    public void GradientClippingScalesToTheGlobalNorm()
    {
        using var dev = new Tessera.Cpu.CpuDevice();
        var init = new Initializer(1);
        using var model = new Sequential(new Linear(dev, init, 4, 3));
        using var opt = new Sgd(new LearningRateSchedule.Constant(0.0));
        using var trainer = new Trainer(model, dev, 2, new[] { 4 }, opt);
        var x = new float[] { 100, -200, 300, 400, 50, 60, -70, 80 };
        var y = new long[] { 0, 2 };
        trainer.Step(x, y);
        double before = trainer.ClipGradients(float.MaxValue);
        Assert.True(before > 1, $"norm {before}");
        double reported = trainer.ClipGradients(1f);
        Assert.Equal(before, reported, 3);
        double after = trainer.ClipGradients(float.MaxValue);
        Assert.Equal(1.0, after, 3);
    }

    [Fact]
    public void EmbeddingGradientIsAScatterAdd()
    {
        var g = new GraphBuilder();
        using var emb = new Embedding(Dev, new Initializer(2), 5, 3);
        var idx = g.Input("idx", DType.Int64, 4);
        var w = g.Parameter("embedding", emb.Weight);
        var loss = g.Loss(g.Sum(emb.Forward(g, idx), Array.Empty<int>()));
        var grads = Autodiff.AppendBackward(g, loss, new[] { w });
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        plan.Input("idx").CopyFrom<long>(new long[] { 1, 3, 1, 4 });
        plan.Run();
        // d/dW[r] = (number of times r is looked up) in every column.
        var expected = new float[] { 0, 0, 0, 2, 2, 2, 0, 0, 0, 1, 1, 1, 1, 1, 1 };
        Assert.Equal(expected, plan[grads[w]].ToArray<float>());
    }

    [Fact]
    public void OptimizerStateRoundTripsThroughCheckpoints()
    {
        using var dev = new Tessera.Cpu.CpuDevice();
        using var p = Tensor.FromArray(dev, new float[] { 1, 2, 3 }, 3);
        using var grad = Tensor.FromArray(dev, new float[] { 0.5f, -1, 2 }, 3);
        using var a = new Adam(new LearningRateSchedule.Constant(0.1));
        a.Step(new[] { ("p", p, grad) });
        var state = a.ExportState().ToDictionary(e => e.Name);
        Assert.Equal(new[] { "optim.m/p", "optim.v/p" }, state.Keys.OrderBy(k => k));
        using var b = new Adam(new LearningRateSchedule.Constant(0.1));
        b.ImportState(state, a.StepCount, new[] { ("p", p) });
        using var p2 = p.Clone();
        a.Step(new[] { ("p", p, grad) });
        b.Step(new[] { ("p", p2, grad) });
        Assert.Equal(p.ToArray<float>(), p2.ToArray<float>());
        var bad = new Dictionary<string, Checkpoint.Entry>(state) { ["optim.m/p"] = new("optim.m/p", new[] { 4 }, new float[4]) };
        Assert.Throws<TesseraShapeException>(() => b.ImportState(bad, 1, new[] { ("p", p) }));
    }
}
