using System.Text.RegularExpressions;
using Tessera.Gpu;
using Tessera.Kernels;

namespace Tessera.Tests.Gpu;

/// <summary>The portable kernel sources as embedded in Tessera.Gpu: every family present, op codes in step with the C#
/// enums they mirror, program text for both dialects.</summary>
public class GpuSourceTests
{
    [Fact]
    public void EveryFamilyIsEmbedded()
    {
        Assert.Equal(new[] { "attention", "conv", "core", "elementwise", "linalg", "norm", "optimizer", "reduction", "shape" }, GpuSources.Families);
    }

    [Theory]
    [InlineData("U_", typeof(UnaryOp))]
    [InlineData("B_", typeof(BinaryOp))]
    [InlineData("C_", typeof(CompareOp))]
    public void ElementwiseOpCodesFollowTheEnums(string prefix, Type enumType)
    {
        var text = GpuSources.Read("portable/elementwise.h");
        var codes = Regex.Matches(text, $@"#define {prefix}([A-Z_]+) (\d+)")
            .ToDictionary(m => m.Groups[1].Value.Replace("_", ""), m => int.Parse(m.Groups[2].Value));
        foreach (var value in Enum.GetValues(enumType))
        {
            string name = value.ToString()!.ToUpperInvariant();
            Assert.True(codes.TryGetValue(name, out int code), $"elementwise.h has no {prefix} code for {enumType.Name}.{value}");
            Assert.Equal((int)value, code);
        }
        Assert.Equal(Enum.GetValues(enumType).Length, codes.Count);
    }

    [Theory]
    [InlineData(GpuDialect.Cuda, "extern \"C\" __global__")]
    [InlineData(GpuDialect.OpenCL, "__kernel")]
    public void ProgramsStartWithTheirDialect(GpuDialect dialect, string kernelMacro)
    {
        foreach (var family in GpuSources.Families)
        {
            var text = GpuSources.Program(dialect, family);
            Assert.Contains($"#define KERNEL {kernelMacro}", text);
            Assert.Contains("#line 1 \"portable/common.h\"", text);
            Assert.Contains($"#line 1 \"portable/{family}.h\"", text);
            Assert.DoesNotContain(text, c => c > 127); // NVRTC and OpenCL compilers get ASCII only
        }
        var e = Assert.Throws<TesseraBackendException>(() => GpuSources.Program(dialect, "nonesuch"));
        Assert.Contains("no kernel family 'nonesuch'", e.Message);
    }
}
