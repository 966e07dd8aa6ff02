using Tessera.Graph;
using Tessera.Graph.Execution;
using Tessera.Kernels;
using Tessera.Memory;
using Tessera.Tests.Onnx;
using Tessera.Tests.Support;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Reliability;

/// <summary>The limits a user sets (issue 13, Deliver 3) and the one check every allocating path passes (D6): a tensor
/// or graph value beyond <see cref="MemoryLimits.MaxTensorElements"/>, a plan beyond
/// <see cref="MemoryLimits.MaxIntermediateBytes"/> and a pool beyond <see cref="MemoryLimits.MaxPoolBytes"/> are
/// refused before anything is allocated.</summary>
[Collection(nameof(LimitsCollection))]
public class MemoryLimitsTests
{
    private static readonly MemoryLimits OneGiB = MemoryLimits.ForMemory(1L << 30);

    private static (string, Tessera.Onnx.OnnxTensor) X => ("x", Floats("x", new float[6], 2, 3));

    [Fact]
    public void D6_an_onnx_pad_to_70002_by_70003_is_refused_before_allocation()
    {
        using var limits = new LimitsScope(OneGiB);
        using var device = new Tessera.Cpu.CpuDevice();
        var m = new ImportModels().Input("x", 2, 3).InitInts("pads", [0, 0, 70000, 70000], 4).Output("y").Node("Pad", ["x", "pads"], ["y"]);
        using var program = new Tessera.Onnx.OnnxProgram(m.Build(), device);
        var e = Assert.Throws<TesseraShapeException>(() => program.Run(new Dictionary<string, Tessera.Onnx.OnnxTensor> { ["x"] = X.Item2 }));
        Assert.Contains("[70002, 70003]", e.Message);
        Assert.Contains("exceed the limit", e.Message);
        Assert.True(device.Memory.Stats.PeakBytes < (1L << 20), "nothing large was allocated");
    }

    [Fact]
    public void D6_an_onnx_expand_to_2_to_the_32_elements_is_refused_before_allocation()
    {
        using var limits = new LimitsScope(OneGiB);
        var m = new ImportModels().Input("x", 1, 1).InitInts("s", [65536, 65536], 2).Output("y").Node("Expand", ["x", "s"], ["y"]);
        var e = Assert.Throws<TesseraShapeException>(() => m.Run(("x", Floats("x", [1], 1, 1))));
        Assert.Contains("n0_Expand", e.Message);
        Assert.Contains("exceed the limit", e.Message);
    }

    [Fact]
    public void D6_constant_of_shape_and_eager_pad_pass_the_same_check()
    {
        using var limits = new LimitsScope(OneGiB);
        var c = new ImportModels().Input("x", 2, 3).InitInts("dims", [30000, 30000], 2).Output("y").Node("ConstantOfShape", ["dims"], ["y"]);
        Assert.Contains("exceed the limit", Assert.Throws<TesseraShapeException>(() => c.Run(X)).Message);
        using var scope = TensorScope.Begin();
        var x = Tensor.Zeros(TestDevices.Cpu, DType.Float32, 2, 3);
        var e = Assert.Throws<TesseraShapeException>(() => Ops.Pad(x, new PadParams([0, 0, 70000, 70000], PadMode.Constant, 0)));
        Assert.Contains("exceed the limit", e.Message);
    }

