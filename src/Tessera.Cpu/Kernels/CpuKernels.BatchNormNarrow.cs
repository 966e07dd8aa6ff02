using Tessera.Cpu.Kernels.Norm;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Batch norm for inputs whose spatial size S is small ([N, C] has S = 1): per-channel spans would be too
/// short to vectorise, so x is treated as N rows of L = C·S columns and statistics are accumulated column-wise with
/// full-width vectors (float partials over blocks of rows, flushed into double sums). Threads split the columns by
/// whole channels.</summary>
internal sealed unsafe partial class CpuKernels
{
    /// <summary>Spatial sizes below this take the column-wise path.</summary>
    private const int BatchNormNarrowSpatial = 16;

    /// <summary>Rows accumulated in float before a flush into the double sums.</summary>
    private const int BatchNormFlushRows = 64;

    private struct BnNarrowState
    {
        public float* X, Y, Dy, Dx, G, Sm, Si, Dg, Db;
        public float* P0, P1, Center, CA, CB, CC;
        public double* S0, S1;
        public BnChannelEnd Train;
        public int N, C, S, L;
    }

    private static int BatchNormNarrowGrain(int s) => Math.Max(1, (64 + s - 1) / s);

    /// <summary>acc[0..w) += part[0..w) and part ← 0.</summary>
    private static void BatchNormFlush(float* part, double* acc, int w)
    {
        for (int j = 0; j < w; j++) { acc[j] += part[j]; part[j] = 0; }
    }

    private void BatchNormTrainingNarrow(Tensor xc, Tensor y, BnChannelEnd train, int n, int c, int s)
    {
        int l = c * s;
        using var dbl = Scratch(DType.Int64, 2, l);
        using var fl = Scratch(DType.Float32, 4, l);
        float* f = fl.F32();
        var st = new BnNarrowState
        {
            X = xc.F32(), Y = y.F32(), Train = train, P0 = f, Center = f + l, CA = f + 2 * l, CB = f + 3 * l,
            S0 = (double*)dbl.Address, S1 = (double*)dbl.Address + l, N = n, C = c, S = s, L = l,
        };
        CpuParallel.For(c, Threads, BatchNormNarrowGrain(s), st, static (st, c0, c1) =>
        {
            int s = st.S, l = st.L, j0 = (int)c0 * s, w = (int)(c1 - c0) * s;
            double m = (double)st.N * s;
            float* part = st.P0 + j0;
            double* sum = st.S0 + j0, sq = st.S1 + j0;
            new Span<float>(part, w).Clear();
            new Span<double>(sum, w).Clear();
            new Span<double>(sq, w).Clear();
            for (int r = 0; r < st.N; r++)
            {
                NormRows.AddInto(part, st.X + (long)r * l + j0, w);
                if ((r + 1) % BatchNormFlushRows == 0 || r == st.N - 1) BatchNormFlush(part, sum, w);
            }
            for (int ch = (int)c0; ch < c1; ch++)
            {
                double t = 0;
                for (int i = 0; i < s; i++) t += st.S0[ch * s + i];
                float mean = (float)(t / m);
                for (int i = 0; i < s; i++) st.Center[ch * s + i] = mean;
            }
            for (int r = 0; r < st.N; r++)
            {
                NormRows.AddSqDevInto(part, st.X + (long)r * l + j0, st.Center + j0, w);
                if ((r + 1) % BatchNormFlushRows == 0 || r == st.N - 1) BatchNormFlush(part, sq, w);
            }
            for (int ch = (int)c0; ch < c1; ch++)
            {
                double t = 0;
                for (int i = 0; i < s; i++) t += st.S1[ch * s + i];
                var (a, b) = st.Train.Finish(ch, st.Center[ch * s], t, m);
                for (int i = 0; i < s; i++) { st.CA[ch * s + i] = a; st.CB[ch * s + i] = b; }
            }
            for (int r = 0; r < st.N; r++)
                NormRows.MulAddCols(st.X + (long)r * l + j0, st.CA + j0, st.CB + j0, st.Y + (long)r * l + j0, w);
        });
    }

