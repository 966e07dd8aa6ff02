using Tessera.Cpu.Kernels.Linalg;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

internal sealed unsafe partial class CpuKernels : ILinalgKernels
{
    public void Gemm(Tensor a, Tensor b, Tensor? bias, Tensor c, GemmParams p) => Gemm(a, b, null, bias, c, p);

    /// <summary>The product; every batch reads B from <paramref name="packedB"/> when given (<see cref="PackGemmB"/>).</summary>
    private void Gemm(Tensor a, Tensor b, PackedMatrices? packedB, Tensor? bias, Tensor c, GemmParams p)
    {
        int ra = a.Rank, rb = b.Rank, rc = c.Rank;
        int m = c.Shape[rc - 2], n = c.Shape[rc - 1];
        int k = p.TransA ? a.Shape[ra - 2] : a.Shape[ra - 1];
        if (c.ElementCount == 0) return;

        // Element (i, kk) of op(A) and (kk, j) of op(B), whatever the transposition and the views' strides.
        long aRow = a.Strides[ra - 2], aCol = a.Strides[ra - 1], bRow = b.Strides[rb - 2], bCol = b.Strides[rb - 1];
        long ars = p.TransA ? aCol : aRow, acs = p.TransA ? aRow : aCol;
        long brs = p.TransB ? bCol : bRow, bcs = p.TransB ? bRow : bCol;

        // A bias along the rows of c ([N], [1, N], ...) joins the epilogue, added to each finished tile while it is in
        // L1 (with β = 0 the same sum α·A·B + bias, rounded the same, as prefilling c); any other bias prefills c as
        // β·c + bias and the products accumulate onto it.
        float beta = p.Beta;
        var e = p.Epilogue;
        bool columnBias = bias is not null && bias.Rank >= 1 && bias.ElementCount == n && bias.Shape[bias.Rank - 1] == n;
        using var bc = columnBias ? bias!.Contiguous() : null;
        if (bias is not null && !columnBias)
        {
            GemmAddScaledBias(c, beta, bias);
            beta = 1f;
        }

        int batchRank = rc - 2;
        long batches = c.ElementCount / ((long)m * n);
        var aBatch = GemmBatchStrides(a, batchRank);
        var bBatch = GemmBatchStrides(b, batchRank);
        var cDims = c.Shape.ToArray();
        var job = new GemmJob(m, n, k, p.Alpha, beta, a.Address, ars, acs, aBatch, b.Address, brs, bcs, bBatch,
            c.Address, cDims, batchRank, e, bc is null ? 0 : bc.Address, packedB is null ? 0 : (nint)packedB[0]);

        if (batches > 1 && (long)m * n * Math.Max(k, 1) < Sgemm.SmallProduct)
        {
            long grain = Math.Max(1, Sgemm.SmallProduct / ((long)m * n * Math.Max(k, 1) + 1));
            using var slots = new SgemmSlots(Device.Memory, CpuParallel.Slots(batches, Threads, grain), m, n, k);
            CpuParallel.ForSlots(batches, Threads, grain, (job, slots),
                static (s, b0, b1, slot) => { for (long bi = b0; bi < b1; bi++) s.job.RunBatch(bi, 1, s.slots[slot]); });
            return;
        }
        for (long bi = 0; bi < batches; bi++) job.RunBatch(bi, Threads, Device.Memory);
    }

    /// <summary>Per batch dimension of c (right-aligned), t's stride there, 0 where t broadcasts or lacks the dimension.</summary>
    private static long[] GemmBatchStrides(Tensor t, int batchRank)
    {
        var s = new long[batchRank];
        int tb = t.Rank - 2, lead = batchRank - tb;
        for (int d = 0; d < tb; d++) s[lead + d] = t.Shape[d] == 1 ? 0 : t.Strides[d];
        return s;
    }

    /// <summary>c ← β·c + bias (bias broadcast to c; β = 0 ignores what c held).</summary>
    private void GemmAddScaledBias(Tensor c, float beta, Tensor bias)
    {
        using var bv = bias.Expand(c.Shape.ToArray());
        var plan = StridedPlan.Create(c.Shape, c.StrideArray(), bv.StrideArray());
        var st = (plan, c: c.Address, bias: bv.Address, beta);
        CpuParallel.For(plan.Rows, Threads, Math.Max(1, 16384 / Math.Max(1, plan.Inner)), st, static (s, r0, r1) =>
        {
            long cs = s.plan.InnerStride[0], bs = s.plan.InnerStride[1];
            for (long r = r0; r < r1; r++)
            {
                float* pc = (float*)s.c + s.plan.RowOffset(0, r);
                float* pb = (float*)s.bias + s.plan.RowOffset(1, r);
                if (s.beta == 0f) for (int i = 0; i < s.plan.Inner; i++) pc[i * cs] = pb[i * bs];
                else for (int i = 0; i < s.plan.Inner; i++) pc[i * cs] = s.beta * pc[i * cs] + pb[i * bs];
            }
        });
    }

    /// <summary>The product of one batch; the epilogue's activation (and column bias, when given) applies per tile.</summary>
    private sealed class GemmJob(int m, int n, int k, float alpha, float beta,
        nint a, long ars, long acs, long[] aBatch, nint b, long brs, long bcs, long[] bBatch, nint c, int[] cDims, int batchRank,
        Epilogue epilogue, nint columnBias, nint packedB)
    {
        public void RunBatch(long bi, int threads, SgemmWorkspace workspace)
        {
            long aOff = 0, bOff = 0, rest = bi;
            for (int d = batchRank - 1; d >= 0; d--)
            {
                long idx = rest % cDims[d];
                rest /= cDims[d];
                aOff += idx * aBatch[d];
                bOff += idx * bBatch[d];
            }
            float* cb = (float*)c + bi * m * n;
            var e = epilogue.IsNone && columnBias == 0 ? default : new GemmEpilogue(epilogue, (float*)columnBias, false, null, cb);
            Sgemm.Run(workspace, threads, m, n, k, alpha, (float*)a + aOff, ars, acs, (float*)b + bOff, brs, bcs, beta, cb, n, e,
                new Prepacked(null, (float*)packedB));
        }
    }
}
