using System.Runtime.Intrinsics;
using Tessera.Cpu.Kernels.Conv;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Max and average pooling: direct window loops, parallel over the N·C planes (each plane is independent,
/// so backward scatters need no synchronisation); undilated max pooling runs vectors along W over the columns
/// whose windows are inside the input (<see cref="MaxPoolRows"/>, <see cref="AvgPoolRows"/>); without indices, stride 1
/// or 2, a plane is reduced along rows once and then across them (<see cref="MaxPoolSeparable"/>), and small planes
/// in registers (<see cref="MaxPoolSmall"/>).</summary>
internal sealed unsafe partial class CpuKernels
{
    public void MaxPool2d(Tensor x, Tensor y, Tensor? indices, Pool2dParams p)
    {
        if (y.ElementCount == 0) return;
        using var xc = x.Contiguous();
        var g = ConvGeometry.Of(x, y, p);
        long planes = (long)x.Shape[0] * x.Shape[1];
        bool small = indices is null && MaxPoolSmall.Applies(g);
        bool threeByTwo = indices is null && !small && MaxPool3x3S2.Applies(g);
        bool separable = indices is null && !small && !threeByTwo && MaxPoolSeparable.Applies(g);
        long grain = Math.Max(1, 16384 / Math.Max(1, g.P * g.KK));
        using var scratch = separable ? new SlotScratch(Device.Memory, CpuParallel.Slots(planes, Threads, grain), MaxPoolSeparable.Scratch(g) * sizeof(float)) : null;
        var st = (g, x: (nint)xc.F32(), y: (nint)y.F32(), idx: indices is null ? 0 : (nint)indices.I64(), small, threeByTwo, scratch);
        CpuParallel.ForSlots(planes, Threads, grain, st, static (s, p0, p1, slot) =>
        {
            var g = s.g;
            float* sep = s.scratch is null ? null : s.scratch[slot];
            if (sep != null) MaxPoolSeparable.Prepare(g, sep);
            var index = stackalloc Vector512<int>[s.small ? MaxPoolSmall.MaxKW : 0];
            var inside = stackalloc Vector512<float>[s.small ? MaxPoolSmall.MaxKW : 0];
            if (s.small) MaxPoolSmall.Prepare(g, index, inside);
            for (long pl = p0; pl < p1; pl++)
            {
                float* xp = (float*)s.x + pl * g.HW, yp = (float*)s.y + pl * g.P;
                long* ip = s.idx == 0 ? null : (long*)s.idx + pl * g.P;
                if (s.small && MaxPoolSmall.Plane(g, xp, yp, index, inside)) continue;
                if (s.threeByTwo && MaxPool3x3S2.Plane(g, xp, yp)) continue;
                if (sep != null && MaxPoolSeparable.Plane(g, xp, yp, sep)) continue;
                if (g.DH == 1 && g.DW == 1)
                {
                    MaxPoolPlaneUndilated(g, xp, yp, ip);
                    continue;
                }
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        int hs = oh * g.SH - g.PT, ws = ow * g.SW - g.PL;
                        float best = float.NegativeInfinity;
                        long bi = -1;
                        for (int kh = 0; kh < g.KH; kh++)
                        {
                            int ih = hs + kh * g.DH;
                            if ((uint)ih >= (uint)g.H) continue;
                            for (int kw = 0; kw < g.KW; kw++)
                            {
                                int iw = ws + kw * g.DW;
                                if ((uint)iw >= (uint)g.W) continue;
                                float v = xp[ih * g.W + iw];
                                // The first maximum wins; NaN propagates (a later NaN takes the index, as in PyTorch).
                                if (bi < 0 || v > best || float.IsNaN(v)) { best = v; bi = (long)ih * g.W + iw; }
                            }
                        }
                        yp[oh * g.OW + ow] = best;
                        if (ip != null) ip[oh * g.OW + ow] = bi;
                    }
            }
        });
    }

    /// <summary>One plane of max pooling without dilation: the window is clipped to the input once per output (no
    /// per-element bounds tests), with the same tie and NaN rules as the general loop (the first maximum wins; a NaN,
    /// including a later one, takes the place).</summary>
    private static void MaxPoolPlaneUndilated(in ConvGeometry g, float* xp, float* yp, long* ip)
    {
        int h = g.H, w = g.W, kh = g.KH, kw = g.KW, ow = g.OW;
        bool vector2x2 = MaxPool2x2.Applies(g), rows = !vector2x2 && MaxPoolRows.Applies(g);
        int lo = 0, hi = 0;
        if (rows) MaxPoolRows.Columns(g, out lo, out hi);
        for (int oh = 0; oh < g.OH; oh++)
        {
            int hs = oh * g.SH - g.PT;
            int r0 = Math.Max(0, hs), r1 = Math.Min(h, hs + kh);
            float* yRow = yp + (long)oh * ow;
            long* iRow = ip == null ? null : ip + (long)oh * ow;
            int start = vector2x2 ? MaxPool2x2.Row(g, xp, yRow, iRow, oh) : 0;
            if (hi > lo)
            {
                MaxPoolRows.Row(g, xp, r0, r1, lo, hi, yRow, iRow);
                MaxPoolOutputs(g, xp, r0, r1, 0, lo, yRow, iRow);
                MaxPoolOutputs(g, xp, r0, r1, hi, ow, yRow, iRow);
                continue;
            }
            MaxPoolOutputs(g, xp, r0, r1, start, ow, yRow, iRow);
        }
    }

    /// <summary>Outputs [o0, o1) of one output row read from input rows [r0, r1), each window on its own.</summary>
    private static void MaxPoolOutputs(in ConvGeometry g, float* xp, int r0, int r1, int o0, int o1, float* yRow, long* iRow)
    {
        int w = g.W, kw = g.KW;
        for (int o = o0; o < o1; o++)
        {
            int ws = o * g.SW - g.PL;
            int c0 = Math.Max(0, ws), c1 = Math.Min(w, ws + kw);
            // Padding is smaller than the window, so the clipped window is never empty: start from its first
            // element and update with selects rather than branches (random data would mispredict them).
            long bi = (long)r0 * w + c0;
            float best = xp[bi];
            for (int r = r0; r < r1; r++)
            {
                float* row = xp + (long)r * w;
                for (int c = c0; c < c1; c++)
                {
                    float v = row[c];
                    bool take = v > best | float.IsNaN(v);
                    best = take ? v : best;
                    bi = take ? (long)r * w + c : bi;
                }
            }
            yRow[o] = best;
            if (iRow != null) iRow[o] = bi;
        }
    }

    public void MaxPool2dBackward(Tensor dy, Tensor indices, Tensor dx, Pool2dParams p)
    {
        if (dx.ElementCount == 0) return;
        using var dyc = dy.Contiguous();
        using var ic = indices.Contiguous();
        int hw = dx.Shape[2] * dx.Shape[3], outPlane = dy.Shape[2] * dy.Shape[3];
        long planes = (long)dx.Shape[0] * dx.Shape[1];
        var st = (dy: (nint)dyc.F32(), idx: (nint)ic.I64(), dx: (nint)dx.F32(), hw, outPlane);
        CpuParallel.For(planes, Threads, Math.Max(1, 16384 / Math.Max(1, outPlane)), st, static (s, p0, p1) =>
        {
            for (long pl = p0; pl < p1; pl++)
            {
                float* dyp = (float*)s.dy + pl * s.outPlane, dxp = (float*)s.dx + pl * s.hw;
                long* ip = (long*)s.idx + pl * s.outPlane;
                new Span<float>(dxp, s.hw).Clear();
                for (int i = 0; i < s.outPlane; i++)
                {
                    long t = ip[i];
                    if ((ulong)t < (ulong)s.hw) dxp[t] += dyp[i];
                }
            }
        });
    }

    public void AvgPool2d(Tensor x, Tensor y, Pool2dParams p)
    {
        if (y.ElementCount == 0) return;
        using var xc = x.Contiguous();
        var g = ConvGeometry.Of(x, y, p);
        long planes = (long)x.Shape[0] * x.Shape[1];
        if (AvgPoolIsDepthwise(g, p))
        {
            // One divisor for every window: a depthwise convolution whose weights are all 1 sums each window in
            // row-major order from 0, and its epilogue scales it by 1 / (KH·KW): the window loop's values bit for bit.
            // Small maps take the channel blocks, as a convolution would (Inception's 3×3 / 1 on 2048 × 8² 0.163-0.165
            // → 0.069-0.10 ms, 1280 × 8² 0.11-0.16 → 0.043-0.064 on an Intel Xeon core); they read a weight set per
            // channel.
            var scaled = new EpilogueMath<AffineMath>(new AffineMath(1f / g.KK, 0f), null, y.F32());
            if (DepthwisePath(g, residual: false) == DepthwiseForwardPath.Channels)
            {
                int c = x.Shape[1];
                using var ones = Device.Memory.Rent((long)c * g.KK * sizeof(float));
                new Span<float>((float*)ones.Handle, c * g.KK).Fill(1f);
                DepthwiseChannels.Forward(Device.Memory, Threads, g, x.Shape[0], c, xc.F32(), (float*)ones.Handle, null, y.F32(), scaled);
                return;
            }
            float* w = stackalloc float[g.KK];
            new Span<float>(w, g.KK).Fill(1f);
            DepthwisePlanes.Forward(Device.Memory, Threads, g, planes, 1, xc.F32(), w, null, y.F32(), scaled);
            return;
        }
        var st = (g, x: (nint)xc.F32(), y: (nint)y.F32(), pb: p.PadBottom, pr: p.PadRight, inc: p.CountIncludePad);
        CpuParallel.For(planes, Threads, Math.Max(1, 16384 / Math.Max(1, g.P * g.KK)), st, static (s, p0, p1) =>
        {
            var g = s.g;
            AvgPoolRows.Columns(g, out int colLo, out int colHi);
            for (long pl = p0; pl < p1; pl++)
            {
                float* xp = (float*)s.x + pl * g.HW, yp = (float*)s.y + pl * g.P;
                for (int oh = 0; oh < g.OH; oh++)
                {
                    float* yRow = yp + (long)oh * g.OW;
                    if (colLo >= colHi)
                    {
                        AvgPoolOutputs(g, s.pb, s.pr, s.inc, xp, yRow, oh, 0, g.OW);
                        continue;
                    }
                    // The columns whose window is inside the input horizontally share its rows and divisor.
                    AvgPoolWindow(g, s.pb, s.pr, s.inc, oh, colLo, out int h0, out int h1, out _, out _, out float scale);
                    AvgPoolOutputs(g, s.pb, s.pr, s.inc, xp, yRow, oh, 0, colLo);
                    AvgPoolRows.Row(g, xp, yRow, h0, Math.Max(0, h1 - h0), colLo, colHi, scale);
                    AvgPoolOutputs(g, s.pb, s.pr, s.inc, xp, yRow, oh, colHi, g.OW);
                }
            }
        });
    }

    /// <summary>Whether average pooling runs on the depthwise planes (<see cref="DepthwisePlanes"/>): a window they take
    /// (3×3 or 5×5, stride 1 or 2) that divides every sum by KH·KW, because the padding counts (or there is none) and no
    /// window reaches past the padded input (ceil mode's last windows are clipped there). Measured against the vector
    /// rows (<see cref="AvgPoolRows"/>), ratio to ONNX Runtime on single layers: Inception's 3×3 / 1 on 192 × 37² 0.26 →
    /// 0.98-1.19, on 768 × 19² 0.17 → 0.79.</summary>
    internal static bool AvgPoolIsDepthwise(in ConvGeometry g, Pool2dParams p) =>
        g.KH == g.KW && g.KH > 1 && DepthwisePlanes.Applies(g)
        && (p.CountIncludePad || g.PT == 0 && g.PL == 0 && p.PadBottom == 0 && p.PadRight == 0)
        && (long)(g.OH - 1) * g.SH + g.KH <= (long)g.H + g.PT + p.PadBottom
        && (long)(g.OW - 1) * g.SW + g.KW <= (long)g.W + g.PL + p.PadRight;

    /// <summary>Outputs [ow0, ow1) of row <paramref name="oh"/>, each window summed and scaled on its own.</summary>
    private static void AvgPoolOutputs(in ConvGeometry g, int padBottom, int padRight, bool countIncludePad, float* xp, float* yRow,
        int oh, int ow0, int ow1)
    {
        for (int ow = ow0; ow < ow1; ow++)
        {
            AvgPoolWindow(g, padBottom, padRight, countIncludePad, oh, ow, out int h0, out int h1, out int w0, out int w1, out float scale);
            float sum = 0f;
            for (int ih = h0; ih < h1; ih++)
            {
                float* row = xp + ih * g.W;
                for (int iw = w0; iw < w1; iw++) sum += row[iw];
            }
            yRow[ow] = sum * scale;
        }
    }

    public void AvgPool2dBackward(Tensor dy, Tensor dx, Pool2dParams p)
    {
        if (dx.ElementCount == 0) return;
        using var dyc = dy.Contiguous();
        var g = ConvGeometry.Of(dx, dy, p);
        long planes = (long)dx.Shape[0] * dx.Shape[1];
        var st = (g, dy: (nint)dyc.F32(), dx: (nint)dx.F32(), pb: p.PadBottom, pr: p.PadRight, inc: p.CountIncludePad);
        CpuParallel.For(planes, Threads, Math.Max(1, 16384 / Math.Max(1, g.P * g.KK)), st, static (s, p0, p1) =>
        {
            var g = s.g;
            for (long pl = p0; pl < p1; pl++)
            {
                float* dxp = (float*)s.dx + pl * g.HW, dyp = (float*)s.dy + pl * g.P;
                new Span<float>(dxp, g.HW).Clear();
                for (int oh = 0; oh < g.OH; oh++)
                    for (int ow = 0; ow < g.OW; ow++)
                    {
                        AvgPoolWindow(g, s.pb, s.pr, s.inc, oh, ow, out int h0, out int h1, out int w0, out int w1, out float scale);
                        float v = dyp[oh * g.OW + ow] * scale;
                        for (int ih = h0; ih < h1; ih++)
                        {
                            float* row = dxp + ih * g.W;
                            for (int iw = w0; iw < w1; iw++) row[iw] += v;
                        }
                    }
            }
        });
    }

    /// <summary>The input rows [h0, h1) and columns [w0, w1) of an average-pooling window and 1/divisor. The divisor is
    /// the window clipped to the padded input when padding counts, else the number of input elements it covers.</summary>
    private static void AvgPoolWindow(in ConvGeometry g, int padBottom, int padRight, bool countIncludePad, int oh, int ow,
        out int h0, out int h1, out int w0, out int w1, out float scale)
    {
        int hs = oh * g.SH - g.PT, ws = ow * g.SW - g.PL;
        int he = Math.Min(hs + g.KH, g.H + padBottom), we = Math.Min(ws + g.KW, g.W + padRight);
        int padded = (he - hs) * (we - ws);
        h0 = Math.Max(hs, 0); w0 = Math.Max(ws, 0);
        h1 = Math.Min(he, g.H); w1 = Math.Min(we, g.W);
        int count = countIncludePad ? padded : Math.Max(0, h1 - h0) * Math.Max(0, w1 - w0);
        scale = count > 0 ? 1f / count : 0f;
    }
}
