namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Output length of a convolution along one axis: ⌊(input + padBegin + padEnd − dilation·(kernel−1) − 1) / stride⌋ + 1.
    /// Throws when no window fits (the output would be empty or negative).</summary>
    public static int ConvOutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, string op, string axis)
    {
        long span = (long)input + padBegin + padEnd - ((long)dilation * (kernel - 1) + 1);
        if (span < 0)
            throw new TesseraShapeException(op, "x", $"along {axis} the input ({input}, padded {padBegin}+{padEnd}) is smaller than the dilated kernel ({(long)dilation * (kernel - 1) + 1}): the output would be empty");
        return SizeMath.Dim(op, "x", span / stride + 1, $"the output length along {axis}");
    }

    /// <summary>Output length of pooling along one axis. Floor mode as <see cref="ConvOutputSize"/>; ceil mode rounds up
    /// but drops a last window that would start past the input and its leading padding (PyTorch's rule).</summary>
    public static int PoolOutputSize(int input, int kernel, int stride, int padBegin, int padEnd, int dilation, bool ceilMode, string op, string axis)
    {
        long extent = (long)dilation * (kernel - 1) + 1;
        long span = (long)input + padBegin + padEnd - extent;
        if (span < 0)
            throw new TesseraShapeException(op, "x", $"along {axis} the input ({input}, padded {padBegin}+{padEnd}) is smaller than the window ({extent}): the output would be empty");
        long outSize = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
        if (ceilMode && (outSize - 1) * stride >= (long)input + padBegin) outSize--;
        if (outSize <= 0) throw new TesseraShapeException(op, "x", $"along {axis} the output would be empty");
        return SizeMath.Dim(op, "x", outSize, $"the output length along {axis}");
    }

    /// <summary>y [N, O, OH, OW] of conv2d(x [N, C, H, W], w [O, C/Groups, KH, KW]); validates the parameters.</summary>
    public static Shape Conv2d(Shape x, Shape w, Conv2dParams p, string op = "Conv2d")
    {
        if (x.Rank != 4) throw new TesseraShapeException(op, "x", $"expected NCHW (rank 4), got {x}");
        if (w.Rank != 4) throw new TesseraShapeException(op, "w", $"expected OIHW (rank 4), got {w}");
        CheckConv2dParams(p, op);
        int c = x[1], o = w[0], g = p.Groups;
        if (c % g != 0) throw new TesseraShapeException(op, "x", $"{c} input channels are not divisible by {g} groups");
        if (o % g != 0) throw new TesseraShapeException(op, "w", $"{o} output channels are not divisible by {g} groups");
        if (w[1] != c / g) throw new TesseraShapeException(op, "w", $"expected {c / g} input channels per group (x {x}, groups {g}), got w {w}");
        if (w[2] < 1 || w[3] < 1) throw new TesseraShapeException(op, "w", $"kernel must be at least 1×1, got {w}");
        int oh = ConvOutputSize(x[2], w[2], p.StrideH, p.PadTop, p.PadBottom, p.DilationH, op, "height");
        int ow = ConvOutputSize(x[3], w[3], p.StrideW, p.PadLeft, p.PadRight, p.DilationW, op, "width");
        return Shape.Create(op, [x[0], o, oh, ow]);
    }

    /// <summary>y [N, C, OH, OW] of 2-D pooling over x [N, C, H, W]; validates the parameters (padding must be smaller
    /// than the dilated window so that every window touches the input).</summary>
    public static Shape Pool2d(Shape x, Pool2dParams p, string op = "Pool2d")
    {
        if (x.Rank != 4) throw new TesseraShapeException(op, "x", $"expected NCHW (rank 4), got {x}");
        if (p.KernelH < 1 || p.KernelW < 1) throw new TesseraArgumentException(op, "p", $"kernel must be at least 1×1, got {p.KernelH}×{p.KernelW}");
        if (p.StrideH < 1 || p.StrideW < 1) throw new TesseraArgumentException(op, "p", $"strides must be positive, got {p.StrideH}×{p.StrideW}");
        if (p.DilationH < 1 || p.DilationW < 1) throw new TesseraArgumentException(op, "p", $"dilations must be positive, got {p.DilationH}×{p.DilationW}");
        long eh = (long)p.DilationH * (p.KernelH - 1) + 1, ew = (long)p.DilationW * (p.KernelW - 1) + 1;
        if (p.PadTop < 0 || p.PadBottom < 0 || p.PadLeft < 0 || p.PadRight < 0 ||
            p.PadTop >= eh || p.PadBottom >= eh || p.PadLeft >= ew || p.PadRight >= ew)
            throw new TesseraArgumentException(op, "p", $"padding ({p.PadTop}, {p.PadLeft}, {p.PadBottom}, {p.PadRight}) must be non-negative and smaller than the window ({eh}×{ew})");
        int oh = PoolOutputSize(x[2], p.KernelH, p.StrideH, p.PadTop, p.PadBottom, p.DilationH, p.CeilMode, op, "height");
        int ow = PoolOutputSize(x[3], p.KernelW, p.StrideW, p.PadLeft, p.PadRight, p.DilationW, p.CeilMode, op, "width");
        return Shape.Create(op, [x[0], x[1], oh, ow]);
    }

    /// <summary>y = act(conv2d(x, w) + bias + residual): Float32 x, w, bias and residual, shapes and parameters per
    /// <see cref="Conv2d(Shape, Shape, Conv2dParams, string)"/>, bias [O], residual of y's shape, and the epilogue's
    /// activation one of <see cref="Epilogue.Activations"/>. Returns y's shape.</summary>
    public static Shape Conv2d(string op, TensorSpec x, TensorSpec w, TensorSpec? bias, Conv2dParams p, TensorSpec? residual = null)
    {
        Check.Float32(op, "x", x);
        Check.Float32(op, "w", w);
        var y = Conv2d(x.Shape, w.Shape, p, op);
        if (bias is { } b)
        {
            Check.Float32(op, "bias", b);
            Check.Shape(op, "bias", b, new Shape(w.Shape[0]));
        }
        if (residual is { } r)
        {
            Check.Float32(op, "residual", r);
            Check.Shape(op, "residual", r, y);
        }
        CheckEpilogue(op, p.Epilogue);
        return y;
    }

    /// <summary>dx of a convolution: Float32 dy and w, dy of the shape conv2d gives an input of <paramref name="xShape"/>.</summary>
    public static Shape Conv2dBackwardData(string op, TensorSpec dy, TensorSpec w, Shape xShape, Conv2dParams p)
    {
        Check.Float32(op, "dy", dy);
        Check.Float32(op, "w", w);
        CheckNoEpilogue(op, p.Epilogue);
        Check.Shape(op, "dy", dy, Conv2d(xShape, w.Shape, p, op));
        return xShape;
    }

    /// <summary>dw of a convolution: Float32 x and dy, dy of the shape conv2d gives x and a weight of <paramref name="wShape"/>.</summary>
    public static Shape Conv2dBackwardWeight(string op, TensorSpec x, TensorSpec dy, Shape wShape, Conv2dParams p)
    {
        Check.Float32(op, "x", x);
        Check.Float32(op, "dy", dy);
        CheckNoEpilogue(op, p.Epilogue);
        Check.Shape(op, "dy", dy, Conv2d(x.Shape, wShape, p, op));
        return wShape;
    }

    /// <summary>db of a convolution: dy is Float32 [N, O, OH, OW]; returns [O].</summary>
    public static Shape Conv2dBackwardBias(string op, TensorSpec dy)
    {
        Check.Float32(op, "dy", dy);
        Check.Rank(op, "dy", dy, 4);
        return new Shape(dy.Shape[1]);
    }

    /// <summary>2-D max pooling: x is Float32 (shapes and window per <see cref="Pool2d(Shape, Pool2dParams, string)"/>);
    /// returns the shape of y and of the indices.</summary>
    public static Shape MaxPool2d(string op, TensorSpec x, Pool2dParams p)
    {
        Check.Float32(op, "x", x);
        return Pool2d(x.Shape, p, op);
    }

    /// <summary>dx of max pooling: Float32 dy and Int64 indices, both of the pooled shape of <paramref name="xShape"/>.</summary>
    public static Shape MaxPool2dBackward(string op, TensorSpec dy, TensorSpec indices, Shape xShape, Pool2dParams p)
    {
        Check.Float32(op, "dy", dy);
        Check.DType(op, "indices", indices, DType.Int64);
        var y = Pool2d(xShape, p, op);
        Check.Shape(op, "dy", dy, y);
        Check.Shape(op, "indices", indices, y);
        return xShape;
    }

    /// <summary>2-D average pooling: x is Float32, no dilation (window per <see cref="Pool2d(Shape, Pool2dParams, string)"/>);
    /// returns y's shape.</summary>
    public static Shape AvgPool2d(string op, TensorSpec x, Pool2dParams p)
    {
        Check.Float32(op, "x", x);
        CheckAvgPoolNoDilation(op, p);
        return Pool2d(x.Shape, p, op);
    }

    /// <summary>dx of average pooling: dy is Float32 of the pooled shape of <paramref name="xShape"/>.</summary>
    public static Shape AvgPool2dBackward(string op, TensorSpec dy, Shape xShape, Pool2dParams p)
    {
        Check.Float32(op, "dy", dy);
        CheckAvgPoolNoDilation(op, p);
        Check.Shape(op, "dy", dy, Pool2d(xShape, p, op));
        return xShape;
    }

    private static void CheckAvgPoolNoDilation(string op, Pool2dParams p)
    {
        if (p.DilationH != 1 || p.DilationW != 1)
            throw new TesseraArgumentException(op, "p", $"average pooling takes no dilation, got {p.DilationH}×{p.DilationW}");
    }

    private static void CheckConv2dParams(Conv2dParams p, string op)
    {
        if (p.StrideH < 1 || p.StrideW < 1) throw new TesseraArgumentException(op, "p", $"strides must be positive, got {p.StrideH}×{p.StrideW}");
        if (p.DilationH < 1 || p.DilationW < 1) throw new TesseraArgumentException(op, "p", $"dilations must be positive, got {p.DilationH}×{p.DilationW}");
        if (p.PadTop < 0 || p.PadBottom < 0 || p.PadLeft < 0 || p.PadRight < 0)
            throw new TesseraArgumentException(op, "p", $"padding must be non-negative, got ({p.PadTop}, {p.PadLeft}, {p.PadBottom}, {p.PadRight})");
        if (p.Groups < 1) throw new TesseraArgumentException(op, "p", $"groups must be positive, got {p.Groups}");
    }
}
