using Tessera.Bench;

namespace Tessera.Tests.Bench;

/// <summary>FLOP and byte formulas checked against counts done by hand.</summary>
public class WorkAccountingTests
{
    [Fact]
    public void Gemm()
    {
        // C[2,3] = A[2,4]·B[4,3]: 2·3 outputs × 4 multiply-adds = 48 FLOPs; (8 + 12 + 6) floats = 104 bytes.
        var w = Work.Gemm(m: 2, n: 3, k: 4);
        Assert.Equal(48, w.Flops);
        Assert.Equal(104, w.Bytes);
        var b = Work.Gemm(2, 3, 4, batch: 5);
        Assert.Equal(240, b.Flops);
        Assert.Equal(520, b.Bytes);
    }

    [Fact]
    public void Conv2d()
    {
        // x [1,2,5,5], w [3,2,3,3], y [1,3,5,5]: 75 outputs × 18 taps × 2 = 2700 FLOPs; (50 + 54 + 75) floats = 716 bytes.
        var w = Work.Conv2d(n: 1, c: 2, h: 5, w: 5, k: 3, r: 3, s: 3, ho: 5, wo: 5);
        Assert.Equal(2700, w.Flops);
        Assert.Equal(716, w.Bytes);
        // Two groups, K = 4: each output sees C/groups = 1 input channel → 100 outputs × 9 taps × 2; w is [4, 1, 3, 3].
        var g = Work.Conv2d(n: 1, c: 2, h: 5, w: 5, k: 4, r: 3, s: 3, ho: 5, wo: 5, groups: 2);
        Assert.Equal(100 * 9 * 2, g.Flops);
        Assert.Equal(4 * (50 + 4 * 1 * 9 + 100), g.Bytes);
    }

    [Fact]
    public void Attention()
    {
        // B1 H2 T8 D4: QKᵀ and PV are 2·T²·D each per head → 4·2·64·4 = 2048; causal halves it; backward is 2.5×.
        Assert.Equal(2048, Work.AttentionForward(1, 2, 8, 4, causal: false).Flops);
        Assert.Equal(1024, Work.AttentionForward(1, 2, 8, 4, causal: true).Flops);
        Assert.Equal(5120, Work.AttentionBackward(1, 2, 8, 4, causal: false).Flops);
        // q, k, v, o: 4 × 64 floats, + lse 16 floats = 272 floats.
        Assert.Equal(272 * 4, Work.AttentionForward(1, 2, 8, 4, causal: false).Bytes);
    }

    [Fact]
    public void OptimizersAndElementwise()
    {
        Assert.Equal(28 * 10, Work.Adam(10).Bytes);        // p, g, m, v read; p, m, v written
        Assert.Equal(20 * 10, Work.Momentum(10).Bytes);    // p, g, v read; p, v written
        Assert.Equal(12 * 10, Work.Binary(10).Bytes);
        Assert.Equal(10, Work.Binary(10).Flops);
        Assert.Equal(8 * 10, Work.Unary(10).Bytes);
        // 2×2 pooling of a 4×4 plane: 4 outputs × 4 taps; 16 + 4 floats (+ 4 int64 indices when kept).
        Assert.Equal(16, Work.Pool2d(16, 4, 4).Flops);
        Assert.Equal(80, Work.Pool2d(16, 4, 4).Bytes);
        Assert.Equal(112, Work.Pool2d(16, 4, 4, indices: true).Bytes);
    }

    [Fact]
    public void CatalogRowsUseTheFormulas()
    {
        var cases = BenchCatalog.Cases(BenchSize.Medium);
        Assert.Equal(2.0 * 1024 * 1024 * 1024, cases.Single(c => c.Op == "gemm").Work.Flops);
        Assert.Equal(Work.AttentionForward(4, 8, 512, 64, true), cases.Single(c => c.Op == "attention_causal" && c.Pass == "fwd").Work);
    }

    [Fact]
    public void RooflineFloorIsTheLargerOfComputeAndMemoryTime()
    {
        var c = new MachineCeilings("m", 2, PeakGflopsOneThread: 100, PeakGflops: 200, CopyGBps: 20, CopyNonTemporalGBps: 40, DateTime.UtcNow);
        // 1e9 FLOPs at 100 GFLOP/s = 10 ms; 1e8 bytes at 40 GB/s = 2.5 ms.
        Assert.Equal(10, c.FloorMs(1e9, 1e8, singleThread: true), 9);
        Assert.Equal(5, c.FloorMs(1e9, 1e8), 9);
        Assert.Equal(25, c.FloorMs(1e6, 1e9), 9);
    }
}
