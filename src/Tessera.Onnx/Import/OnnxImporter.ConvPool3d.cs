using Tessera.Graph;
using Tessera.Kernels;

namespace Tessera.Onnx.Import;

/// <summary>3-D convolution and pooling (NCDHW) decomposed into 2-D kernels over depth slices: output depth d sums (conv),
/// maximises or averages (pools) the 2-D results of the input slices its window covers. Slices that fall into the depth
/// padding are skipped (they contribute zeros to a convolution and nothing to a max).</summary>
public sealed partial class OnnxImporter
{
    private Value DepthSlice(Dictionary<int, Value> cache, Value x, int i)
    {
        if (!cache.TryGetValue(i, out var v))
        {
            var s = x.Shape;
            cache[i] = v = _g.Reshape(_g.Slice(x, 2, i, i + 1), s[0], s[1], s[3], s[4]);
        }
        return v;
    }

    /// <summary>The most 2-D operations one 3-D node is decomposed into: beyond it a (hostile) depth padding or kernel
    /// would build a graph of billions of nodes, so the node is refused before any is added.</summary>
    private const long MaxDepthPlanes = 1 << 16;

    private void CheckDepthPlanes(int outDepth, int kernelDepth)
    {
        long planes = SizeMath.Multiply(Here, "kernel_shape", outDepth, kernelDepth);
        if (planes > MaxDepthPlanes)
            throw Unsupported($"3-D window of {outDepth} output depths × {kernelDepth} kernel depths ({planes} 2-D operations; at most {MaxDepthPlanes})");
    }

    private Value Conv3d(Value x, Value w, Value? bias, int[] strides, int[] dil, int[] b, int[] e, int group)
    {
        int depth = x.Shape[2], kd = w.Shape[2];
        int outD = ShapeRules.ConvOutputSize(depth, kd, strides[0], b[0], e[0], dil[0], Here, "depth");
        CheckDepthPlanes(outD, kd);
        var p = new Conv2dParams(strides[1], strides[2], b[1], b[2], e[1], e[2], dil[1], dil[2], group);
        var xs = new Dictionary<int, Value>();
        var ws = Enumerable.Range(0, kd).Select(k => _g.Reshape(_g.Slice(w, 2, k, k + 1), w.Shape[0], w.Shape[1], w.Shape[3], w.Shape[4])).ToArray();
        var planes = new Value[outD];
        for (int od = 0; od < outD; od++)
        {
            Value? acc = null;
            for (int k = 0; k < kd; k++)
            {
                long i = (long)od * strides[0] + (long)k * dil[0] - b[0];
                if (i < 0 || i >= depth) continue;
                var y = _g.Conv2d(DepthSlice(xs, x, (int)i), ws[k], null, p);
                acc = acc is null ? y : _g.Add(acc, y);
            }
            if (acc is null)
            {
                // A window entirely in the padding: zeros of the 2-D output's shape.
                var probe = _g.Conv2d(DepthSlice(xs, x, 0), ws[0], null, p);
                acc = _g.Affine(probe, 0f);
            }
            planes[od] = _g.Reshape(acc, acc.Shape[0], acc.Shape[1], 1, acc.Shape[2], acc.Shape[3]);
        }
        var yv = outD == 1 ? planes[0] : _g.Concat(planes, 2);
        return bias is null ? yv : _g.Add(yv, PerChannel(bias, 5));
    }

    private Value Pool3d(bool max, Value x, int[] kernel, int[] strides, int[] dil, int[] b, int[] e, bool ceil, bool includePad)
    {
        int depth = x.Shape[2];
        int outD = ShapeRules.PoolOutputSize(depth, kernel[0], strides[0], b[0], e[0], dil[0], ceil, Here, "depth");
        CheckDepthPlanes(outD, kernel[0]);
        var p = new Pool2dParams(kernel[1], kernel[2], strides[1], strides[2], b[1], b[2], e[1], e[2], dil[1], dil[2], ceil, includePad);
        var xs = new Dictionary<int, Value>();
        var planes = new Value[outD];
        for (int od = 0; od < outD; od++)
        {
            Value? acc = null;
            int valid = 0, covered = 0;
            for (int k = 0; k < kernel[0]; k++)
            {
                long i = (long)od * strides[0] + (long)k * dil[0] - b[0];
                if (i < depth + e[0]) covered++;       // count_include_pad counts padding, not the region past it
                if (i < 0 || i >= depth) continue;
                valid++;
                var y = max ? _g.MaxPool2d(DepthSlice(xs, x, (int)i), p) : _g.AvgPool2d(DepthSlice(xs, x, (int)i), p);
                acc = acc is null ? y : _g.Binary(max ? BinaryOp.Max : BinaryOp.Add, acc, y);
            }
            if (acc is null) throw new TesseraShapeException(Here, "pads", $"output depth {od} has a window entirely in the padding");
            if (!max) acc = _g.Affine(acc, 1f / (includePad ? covered : valid));
            planes[od] = _g.Reshape(acc, acc.Shape[0], acc.Shape[1], 1, acc.Shape[2], acc.Shape[3]);
        }
        return outD == 1 ? planes[0] : _g.Concat(planes, 2);
    }
}
