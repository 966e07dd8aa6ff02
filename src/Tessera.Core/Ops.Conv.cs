using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    /// <summary>2-D convolution: y [N, O, OH, OW] = conv(x [N, C, H, W], w [O, C/Groups, KH, KW]) + bias [O], with the
    /// fused epilogue of <see cref="Conv2dParams.Epilogue"/>: y = act(conv + bias + residual), the residual (null, or of
    /// y's shape) added before the activation.</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, Conv2dParams p, Tensor? residual = null)
    {
        const string op = nameof(Conv2d);
        var device = Check.SameDevice(op, [(nameof(x), x), (nameof(w), w)], (nameof(bias), bias), (nameof(residual), residual));
        var y = Tensor.Empty(device, DType.Float32, ShapeRules.Conv2d(op, x.Spec, w.Spec, bias?.Spec, p, residual?.Spec));
        device.Kernels.Conv2d(x, w, bias, residual, y, p);
        return y;
    }

    /// <summary>Gradient of <see cref="Conv2d"/> with respect to x (of shape <paramref name="xShape"/>).</summary>
    public static Tensor Conv2dBackwardData(Tensor dy, Tensor w, Shape xShape, Conv2dParams p)
    {
        const string op = nameof(Conv2dBackwardData);
        var device = Check.SameDevice(op, (nameof(dy), dy), (nameof(w), w));
        var dx = Tensor.Empty(device, DType.Float32, ShapeRules.Conv2dBackwardData(op, dy.Spec, w.Spec, xShape, p));
        device.Kernels.Conv2dBackwardData(dy, w, dx, p);
        return dx;
    }

    /// <summary>Gradient of <see cref="Conv2d"/> with respect to w (of shape <paramref name="wShape"/>).</summary>
    public static Tensor Conv2dBackwardWeight(Tensor x, Tensor dy, Shape wShape, Conv2dParams p)
    {
        const string op = nameof(Conv2dBackwardWeight);
        var device = Check.SameDevice(op, (nameof(x), x), (nameof(dy), dy));
        var dw = Tensor.Empty(device, DType.Float32, ShapeRules.Conv2dBackwardWeight(op, x.Spec, dy.Spec, wShape, p));
        device.Kernels.Conv2dBackwardWeight(x, dy, dw, p);
        return dw;
    }

    /// <summary>Gradient of <see cref="Conv2d"/> with respect to the bias: dy [N, O, OH, OW] summed to [O].</summary>
    public static Tensor Conv2dBackwardBias(Tensor dy)
    {
        const string op = nameof(Conv2dBackwardBias);
        Check.Alive(op, nameof(dy), dy);
        var db = Tensor.Empty(dy.Device, DType.Float32, ShapeRules.Conv2dBackwardBias(op, dy.Spec));
        dy.Device.Kernels.Conv2dBackwardBias(dy, db);
        return db;
    }

    /// <summary>2-D max pooling of x [N, C, H, W]; also returns, per output, the flat index h·W + w of the maximum in its
    /// input plane (int64), for <see cref="MaxPool2dBackward"/>.</summary>
    public static (Tensor Y, Tensor Indices) MaxPool2d(Tensor x, Pool2dParams p)
    {
        const string op = nameof(MaxPool2d);
        Check.Alive(op, nameof(x), x);
        var shape = ShapeRules.MaxPool2d(op, x.Spec, p);
        var y = Tensor.Empty(x.Device, DType.Float32, shape);
        var indices = Tensor.Empty(x.Device, DType.Int64, shape);
        x.Device.Kernels.MaxPool2d(x, y, indices, p);
        return (y, indices);
    }

    /// <summary>Gradient of <see cref="MaxPool2d"/>: dy routed to the recorded maxima of an input of shape <paramref name="xShape"/>.</summary>
    public static Tensor MaxPool2dBackward(Tensor dy, Tensor indices, Shape xShape, Pool2dParams p)
    {
        const string op = nameof(MaxPool2dBackward);
        var device = Check.SameDevice(op, (nameof(dy), dy), (nameof(indices), indices));
        var dx = Tensor.Empty(device, DType.Float32, ShapeRules.MaxPool2dBackward(op, dy.Spec, indices.Spec, xShape, p));
        device.Kernels.MaxPool2dBackward(dy, indices, dx, p);
        return dx;
    }

    /// <summary>2-D average pooling of x [N, C, H, W] (no dilation). CountIncludePad divides by the window clipped to the
    /// padded input; otherwise by the number of input elements in the window.</summary>
    public static Tensor AvgPool2d(Tensor x, Pool2dParams p)
    {
        const string op = nameof(AvgPool2d);
        Check.Alive(op, nameof(x), x);
        var y = Tensor.Empty(x.Device, DType.Float32, ShapeRules.AvgPool2d(op, x.Spec, p));
        x.Device.Kernels.AvgPool2d(x, y, p);
        return y;
    }

    /// <summary>Gradient of <see cref="AvgPool2d"/> for an input of shape <paramref name="xShape"/>.</summary>
    public static Tensor AvgPool2dBackward(Tensor dy, Shape xShape, Pool2dParams p)
    {
        const string op = nameof(AvgPool2dBackward);
        Check.Alive(op, nameof(dy), dy);
        var dx = Tensor.Empty(dy.Device, DType.Float32, ShapeRules.AvgPool2dBackward(op, dy.Spec, xShape, p));
        dy.Device.Kernels.AvgPool2dBackward(dy, dx, p);
        return dx;
    }
}
