using Tessera.Kernels;
using Tessera.Reference;
using static Tessera.Tests.Onnx.ImportModels;

namespace Tessera.Tests.Onnx;

/// <summary>Convolution, pooling and normalisation operators against the reference.</summary>
public class ImportNnTests
{
    private static RefTensor R(float[] d, params int[] shape) => new(shape, d.Select(v => (double)v).ToArray());

    [Fact]
    public void Conv_same_upper_strides_dilations_and_groups_match_the_reference()
    {
        float[] x = Data(30, 1 * 4 * 7 * 6), w = Data(31, 6 * 2 * 3 * 3), b = Data(32, 6);
        var m = new ImportModels(11).Input("x", 1, 4, 7, 6).Init("w", w, 6, 2, 3, 3).Init("b", b, 6).Output("y")
            .Node("Conv", new[] { "x", "w", "b" }, new[] { "y" }, S("auto_pad", "SAME_UPPER"), Is("strides", 2, 1), Is("dilations", 1, 2), I("group", 2));
        var y = m.Run(("x", Floats("x", x, 1, 4, 7, 6)))[0];
        // SAME_UPPER: out = ceil(in / stride); total pad along H = (4−1)·2 + 3 − 7 = 2 → 1/1; along W = 5·1 + 5 − 6 = 4 → 2/2.
        Assert.Equal(new long[] { 1, 6, 4, 6 }, y.Dims);
        var expected = RefConv.Conv2d(R(x, 1, 4, 7, 6), R(w, 6, 2, 3, 3), R(b, 6), new Conv2dParams(2, 1, 1, 2, 1, 2, 1, 2, 2));
        Close(expected.Data, ToFloats(y), 1e-4);
    }

    [Fact]
    public void Conv1d_and_pools_1d_run_as_2d_with_unit_height()
    {
        float[] x = Data(33, 2 * 3 * 9), w = Data(34, 4 * 3 * 2);
        var m = new ImportModels(11).Input("x", 2, 3, 9).Init("w", w, 4, 3, 2).Output("c").Output("mp").Output("ap")
            .Node("Conv", new[] { "x", "w" }, new[] { "c" }, Is("pads", 1, 0))
            .Node("MaxPool", new[] { "x" }, new[] { "mp" }, Is("kernel_shape", 3), Is("strides", 2), I("ceil_mode", 1))
            .Node("AveragePool", new[] { "x" }, new[] { "ap" }, Is("kernel_shape", 2), Is("pads", 1, 1), I("count_include_pad", 1));
        var outs = m.Run(("x", Floats("x", x, 2, 3, 9)));
        var x4 = R(x, 2, 3, 1, 9);
        var c = RefConv.Conv2d(x4, R(w, 4, 3, 1, 2), null, new Conv2dParams(1, 1, 0, 1, 0, 0, 1, 1, 1));
        Assert.Equal(new long[] { 2, 4, 9 }, outs[0].Dims);
        Close(c.Data, ToFloats(outs[0]), 1e-4);
        var mp = RefConv.MaxPool2d(x4, new Pool2dParams(1, 3, 1, 2, CeilMode: true)).Y;
        Assert.Equal(new long[] { 2, 3, 4 }, outs[1].Dims);
        Close(mp.Data, ToFloats(outs[1]));
        var ap = RefConv.AvgPool2d(x4, new Pool2dParams(1, 2, 1, 1, 0, 1, 0, 1, CountIncludePad: true));
        Assert.Equal(new long[] { 2, 3, 10 }, outs[2].Dims);   // strides default to 1: 9 + 2 − 2 + 1
        Close(ap.Data, ToFloats(outs[2]));
    }

