using Tessera.Cpu;
using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Graph;

/// <summary>Constant operands packed once per plan (<see cref="ExecutionPlan.PackConstants"/>): a convolution whose
/// weight is a graph constant reads the CPU kernels' packed form from the first run on and computes exactly the bits of
/// the eager, unpacked convolution; a parameter is never packed, so a weight updated between runs gives the new result;
/// turning packing off frees the packs.</summary>
public class ConstantPackingTests
{
    private static CpuDevice Dev => TestDevices.Cpu;

    private static Tensor T(int seed, params int[] shape) => Rand.Uniform(seed, shape).ToDevice(Dev);

    /// <summary>Convolutions on the GEMM path, named after what they cover (see <see cref="Case"/>).</summary>
    public static TheoryData<string> Shapes() => new()
    {
        "3x3 deep",      // depth 576 crosses the SGEMM's depth block; 40 rows are no multiple of its 6-row panels
        "grouped s2",
        "pointwise residual",
        "many rows",     // 3100 output channels: more rows than one packed slab
        "wide",          // 4900 output positions: more than one column block
        "batch",         // small products spread over threads, one per sample
    };

    private static (Tensor X, Tensor W, Tensor? B, Tensor? R, Conv2dParams P) Case(string name) => name switch
    {
        "3x3 deep" => (T(1, 1, 64, 9, 9), T(2, 40, 64, 3, 3), T(3, 40), null, Conv2dParams.Square(1, 1) with { Epilogue = Epilogue.Relu }),
        "grouped s2" => (T(4, 2, 12, 10, 10), T(5, 18, 4, 3, 3), T(6, 18), null, Conv2dParams.Square(2, 1) with { Groups = 3 }),
        "pointwise residual" => (T(7, 1, 24, 14, 14), T(8, 50, 24, 1, 1), T(9, 50), T(10, 1, 50, 14, 14),
            Conv2dParams.Square(1, 0) with { Epilogue = Epilogue.Relu6 }),
        "many rows" => (T(11, 1, 1, 10, 10), T(12, 3100, 1, 3, 3), null, null, Conv2dParams.Square(1, 1)),
        "wide" => (T(13, 1, 8, 70, 70), T(14, 40, 8, 3, 3), T(15, 40), null, Conv2dParams.Square(1, 1)),
        "batch" => (T(16, 3, 16, 6, 6), T(17, 24, 16, 3, 3), T(18, 24), null, Conv2dParams.Square(1, 1)),
        _ => throw new ArgumentException(name),
    };