    private void BatchNormInferenceNarrow(Tensor xc, float* a, float* b, Tensor y, int n, int c, int s)
    {
        int l = c * s;
        using var cols = Scratch(DType.Float32, 2, l);
        float* ca = cols.F32(), cb = ca + l;
        for (int ch = 0; ch < c; ch++)
            for (int i = 0; i < s; i++) { ca[ch * s + i] = a[ch]; cb[ch * s + i] = b[ch]; }
        var st = new BnNarrowState { X = xc.F32(), Y = y.F32(), CA = ca, CB = cb, L = l };
        CpuParallel.For(n, Threads, Math.Max(1, 16384 / Math.Max(1, l)), st, static (st, r0, r1) =>
        {
            for (long r = r0; r < r1; r++) NormRows.MulAddCols(st.X + r * st.L, st.CA, st.CB, st.Y + r * st.L, st.L);
        });
    }

    private void BatchNormBackwardNarrow(Tensor xc, Tensor dyc, Tensor gc, Tensor smc, Tensor sic, Tensor dx, Tensor dgamma, Tensor dbeta,
        int n, int c, int s)
    {
        int l = c * s;
        using var dbl = Scratch(DType.Int64, 2, l);
        using var fl = Scratch(DType.Float32, 6, l);
        float* f = fl.F32();
        var st = new BnNarrowState
        {
            X = xc.F32(), Dy = dyc.F32(), G = gc.F32(), Sm = smc.F32(), Si = sic.F32(), Dx = dx.F32(), Dg = dgamma.F32(), Db = dbeta.F32(),
            P0 = f, P1 = f + l, Center = f + 2 * l, CA = f + 3 * l, CB = f + 4 * l, CC = f + 5 * l,
            S0 = (double*)dbl.Address, S1 = (double*)dbl.Address + l, N = n, C = c, S = s, L = l,
        };
        CpuParallel.For(c, Threads, BatchNormNarrowGrain(s), st, static (st, c0, c1) =>
        {
            int s = st.S, l = st.L, j0 = (int)c0 * s, w = (int)(c1 - c0) * s;
            double m = (double)st.N * s;
            float* p0 = st.P0 + j0, p1 = st.P1 + j0;
            double* sDy = st.S0 + j0, sDyXc = st.S1 + j0;
            new Span<float>(p0, w).Clear();
            new Span<float>(p1, w).Clear();
            new Span<double>(sDy, w).Clear();
            new Span<double>(sDyXc, w).Clear();
            for (int ch = (int)c0; ch < c1; ch++)
                for (int i = 0; i < s; i++) st.Center[ch * s + i] = st.Sm[ch];
            for (int r = 0; r < st.N; r++)
            {
                NormRows.AddDyAndCenteredProdInto(p0, p1, st.Dy + (long)r * l + j0, st.X + (long)r * l + j0, st.Center + j0, w);
                if ((r + 1) % BatchNormFlushRows == 0 || r == st.N - 1) { BatchNormFlush(p0, sDy, w); BatchNormFlush(p1, sDyXc, w); }
            }
            for (int ch = (int)c0; ch < c1; ch++)
            {
                double sumDy = 0, sumDyXc = 0;
                for (int i = 0; i < s; i++) { sumDy += st.S0[ch * s + i]; sumDyXc += st.S1[ch * s + i]; }
                double invStd = st.Si[ch];
                double dGamma = sumDyXc * invStd;
                st.Db[ch] = (float)sumDy;
                st.Dg[ch] = (float)dGamma;
                double k = st.G[ch] * invStd;
                float alpha = (float)k, beta = (float)(-k * invStd * dGamma / m), shift = (float)(-k * sumDy / m);
                for (int i = 0; i < s; i++) { st.CA[ch * s + i] = alpha; st.CB[ch * s + i] = beta; st.CC[ch * s + i] = shift; }
            }
            for (int r = 0; r < st.N; r++)
            {
                long at = (long)r * l + j0;
                NormRows.CombineCols(st.Dy + at, st.X + at, st.Dx + at, w, st.CA + j0, st.CB + j0, st.Center + j0, st.CC + j0);
            }
        });
    }
}
