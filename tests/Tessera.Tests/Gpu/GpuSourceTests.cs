using Tessera.Gpu;
using Tessera.Kernels;

namespace Tessera.Tests.Gpu;

/// <summary>The portable kernel sources as embedded in Tessera.Gpu: every family present, op codes in step with the C#
/// enums they mirror (and a case per op in each element-wise switch), program text for both dialects.</summary>
public class GpuSourceTests
{
    [Fact]
    public void EveryFamilyIsEmbedded()
    {
        Assert.Equal(new[] { "attention", "conv", "core", "elementwise", "linalg", "norm", "optimizer", "reduction", "shape" }, GpuSources.Families);
    }

    public static TheoryData<Type> OpEnums() => new(PortableSource.Codes.Keys);

    [Theory]
    [MemberData(nameof(OpEnums))]
    public void OpCodesFollowTheEnums(Type enumType)
    {
        var (file, prefix) = PortableSource.Codes[enumType];
        foreach (Enum value in Enum.GetValues(enumType))
        {
            int? code = PortableSource.CodeOf(value);
            Assert.True(code.HasValue, $"{file} has no {prefix} code for {enumType.Name}.{value}");
            Assert.Equal(Convert.ToInt32(value), code);
        }
        Assert.Equal(Enum.GetValues(enumType).Length, PortableSource.Defines(file, prefix).Count);
    }

    [Theory]
    [InlineData(typeof(UnaryOp))]
    [InlineData(typeof(BinaryOp))]
    [InlineData(typeof(CompareOp))]
    public void ElementwiseSwitchesHaveACasePerOp(Type enumType)
    {
        foreach (Enum value in Enum.GetValues(enumType))
            Assert.True(!PortableSource.SwitchesWithoutCase(value).Any(),
                $"{enumType.Name}.{value}: no case in {string.Join(", ", PortableSource.SwitchesWithoutCase(value))}");
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
