namespace Tessera.Cpu.Conv;

/// <summary>Unfolding of input planes into GEMM columns and the adjoint fold (scatter-add). Row r = (c, kh, kw) of the
/// column matrix holds, for output positions j in [j0, j0 + cols), the input element that tap (kh, kw) of channel c
/// reads at output j (zero where it falls in the padding).</summary>
internal static unsafe class Im2Col
{
    /// <summary>col[r·cols + (j − j0)] for r in [0, channels·KK).</summary>
    public static void Unfold(in ConvGeometry g, float* x, int channels, int j0, int cols, float* col, int threads)
    {
        var st = (g, x: (nint)x, j0, cols, col: (nint)col);
        CpuParallel.For((long)channels * g.KK, threads, Math.Max(1, 8192 / Math.Max(1, cols)), st, static (s, r0, r1) =>
        {
            var g = s.g;
            for (long r = r0; r < r1; r++)
            {
                int c = (int)(r / g.KK), kh = (int)(r % g.KK) / g.KW, kw = (int)(r % g.KK) % g.KW;
                float* plane = (float*)s.x + (long)c * g.HW;
                float* dst = (float*)s.col + r * s.cols;
                int offW = kw * g.DW - g.PL;
                ConvGeometry.ValidRange(g.OW, g.SW, offW, g.W, out int lo, out int hi);
                int j = s.j0, end = s.j0 + s.cols;
                while (j < end)
                {
                    int oh = j / g.OW, ow0 = j % g.OW, ow1 = Math.Min(g.OW, ow0 + (end - j));
                    float* d = dst + (j - s.j0);
                    int ih = oh * g.SH - g.PT + kh * g.DH;
                    if ((uint)ih >= (uint)g.H)
                        new Span<float>(d, ow1 - ow0).Clear();
                    else
                    {
                        // [ow0, a) and [b, ow1) read padding; [a, b) reads the input row.
                        float* src = plane + (long)ih * g.W + offW;
                        int a = Math.Clamp(lo, ow0, ow1), b = Math.Clamp(hi, a, ow1);
                        for (int ow = ow0; ow < a; ow++) d[ow - ow0] = 0f;
                        if (g.SW == 1) new ReadOnlySpan<float>(src + a, b - a).CopyTo(new Span<float>(d + (a - ow0), b - a));
                        else for (int ow = a; ow < b; ow++) d[ow - ow0] = src[ow * g.SW];
                        for (int ow = b; ow < ow1; ow++) d[ow - ow0] = 0f;
                    }
                    j += ow1 - ow0;
                }
            }
        });
    }

    /// <summary>x[c, ih, iw] += col[r·cols + (j − j0)] for every valid tap (x is not cleared). Parallel over channels,
    /// each of which owns its plane.</summary>
    public static void Fold(in ConvGeometry g, float* col, int channels, int j0, int cols, float* x, int threads)
    {
        var st = (g, x: (nint)x, j0, cols, col: (nint)col);
        CpuParallel.For(channels, threads, 1, st, static (s, c0, c1) =>
        {
            var g = s.g;
            for (long c = c0; c < c1; c++)
            {
                float* plane = (float*)s.x + c * g.HW;
                for (int t = 0; t < g.KK; t++)
                {
                    int kh = t / g.KW, kw = t % g.KW;
                    float* src = (float*)s.col + (c * g.KK + t) * s.cols;
                    int offW = kw * g.DW - g.PL;
                    ConvGeometry.ValidRange(g.OW, g.SW, offW, g.W, out int lo, out int hi);
                    int j = s.j0, end = s.j0 + s.cols;
                    while (j < end)
                    {
                        int oh = j / g.OW, ow0 = j % g.OW, ow1 = Math.Min(g.OW, ow0 + (end - j));
                        int ih = oh * g.SH - g.PT + kh * g.DH;
                        if ((uint)ih < (uint)g.H)
                        {
                            float* row = plane + (long)ih * g.W + offW;
                            float* sv = src + (j - s.j0 - ow0);
                            int a = Math.Max(ow0, lo), b = Math.Min(ow1, hi);
                            for (int ow = a; ow < b; ow++) row[ow * g.SW] += sv[ow];
                        }
                        j += ow1 - ow0;
                    }
                }
            }
        });
    }
}