    [Fact]
    public void A_graph_value_beyond_the_element_limit_is_refused_naming_the_node()
    {
        using var limits = new LimitsScope(OneGiB with { MaxTensorElements = 1000 });
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 10, 10);
        var e = Assert.Throws<TesseraShapeException>(() => g.Apply1(new Tessera.Graph.Operators.ExpandGraphOp([100, 10, 10]), "big", x));
        Assert.StartsWith("big:", e.Message);
        Assert.Throws<TesseraShapeException>(() => g.Input("huge", DType.Float32, 1000, 10));
    }

    [Fact]
    public void A_tensor_beyond_the_byte_limit_is_an_out_of_memory_error_before_allocation()
    {
        using var limits = new LimitsScope(MemoryLimits.ForMemory(1L << 20) with { MaxTensorElements = 1L << 30 });
        var before = TestDevices.Cpu.Memory.Stats.Allocations;
        var e = Assert.Throws<TesseraOutOfMemoryException>(() => Tensor.Empty(TestDevices.Cpu, DType.Float32, 1024, 1024));
        Assert.Contains("MaxPoolBytes", e.Message);
        Assert.Equal(before, TestDevices.Cpu.Memory.Stats.Allocations);
    }

    [Fact]
    public void A_plan_whose_arena_exceeds_the_intermediate_limit_is_refused()
    {
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 256, 256);
        g.Output(g.Relu(g.Relu(x)));
        using (new LimitsScope(OneGiB with { MaxIntermediateBytes = 1024 }))
        {
            var e = Assert.Throws<TesseraOutOfMemoryException>(() => ExecutionPlan.Compile(g.Graph, TestDevices.Cpu));
            Assert.Contains("MaxIntermediateBytes", e.Message);
        }
        using var plan = ExecutionPlan.Compile(g.Graph, TestDevices.Cpu);
        Assert.True(plan.ArenaBytes > 1024);
    }

    [Fact]
    public void A_pool_frees_its_cache_to_stay_under_its_limit_and_refuses_what_cannot_fit()
    {
        using var pool = new Tessera.Cpu.CpuMemoryPool { MaxBytes = 1 << 20 };
        using (pool.Rent(600 << 10)) { }                      // cached: 640 KiB
        using var kept = pool.Rent(100 << 10);
        long allocations = pool.Stats.Allocations;
        var e = Assert.Throws<TesseraOutOfMemoryException>(() => pool.Rent(1000 << 10));
        Assert.Contains("limit of 1048576", e.Message);
        Assert.Equal(allocations, pool.Stats.Allocations);     // refused before the system was asked
        using var fits = pool.Rent(800 << 10);                 // fits once the cached 640 KiB go back
        Assert.True(pool.Stats.ReservedBytes <= 1 << 20);
        Assert.Equal(1, pool.Stats.Trims);
    }

    [Fact]
    public void The_global_pool_limit_applies_to_every_pool()
    {
        using var limits = new LimitsScope(OneGiB with { MaxPoolBytes = 1 << 20 });
        using var pool = new Tessera.Cpu.CpuMemoryPool();
        Assert.Throws<TesseraOutOfMemoryException>(() => pool.Rent(2 << 20));
        Assert.Equal(0, pool.Stats.Allocations);
    }

    [Fact]
    public void The_default_is_half_of_physical_memory_and_the_environment_overrides_it()
    {
        string? savedMemory = Environment.GetEnvironmentVariable(MemoryLimits.MemoryVariable);
        string? savedElements = Environment.GetEnvironmentVariable(MemoryLimits.ElementsVariable);
        try
        {
            Environment.SetEnvironmentVariable(MemoryLimits.MemoryVariable, null);
            Environment.SetEnvironmentVariable(MemoryLimits.ElementsVariable, null);
            var d = MemoryLimits.FromEnvironment();
            Assert.Equal((long)(MemoryLimits.PhysicalMemory * MemoryLimits.DefaultShare), d.MaxPoolBytes);
            Assert.Equal(d.MaxPoolBytes, d.MaxIntermediateBytes);
            Assert.Equal(d.MaxPoolBytes / 4, d.MaxTensorElements);
            Environment.SetEnvironmentVariable(MemoryLimits.MemoryVariable, "2G");
            Environment.SetEnvironmentVariable(MemoryLimits.ElementsVariable, "12345");
            var e = MemoryLimits.FromEnvironment();
            Assert.Equal(2L << 30, e.MaxPoolBytes);
            Assert.Equal(12345, e.MaxTensorElements);
            Environment.SetEnvironmentVariable(MemoryLimits.ElementsVariable, "many");
            Assert.Contains(MemoryLimits.ElementsVariable, Assert.Throws<TesseraArgumentException>(() => MemoryLimits.FromEnvironment()).Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable(MemoryLimits.MemoryVariable, savedMemory);
            Environment.SetEnvironmentVariable(MemoryLimits.ElementsVariable, savedElements);
        }
    }

    [Theory]
    [InlineData("1024", 1024L)]
    [InlineData("4K", 4096L)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData(" 2 gb ", 2L << 30)]
    [InlineData("1T", 1L << 40)]
    public void Sizes_are_read_with_binary_suffixes(string text, long expected) =>
        Assert.Equal(expected, MemoryLimits.ParseBytes(text, "test", "size"));

    [Theory]
    [InlineData("")]
    [InlineData("lots")]
    [InlineData("-1G")]
    [InlineData("0")]
    [InlineData("4X")]
    [InlineData("1e30")]
    public void Unreadable_sizes_are_refused_naming_the_argument(string text) =>
        Assert.Contains("argument 'size'", Assert.Throws<TesseraArgumentException>(() => MemoryLimits.ParseBytes(text, "test", "size")).Message);

    [Fact]
    public void Invalid_limits_are_refused()
    {
        Assert.Throws<TesseraArgumentException>(() => MemoryLimits.Current = OneGiB with { MaxPoolBytes = 0 });
        Assert.Throws<TesseraArgumentException>(() => MemoryLimits.ForMemory(-1));
    }
}