    /// <summary>A plan computing conv(x, w) with w bound as <paramref name="kind"/> (x is the plan's input "x").</summary>
    private static (ExecutionPlan Plan, Value Y) Compile(Tensor x, Tensor w, Tensor? b, Tensor? r, Conv2dParams p, ValueKind kind)
    {
        var g = new GraphBuilder();
        var xv = g.Input("x", DType.Float32, x.Shape.ToArray());
        var wv = kind == ValueKind.Constant ? g.Constant("w", w) : g.Parameter("w", w);
        var bv = b is null ? null : g.Constant("b", b);
        var rv = r is null ? null : g.Constant("r", r);
        var y = g.Conv2d(xv, wv, bv, p, rv, "conv");
        g.Output(y);
        var plan = ExecutionPlan.Compile(g.Graph, Dev);
        plan.Input("x").CopyFrom<float>(x.ToArray<float>());
        return (plan, y);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void PackedConstantWeightGivesTheUnpackedBits(string shape)
    {
        using var scope = TensorScope.Begin();
        var (x, w, b, r, p) = Case(shape);
        var expected = Ops.Conv2d(x, w, b, p, r).ToArray<float>();
        var (plan, y) = Compile(x, w, b, r, p, ValueKind.Constant);
        using (plan)
        {
            Assert.True(plan.PackConstants);
            Assert.Equal(0, plan.PackedBytes);
            plan.Run();
            Assert.True(plan.PackedBytes >= w.ElementCount * sizeof(float), $"the weight was not packed ({plan.PackedBytes} bytes)");
            Assert.Equal(expected, plan[y].ToArray<float>());
            plan[y].CopyFrom<float>(new float[expected.Length]);
            plan.Run();   // from the pack made by the first run
            Assert.Equal(expected, plan[y].ToArray<float>());
        }
    }

    [Fact]
    public void PackingOffFreesThePacksAndGivesTheSameBits()
    {
        using var scope = TensorScope.Begin();
        var (x, w, b, r, p) = Case("3x3 deep");
        var (plan, y) = Compile(x, w, b, r, p, ValueKind.Constant);
        using (plan)
        {
            plan.Run();
            var packed = plan[y].ToArray<float>();
            Assert.True(plan.PackedBytes > 0);
            plan.PackConstants = false;
            Assert.Equal(0, plan.PackedBytes);
            plan.Run();
            Assert.Equal(0, plan.PackedBytes);
            Assert.Equal(packed, plan[y].ToArray<float>());
            plan.PackConstants = true;
            plan.Run();
            Assert.True(plan.PackedBytes > 0);
            Assert.Equal(packed, plan[y].ToArray<float>());
        }
    }

    [Fact]
    public void ParameterUpdatedBetweenRunsGivesTheNewResult()
    {
        using var scope = TensorScope.Begin();
        var (x, w, b, r, p) = Case("3x3 deep");
        var (plan, y) = Compile(x, w, b, r, p, ValueKind.Parameter);
        using (plan)
        {
            plan.Run();
            Assert.Equal(Ops.Conv2d(x, w, b, p, r).ToArray<float>(), plan[y].ToArray<float>());
            Assert.Equal(0, plan.PackedBytes);
            // An optimizer step writes the parameter in place; here a kernel does.
            using var updated = T(99, w.Shape.ToArray());
            Dev.Kernels.Copy(updated, w);
            plan.Run();
            Assert.Equal(Ops.Conv2d(x, updated, b, p, r).ToArray<float>(), plan[y].ToArray<float>());
            Assert.Equal(0, plan.PackedBytes);
        }
    }

    [Fact]
    public void ConvolutionsThatReadTheirWeightAsItIsPackNothing()
    {
        using var scope = TensorScope.Begin();
        // Depthwise (one filter per channel) and the direct path of small layers (LeNet's second convolution: 10×10
        // outputs fill too few of the padded-row path's tiles) do not use the GEMM's panels.
        foreach (var (x, w, p) in new[]
        {
            (T(20, 1, 8, 12, 12), T(21, 8, 1, 3, 3), Conv2dParams.Square(1, 1) with { Groups = 8 }),
            (T(22, 1, 6, 14, 14), T(23, 16, 6, 5, 5), Conv2dParams.Square()),
        })
        {
            var (plan, y) = Compile(x, w, null, null, p, ValueKind.Constant);
            using (plan)
            {
                plan.Run();
                Assert.Equal(0, plan.PackedBytes);
                Assert.Equal(Ops.Conv2d(x, w, null, p).ToArray<float>(), plan[y].ToArray<float>());
            }
        }
    }

    /// <summary>Products whose B operand is a constant weight, named after what they cover.</summary>
    public static TheoryData<string> Products() => new() { "linear", "gemm NN deep", "matmul batched", "gemm NT gelu" };

    private static (Tensor A, Tensor B, Tensor? Bias, Func<GraphBuilder, Value, Value, Value?, Value> Build, Func<Tensor> Eager) Product(string name)
    {
        var a = name switch { "linear" => T(30, 12, 33), "gemm NN deep" => T(31, 20, 600), "matmul batched" => T(32, 3, 7, 33), _ => T(33, 9, 40) };
        var b = name switch { "linear" => T(34, 45, 33), "gemm NN deep" => T(35, 600, 70), "matmul batched" => T(36, 33, 50), _ => T(37, 70, 40) };
        var bias = name switch { "linear" => T(38, 45), "gemm NT gelu" => T(39, 70), _ => null };
        var gelu = new GemmParams(TransB: true, Epilogue: Epilogue.Gelu(approximate: false));
        return name switch
        {
            "linear" => (a, b, bias, (g, av, bv, cv) => g.Linear(av, bv, cv, "fc"), () => Ops.Gemm(a, b, bias, new GemmParams(TransB: true))),
            "gemm NN deep" => (a, b, bias, (g, av, bv, _) => g.Gemm(av, bv, null, new GemmParams(), "fc"), () => Ops.Gemm(a, b, null, new GemmParams())),
            "matmul batched" => (a, b, bias, (g, av, bv, _) => g.MatMul(av, bv, "fc"), () => Ops.MatMul(a, b)),
            _ => (a, b, bias, (g, av, bv, cv) => g.Gemm(av, bv, cv, gelu, "fc"), () => Ops.Gemm(a, b, bias, gelu)),
        };
    }

    [Theory]
    [MemberData(nameof(Products))]
    public void PackedConstantLayerWeightGivesTheUnpackedBits(string name)
    {
        using var scope = TensorScope.Begin();
        var (a, b, bias, build, eager) = Product(name);
        var expected = eager().ToArray<float>();
        foreach (var kind in new[] { ValueKind.Constant, ValueKind.Parameter })
        {
            var g = new GraphBuilder();
            var av = g.Input("a", DType.Float32, a.Shape.ToArray());
            var bv = kind == ValueKind.Constant ? g.Constant("b", b) : g.Parameter("b", b);
            var y = build(g, av, bv, bias is null ? null : g.Constant("bias", bias));
            g.Output(y);
            using var plan = ExecutionPlan.Compile(g.Graph, Dev);
            plan.Input("a").CopyFrom<float>(a.ToArray<float>());
            plan.Run();
            plan.Run();
            Assert.Equal(expected, plan[y].ToArray<float>());
            if (kind == ValueKind.Constant) Assert.True(plan.PackedBytes >= b.ElementCount * sizeof(float), $"{name}: the weight was not packed");
            else Assert.Equal(0, plan.PackedBytes);
        }
    }
}
