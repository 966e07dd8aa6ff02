using System.Numerics.Tensors;
using Tessera.Cpu.Kernels.Conv;
using Tessera.Cpu.Kernels.Linalg;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Convolution as GEMM. Forward picks a path per shape (<see cref="ConvForwardPath"/>): 3×3 stride-1 layers
/// with enough channels run Winograd's minimal filtering (<see cref="WinogradConv"/>), small maps the transposed product
/// (<see cref="TransposedGemmConv"/>), most others the packed weight against input rows read in place
/// (<see cref="RowConv"/>), small-channel layers direct tiles, depthwise layers their own loops, and the rest the
/// GEMM with the input unfolded straight into its packed B panels (implicit im2col). The backward passes use an
/// explicit column buffer, chunked so the scratch stays bounded; 1×1 stride-1 unpadded convolutions read the input
/// directly as the GEMM operand.</summary>
internal sealed unsafe partial class CpuKernels : IConvKernels
{
    /// <summary>Depth (C/G·KH·KW) from which a fused convolution adds its bias in the epilogue instead of a prefill pass.</summary>
    private const int FusedBiasMinDepth = 256;

    /// <summary>Upper bound on the column scratch, in floats (16 MiB).</summary>
    private const long ConvColumnBudget = 4L << 20;

    public void Conv2d(Tensor x, Tensor w, Tensor? bias, Tensor? residual, Tensor y, Conv2dParams p) => Conv2d(x, w, null, bias, residual, y, p);

