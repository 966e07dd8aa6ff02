using Tessera.Graph;
using Tessera.Graph.Operators;
using Tessera.Graph.Optimization;
using Tessera.Kernels;
using static Tessera.Tests.Optimization.OptimizerHarness;

namespace Tessera.Tests.Optimization;

/// <summary>A zero padding of H and W into the average pooling after it. Each test runs a graph built for the pass
/// before and after it and compares the outputs.</summary>
public class PadFoldingTests
{
    private static PadParams Spatial(int top, int left, int bottom, int right, float value = 0f, PadMode mode = PadMode.Constant) =>
        new([0, 0, top, left, 0, 0, bottom, right], mode, value);

    [Theory]
    [InlineData(3, 1, 1, 1, 1, 1, 0, false)]   // Inception's pattern: Pad 1 then a 3x3 / 1 pool without padding
    [InlineData(3, 2, 1, 0, 0, 1, 1, true)]    // an asymmetric pad under a pooling whose own padding counts, stride 2
    [InlineData(5, 1, 2, 2, 2, 2, 0, true)]    // 5x5
    public void A_zero_pad_joins_the_average_pooling(int k, int stride, int top, int left, int bottom, int right, int poolPad, bool countIncludePad)
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 2, 3, 11, 13);
        var padded = g.Pad(x, Spatial(top, left, bottom, right), "pad");
        var p = new Pool2dParams(k, k, stride, stride, poolPad, poolPad, poolPad, poolPad, CountIncludePad: countIncludePad);
        var y = g.AvgPool2d(padded, p, "pool");
        g.Output(y);
        using var r = Check(g.Graph, [y], [new PadFolding()]);
        Assert.Equal(0, Count(r.Graph, "Pad"));
        var pool = (Pool2dGraphOp)r.Graph.Nodes.Single().Op;
        Assert.Equal((top + poolPad, left + poolPad, bottom + poolPad, right + poolPad, true),
            (pool.Params.PadTop, pool.Params.PadLeft, pool.Params.PadBottom, pool.Params.PadRight, pool.Params.CountIncludePad));
    }

    [Fact]
    public void Pads_that_would_change_the_result_are_left_alone()
    {
        using var scope = TensorScope.Begin();
        var g = new GraphBuilder();
        var x = g.Input("x", DType.Float32, 1, 2, 9, 9);
        var p3 = Pool2dParams.Square(3, 1);
        Value Pool(Value v, string name, Pool2dParams? p = null) => g.AvgPool2d(v, p ?? p3, name);
        var ys = new[]
        {
            Pool(g.Pad(x, Spatial(1, 1, 1, 1, value: 0.5f), "pad_half"), "nonzero"),                       // not zero
            Pool(g.Pad(x, Spatial(1, 1, 1, 1, mode: PadMode.Reflect), "pad_reflect"), "reflect"),          // not constant
            Pool(g.Pad(x, new PadParams([0, 1, 0, 0, 0, 1, 0, 0]), "pad_channels"), "channels"),          // pads channels
            Pool(g.Pad(x, Spatial(1, 1, 1, 1), "pad_uncounted"), "uncounted",
                new Pool2dParams(3, 3, 1, 1, 1, 1, 1, 1, CountIncludePad: false)),                           // own padding excluded
            g.MaxPool2d(g.Pad(x, Spatial(1, 1, 1, 1), "pad_max"), p3, "max"),                               // max pooling
        };
        ys = [.. ys, Pool(g.Pad(x, Spatial(2, 0, 0, 0), "pad_wide"), "wide", new Pool2dParams(3, 3, 1, 1, 1, 1, 1, 1, CountIncludePad: true))];   // 3 ≥ the window
        var shared = g.Pad(x, Spatial(1, 1, 1, 1), "pad_shared");                                            // read twice
        var all = ys.Append(Pool(shared, "shared")).Append(g.Relu(shared, "other_reader")).ToArray();
        foreach (var y in all) g.Output(y);
        using var r = Check(g.Graph, all, [new PadFolding()]);
        Assert.Equal(7, Count(r.Graph, "Pad"));
    }
}
