using Tessera.Devices;
using Tessera.Gpu;
using Tessera.Gpu.Kernels;
using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.Coverage;

/// <summary>The op table: one entry per kind, consistent gradient relations, and the Supports answers of every backend
/// pinned to what the backends' own switches answered before the table replaced them.</summary>
public class OpTableTests
{
    /// <summary>The rule CpuDevice and GpuKernels each spelled out before <see cref="OpTable"/>.</summary>
    private static bool SupportedBefore(OpKind op, DType dtype) => op switch
    {
        OpKind.Copy or OpKind.Fill or OpKind.Cast or OpKind.Concat or OpKind.Gather or OpKind.Pad => true,
        OpKind.Compare => dtype is DType.Float32 or DType.Int32 or DType.Int64 or DType.Bool or DType.UInt8,
        OpKind.Where => dtype is DType.Float32 or DType.Int32 or DType.Int64 or DType.Bool,
        OpKind.LogicalNot => dtype == DType.Bool,
        _ => dtype == DType.Float32,
    };

    /// <summary>A runtime for asking the GPU kernels what they support, which launches nothing (its device is the CPU,
    /// whose default stream the kernels are bound to).</summary>
    private sealed class NoRuntime : IGpuRuntime
    {
        public GpuDialect Dialect => GpuDialect.OpenCL;
        public IDevice Device => TestDevices.Cpu;
        public GpuFunction Function(string family, string name) => throw new NotSupportedException();
        public void Launch(GpuFunction fn, IStream stream, GpuDim blocks, int threads, ReadOnlySpan<GpuArg> args) => throw new NotSupportedException();
    }

    [Fact]
    public void SupportsAnswersAsBeforeOnEveryBackend()
    {
        using var gpu = new GpuKernels(new NoRuntime(), TestDevices.Cpu.DefaultStream);
        foreach (var op in Enum.GetValues<OpKind>())
            foreach (var dtype in Enum.GetValues<DType>())
            {
                bool expected = SupportedBefore(op, dtype);
                Assert.True(expected == TestDevices.Cpu.Supports(op, dtype), $"CpuDevice.Supports({op}, {dtype}) is not {expected}");
                Assert.True(expected == gpu.Supports(op, dtype), $"GpuKernels.Supports({op}, {dtype}) is not {expected}");
            }
        Assert.False(OpTable.Supports((OpKind)(-1), DType.Float32));
        Assert.Throws<TesseraArgumentException>(() => OpTable.Get((OpKind)999));
    }

    [Fact]
    public void EveryKindHasExactlyOneEntryInOrder() =>
        Assert.Equal(Enum.GetValues<OpKind>(), OpTable.All.Select(e => e.Kind));

    [Fact]
    public void GradientRelationsAreConsistent()
    {
        foreach (var e in OpTable.All)
        {
            var g = e.Gradient;
            Assert.True(e.Kind.ToString().Contains("Backward", StringComparison.Ordinal) == g.IsBackward, $"{e.Kind}: {g}");
            Assert.True(g.IsDifferentiable || g.IsBackward || !string.IsNullOrWhiteSpace(g.Reason), $"{e.Kind}: no gradient and no reason");
            if (g.IsBackward && Enum.TryParse<OpKind>(g.Of, out var forward))
                Assert.Contains(e.Kind, OpTable.Get(forward).Gradient.Kernels);
        }
        Assert.Throws<ArgumentException>(() => OpGradient.By());
    }
}