    /// <summary>The forward convolution; the GEMM path reads the weight from <paramref name="packedW"/> when given
    /// (<see cref="PackConv2dWeight"/>).</summary>
    private void Conv2d(Tensor x, Tensor w, PackedMatrices? packedW, Tensor? bias, Tensor? residual, Tensor y, Conv2dParams p)
    {
        if (y.ElementCount == 0) return;
        using var xc = x.Contiguous();
        using var wc = w.Contiguous();
        using var rc = residual?.Contiguous();
        int n = x.Shape[0], c = x.Shape[1], o = w.Shape[0], groups = p.Groups;
        int cg = c / groups, og = o / groups;
        var g = ConvGeometry.Of(x, y, w.Shape[2], w.Shape[3], p);
        float* px = xc.F32(), pw = wc.F32(), py = y.F32(), pr = rc is null ? null : rc.F32();
        var e = p.Epilogue;
        var path = ConvPath(g, c, o, groups);
        if (path == ConvForwardPath.Rows && pr == null && RowWindow(g, p) is { } turned && ConvPath(turned, c, o, groups) == ConvForwardPath.Rows)
        {
            ConvTurned(xc, wc, packedW, bias, y, p, g, turned);
            return;
        }
        if (path == ConvForwardPath.Direct)
        {
            using var bc = bias?.Contiguous();
            var direct = new DirectConvRun(Device.Memory, Threads, g, n, c, o, px, pw, bc is null ? null : bc.F32(), py, pr);
            UnaryDispatch.Visit(e.Activation, e.Params, ref direct);
            return;
        }
        if (path == ConvForwardPath.Stem)
        {
            using var bc = bias?.Contiguous();
            var stem = new StemConvRun(Device.Memory, Threads, g, n, c, o, px, pw, bc is null ? null : bc.F32(), py, pr);
            UnaryDispatch.Visit(e.Activation, e.Params, ref stem);
            return;
        }
        if (path == ConvForwardPath.Winograd)
        {
            using var bc = bias?.Contiguous();
            using var own = packedW is null ? PackWinogradWeight(pw, c, o, WinogradConv.TileOf(g)) : null;
            var wino = new WinogradConvRun(Device.Memory, Threads, g, n, c, o, px, packedW ?? own!, bc is null ? null : bc.F32(), py, pr);
            UnaryDispatch.Visit(e.Activation, e.Params, ref wino);
            return;
        }
        if (path == ConvForwardPath.TransposedGemm)
        {
            using var bc = bias?.Contiguous();
            TransposedGemmConv.Forward(Device.Memory, Threads, g, n, c, o, px, pw, packedW, bc is null ? null : bc.F32(), pr, e, py);
            return;
        }
        if (path == ConvForwardPath.Rows)
        {
            using var bc = bias?.Contiguous();
            int kd = c / groups * g.KK;
            using var own = packedW is null ? PackConvWeight(pw, groups, o / groups, kd) : null;
            var rows = new RowConvRun(Device.Memory, Threads, g, n, c, o, groups, px, packedW ?? own!, bc is null ? null : bc.F32(), py, pr);
            UnaryDispatch.Visit(e.Activation, e.Params, ref rows);
            return;
        }
        var dwPath = path == ConvForwardPath.Depthwise ? DepthwisePath(g, pr != null) : DepthwiseForwardPath.Padded;
        if (dwPath != DepthwiseForwardPath.Padded)
        {
            using var bc = bias?.Contiguous();
            float* dwBias = bc is null ? null : bc.F32();
            if (dwPath == DepthwiseForwardPath.Channels)
            {
                var blocks = new DepthwiseChannelsRun(Device.Memory, Threads, g, n, c, px, pw, dwBias, py);
                UnaryDispatch.Visit(e.Activation, e.Params, ref blocks);
            }
            else if (dwPath == DepthwiseForwardPath.Planes)
            {
                var planes = new DepthwisePlanesRun(Device.Memory, Threads, g, (long)n * o, o, px, pw, dwBias, py, pr);
                UnaryDispatch.Visit(e.Activation, e.Params, ref planes);
            }
            else
            {
                var rows = new RowDepthwiseRun(Device.Memory, Threads, g, n, c, px, pw, dwBias, py, pr);
                UnaryDispatch.Visit(e.Activation, e.Params, ref rows);
            }
            return;
        }
        bool fused = !e.IsNone || pr != null;
        int kdim = cg * g.KK;
        // The output starts at the bias and the products accumulate onto it (β = 1), unless the product is deep enough
        // to hide the scattered first touch of the output's lines: a fused convolution then stores (β = 0) and its
        // epilogue adds the bias (with the residual) to each finished tile, which saves the prefill pass.
        bool prefill = !fused || path == ConvForwardPath.Depthwise || kdim < FusedBiasMinDepth;
        if (prefill) FillConvPlanes(py, n, o, g.P, bias);
        if (path == ConvForwardPath.Depthwise)
        {
            var depthwise = new DepthwiseRun(this, g, px, pw, py, pr, n * o, o);
            UnaryDispatch.Visit(e.Activation, e.Params, ref depthwise);
            return;
        }
        using var bc2 = prefill ? null : bias?.Contiguous();
        float* pb = bc2 is null ? null : bc2.F32();
        // One GEMM per (sample, group): y_g [og × P] (+)= W_g [og × kdim] · col [kdim × P]. Small products run one per
        // thread; large ones use every thread inside the GEMM.
        long products = (long)n * groups, work = (long)og * g.P * kdim;
        bool spread = products > 1 && work < Sgemm.SmallProduct;
        long grain = Math.Max(1, Sgemm.SmallProduct / Math.Max(1, work));
        int slotCount = CpuParallel.Slots(products, spread ? Threads : 1, grain);
        using var slots = new SgemmSlots(Device.Memory, slotCount, og, g.P, kdim);
        var st = (g, px: (nint)px, pw: (nint)pw, py: (nint)py, pb: (nint)pb, pr: (nint)pr, e, fused, prefill, c, o, cg, og, groups, kdim,
            threads: spread ? 1 : Threads, slots, packedW);
        CpuParallel.ForSlots(products, spread ? Threads : 1, grain, st, static (s, q0, q1, slot) =>
        {
            for (long q = q0; q < q1; q++)
            {
                long b = q / s.groups;
                int gi = (int)(q % s.groups);
                float* xg = (float*)s.px + (b * s.c + gi * s.cg) * s.g.HW;
                float* wg = (float*)s.pw + (long)gi * s.og * s.kdim;
                long yOff = (b * s.o + gi * s.og) * s.g.P;
                float* yg = (float*)s.py + yOff;
                var epilogue = s.fused
                    ? new GemmEpilogue(s.e, s.pb == 0 ? null : (float*)s.pb + gi * s.og, true, s.pr == 0 ? null : (float*)s.pr + yOff, yg)
                    : default;
                float beta = s.prefill ? 1f : 0f;
                var pool = s.slots[slot];
                var packed = new Prepacked(s.packedW is null ? null : s.packedW[gi], null);
                if (s.g.IsPointwise)
                    Sgemm.Run(pool, s.threads, s.og, s.g.P, s.kdim, 1f, wg, s.kdim, 1, xg, s.g.HW, 1, beta, yg, s.g.P, epilogue, packed);
                else Sgemm.Run(pool, s.threads, s.og, s.g.P, s.kdim, 1f, wg, s.kdim, 1, new Im2ColPanels(s.g, xg), beta, yg, s.g.P, epilogue, packed);
            }
        });
    }

