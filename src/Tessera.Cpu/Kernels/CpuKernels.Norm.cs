using Tessera.Cpu.Kernels.Norm;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Batch norm (threaded over channels), layer norm (threaded over rows) and dropout (threaded over element
/// ranges). Strided inputs are read through pooled contiguous copies; row math is in <see cref="NormRows"/>.</summary>
internal sealed unsafe partial class CpuKernels : INormKernels
{
    /// <summary>Outputs at least this large are written with non-temporal stores (they would only evict the cache).</summary>
    private const long LayerNormNonTemporalBytes = 16L << 20;

    // x [N, C, S...] viewed as N·C spans of S contiguous floats: channel c owns spans n·C + c.
    private static (int N, int C, int S) BatchNormSplit(Tensor x)
    {
        int s = 1;
        for (int i = 2; i < x.Rank; i++) s *= x.Shape[i];
        return (x.Shape[0], x.Shape[1], s);
    }

    public void BatchNormTraining(Tensor x, Tensor gamma, Tensor beta, Tensor y, Tensor runningMean, Tensor runningVar,
        Tensor saveMean, Tensor saveInvStd, BatchNormParams p)
    {
        var (n, c, s) = BatchNormSplit(x);
        if (c == 0) return;
        using var xc = x.Contiguous();
        using var gc = gamma.Contiguous();
        using var bc = beta.Contiguous();
        var train = new BnChannelEnd
        {
            G = gc.F32(), B = bc.F32(), Rm = runningMean.F32(), Rv = runningVar.F32(), Sm = saveMean.F32(), Si = saveInvStd.F32(),
            Eps = p.Epsilon, Momentum = p.Momentum,
        };
        if (s < BatchNormNarrowSpatial && n > 0)
        {
            BatchNormTrainingNarrow(xc, y, train, n, c, s);
            return;
        }
        var st = new BnState { X = xc.F32(), Y = y.F32(), Train = train, N = n, C = c, S = s };
        long perChannel = (long)n * s;
        CpuParallel.For(c, Threads, Math.Max(1, 32768 / Math.Max(1, perChannel)), st, static (st, c0, c1) =>
        {
            int n = st.N, c = st.C, s = st.S;
            double m = (double)n * s;
            for (int ch = (int)c0; ch < c1; ch++)
            {
                // Two passes (mean, then squared deviations): float partial sums per span, double across spans.
                double sum = 0;
                for (int b = 0; b < n; b++) sum += NormRows.Sum(st.X + ((long)b * c + ch) * s, s);
                float mean = (float)(sum / m);
                double sq = 0;
                for (int b = 0; b < n; b++) sq += NormRows.SumSqDev(st.X + ((long)b * c + ch) * s, s, mean);
                var (a, shift) = st.Train.Finish(ch, mean, sq, m);
                for (int b = 0; b < n; b++)
                {
                    long at = ((long)b * c + ch) * s;
                    NormRows.ScaleShift(st.X + at, st.Y + at, s, a, shift);
                }
            }
        });
    }

    public void BatchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, Tensor y, BatchNormParams p)
    {
        var (n, c, s) = BatchNormSplit(x);
        if (x.ElementCount == 0) return;
        using var xc = x.Contiguous();
        using var gc = gamma.Contiguous();
        using var bc = beta.Contiguous();
        using var rmc = runningMean.Contiguous();
        using var rvc = runningVar.Contiguous();
        using var coef = Scratch(DType.Float32, 2, c);
        float* g = gc.F32(), bt = bc.F32(), rm = rmc.F32(), rv = rvc.F32(), a = coef.F32(), sh = a + c;
        for (int ch = 0; ch < c; ch++)
        {
            double r = 1.0 / Math.Sqrt(rv[ch] + (double)p.Epsilon);
            a[ch] = (float)(r * g[ch]);
            sh[ch] = (float)(bt[ch] - rm[ch] * r * g[ch]);
        }
        if (s < BatchNormNarrowSpatial)
        {
            BatchNormInferenceNarrow(xc, a, sh, y, n, c, s);
            return;
        }
        var st = new BnState { X = xc.F32(), Y = y.F32(), G = a, B = sh, C = c, S = s };
        CpuParallel.For((long)n * c, Threads, Math.Max(1, 16384 / Math.Max(1, s)), st, static (st, r0, r1) =>
        {
            for (long r = r0; r < r1; r++)
            {
                int ch = (int)(r % st.C);
                NormRows.ScaleShift(st.X + r * st.S, st.Y + r * st.S, st.S, st.G[ch], st.B[ch]);
            }
        });
    }

    public void BatchNormBackward(Tensor x, Tensor dy, Tensor gamma, Tensor saveMean, Tensor saveInvStd,
        Tensor dx, Tensor dgamma, Tensor dbeta, BatchNormParams p)
    {
        var (n, c, s) = BatchNormSplit(x);
        if (c == 0) return;
        using var xc = x.Contiguous();
        using var dyc = dy.Contiguous();
        using var gc = gamma.Contiguous();
        using var smc = saveMean.Contiguous();
        using var sic = saveInvStd.Contiguous();
        if (s < BatchNormNarrowSpatial && n > 0)
        {
            BatchNormBackwardNarrow(xc, dyc, gc, smc, sic, dx, dgamma, dbeta, n, c, s);
            return;
        }
        var st = new BnState
        {
            X = xc.F32(), Dy = dyc.F32(), G = gc.F32(), Sm = smc.F32(), Si = sic.F32(),
            Dx = dx.F32(), Dg = dgamma.F32(), Db = dbeta.F32(), N = n, C = c, S = s,
        };
        long perChannel = (long)n * s;
        CpuParallel.For(c, Threads, Math.Max(1, 16384 / Math.Max(1, perChannel)), st, static (st, c0, c1) =>
        {
            int n = st.N, c = st.C, s = st.S;
            double m = (double)n * s;
            for (int ch = (int)c0; ch < c1; ch++)
            {
                float mean = st.Sm[ch], invStd = st.Si[ch];
                double sumDy = 0, sumDyXc = 0;
                for (int b = 0; b < n; b++)
                {
                    long at = ((long)b * c + ch) * s;
                    NormRows.CenteredSums(st.Dy + at, null, st.X + at, s, mean, out float s0, out float s1);
                    sumDy += s0;
                    sumDyXc += s1;
                }
                double dGamma = sumDyXc * invStd;
                st.Db[ch] = (float)sumDy;
                st.Dg[ch] = (float)dGamma;
                if (m == 0) continue;
                // dx = k·(dy − Σdy/M − x̂·dγ/M), k = γ·invStd, x̂ = (x − mean)·invStd.
                double k = st.G[ch] * (double)invStd;
                float alpha = (float)k;
                float beta = (float)(-k * invStd * dGamma / m);
                float shift = (float)(-k * sumDy / m);
                for (int b = 0; b < n; b++)
                {
                    long at = ((long)b * c + ch) * s;
                    NormRows.Combine(st.Dy + at, st.X + at, st.Dx + at, s, alpha, beta, mean, shift);
                }
            }
        });
    }

    private static (long Rows, int Inner) LayerNormSplit(Tensor x, int axis)
    {
        long rows = 1, inner = 1;
        for (int i = 0; i < axis; i++) rows *= x.Shape[i];
        for (int i = axis; i < x.Rank; i++) inner *= x.Shape[i];
        return (rows, checked((int)inner));
    }

    public void LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, Tensor y, Tensor? mean, Tensor? invStd, LayerNormParams p)
    {
        var (rows, inner) = LayerNormSplit(x, p.Axis);
        if (rows == 0 || inner == 0) return;
        using var xc = x.Contiguous();
        using var gc = gamma?.Contiguous();
        using var bc = beta?.Contiguous();
        var st = new LnState
        {
            X = xc.F32(), Y = y.F32(), G = gc is null ? null : gc.F32(), B = bc is null ? null : bc.F32(),
            Mean = mean is null ? null : mean.F32(), Inv = invStd is null ? null : invStd.F32(), Inner = inner, Eps = p.Epsilon,
            NonTemporal = x.ElementCount * sizeof(float) >= LayerNormNonTemporalBytes,
        };
        CpuParallel.For(rows, Threads, Math.Max(1, 16384 / inner), st, static (st, r0, r1) =>
        {
            int n = st.Inner;
            for (long r = r0; r < r1; r++)
            {
                float* xr = st.X + r * n;
                float mu = NormRows.Sum(xr, n) / n;
                float var = NormRows.SumSqDev(xr, n, mu) / n;
                float rs = (float)(1.0 / Math.Sqrt(var + (double)st.Eps));
                NormRows.AffineNormalize(xr, st.Y + r * n, st.G, st.B, n, mu, rs, st.NonTemporal);
                if (st.Mean != null) st.Mean[r] = mu;
                if (st.Inv != null) st.Inv[r] = rs;
            }
            if (st.NonTemporal) ElementLoop.StoreFence();
        });
    }

    public void LayerNormBackward(Tensor x, Tensor dy, Tensor? gamma, Tensor mean, Tensor invStd,
        Tensor dx, Tensor? dgamma, Tensor? dbeta, LayerNormParams p)
    {
        var (rows, inner) = LayerNormSplit(x, p.Axis);
        if (dgamma is not null) Fill(dgamma, 0);
        if (dbeta is not null) Fill(dbeta, 0);
        if (rows == 0 || inner == 0) return;
        using var xc = x.Contiguous();
        using var dyc = dy.Contiguous();
        using var gc = gamma?.Contiguous();
        using var mc = mean.Contiguous();
        using var ic = invStd.Contiguous();
        bool affine = dgamma is not null || dbeta is not null;
        // Affine gradients: each chunk of rows accumulates into its own pooled partials [2, inner]; they are summed in
        // chunk order afterwards, so the result does not depend on scheduling.
        int chunks = affine ? (int)Math.Min(Math.Max(1, Threads), rows) : 0;
        using var partial = affine ? Scratch(DType.Float32, Math.Max(1, chunks), 2, inner) : null;
        if (partial is not null) Fill(partial, 0);
        var st = new LnState
        {
            X = xc.F32(), Dy = dyc.F32(), G = gc is null ? null : gc.F32(), Mean = mc.F32(), Inv = ic.F32(), Dx = dx.F32(),
            Part = partial is null ? null : partial.F32(), WantG = dgamma is not null, WantB = dbeta is not null,
            Rows = rows, Chunks = chunks, Inner = inner,
        };
        if (!affine)
        {
            CpuParallel.For(rows, Threads, Math.Max(1, 16384 / inner), st, static (st, r0, r1) => LayerNormBackwardRows(st, r0, r1, null, null));
            return;
        }
        CpuParallel.For(chunks, Threads, 1, st, static (st, k0, k1) =>
        {
            for (long k = k0; k < k1; k++)
            {
                float* dg = st.WantG ? st.Part + k * 2 * st.Inner : null;
                float* db = st.WantB ? st.Part + (k * 2 + 1) * st.Inner : null;
                LayerNormBackwardRows(st, st.Rows * k / st.Chunks, st.Rows * (k + 1) / st.Chunks, dg, db);
            }
        });
        float* pg = partial!.F32();
        for (int k = 0; k < chunks; k++)
        {
            if (dgamma is not null) NormRows.AddInto(dgamma.F32(), pg + (long)k * 2 * inner, inner);
            if (dbeta is not null) NormRows.AddInto(dbeta.F32(), pg + ((long)k * 2 + 1) * inner, inner);
        }
    }

    private static void LayerNormBackwardRows(in LnState st, long r0, long r1, float* dg, float* db)
    {
        int n = st.Inner;
        for (long r = r0; r < r1; r++)
        {
            float* xr = st.X + r * n, dyr = st.Dy + r * n;
            float mu = st.Mean[r], rs = st.Inv[r];
            // dx = r·(g − Σg/n − x̂·Σ(g·x̂)/n), g = dy·γ, x̂ = (x − μ)·r.
            NormRows.CenteredSums(dyr, st.G, xr, n, mu, out float sumG, out float sumGXc);
            float c1 = rs * sumG / n;
            float c2 = rs * rs * rs * sumGXc / n;
            NormRows.LayerNormBackwardDx(xr, dyr, st.G, st.Dx + r * n, dg, db, n, mu, rs, c1, c2);
        }
    }

    public void Dropout(Tensor x, Tensor y, Tensor mask, DropoutParams p)
    {
        long count = x.ElementCount;
        if (count == 0) return;
        if (!p.Training || p.Ratio == 0f)
        {
            Copy(x, y);
            Fill(mask, 1);
            return;
        }
        using var xc = x.Contiguous();
        var st = new DropoutState
        {
            X = xc.F32(), Y = y.F32(), M = mask.U8(), Seed = p.Seed, Thr = DropoutRng.Threshold(p.Ratio),
            Scale = (float)(1.0 / (1.0 - p.Ratio)),
        };
        CpuParallel.For(count, Threads, 1 << 15, st, static (st, i0, i1) =>
            DropoutRng.Apply(st.X, st.Y, st.M, i0, i1, st.Seed, st.Thr, st.Scale));
    }

    public void DropoutBackward(Tensor dy, Tensor mask, Tensor dx, DropoutParams p)
    {
        long count = dy.ElementCount;
        if (count == 0) return;
        using var dyc = dy.Contiguous();
        using var mc = mask.Contiguous();
        float scale = p.Training ? (float)(1.0 / (1.0 - p.Ratio)) : 1f;
        var st = new DropoutState { X = dyc.F32(), M = mc.U8(), Y = dx.F32(), Scale = scale };
        CpuParallel.For(count, Threads, 1 << 15, st, static (st, i0, i1) => DropoutRng.Backward(st.X, st.M, st.Y, i0, i1, st.Scale));
    }

    private struct BnState
    {
        public float* X, Y, G, B, Sm, Si, Dy, Dx, Dg, Db;
        public BnChannelEnd Train;
        public int N, C, S;
    }

    /// <summary>The end of batch-norm training for one channel, shared by the wide and the narrow paths.</summary>
    private struct BnChannelEnd
    {
        public float* G, B, Rm, Rv, Sm, Si;
        public float Eps, Momentum;

        /// <summary>From the channel's mean and Σ(x − mean)² over m values: saves the mean and 1/√(var + ε), updates the
        /// running statistics (momentum; unbiased variance) and returns the coefficients of y = x·a + b.</summary>
        public readonly (float A, float B) Finish(int ch, float mean, double sumSq, double m)
        {
            double invStd = 1.0 / Math.Sqrt(sumSq / m + Eps);
            Sm[ch] = mean;
            Si[ch] = (float)invStd;
            double mom = Momentum;
            double unbiased = m > 1 ? sumSq / (m - 1) : double.NaN;
            Rm[ch] = (float)((1 - mom) * Rm[ch] + mom * mean);
            Rv[ch] = (float)((1 - mom) * Rv[ch] + mom * unbiased);
            return ((float)(invStd * G[ch]), (float)(B[ch] - mean * invStd * G[ch]));
        }
    }

    private struct LnState
    {
        public float* X, Y, G, B, Mean, Inv, Dy, Dx, Part;
        public bool WantG, WantB;
        public long Rows;
        public int Chunks, Inner;
        public float Eps;
        public bool NonTemporal;
    }

    private struct DropoutState
    {
        public float* X, Y;
        public byte* M;
        public ulong Seed, Thr;
        public float Scale;
    }
}
