using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>CPU flash attention against the reference (which materialises the full score matrix in double).
/// Tolerances: forward atol 2e-5 / rtol 1e-4 (float32 dot products of length ≤ 65 and an online softmax);
/// backward atol 1e-4 / rtol 1e-3 (dk/dv sum up to 130 rows of products; dS subtracts D_i = rowsum(dO∘O)).</summary>
public class AttentionTests
{
    private static IDevice Dev => TestDevices.Target;

    public enum MaskKind { None, Full, Broadcast2D, KeyPadding, RowsFullyMasked }

    /// <summary>One attention case; passed to the theories as its text (B H Tq Tk D Dv causal mask strided scale) so
    /// that every case is its own test.</summary>
    public sealed record Case(int B, int H, int Tq, int Tk, int D, int Dv, bool Causal, MaskKind Mask, bool Strided, float Scale = float.NaN)
    {
        public override string ToString() =>
            FormattableString.Invariant($"B={B} H={H} Tq={Tq} Tk={Tk} D={D} Dv={Dv} causal={Causal} mask={Mask} strided={Strided} scale={Scale}");

        public static Case Parse(string s)
        {
            var f = s.Split(' ').Select(x => x[(x.IndexOf('=') + 1)..]).ToArray();
            return new Case(int.Parse(f[0]), int.Parse(f[1]), int.Parse(f[2]), int.Parse(f[3]), int.Parse(f[4]), int.Parse(f[5]),
                bool.Parse(f[6]), Enum.Parse<MaskKind>(f[7]), bool.Parse(f[8]), float.Parse(f[9], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in CaseList()) data.Add(c.ToString());
        return data;
    }

    private static List<Case> CaseList()
    {
        int[] ts = { 1, 7, 17, 64, 65, 130 };
        int[] ds = { 8, 16, 64, 65 };
        var data = new List<Case>();
        for (int ti = 0; ti < ts.Length; ti++)
            for (int di = 0; di < ds.Length; di++)
            {
                int tq = ts[ti];
                int tk = (ti + di) % 3 == 0 ? tq : ts[(ti + di + 1) % ts.Length];
                int dv = di == 3 ? 8 : ds[di];
                bool causal = (ti + di) % 2 == 0;
                var mask = (MaskKind)((ti + di) % 4);
                bool strided = (ti + 2 * di) % 3 == 1;
                int b = tq * tk > 4000 ? 1 : 2;
                data.Add(new Case(b, 2, tq, tk, ds[di], dv, causal, mask, strided));
            }
        data.Add(new Case(2, 3, 9, 9, 8, 8, false, MaskKind.RowsFullyMasked, false));
        data.Add(new Case(1, 2, 33, 20, 16, 16, true, MaskKind.RowsFullyMasked, true));
        // Fully masked rows beside live ones over three key tiles: the dead rows' factor for what came before stays 1.
        data.Add(new Case(1, 2, 9, 130, 16, 16, false, MaskKind.RowsFullyMasked, false));
        data.Add(new Case(2, 1, 5, 12, 4, 3, false, MaskKind.None, false, 0.37f));
        data.Add(new Case(1, 1, 3, 0, 4, 5, false, MaskKind.None, false));
        data.Add(new Case(0, 2, 3, 3, 4, 4, true, MaskKind.None, false));
        // Past one 256-key chunk and one 256-wide head of the GPU kernels: several chunks of the online softmax, head
        // dimensions that loop, a key count just past a chunk, causal and masked.
        data.Add(new Case(1, 1, 20, 600, 300, 520, false, MaskKind.Full, true));
        data.Add(new Case(1, 1, 300, 257, 32, 40, true, MaskKind.KeyPadding, false));
        data.Add(new Case(1, 1, 0, 3, 4, 4, false, MaskKind.Full, false));
        data.Add(new Case(1, 2, 10, 10, 16, 0, true, MaskKind.None, false));
        // Fifteen heads of three query tiles: the forward's work chunks start and end inside heads, and each packs the
        // keys of every head it reaches.
        data.Add(new Case(3, 5, 130, 130, 16, 16, true, MaskKind.None, true));
        data.Add(new Case(3, 5, 129, 70, 8, 8, false, MaskKind.KeyPadding, false));
        return data;
    }

    private static RefTensor? MakeMask(Case c)
    {
        switch (c.Mask)
        {
            case MaskKind.None: return null;
            case MaskKind.Full: return Rand.Uniform(7, new[] { c.B, c.H, c.Tq, c.Tk }, -2, 2);
            case MaskKind.Broadcast2D: return Rand.Uniform(8, new[] { c.Tq, c.Tk }, -1, 1);
            case MaskKind.KeyPadding:
            {
                // [B, 1, 1, Tk]: the last third of the keys of batch 0 are −∞.
                var m = new RefTensor(c.B, 1, 1, c.Tk);
                for (int j = c.Tk - c.Tk / 3; j < c.Tk; j++) m[0, 0, 0, j] = double.NegativeInfinity;
                return m;
            }
            default:
            {
                // [1, H, Tq, Tk]: every key of query rows 0 and 2 (head 0) hidden, plus scattered −∞ elsewhere.
                var m = Rand.Uniform(9, new[] { 1, c.H, c.Tq, c.Tk }, -1, 1);
                for (int i = 0; i < c.Tq; i += 2)
                    if (i <= 2) for (int j = 0; j < c.Tk; j++) m[0, 0, i, j] = double.NegativeInfinity;
                for (long f = 5; f < m.Length; f += 7) m.Data[f] = double.NegativeInfinity;
                return m;
            }
        }
    }

    private static Tensor Up(RefTensor r, bool strided) => strided ? r.ToDeviceStrided(Dev) : r.ToDevice(Dev);

    [Theory]
    [MemberData(nameof(Cases))]
    [Covers(OpKind.Attention)]
    public void AttentionMatchesReference(string text)
    {
        var c = Case.Parse(text);
        var q = Rand.Uniform(1, new[] { c.B, c.H, c.Tq, c.D }, -1.5, 1.5);
        var k = Rand.Uniform(2, new[] { c.B, c.H, c.Tk, c.D }, -1.5, 1.5);
        var v = Rand.Uniform(3, new[] { c.B, c.H, c.Tk, c.Dv });
        var mask = MakeMask(c);
        var p = new AttentionParams(c.Scale, c.Causal);
        var (eo, eLse) = RefAttention.Attention(q, k, v, mask, p);
        using var tq = Up(q, c.Strided);
        using var tk = Up(k, c.Strided);
        using var tv = Up(v, c.Strided);
        using var tm = mask is null ? null : Up(mask, c.Strided);
        var (o, lse) = Ops.Attention(tq, tk, tv, tm, p);
        using (o) using (lse)
        {
            Approx.Equal(eo, o, 2e-5, 1e-4, "o");
            Approx.Equal(eLse, lse, 2e-5, 1e-4, "lse");
        }
    }

    /// <summary>q, k and v as the heads of [B, T, H, D] projections (permuted views: rows H·D apart, features contiguous)
    /// and o written into a [B, Tq, H, Dv] tensor through its permuted view, as the graph runs attention once the
    /// transposes that split and merge heads are folded into it (TransposeReshapeElimination).</summary>
    [Theory]
    [InlineData(2, 4, 128, 128, 64, 64, false, false)]
    [InlineData(1, 3, 37, 37, 16, 16, true, false)]
    [InlineData(2, 2, 9, 70, 8, 12, false, true)]
    [Covers(OpKind.Attention)]
    public void HeadSplitViewsMatchReference(int b, int h, int tq, int tk, int d, int dv, bool causal, bool masked)
    {
        var q = Rand.Uniform(21, new[] { b, h, tq, d }, -1.5, 1.5);
        var k = Rand.Uniform(22, new[] { b, h, tk, d }, -1.5, 1.5);
        var v = Rand.Uniform(23, new[] { b, h, tk, dv });
        var mask = masked ? Rand.Uniform(24, new[] { b, 1, 1, tk }, -2, 2) : null;
        var p = new AttentionParams(float.NaN, causal);
        var (eo, eLse) = RefAttention.Attention(q, k, v, mask, p);
        // Each operand stored as [B, T, H, D] and viewed as [B, H, T, D].
        Tensor Heads(RefTensor r)
        {
            using var stored = RefConvert.Permute(r, [0, 2, 1, 3]).ToDevice(Dev);
            return stored.Permute(0, 2, 1, 3);
        }
        using var tq_ = Heads(q);
        using var tk_ = Heads(k);
        using var tv = Heads(v);
        Assert.True(!tq_.IsContiguous && tq_.Strides[3] == 1);
        using var tm = mask?.ToDevice(Dev);
        using var merged = Tensor.Empty(Dev, DType.Float32, b, tq, h, dv);
        using var o = merged.Permute(0, 2, 1, 3);
        using var lse = Tensor.Empty(Dev, DType.Float32, b, h, tq);
        Dev.Kernels.Attention(tq_, tk_, tv, tm, o, lse, p);
        Approx.Equal(RefConvert.Permute(eo, [0, 2, 1, 3]), merged, 2e-5, 1e-4, "o, heads merged");
        Approx.Equal(eLse, lse, 2e-5, 1e-4, "lse");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    [Covers(OpKind.AttentionBackward)]
    public void AttentionBackwardMatchesReference(string text)
    {
        var c = Case.Parse(text);
        var q = Rand.Uniform(11, new[] { c.B, c.H, c.Tq, c.D }, -1.5, 1.5);
        var k = Rand.Uniform(12, new[] { c.B, c.H, c.Tk, c.D }, -1.5, 1.5);
        var v = Rand.Uniform(13, new[] { c.B, c.H, c.Tk, c.Dv });
        var dO = Rand.Uniform(14, new[] { c.B, c.H, c.Tq, c.Dv });
        var mask = MakeMask(c);
        var p = new AttentionParams(c.Scale, c.Causal);
        var (edq, edk, edv) = RefAttention.AttentionBackward(q, k, v, mask, dO, p);
        using var tq = Up(q, c.Strided);
        using var tk = Up(k, c.Strided);
        using var tv = Up(v, c.Strided);
        using var tdO = Up(dO, c.Strided);
        using var tm = mask is null ? null : Up(mask, c.Strided);
        var (o, lse) = Ops.Attention(tq, tk, tv, tm, p);
        using (o) using (lse)
        {
            var (dq, dk, dv) = Ops.AttentionBackward(tq, tk, tv, tm, o, lse, tdO, p);
            using (dq) using (dk) using (dv)
            {
                Approx.Equal(edq, dq, 1e-4, 1e-3, "dq");
                Approx.Equal(edk, dk, 1e-4, 1e-3, "dk");
                Approx.Equal(edv, dv, 1e-4, 1e-3, "dv");
            }
        }
    }

    /// <summary>Fewer heads than threads: the backward splits key tiles over threads with per-group dq partials.</summary>
    [Theory]
    [InlineData(1, 1, 130, 200, 16, false, false, 4)]
    [InlineData(1, 1, 200, 130, 65, true, false, 3)]
    [InlineData(1, 2, 70, 129, 8, true, true, 5)]
    [InlineData(1, 1, 64, 65, 64, false, true, 2)]
    [InlineData(2, 2, 40, 150, 16, false, false, 5)]   // four heads in turn, each packed before its groups
    public void BackwardSplitOverKeyTilesMatchesReference(int b, int h, int tq, int tk, int d, bool causal, bool mask, int threads)
    {
        var q = Rand.Uniform(41, new[] { b, h, tq, d });
        var k = Rand.Uniform(42, new[] { b, h, tk, d });
        var v = Rand.Uniform(43, new[] { b, h, tk, d });
        var dO = Rand.Uniform(44, new[] { b, h, tq, d });
        var m = mask ? Rand.Uniform(45, new[] { tq, tk }) : null;
        var p = new AttentionParams(float.NaN, causal);
        var (edq, edk, edv) = RefAttention.AttentionBackward(q, k, v, m, dO, p);
        using var tq_ = q.ToDevice(Dev);
        using var tk_ = k.ToDevice(Dev);
        using var tv = v.ToDevice(Dev);
        using var tdO = dO.ToDevice(Dev);
        using var tm = m?.ToDevice(Dev);
        int saved = TestDevices.TargetThreads;
        try
        {
            TestDevices.TargetThreads = threads;
            var (o, lse) = Ops.Attention(tq_, tk_, tv, tm, p);
            var (dq, dk, dv) = Ops.AttentionBackward(tq_, tk_, tv, tm, o, lse, tdO, p);
            using (o) using (lse) using (dq) using (dk) using (dv)
            {
                Approx.Equal(edq, dq, 1e-4, 1e-3, "dq");
                Approx.Equal(edk, dk, 1e-4, 1e-3, "dk");
                Approx.Equal(edv, dv, 1e-4, 1e-3, "dv");
            }
        }
        finally { TestDevices.TargetThreads = saved; }
    }

    [Fact]
    public void FullyMaskedRowsGiveZeroNotNaN()
    {
        var q = Rand.Uniform(21, new[] { 1, 1, 4, 8 });
        var k = Rand.Uniform(22, new[] { 1, 1, 6, 8 });
        var v = Rand.Uniform(23, new[] { 1, 1, 6, 8 });
        var mask = new RefTensor(4, 6);
        for (int j = 0; j < 6; j++) mask[1, j] = double.NegativeInfinity;
        using var tq = q.ToDevice(Dev);
        using var tk = k.ToDevice(Dev);
        using var tv = v.ToDevice(Dev);
        using var tm = mask.ToDevice(Dev);
        var (o, lse) = Ops.Attention(tq, tk, tv, tm, new AttentionParams(float.NaN));
        using (o) using (lse)
        {
            var oa = o.ToArray<float>();
            Assert.All(oa, x => Assert.False(float.IsNaN(x)));
            Assert.All(oa[8..16], x => Assert.Equal(0f, x));
            Assert.Equal(float.NegativeInfinity, lse.ToArray<float>()[1]);
            using var dO = Tensor.Full(Dev, 1f, 1, 1, 4, 8);
            var (dq, dk, dv) = Ops.AttentionBackward(tq, tk, tv, tm, o, lse, dO, new AttentionParams(float.NaN));
            using (dq) using (dk) using (dv)
            {
                Assert.All(dq.ToArray<float>()[8..16], x => Assert.Equal(0f, x));
                Assert.All(dk.ToArray<float>().Concat(dv.ToArray<float>()), x => Assert.True(float.IsFinite(x)));
            }
        }
    }

    [Fact]
    public void ResultDoesNotDependOnThreadCount()
    {
        var q = Rand.Uniform(31, new[] { 2, 3, 70, 16 });
        var k = Rand.Uniform(32, new[] { 2, 3, 70, 16 });
        var v = Rand.Uniform(33, new[] { 2, 3, 70, 16 });
        using var tq = q.ToDevice(Dev);
        using var tk = k.ToDevice(Dev);
        using var tv = v.ToDevice(Dev);
        int saved = TestDevices.TargetThreads;
        try
        {
            TestDevices.TargetThreads = 1;
            var (o1, l1) = Ops.Attention(tq, tk, tv, null, new AttentionParams(Causal: true));
            TestDevices.TargetThreads = 5;
            var (o2, l2) = Ops.Attention(tq, tk, tv, null, new AttentionParams(Causal: true));
            using (o1) using (l1) using (o2) using (l2)
            {
                Assert.Equal(o1.ToArray<float>(), o2.ToArray<float>());
                Assert.Equal(l1.ToArray<float>(), l2.ToArray<float>());
            }
        }
        finally { TestDevices.TargetThreads = saved; }
    }
}