    /// <summary>A 1×k window padded only along W (Inception's 1×7 layers on 17×17 maps) on the padded-row path computes
    /// every position of its padded rows, k − 1 of each 17 + k − 1 wasted (1×7: 143 GFLOP/s there, its 7×1 twin 180).
    /// Turned a quarter (H and W swapped) it is a k×1 window padded along H, whose padded rows are the output rows: the
    /// geometry of that problem, or null when the layer is not such a window. Only on narrow maps of several rows: a 1-D
    /// signal (one row of a thousand) turned would be a thousand rows of one (the audio model 1.29 → 0.83).</summary>
    internal static ConvGeometry? RowWindow(in ConvGeometry g, Conv2dParams p) =>
        g.KH == 1 && g.KW > 1 && g.SH == 1 && g.SW == 1 && g.DH == 1 && g.DW == 1 && p.PadTop == 0 && p.PadBottom == 0
        && g.H >= MinTurnedRows && g.OW <= MaxTurnedWidth
        && (p.PadLeft > 0 || p.PadRight > 0) && p.Groups == 1 && g.OH == g.H
            ? new ConvGeometry(g.W, g.H, g.KW, 1, g.OW, g.OH, 1, 1, p.PadLeft, 0, 1, 1)
            : null;

    private const int MinTurnedRows = 8, MaxTurnedWidth = 32;

    /// <summary>The convolution run on its planes turned a quarter (<see cref="RowWindow"/>): x's planes transposed into
    /// scratch, the weight read as k×1 (the same floats, and the same packed panels), the turned output transposed back
    /// into y. The bias and activation are per element, so they run inside the turned convolution.</summary>
    private void ConvTurned(Tensor x, Tensor w, PackedMatrices? packedW, Tensor? bias, Tensor y, Conv2dParams p, in ConvGeometry g, in ConvGeometry turned)
    {
        int n = x.Shape[0], c = x.Shape[1], o = w.Shape[0];
        using var xt = Tensor.Empty(Device, DType.Float32, n, c, g.W, g.H);
        using var wt = w.Reshape(o, c, g.KW, 1);
        using var yt = Tensor.Empty(Device, DType.Float32, n, o, g.OW, g.OH);
        TransposePlanes(x.F32(), (long)n * c, g.H, g.W, xt.F32());
        var pt = p with { PadTop = p.PadLeft, PadBottom = p.PadRight, PadLeft = 0, PadRight = 0 };
        Conv2d(xt, wt, packedW, bias, null, yt, pt);
        TransposePlanes(yt.F32(), (long)n * o, turned.OH, turned.OW, y.F32());
    }

    /// <summary>dst plane i [cols × rows] = src plane i [rows × cols] transposed, planes in parallel.</summary>
    private void TransposePlanes(float* src, long planes, int rows, int cols, float* dst)
    {
        var st = (src: (nint)src, dst: (nint)dst, rows, cols);
        CpuParallel.For(planes, Threads, Math.Max(1, 16384 / Math.Max(1, (long)rows * cols)), st, static (s, p0, p1) =>
        {
            long size = (long)s.rows * s.cols;
            for (long i = p0; i < p1; i++)
                Transpose8x8.Matrix((float*)s.src + i * size, s.cols, s.rows, s.cols, (float*)s.dst + i * size, s.rows);
        });
    }

