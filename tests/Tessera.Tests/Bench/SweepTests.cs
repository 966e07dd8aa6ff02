using Tessera.Bench;
using Tessera.Tests.Support;

namespace Tessera.Tests.Bench;

/// <summary><c>tessera bench --shape</c>: parsing the sizes and building the cases of a sweep.</summary>
public class SweepTests
{
    private static string Text(IReadOnlyList<int[]> sizes) => string.Join(",", sizes.Select(s => string.Join("x", s)));

    [Theory]
    [InlineData("128:1024", "128,256,512,1024")]
    [InlineData("128:512:128", "128,256,384,512")]
    [InlineData("256, 1k,2K", "256,1024,2048")]
    [InlineData("1M", "1048576")]
    [InlineData("64x128x256,32", "64x128x256,32")]
    [InlineData("100:700", "100,200,400")]
    public void SizesParse(string spec, string expected) => Assert.Equal(expected, Text(BenchCatalog.ParseSizes(spec)));

    [Theory]
    [InlineData("abc")]
    [InlineData("512:128")]
    [InlineData("1:2:3:4")]
    [InlineData("4x4")]
    [InlineData("1:100000:1")]
    [InlineData(",")]
    public void BadSizesAreRefusedByName(string spec)
    {
        var e = Assert.Throws<TesseraArgumentException>(() => BenchCatalog.ParseSizes(spec));
        Assert.Contains("--shape", e.Message);
    }

    [Fact]
    public void EveryOpOfTheCatalogSweeps() =>
        Assert.Equal(BenchCatalog.OpNames.Order(), BenchCatalog.SweepOps.Order());

    [Fact]
    public void GemmSweepVariesMNKAndVerifies()
    {
        var cases = BenchCatalog.Sweep(["gemm"], BenchCatalog.ParseSizes("32:128"));
        Assert.Equal(["gemm", "gemm", "gemm"], cases.Select(c => c.Op));
        Assert.Equal([32.0, 64, 128], cases.Select(c => c.SweepValue!.Value));
        Assert.All(cases, c => Assert.Equal("M=N=K", c.SweepAxis));
        Assert.Equal(2.0 * 64 * 64 * 64, cases[1].Work.Flops);
        var report = BenchRunner.Run(TestDevices.Cpu, new BenchSettings(Threads: 1, Time: false, Cases: cases));
        Assert.All(report.Rows, r => Assert.True(r.Verified, r.VerifyNote));
        Assert.Equal([32.0, 64, 128], report.Rows.Select(r => r.SweepValue!.Value));
        Assert.Equal("sweep", report.Header.Size);
    }

    [Fact]
    public void AttentionPrefixSweepsBothVariantsAndPasses()
    {
        var cases = BenchCatalog.Sweep(["attention"], BenchCatalog.ParseSizes("16,32"));
        Assert.Equal(8, cases.Count); // attention and attention_causal, fwd and bwd, two lengths
        Assert.All(cases, c => Assert.StartsWith("sequence length", c.SweepAxis, StringComparison.Ordinal));
    }

    [Fact]
    public void MnkSizesAreForGemmOnly()
    {
        var e = Assert.Throws<TesseraArgumentException>(() => BenchCatalog.Sweep(["softmax"], BenchCatalog.ParseSizes("4x4x4")));
        Assert.Contains("gemm only", e.Message);
    }
}
