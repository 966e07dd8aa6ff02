using Tessera.Cpu;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Core;

/// <summary>The C# examples of the README, verbatim (<see cref="EveryReadmeExampleIsHereVerbatim"/> checks it), run
/// and their results checked.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void EagerExampleRunsAndIsRight()
    {
        int threads = CpuBackend.Device.Threads;
        try
        {
            // README begin
            var cpu = CpuBackend.Device;             // or BackendRegistry.GetDevice("cpu")
            cpu.Threads = 2;

            using var scope = TensorScope.Begin();   // disposes every tensor created below
            var x = Tensor.FromArray(cpu, new float[] { 1, -2, 3, -4, 5, -6 }, 2, 3);
            var w = Tensor.FromArray(cpu, new float[] { 0.5f, -1, 2, 1, 0, -0.5f }, 2, 3);   // [out, in]
            var b = Tensor.FromArray(cpu, new float[] { 0.1f, 0.2f }, 2);

            var h = Ops.Relu(Ops.Linear(x, w, b));   // [2, 2]
            var p = Ops.Softmax(h, axis: -1);
            Console.WriteLine(string.Join(", ", p.ToArray<float>()));

            var t = x.Transpose();                   // a view: no copy
            var s = Ops.Sum(t, new[] { 1 });         // reductions over any axes
            // README end

            // Row 0: x·w0 = 0.5+2+6 = 8.5 (+0.1), x·w1 = 1+0-1.5 = -0.5 (+0.2) → relu [8.6, 0]
            Assert.Equal(new[] { 8.6f, 0f }, h.ToArray<float>().Take(2).Select(v => MathF.Round(v, 4)));
            var probs = p.ToArray<float>();
            Assert.Equal(1f, probs[0] + probs[1], 5);
            Assert.Equal(new float[] { -3, 3, -3 }, s.ToArray<float>());
            var ex = Assert.Throws<TesseraShapeException>(() => Ops.Linear(x, Tensor.Zeros(cpu, DType.Float32, 2, 4)));
            Assert.Equal("Linear: argument 'w': x [2, 3] has 3 input features but w [2, 4] expects 4", ex.Message);
        }
        finally { CpuBackend.Device.Threads = threads; }
    }

    [Fact]
    public void TrainingExampleLearnsSavesAndReloads()
    {
        // README begin
        var cpu = CpuBackend.Device;
        // Data: 500 samples of 20 features; the label is the group of 5 features with the largest sum.
        var rng = new Random(0);
        const int samples = 500, features = 20, classes = 4, batch = 64;
        var data = new float[samples * features];
        var labels = new long[samples];
        for (int i = 0; i < samples; i++)
        {
            for (int f = 0; f < features; f++) data[i * features + f] = (float)(rng.NextDouble() * 2 - 1);
            var sums = Enumerable.Range(0, classes).Select(c => data.AsSpan(i * features + c * 5, 5).ToArray().Sum()).ToList();
            labels[i] = sums.IndexOf(sums.Max());
        }

        var init = new Initializer(seed: 1);
        using var model = new Sequential(new Linear(cpu, init, features, 32), Lambda.Relu(), new Linear(cpu, init, 32, classes));
        using var optimizer = new Adam(model.Parameters(), lr: 1e-2,
            schedule: new LearningRateSchedule.CosineWithWarmup(1e-2, WarmupSteps: 8, TotalSteps: 80));
        using var step = new TrainStep(model, optimizer,
            (g, v) => g.CrossEntropy(model.Forward(g, v["x"]), v["y"]),        // any scalar loss
            new TrainInput("x", DType.Float32, features), new TrainInput("y", DType.Int64));

        var epochLoss = new List<double>();
        for (int epoch = 0; epoch < 10; epoch++)
        {
            double total = 0;
            for (int start = 0; start < samples; start += batch)             // the last batch holds 52 samples
            {
                int n = Math.Min(batch, samples - start);
                float loss = step.Run(("x", data[(start * features)..((start + n) * features)]), ("y", labels[start..(start + n)]));
                total += loss * n;
            }
            epochLoss.Add(total / samples);
            Console.WriteLine($"epoch {epoch}: loss {total / samples:F4}, next rate {optimizer.CurrentRate:G3}");
        }

        string path = Path.Combine(Path.GetTempPath(), "readme-model.safetensors");
        model.SaveCheckpoint(path, optimizer);
        using var reloaded = new Sequential(new Linear(cpu, init, features, 32), Lambda.Relu(), new Linear(cpu, init, 32, classes));
        reloaded.LoadCheckpoint(path);                                       // same weights: same predictions
        // README end

        Assert.Equal(new[] { 52, 64 }, step.BatchSizes.Order());
        Assert.Equal(80, optimizer.StepCount);
        Assert.True(epochLoss[^1] < 0.5 * epochLoss[0], $"loss per epoch: {string.Join(", ", epochLoss.Select(l => l.ToString("F4")))}");
        for (int e = 1; e < epochLoss.Count; e++) Assert.True(epochLoss[e] < epochLoss[e - 1] + 1e-3, $"epoch {e} loss rose: {epochLoss[e - 1]} → {epochLoss[e]}");
        foreach (var (a, r) in model.Parameters().Zip(reloaded.Parameters()))
            Assert.Equal(a.Tensor.ToArray<float>(), r.Tensor.ToArray<float>());
        using var resumed = new Adam(reloaded.Parameters(), lr: 1e-2);
        reloaded.LoadCheckpoint(path, resumed);
        Assert.Equal(80, resumed.StepCount);
        File.Delete(path);
    }

    [Fact]
    public void GraphExampleRuns()
    {
        // README begin
        var cpu = CpuBackend.Device;
        var images = new float[64 * 784];                                    // a batch of 64 flattened 28×28 images
        var labels = Enumerable.Range(0, 64).Select(i => (long)(i % 10)).ToArray();

        var g = new GraphBuilder();
        var init = new Initializer(seed: 1);
        using var model = new Sequential(new Linear(cpu, init, 784, 128), Lambda.Relu(), new Linear(cpu, init, 128, 10));
        var x = g.Input("x", DType.Float32, 64, 784);
        var y = g.Input("y", DType.Int64, 64);
        var loss = g.Loss(g.CrossEntropy(model.Forward(g, x), y));
        var grads = Autodiff.AppendBackward(g, loss, model.Parameters().Select(p => g.Parameter(p.Name, p.Tensor)));
        using var plan = ExecutionPlan.Compile(g.Graph, cpu);   // schedule + one arena planned by liveness
        Console.WriteLine(g.Graph.Dump());
        Console.WriteLine($"arena {plan.ArenaBytes} bytes vs {plan.NaiveBytes} naive");
        plan.Input("x").CopyFrom<float>(images); plan.Input("y").CopyFrom<long>(labels);
        plan.Run();                                            // launches kernels only: no allocation
        Console.WriteLine($"loss {plan[loss].Item<float>()}");
        using var optimizer = new Adam(model.Parameters(), lr: 1e-3);
        optimizer.Step(model.Parameters().Select(p => (p.Name, p.Tensor, plan[grads[g.Parameter(p.Name, p.Tensor)]])));
        // README end

        Assert.Contains("CrossEntropy", g.Graph.Dump());
        Assert.True(plan.ArenaBytes < plan.NaiveBytes);
        // All-zero images: the logits are the last bias, so the loss is the cross-entropy of a fixed row.
        Assert.InRange(plan[loss].Item<float>(), 1.5f, 3.5f);
        Assert.Equal(4, grads.Count);
        Assert.Equal(1, optimizer.StepCount);
    }

    /// <summary>Each ```csharp block of README.md, without its using directives, is the body between "README begin" and
    /// "README end" of one test here, line for line (indentation aside), and its using directives are this file's.</summary>
    [Fact]
    public void EveryReadmeExampleIsHereVerbatim()
    {
        string root = Repository.Root();
        string self = Path.Combine(root, "tests", "Tessera.Tests", "Core", "ReadmeExampleTests.cs");
        string readme = File.ReadAllText(Path.Combine(root, "README.md"));
        var source = File.ReadAllLines(self).Select(l => l.Trim()).ToArray();
        var bodies = new List<string[]>();
        for (int i = 0; i < source.Length; i++)
            if (source[i] == "// README begin")
            {
                int end = Array.IndexOf(source, "// README end", i);
                bodies.Add(source[(i + 1)..end].Where(l => l.Length > 0).ToArray());
            }
        var blocks = readme.Split("```csharp\n").Skip(1).Select(b => b[..b.IndexOf("```", StringComparison.Ordinal)]).ToArray();
        Assert.Equal(blocks.Length, bodies.Count);
        foreach (var block in blocks)
        {
            var lines = block.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
            foreach (var u in lines.Where(l => l.StartsWith("using ", StringComparison.Ordinal) && l.EndsWith(';') && !l.Contains('=')))
                Assert.True(source.Contains(u) || u == "using Tessera;", $"README using '{u}' is not a using of this test file");
            var body = lines.Where(l => !(l.StartsWith("using ", StringComparison.Ordinal) && !l.StartsWith("using var", StringComparison.Ordinal))).ToArray();
            Assert.True(bodies.Any(b => b.SequenceEqual(body)), $"README example starting '{body[0]}' is not verbatim in a test of {Path.GetFileName(self)}");
        }
    }
}