    public void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dParams p)
    {
        if (dx.ElementCount == 0) return;
        using var dyc = dy.Contiguous();
        using var wc = w.Contiguous();
        int n = dx.Shape[0], c = dx.Shape[1], o = w.Shape[0], groups = p.Groups;
        int cg = c / groups, og = o / groups;
        var g = ConvGeometry.Of(dx, dy, w.Shape[2], w.Shape[3], p);
        float* pdy = dyc.F32(), pw = wc.F32(), pdx = dx.F32();
        int kdim = cg * g.KK;
        if (cg == 1 && og == 1)
        {
            ConvZero(pdx, dx.ElementCount);
            DepthwiseBackwardData(g, pdy, pw, pdx, n * c, c);
            return;
        }
        bool direct = g.IsPointwise;
        if (!direct) ConvZero(pdx, dx.ElementCount);
        int chunk = ConvColumnChunk(kdim, g.P);
        using var col = direct ? null : Device.Memory.Rent((long)kdim * chunk * sizeof(float));
        for (int b = 0; b < n; b++)
            for (int gi = 0; gi < groups; gi++)
            {
                float* dxg = pdx + ((long)b * c + gi * cg) * g.HW;
                float* wg = pw + (long)gi * og * kdim;
                float* dyg = pdy + ((long)b * o + gi * og) * g.P;
                // dcol [kdim × cols] = W_gᵀ [kdim × og] · dy_g [og × cols]
                if (direct)
                {
                    Sgemm.Run(Device.Memory, Threads, kdim, g.P, og, 1f, wg, 1, kdim, dyg, g.P, 1, 0f, dxg, g.HW);
                    continue;
                }
                float* pcol = (float*)col!.Handle;
                for (int j0 = 0; j0 < g.P; j0 += chunk)
                {
                    int cols = Math.Min(chunk, g.P - j0);
                    Sgemm.Run(Device.Memory, Threads, kdim, cols, og, 1f, wg, 1, kdim, dyg + j0, g.P, 1, 0f, pcol, cols);
                    Im2Col.Fold(g, pcol, cg, j0, cols, dxg, Threads);
                }
            }
    }

    public void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Conv2dParams p)
    {
        if (dw.ElementCount == 0) return;
        using var xc = x.Contiguous();
        using var dyc = dy.Contiguous();
        int n = x.Shape[0], c = x.Shape[1], o = dw.Shape[0], groups = p.Groups;
        int cg = c / groups, og = o / groups;
        var g = ConvGeometry.Of(x, dy, dw.Shape[2], dw.Shape[3], p);
        float* px = xc.F32(), pdy = dyc.F32(), pdw = dw.F32();
        int kdim = cg * g.KK;
        if (n == 0 || g.P == 0)
        {
            ConvZero(pdw, dw.ElementCount);
            return;
        }
        if (cg == 1 && og == 1)
        {
            DepthwiseBackwardWeight(g, px, pdy, pdw, n, c);
            return;
        }
        bool direct = g.IsPointwise;
        for (int gi = 0; gi < groups; gi++)
        {
            float* dwg = pdw + (long)gi * og * kdim;
            for (int b = 0; b < n; b++)
            {
                float* xg = px + ((long)b * c + gi * cg) * g.HW;
                float* dyg = pdy + ((long)b * o + gi * og) * g.P;
                float beta = b == 0 ? 0f : 1f;
                // dw_g [og × kdim] (+)= dy_g [og × P] · colᵀ [P × kdim]
                if (direct) Sgemm.Run(Device.Memory, Threads, og, kdim, g.P, 1f, dyg, g.P, 1, xg, 1, g.HW, beta, dwg, kdim);
                else Sgemm.Run(Device.Memory, Threads, og, kdim, g.P, 1f, dyg, g.P, 1, new Im2ColTransposedPanels(g, xg), beta, dwg, kdim);
            }
        }
    }

    public void Conv2dBackwardBias(Tensor dy, Tensor db)
    {
        using var dyc = dy.Contiguous();
        int n = dy.Shape[0], o = dy.Shape[1], plane = dy.Shape[2] * dy.Shape[3];
        var st = (dy: (nint)dyc.F32(), db: (nint)db.F32(), n, o, plane);
        CpuParallel.For(o, Threads, Math.Max(1, 65536 / Math.Max(1L, (long)n * plane)), st, static (s, c0, c1) =>
        {
            for (long ch = c0; ch < c1; ch++)
            {
                double sum = 0;
                for (int b = 0; b < s.n; b++)
                    sum += TensorPrimitives.Sum(new ReadOnlySpan<float>((float*)s.dy + ((long)b * s.o + ch) * s.plane, s.plane));
                ((float*)s.db)[ch] = (float)sum;
            }
        });
    }

    private static int ConvColumnChunk(int kdim, int p) => (int)Math.Max(1, Math.Min(p, Math.Max(Sgemm.NR, ConvColumnBudget / Math.Max(1, kdim))));

    /// <summary>Zeroes n floats (any count: spans are limited to int lengths).</summary>
    internal static void ConvZero(float* p, long n)
    {
        for (long i = 0; i < n; i += int.MaxValue / 2)
            new Span<float>(p + i, (int)Math.Min(int.MaxValue / 2, n - i)).Clear();
    }

    /// <summary>Each [n, o] plane ← bias[o] (or zero).</summary>
    private static void FillConvPlanes(float* y, int n, int o, int plane, Tensor? bias)
    {
        if (bias is null)
        {
            ConvZero(y, (long)n * o * plane);
            return;
        }
        using var bc = bias.Contiguous();
        float* pb = bc.F32();
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < o; ch++)
                new Span<float>(y + ((long)b * o + ch) * plane, plane).Fill(pb[ch]);
    }
}
