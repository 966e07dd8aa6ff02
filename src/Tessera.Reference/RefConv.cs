using Tessera.Kernels;

namespace Tessera.Reference;

/// <summary>Reference convolution and pooling on NCHW: direct loops over every output and every tap, double accumulation.</summary>
public static class RefConv
{
    /// <summary>Output length along one axis (floor mode; ceil mode drops a last window starting past input + leading pad).</summary>
    public static int OutSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceil = false)
    {
        int extent = dilation * (kernel - 1) + 1;
        double q = (double)(input + padBegin + padEnd - extent) / stride;
        int o = (int)(ceil ? Math.Ceiling(q) : Math.Floor(q)) + 1;
        if (ceil && (o - 1) * stride >= input + padBegin) o--;
        return o;
    }

    /// <summary>y[n, o, oh, ow] = act(bias[o] + Σ_{c in o's group, kh, kw} w[o, c, kh, kw]·x[n, g·Cg + c, oh·s − pad + kh·d, ...]
    /// + residual[n, o, oh, ow]), act the activation of <see cref="Conv2dParams.Epilogue"/>.</summary>
    public static RefTensor Conv2d(RefTensor x, RefTensor w, RefTensor? bias, Conv2dParams p, RefTensor? residual = null)
    {
        int oh = OutSize(x.Shape[2], w.Shape[2], p.StrideH, p.PadTop, p.PadBottom, p.DilationH);
        int ow = OutSize(x.Shape[3], w.Shape[3], p.StrideW, p.PadLeft, p.PadRight, p.DilationW);
        var y = new RefTensor(x.Shape[0], w.Shape[0], oh, ow);
        if (bias is not null)
            for (long f = 0; f < y.Length; f++) y.Data[f] = bias.Data[y.Unravel(f)[1]];
        Taps(x.Shape, w.Shape, y.Shape, p, (b, oc, i, j, ci, u, v, xc, ih, iw) =>
            y[b, oc, i, j] += w[oc, ci, u, v] * x[b, xc, ih, iw]);
        var e = p.Epilogue;
        for (long f = 0; f < y.Length; f++)
        {
            double v = y.Data[f];
            if (residual is not null) v += residual.Data[f];
            y.Data[f] = ScalarMath.Unary(e.Activation, v, e.Params);
        }
        return y;
    }

    /// <summary>dx: each dy element scattered back through every tap that read x.</summary>
    public static RefTensor Conv2dBackwardData(RefTensor dy, RefTensor w, int[] xShape, Conv2dParams p)
    {
        var dx = new RefTensor(xShape);
        Taps(xShape, w.Shape, dy.Shape, p, (b, oc, i, j, ci, u, v, xc, ih, iw) =>
            dx[b, xc, ih, iw] += w[oc, ci, u, v] * dy[b, oc, i, j]);
        return dx;
    }

    /// <summary>dw[o, c, kh, kw] = Σ over samples and outputs of dy·x at that tap.</summary>
    public static RefTensor Conv2dBackwardWeight(RefTensor x, RefTensor dy, int[] wShape, Conv2dParams p)
    {
        var dw = new RefTensor(wShape);
        Taps(x.Shape, wShape, dy.Shape, p, (b, oc, i, j, ci, u, v, xc, ih, iw) =>
            dw[oc, ci, u, v] += x[b, xc, ih, iw] * dy[b, oc, i, j]);
        return dw;
    }

    /// <summary>db[o] = Σ dy[:, o, :, :].</summary>
    public static RefTensor Conv2dBackwardBias(RefTensor dy)
    {
        var db = new RefTensor(dy.Shape[1]);
        for (long f = 0; f < dy.Length; f++) db.Data[dy.Unravel(f)[1]] += dy.Data[f];
        return db;
    }

    private delegate void TapAction(int b, int oc, int i, int j, int ci, int u, int v, int xc, int ih, int iw);

    /// <summary>Visits every (output, tap) pair that reads an input element (not padding).</summary>
    private static void Taps(int[] xShape, int[] wShape, int[] yShape, Conv2dParams p, TapAction act)
    {
        int n = xShape[0], h = xShape[2], wd = xShape[3];
        int o = wShape[0], cg = wShape[1], kh = wShape[2], kw = wShape[3], og = o / p.Groups;
        int oh = yShape[2], ow = yShape[3];
        for (int b = 0; b < n; b++)
            for (int oc = 0; oc < o; oc++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                        for (int ci = 0; ci < cg; ci++)
                            for (int u = 0; u < kh; u++)
                                for (int v = 0; v < kw; v++)
                                {
                                    int ih = i * p.StrideH - p.PadTop + u * p.DilationH;
                                    int iw = j * p.StrideW - p.PadLeft + v * p.DilationW;
                                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                    act(b, oc, i, j, ci, u, v, (oc / og) * cg + ci, ih, iw);
                                }
    }

    /// <summary>Max over each window (positions in the padding are skipped); indices = ih·W + iw of the first maximum
    /// (a NaN wins, the last NaN in window order).</summary>
    public static (RefTensor Y, RefTensor Indices) MaxPool2d(RefTensor x, Pool2dParams p)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int oh = OutSize(h, p.KernelH, p.StrideH, p.PadTop, p.PadBottom, p.DilationH, p.CeilMode);
        int ow = OutSize(wd, p.KernelW, p.StrideW, p.PadLeft, p.PadRight, p.DilationW, p.CeilMode);
        var y = new RefTensor(n, c, oh, ow);
        var idx = new RefTensor(n, c, oh, ow);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double best = double.NegativeInfinity;
                        int at = -1;
                        for (int u = 0; u < p.KernelH; u++)
                            for (int v = 0; v < p.KernelW; v++)
                            {
                                int ih = i * p.StrideH - p.PadTop + u * p.DilationH;
                                int iw = j * p.StrideW - p.PadLeft + v * p.DilationW;
                                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                                double val = x[b, ch, ih, iw];
                                if (at < 0 || val > best || double.IsNaN(val)) { best = val; at = ih * wd + iw; }
                            }
                        y[b, ch, i, j] = best;
                        idx[b, ch, i, j] = at;
                    }
        return (y, idx);
    }

    /// <summary>dx[n, c, index] += dy for each output (the gradient of the max is routed to the chosen element).</summary>
    public static RefTensor MaxPool2dBackward(RefTensor dy, RefTensor indices, int[] xShape)
    {
        var dx = new RefTensor(xShape);
        int plane = xShape[2] * xShape[3], outPlane = dy.Shape[2] * dy.Shape[3];
        for (long f = 0; f < dy.Length; f++)
        {
            long pl = f / outPlane;
            int at = (int)indices.Data[f];
            if (at >= 0) dx.Data[pl * plane + at] += dy.Data[f];
        }
        return dx;
    }

    /// <summary>Mean over each window; the divisor counts padding (clipped to the padded input) when CountIncludePad.</summary>
    public static RefTensor AvgPool2d(RefTensor x, Pool2dParams p)
    {
        int n = x.Shape[0], c = x.Shape[1], h = x.Shape[2], wd = x.Shape[3];
        int oh = OutSize(h, p.KernelH, p.StrideH, p.PadTop, p.PadBottom, 1, p.CeilMode);
        int ow = OutSize(wd, p.KernelW, p.StrideW, p.PadLeft, p.PadRight, 1, p.CeilMode);
        var y = new RefTensor(n, c, oh, ow);
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        double s = 0;
                        var cells = AvgWindow(h, wd, p, i, j, out double divisor);
                        foreach (var (ih, iw) in cells) s += x[b, ch, ih, iw];
                        y[b, ch, i, j] = divisor > 0 ? s / divisor : 0;
                    }
        return y;
    }

    /// <summary>dx: each dy/divisor spread over the input elements of its window.</summary>
    public static RefTensor AvgPool2dBackward(RefTensor dy, int[] xShape, Pool2dParams p)
    {
        var dx = new RefTensor(xShape);
        int n = xShape[0], c = xShape[1], h = xShape[2], wd = xShape[3];
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int i = 0; i < dy.Shape[2]; i++)
                    for (int j = 0; j < dy.Shape[3]; j++)
                    {
                        var cells = AvgWindow(h, wd, p, i, j, out double divisor);
                        if (divisor <= 0) continue;
                        foreach (var (ih, iw) in cells) dx[b, ch, ih, iw] += dy[b, ch, i, j] / divisor;
                    }
        return dx;
    }

    private static List<(int, int)> AvgWindow(int h, int wd, Pool2dParams p, int i, int j, out double divisor)
    {
        var cells = new List<(int, int)>();
        int padded = 0;
        for (int u = 0; u < p.KernelH; u++)
            for (int v = 0; v < p.KernelW; v++)
            {
                int ih = i * p.StrideH - p.PadTop + u, iw = j * p.StrideW - p.PadLeft + v;
                // A tap counts as padding while it lies inside the padded input; past that it does not count at all.
                if (ih >= h + p.PadBottom || iw >= wd + p.PadRight) continue;
                padded++;
                if (ih >= 0 && ih < h && iw >= 0 && iw < wd) cells.Add((ih, iw));
            }
        divisor = p.CountIncludePad ? padded : cells.Count;
        return cells;
    }
}
