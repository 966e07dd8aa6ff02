using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Graph.Optimization;
using Tessera.Tests.Support;

namespace Tessera.Tests.Optimization;

/// <summary>Runs a graph before and after optimization on the CPU with the same inputs and compares the outputs.</summary>
internal static class OptimizerHarness
{
    public static Tessera.Cpu.CpuDevice Dev => TestDevices.Cpu;

    /// <summary>Random float inputs in [-1, 1) for every float32 input of the graph (others must be given).</summary>
    public static Dictionary<string, float[]> Feeds(ComputeGraph g, int seed = 1) =>
        g.Inputs.Where(v => v.DType == DType.Float32)
            .Select((v, i) => (v.Name, Data: Rand.Uniform(seed + i, v.Shape.ToArray()).ToFloats()))
            .ToDictionary(x => x.Name, x => x.Data);

    /// <summary>The outputs of one run of <paramref name="g"/> (in inference mode unless <paramref name="training"/>).</summary>
    public static float[][] Run(ComputeGraph g, IReadOnlyList<Value> outputs, IReadOnlyDictionary<string, float[]> feeds, bool training = false)
    {
        using var plan = ExecutionPlan.Compile(g, Dev);
        plan.Context.Training = training;
        foreach (var (name, data) in feeds) plan.Input(name).CopyFrom<float>(data);
        plan.Run();
        return outputs.Select(o => plan[o].ToArray<float>()).ToArray();
    }

    /// <summary>Optimizes <paramref name="g"/> with <paramref name="passes"/>, runs both graphs on the same inputs and
    /// checks that every output agrees: bit for bit when <paramref name="exact"/>, else within <paramref name="rtol"/> of
    /// each element's magnitude (or of 1% of the output's largest magnitude, for elements near zero).</summary>
    public static OptimizationResult Check(ComputeGraph g, Value[] outputs, IEnumerable<GraphPass> passes, OptimizationOptions? options = null,
        bool exact = false, double rtol = 1e-4, IReadOnlyDictionary<string, float[]>? feeds = null)
    {
        feeds ??= Feeds(g);
        bool training = !(options?.Inference ?? false);
        var before = Run(g, outputs, feeds, training);
        var result = GraphOptimizer.Optimize(g, passes, options);
        var after = Run(result.Graph, outputs.Select(result.Map).ToArray(), feeds, training);
        for (int k = 0; k < outputs.Length; k++)
        {
            if (exact) Assert.Equal(before[k], after[k]);
            else AssertClose(before[k], after[k], rtol, outputs[k].Name);
        }
        return result;
    }

    public static void AssertClose(float[] expected, float[] actual, double rtol, string what = "output")
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Length == 0 ? 0 : expected.Max(x => Math.Abs((double)x));
        for (int i = 0; i < expected.Length; i++)
        {
            double tol = rtol * Math.Max(Math.Abs((double)expected[i]), 0.01 * scale);
            Assert.True(Math.Abs(expected[i] - (double)actual[i]) <= tol, $"{what}[{i}]: expected {expected[i]}, got {actual[i]}");
        }
    }

    /// <summary>Nodes of <paramref name="g"/> whose op kind is <paramref name="kind"/>.</summary>
    public static int Count(ComputeGraph g, string kind) => g.Nodes.Count(n => n.Op.Kind == kind);

    /// <summary>A float32 constant of <paramref name="g"/> holding <paramref name="data"/> (the tensor dies with the
    /// enclosing <see cref="TensorScope"/>).</summary>
    public static Value Const(GraphBuilder g, string name, float[] data, params int[] shape) =>
        g.Constant(name, Tensor.FromArray(Dev, data, shape));

    /// <summary>Deterministic floats in [lo, hi).</summary>
    public static float[] Data(int seed, int n, float lo = -1, float hi = 1)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => lo + (hi - lo) * (float)r.NextDouble()).ToArray();
    }
}
