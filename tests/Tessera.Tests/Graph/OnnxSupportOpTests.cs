using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

/// <summary>The graph ops the ONNX importer maps onto (Compare, Where, LogicalNot, PRelu, Cast, ArgMax, Pad, Split,
/// AdamStep, MomentumStep), run through small graphs and compared with the eager ops or the reference, including their gradients.</summary>
public class OnnxSupportOpTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    private static void Feed(ExecutionPlan plan, string name, RefTensor r) => plan.Input(name).CopyFrom<float>(r.ToFloats());

    [Fact]
    public void CompareNotWhereMatchEagerOps()
    {
        var ar = Rand.Uniform(1, new[] { 5, 40 }, -2, 2);
        var br = Rand.Uniform(2, new[] { 40 }, -2, 2);
        var g = new GraphBuilder();
        var a = g.Input("a", DType.Float32, 5, 40);
        var b = g.Input("b", DType.Float32, 40);
        var less = g.Less(a, b, "lt");
        var notLess = g.LogicalNot(less, "nlt");
        var y = g.Where(notLess, a, b, "sel");
        var eqInt = g.Equal(g.Cast(g.Affine(a, 2f), DType.Int64), g.Cast(g.Affine(b, 2f), DType.Int64), "eqi");
        var ge = g.Compare(CompareOp.GreaterOrEqual, a, b, "ge");
        g.Output(less, notLess, y, eqInt, ge);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        Feed(plan, "a", ar);
        Feed(plan, "b", br);
        plan.Run();

        using var scope = TensorScope.Begin();
        var ea = ar.ToDevice(Dev);
        var eb = br.ToDevice(Dev);
        var eLess = Ops.Less(ea, eb);
        var eNot = Ops.LogicalNot(eLess);
        Assert.Equal(eLess.ToArray<byte>(), plan[less].ToArray<byte>());
        Assert.Equal(eNot.ToArray<byte>(), plan[notLess].ToArray<byte>());
        Assert.Equal(Ops.Where(eNot, ea, eb).ToArray<float>(), plan[y].ToArray<float>());
        Assert.Equal(Ops.GreaterOrEqual(ea, eb).ToArray<byte>(), plan[ge].ToArray<byte>());
        Assert.Equal(plan[notLess].ToArray<byte>(), plan[ge].ToArray<byte>()); // no NaN: ¬(a < b) ⇔ a ≥ b
        var ia = Ops.Cast(Ops.Affine(ea, 2f), DType.Int64);
        var ib = Ops.Cast(Ops.Affine(eb, 2f), DType.Int64);
        Assert.Equal(Ops.Equal(ia, ib).ToArray<byte>(), plan[eqInt].ToArray<byte>());
        Assert.Contains((byte)1, plan[eqInt].ToArray<byte>());
        // And against the reference, to be independent of the eager ops.
        Approx.Equal(RefLogical.Where(RefLogical.Not(RefLogical.Compare(CompareOp.Less, ar, br)), ar, br), plan[y], 0, 0, "where");
    }

    [Fact]
    public void WhereGradientMatchesReference()
    {
        var cr = Rand.Ints(3, new[] { 4, 1 }, 2);
        cr.Data[0] = 1; cr.Data[1] = 0;
        var xr = Rand.Uniform(4, new[] { 4, 6 });
        var br = Rand.Uniform(5, new[] { 6 });
        var wr = Rand.Uniform(6, new[] { 4, 6 });
        using var condT = cr.ToDevice(Dev, DType.Bool);
        using var biasT = br.ToDevice(Dev);
        using var wT = wr.ToDevice(Dev);
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 4, 6);
        var cond = g.Constant("cond", condT);
        var bias = g.Parameter("bias", biasT);
        var y = g.Where(cond, x, bias, "sel");
        g.Output(y);
        var loss = g.Loss(g.Sum(g.Mul(y, g.Constant("w", wT)), Array.Empty<int>()));
        var grads = Autodiff.AppendBackward(g, loss, new[] { x, bias });
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        Feed(plan, "x", xr);
        plan.Run();
        var (rdx, rdb) = RefLogical.WhereBackward(cr, new[] { 4, 6 }, new[] { 6 }, wr);
        Approx.Equal(rdx, plan[grads[x]], 1e-6, 1e-5, "dx");
        Approx.Equal(rdb, plan[grads[bias]], 1e-6, 1e-5, "dbias");
        Approx.Equal(RefLogical.Where(cr, xr, br), plan[y], 0, 0, "forward");
    }

    [Fact]
    public void PReluForwardAndGradientsMatchReference()
    {
        var xr = Rand.Uniform(7, new[] { 2, 3, 5 }, -2, 2);
        var sr = Rand.Uniform(8, new[] { 3, 1 }, 0, 0.5);
        var wr = Rand.Uniform(9, new[] { 2, 3, 5 });
        using var sT = sr.ToDevice(Dev);
        using var wT = wr.ToDevice(Dev);
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 5);
        var s = g.Parameter("slope", sT);
        var y = g.PRelu(x, s);
        g.Output(y);
        Assert.Equal(x.Shape, y.Shape);
        var loss = g.Loss(g.Sum(g.Mul(y, g.Constant("w", wT)), Array.Empty<int>()));
        var grads = Autodiff.AppendBackward(g, loss, new[] { x, s });
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        Feed(plan, "x", xr);
        plan.Run();
        Approx.Equal(RefElementwise.Binary(BinaryOp.PRelu, xr, sr), plan[y], 1e-6, 1e-6, "prelu");
        var (rdx, rds) = RefElementwise.BinaryBackward(BinaryOp.PRelu, xr, sr, wr);
        Approx.Equal(rdx, plan[grads[x]], 1e-6, 1e-5, "dx");
        Approx.Equal(rds, plan[grads[s]], 1e-5, 1e-5, "dslope");
    }

    [Theory]
    [InlineData(DType.Int32)]
    [InlineData(DType.Int64)]
    [InlineData(DType.UInt8)]
    [InlineData(DType.Bool)]
    [InlineData(DType.Float16)]
    [InlineData(DType.Float32)]
    public void CastMatchesEagerCastAndRoundTrips(DType to)
    {
        var xr = Rand.Uniform(10, new[] { 3, 7 }, 0, 9);
        xr.Data[0] = 0; xr.Data[1] = 2.75;
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 3, 7);
        var c = g.Cast(x, to);
        var back = g.Cast(c, DType.Float32);
        Assert.Equal(to, c.DType);
        g.Output(c, back);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        Feed(plan, "x", xr);
        plan.Run();
        using var ex = xr.ToDevice(Dev);
        using var ec = Ops.Cast(ex, to);
        using var eb = Ops.Cast(ec, DType.Float32);
        Assert.Equal(eb.ToArray<float>(), plan[back].ToArray<float>());
        var expected = xr.Data.Select(v => to switch
        {
            DType.Int32 or DType.Int64 or DType.UInt8 => Math.Truncate(v),
            DType.Bool => v != 0 ? 1.0 : 0.0,
            DType.Float16 => (double)(float)(Half)(float)v,
            _ => (double)(float)v,
        }).ToArray();
        Approx.Equal(new RefTensor(new[] { 3, 7 }, expected), plan[back], 0, 0, $"cast to {to} and back");
    }

    [Fact]
    public void CastFloat32ToFloat32PassesTheGradient()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 4);
        var loss = g.Loss(g.Sum(g.Mul(g.Cast(x, DType.Float32), x), Array.Empty<int>()));
        var grads = Autodiff.AppendBackward(g, loss, new[] { x });
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        plan.Input("x").CopyFrom<float>(new float[] { 1, -2, 3, 0.5f });
        plan.Run();
        Assert.Equal(new float[] { 2, -4, 6, 1 }, plan[grads[x]].ToArray<float>());
    }

    [Theory]
    [InlineData(1, false, false)]
    [InlineData(-1, true, false)]
    [InlineData(0, true, true)]
    [InlineData(2, false, true)]
    public void ArgMaxMatchesEager(int axis, bool keepDims, bool last)
    {
        var xr = Rand.Ints(11, new[] { 3, 4, 5 }, 3);   // many ties: first/last index matters
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 3, 4, 5);
        var y = g.ArgMax(x, axis, keepDims, last);
        g.Output(y);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        Feed(plan, "x", xr);
        plan.Run();
        using var ex = xr.ToDevice(Dev);
        using var ey = Ops.ArgMax(ex, axis, keepDims, last);
        Assert.Equal(DType.Int64, y.DType);
        Assert.Equal(ey.Shape, y.Shape);
        Assert.Equal(ey.ToArray<long>(), plan[y].ToArray<long>());
    }

    [Theory]
    [InlineData(PadMode.Constant)]
    [InlineData(PadMode.Reflect)]
    [InlineData(PadMode.Edge)]
    public void PadForwardAndGradientMatchEager(PadMode mode)
    {
        var p = new PadParams(new[] { 1, 2, -1, 2, 1, 3 }, mode, 0.5f);
        var xr = Rand.Uniform(12, new[] { 3, 4, 5 });
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 3, 4, 5);
        var y = g.Pad(x, p, "pad");
        g.Output(y);
        var wr = Rand.Uniform(13, y.Shape.ToArray());
        using var wT = wr.ToDevice(Dev);
        var loss = g.Loss(g.Sum(g.Mul(y, g.Constant("w", wT)), Array.Empty<int>()));
        var grads = Autodiff.AppendBackward(g, loss, new[] { x });
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        Feed(plan, "x", xr);
        plan.Run();
        using var ex = xr.ToDevice(Dev);
        using var ey = Ops.Pad(ex, p);
        using var edx = Ops.PadBackward(wT, ex.Shape, p);
        Assert.Equal(ey.ToArray<float>(), plan[y].ToArray<float>());
        Assert.Equal(edx.ToArray<float>(), plan[grads[x]].ToArray<float>());
    }

    [Fact]
    public void PadOfInt64Values()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Int64, 2, 2);
        var y = g.Pad(x, new PadParams(new[] { 0, 1, 1, 0 }, PadMode.Constant, 7));
        g.Output(y);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        plan.Input("x").CopyFrom<long>(new long[] { 1, 2, 3, 4 });
        plan.Run();
        Assert.Equal(new long[] { 7, 1, 2, 7, 3, 4, 7, 7, 7 }, plan[y].ToArray<long>());
    }

    [Fact]
    public void SplitMatchesEagerAndItsGradientConcatenatesWithZeros()
    {
        var xr = Rand.Uniform(14, new[] { 3, 9, 2 });
        int[] sizes = { 2, 0, 4, 3 };
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 3, 9, 2);
        var parts = g.Split(x, -2, sizes, "split");
        Assert.Equal(4, parts.Length);
        // Parts 0 and 3 reach the loss; part 2 is computed but unused; part 1 is empty.
        var w0 = Rand.Uniform(15, parts[0].Shape.ToArray());
        var w3 = Rand.Uniform(16, parts[3].Shape.ToArray());
        using var w0T = w0.ToDevice(Dev);
        using var w3T = w3.ToDevice(Dev);
        var l0 = g.Sum(g.Mul(parts[0], g.Constant("w0", w0T)), Array.Empty<int>());
        var l3 = g.Sum(g.Mul(parts[3], g.Constant("w3", w3T)), Array.Empty<int>());
        var loss = g.Loss(g.Add(l0, l3));
        g.Output(parts);
        var grads = Autodiff.AppendBackward(g, loss, new[] { x });
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        Feed(plan, "x", xr);
        plan.Run();
        using var ex = xr.ToDevice(Dev);
        var eager = Ops.Split(ex, 1, sizes);
        for (int k = 0; k < sizes.Length; k++)
        {
            Assert.Equal(eager[k].Shape, parts[k].Shape);
            Assert.Equal(eager[k].ToArray<float>(), plan[parts[k]].ToArray<float>());
            eager[k].Dispose();
        }
        var expected = new RefTensor(3, 9, 2);
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 9; j++)
                for (int c = 0; c < 2; c++)
                    expected[i, j, c] = j < 2 ? w0[i, j, c] : j >= 6 ? w3[i, j - 6, c] : 0;
        Approx.Equal(expected, plan[grads[x]], 0, 0, "dx of split");
    }

    private static (GraphBuilder G, Value[] Outputs) OptimizerGraph(bool adam, int[][] shapes, object p)
    {
        var g = new GraphBuilder();
        var r = g.Input("R", DType.Float32);
        var t = g.Input("T", DType.Int64);
        int groups = adam ? 4 : 3;
        var tensors = new List<Value>();
        string[] names = { "X", "G", "V", "H" };
        for (int k = 0; k < groups; k++)
            for (int i = 0; i < shapes.Length; i++) tensors.Add(g.Input($"{names[k]}{i}", DType.Float32, shapes[i]));
        var outs = adam ? g.AdamStep(r, t, tensors, (AdamParams)p, "adam") : g.MomentumStep(r, t, tensors, (MomentumParams)p, "momentum");
        g.Output(outs);
        return (g, outs);
    }

    [Fact]
    public void AdamGraphMatchesEagerOnnxSteps()
    {
        int[][] shapes = { new[] { 3, 5 }, new[] { 37 } };
        var p = new AdamParams(0f, 0.8f, 0.95f, 1e-4f, WeightDecay: 0.01f, NormCoefficientPost: 0.02f, Mode: OptimizerMode.DecayedRate);
        var (g, outs) = OptimizerGraph(true, shapes, p);
        Assert.Equal(6, outs.Length);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        var data = new Dictionary<string, RefTensor>();
        string[] names = { "X", "G", "V", "H" };
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < 2; i++)
            {
                var v = Rand.Uniform(20 + 10 * k + i, shapes[i], k == 3 ? 0 : -1, 1);
                data[$"{names[k]}{i}"] = v;
                Feed(plan, $"{names[k]}{i}", v);
            }
        foreach (var (r, t) in new[] { (0.1f, 0L), (0.05f, 3L) })
        {
            plan.Input("R").CopyFrom<float>(new[] { r });
            plan.Input("T").CopyFrom<long>(new[] { t });
            plan.Run();
            var step = p with { LearningRate = r, Step = t };
            for (int i = 0; i < 2; i++)
            {
                using var x = data[$"X{i}"].ToDevice(Dev);
                using var gr = data[$"G{i}"].ToDevice(Dev);
                using var v = data[$"V{i}"].ToDevice(Dev);
                using var h = data[$"H{i}"].ToDevice(Dev);
                Ops.AdamStep(x, gr, v, h, step);
                Assert.Equal(x.ToArray<float>(), plan[outs[i]].ToArray<float>());
                Assert.Equal(v.ToArray<float>(), plan[outs[2 + i]].ToArray<float>());
                Assert.Equal(h.ToArray<float>(), plan[outs[4 + i]].ToArray<float>());
                var (rx, _, _) = RefOptimizer.AdamStep(data[$"X{i}"], data[$"G{i}"], data[$"V{i}"], data[$"H{i}"], step);
                Approx.Equal(rx, plan[outs[i]], 1e-6, 1e-5, $"adam X{i} vs reference");
                // Inputs are left as they were: the op writes the new values into its outputs.
                Assert.Equal(data[$"X{i}"].ToFloats(), plan.Input($"X{i}").ToArray<float>());
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MomentumGraphMatchesEagerOnnxSteps(bool nesterov)
    {
        int[][] shapes = { new[] { 4, 4 } };
        var p = new MomentumParams(0f, Momentum: 0.9f, Dampening: 0.3f, WeightDecay: 0.01f, Nesterov: nesterov, Mode: OptimizerMode.DecayedRate);
        var (g, outs) = OptimizerGraph(false, shapes, p);
        Assert.Equal(2, outs.Length);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        var xr = Rand.Uniform(40, shapes[0]);
        var gr = Rand.Uniform(41, shapes[0]);
        var vr = Rand.Uniform(42, shapes[0]);
        Feed(plan, "X0", xr); Feed(plan, "G0", gr); Feed(plan, "V0", vr);
        foreach (var t in new[] { 0L, 5L })
        {
            plan.Input("R").CopyFrom<float>(new[] { 0.1f });
            plan.Input("T").CopyFrom<long>(new[] { t });
            plan.Run();
            var step = p with { LearningRate = 0.1f, Step = t };
            using var x = xr.ToDevice(Dev);
            using var gg = gr.ToDevice(Dev);
            using var v = vr.ToDevice(Dev);
            Ops.MomentumStep(x, gg, v, step);
            Assert.Equal(x.ToArray<float>(), plan[outs[0]].ToArray<float>());
            Assert.Equal(v.ToArray<float>(), plan[outs[1]].ToArray<float>());
            var (rx, rv) = RefOptimizer.MomentumStep(xr, gr, vr, step);
            Approx.Equal(rx, plan[outs[0]], 1e-6, 1e-5, "momentum X vs reference");
            Approx.Equal(rv, plan[outs[1]], 1e-6, 1e-5, "momentum V vs reference");
        }
    }

    [Theory]
    [InlineData("test_adam")]
    [InlineData("test_adam_multiple")]
    [InlineData("test_momentum")]
    [InlineData("test_momentum_multiple")]
    [InlineData("test_nesterov_momentum")]
    public void OptimizerGraphOpsMatchOnnxBackendTestData(string name)
    {
        string dir = Path.Combine("/usr/share/libonnx-testdata/data/node", name);
        Requirement.Require(File.Exists(Path.Combine(dir, "model.onnx")), $"ONNX backend test data not found at {dir} (Debian package libonnx-testdata)");
        var node = Conformance.OnnxMini.ReadSingleNode(File.ReadAllBytes(Path.Combine(dir, "model.onnx")));
        var inputs = Enumerable.Range(0, node.Inputs.Count)
            .Select(i => Conformance.OnnxMini.ReadTensor(File.ReadAllBytes(Path.Combine(dir, "test_data_set_0", $"input_{i}.pb")))).ToArray();
        var expected = Enumerable.Range(0, node.Outputs.Count)
            .Select(i => Conformance.OnnxMini.ReadTensor(File.ReadAllBytes(Path.Combine(dir, "test_data_set_0", $"output_{i}.pb")))).ToArray();
        bool adam = node.OpType == "Adam";
        float alpha = node.Floats["alpha"], beta = node.Floats["beta"], norm = node.Floats.GetValueOrDefault("norm_coefficient");
        object p = adam
            ? new AdamParams(0f, alpha, beta, node.Floats.TryGetValue("epsilon", out var e) ? e : name == "test_adam_multiple" ? 1e-2f : 1e-6f,
                norm, NormCoefficientPost: node.Floats.GetValueOrDefault("norm_coefficient_post"), Mode: OptimizerMode.DecayedRate)
            : new MomentumParams(0f, alpha, 1 - beta, norm, node.Strings.GetValueOrDefault("mode") == "nesterov", Mode: OptimizerMode.DecayedRate);
        int groups = adam ? 4 : 3, n = (inputs.Length - 2) / groups;
        var shapes = Enumerable.Range(0, n).Select(i => inputs[2 + i].Shape).ToArray();
        var (g, outs) = OptimizerGraph(adam, shapes, p);
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        plan.Input("R").CopyFrom<float>(new[] { (float)inputs[0].Data[0] });
        plan.Input("T").CopyFrom<long>(new[] { (long)inputs[1].Data[0] });
        string[] names = { "X", "G", "V", "H" };
        for (int k = 0; k < groups; k++)
            for (int i = 0; i < n; i++) Feed(plan, $"{names[k]}{i}", inputs[2 + k * n + i]);
        plan.Run();
        Assert.Equal(expected.Length, outs.Length);
        for (int o = 0; o < outs.Length; o++) Approx.Equal(expected[o], plan[outs[o]], 1e-6, 1e-5, $"{name} output {o}");
    }
}