    [Fact]
    public void BatchNormalization_inference_and_training_mode()
    {
        float[] x = Data(35, 2 * 3 * 2 * 2), s = Data(36, 3), b = Data(37, 3), mean = Data(38, 3), var = Data(39, 3, 0.5f, 1.5f);
        var m = new ImportModels(15).Input("x", 2, 3, 2, 2).Init("s", s, 3).Init("b", b, 3).Init("m", mean, 3).Init("v", var, 3)
            .Output("y").Output("yt").Output("rm").Output("rv")
            .Node("BatchNormalization", new[] { "x", "s", "b", "m", "v" }, new[] { "y" }, F("epsilon", 1e-3f))
            .Node("BatchNormalization", new[] { "x", "s", "b", "m", "v" }, new[] { "yt", "rm", "rv" }, I("training_mode", 1), F("momentum", 0.8f));
        var outs = m.Run(("x", Floats("x", x, 2, 3, 2, 2)));
        var y = new double[x.Length];
        var yt = new double[x.Length];
        var rm = new double[3];
        var rv = new double[3];
        for (int c = 0; c < 3; c++)
        {
            var idx = Enumerable.Range(0, x.Length).Where(i => i / 4 % 3 == c).ToArray();
            double bm = idx.Average(i => (double)x[i]);
            double bv = idx.Average(i => (x[i] - bm) * (x[i] - bm));
            foreach (var i in idx)
            {
                y[i] = s[c] * (x[i] - mean[c]) / Math.Sqrt(var[c] + 1e-3) + b[c];
                yt[i] = s[c] * (x[i] - bm) / Math.Sqrt(bv + 1e-5) + b[c];
            }
            rm[c] = mean[c] * 0.8 + bm * 0.2;
            rv[c] = var[c] * 0.8 + bv * 0.2;
        }
        Close(y, ToFloats(outs[0]), 1e-4);
        Close(yt, ToFloats(outs[1]), 1e-4);
        Close(rm, ToFloats(outs[2]), 1e-5);
        Close(rv, ToFloats(outs[3]), 1e-5);
    }

    [Fact]
    public void LayerNormalization_returns_mean_and_inverse_std_with_kept_axes()
    {
        float[] x = Data(40, 2 * 3 * 4), s = Data(41, 12), b = Data(42, 12);
        var m = new ImportModels(17).Input("x", 2, 3, 4).Init("s", s, 3, 4).Init("b", b, 3, 4).Output("y").Output("mean").Output("inv")
            .Node("LayerNormalization", new[] { "x", "s", "b" }, new[] { "y", "mean", "inv" }, I("axis", 1), F("epsilon", 1e-4f));
        var outs = m.Run(("x", Floats("x", x, 2, 3, 4)));
        Assert.Equal(new long[] { 2, 1, 1 }, outs[1].Dims);
        var y = new double[24];
        for (int n = 0; n < 2; n++)
        {
            var row = x.Skip(n * 12).Take(12).Select(v => (double)v).ToArray();
            double mu = row.Average(), inv = 1 / Math.Sqrt(row.Average(v => (v - mu) * (v - mu)) + 1e-4);
            for (int k = 0; k < 12; k++) y[n * 12 + k] = (row[k] - mu) * inv * s[k] + b[k];
            Assert.True(Math.Abs(mu - ToFloats(outs[1])[n]) < 1e-5);
            Assert.True(Math.Abs(inv - ToFloats(outs[2])[n]) < 1e-4 * inv);
        }
        Close(y, ToFloats(outs[0]), 1e-4);
    }

    [Fact]
    public void Dropout_outside_training_is_identity_with_an_all_true_mask()
    {
        float[] x = Data(43, 6);
        var m = new ImportModels(13).Input("x", 2, 3).Output("y").Output("mask", Tessera.Onnx.OnnxDataType.Bool)
            .Node("Dropout", new[] { "x" }, new[] { "y", "mask" }, I("seed", 3));
        var outs = m.Run(("x", Floats("x", x, 2, 3)));
        Assert.Equal(x, ToFloats(outs[0]));
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1 }, ToLongs(outs[1]));
    }

    [Fact]
    public void GlobalPools_keep_the_spatial_axes()
    {
        float[] x = Data(44, 2 * 3 * 4 * 5);
        var m = new ImportModels(13).Input("x", 2, 3, 4, 5).Output("a").Output("m")
            .Node("GlobalAveragePool", new[] { "x" }, new[] { "a" })
            .Node("GlobalMaxPool", new[] { "x" }, new[] { "m" });
        var outs = m.Run(("x", Floats("x", x, 2, 3, 4, 5)));
        Assert.Equal(new long[] { 2, 3, 1, 1 }, outs[0].Dims);
        Close(Enumerable.Range(0, 6).Select(p => x.Skip(p * 20).Take(20).Average(v => (double)v)).ToArray(), ToFloats(outs[0]));
        Close(Enumerable.Range(0, 6).Select(p => (double)x.Skip(p * 20).Take(20).Max()).ToArray(), ToFloats(outs[1]));
    }
}
