namespace Tessera.Kernels;

/// <summary>Convolution and pooling on NCHW float32.</summary>
public interface IConvKernels
{
    /// <summary>y [N, O, OH, OW] = act(conv(x [N, C, H, W], w [O, C/G, KH, KW]) + bias [O] + residual [N, O, OH, OW]),
    /// act the activation of <see cref="Conv2dParams.Epilogue"/> (none by default); bias and residual may be null. The
    /// residual must not overlap y.</summary>
    void Conv2d(Tensor x, Tensor w, Tensor? bias, Tensor? residual, Tensor y, Conv2dParams p);

    /// <summary>dx from dy and w (dx is overwritten).</summary>
    void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dParams p);

    /// <summary>dw from x and dy (dw is overwritten).</summary>
    void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Conv2dParams p);

    /// <summary>db [O] = sum of dy over N, OH, OW.</summary>
    void Conv2dBackwardBias(Tensor dy, Tensor db);

    /// <summary>y = max over each window; <paramref name="indices"/> (int64, y's shape, may be null) receives the flat
    /// index h·W + w of the maximum within its input plane (PyTorch's convention).</summary>
    void MaxPool2d(Tensor x, Tensor y, Tensor? indices, Pool2dParams p);

    /// <summary>dx (overwritten) from dy and the indices of the forward pass.</summary>
    void MaxPool2dBackward(Tensor dy, Tensor indices, Tensor dx, Pool2dParams p);

    /// <summary>2-D average pooling of <paramref name="x"/> (NCHW) into <paramref name="y"/>.</summary>
    void AvgPool2d(Tensor x, Tensor y, Pool2dParams p);

    /// <summary>dx (overwritten) from dy.</summary>
    void AvgPool2dBackward(Tensor dy, Tensor dx, Pool2dParams p);
}
