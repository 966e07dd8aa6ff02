using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

/// <summary>Autodiff through a Gemm node whose operands broadcast over batch dimensions (x [B, T, C] · W [C, C] and every
/// other broadcast, each transposition) against central finite differences, in double, of the reference's Gemm:
/// loss = Σ w ⊙ gemm(a, b, bias).</summary>
public class BroadcastGemmGradientTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    public static TheoryData<int[], int[], bool, bool> Cases() => new()
    {
        { [2, 6, 8], [8, 8], false, false },        // the transformer projection
        { [2, 6, 8], [5, 8], false, true },         // … with W stored [Out, In]
        { [2, 8, 6], [8, 5], true, false },         // a transposed: the general path
        { [2, 8, 6], [5, 8], true, true },
        { [6, 8], [3, 8, 5], false, false },        // a shared by every batch of b
        { [6, 8], [3, 5, 8], false, true },
        { [8, 6], [3, 8, 5], true, false },
        { [2, 1, 4, 3], [1, 3, 3, 5], false, false }, // size-1 batch dimensions on both sides
        { [2, 3, 4, 3], [1, 3, 5], false, false },  // b's batch one of size 1
        { [3, 4, 3], [2, 1, 3, 5], false, false },  // b of higher rank
        { [2, 6, 8], [1, 8, 8], false, false },     // b with a leading unit batch
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void GradientsMatchFiniteDifferences(int[] aShape, int[] bShape, bool transA, bool transB)
    {
        var p = new GemmParams(transA, transB, Alpha: 0.5f);
        var a = Rand.Uniform(1, aShape);
        var b = Rand.Uniform(2, bShape);
        var cShape = RefLinalg.Gemm(a, b, null, p).Shape;
        var bias = Rand.Uniform(3, [cShape[^1]]);
        var w = Rand.Uniform(4, cShape);

        var g = new GraphBuilder();
        var va = g.Input("a", DType.Float32, aShape);
        var vb = g.Input("b", DType.Float32, bShape);
        var vbias = g.Input("bias", DType.Float32, bias.Shape);
        var y = g.Gemm(va, vb, vbias, p, "gemm");
        using var wt = w.ToDevice(Dev);
        var loss = g.Loss(g.Sum(g.Mul(y, g.Constant("w", wt)), Array.Empty<int>()));
        var grads = Autodiff.AppendBackward(g, loss, new[] { va, vb, vbias });
        using var plan = ExecutionPlan.Compile(g.Graph, Dev);
        plan.Input("a").CopyFrom<float>(a.ToFloats());
        plan.Input("b").CopyFrom<float>(b.ToFloats());
        plan.Input("bias").CopyFrom<float>(bias.ToFloats());
        plan.Run();

        double Loss() => Dot(RefLinalg.Gemm(a, b, bias, p), w);
        var inputs = new (string, RefTensor, Value)[] { ("a", a, va), ("b", b, vb), ("bias", bias, vbias) };
        foreach (var (name, t, v) in inputs)
        {
            Assert.Equal(t.Shape, grads[v].Shape.ToArray());
            var numeric = FiniteDiff.Numeric(t, Loss);
            Approx.Equal(numeric, plan[grads[v]], 1e-4, 1e-4, $"d loss / d {name}");
        }
    }

    [Fact]
    public void TheSharedWeightTakesOneProductOverTheRows()
    {
        // x [B, T, C] · W [C, C]: dW is one [C, B·T]·[B·T, C] product, not a per-batch product summed afterwards.
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 6, 8);
        var w = g.Input("w", DType.Float32, 8, 8);
        var loss = g.Loss(g.Sum(g.MatMul(x, w, "mm"), Array.Empty<int>()));
        var grads = Autodiff.AppendBackward(g, loss, new[] { w });
        var producer = g.Graph.Nodes.Single(n => n.Name == "d_mm_b");
        Assert.Equal(new Shape(8, 8), producer.Outputs[0].Shape);
        Assert.DoesNotContain(g.Graph.Nodes, n => n.Name == "d_mm_b_sum");
        Assert.Equal(new Shape(8, 8), grads[w].Shape);
    }

    private static double Dot(RefTensor a, RefTensor b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a.Data[i] * b.Data[i];
        return s;
    }
}
