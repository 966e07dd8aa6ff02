namespace Tessera.Kernels;

/// <summary>Shape inference shared by the eager facade and the graph executor.</summary>
public static partial class ShapeRules
{
    /// <summary>Channels of a batch-norm input [N, C, ...] (rank ≥ 2).</summary>
    public static int BatchNormChannels(string op, Shape x)
    {
        if (x.Rank < 2) throw new TesseraShapeException(op, "x", $"batch norm expects [N, C, ...] (rank ≥ 2), got {x}");
        return x[1];
    }

    /// <summary>Values per channel a batch norm averages over: N·(spatial size).</summary>
    public static long BatchNormCountPerChannel(Shape x)
    {
        long m = x[0];
        for (int i = 2; i < x.Rank; i++) m *= x[i];
        return m;
    }

    /// <summary>Shape [C] of per-channel batch-norm parameters and statistics.</summary>
    public static Shape BatchNormStatShape(string op, Shape x) => new(BatchNormChannels(op, x));

    /// <summary>The normalised layer-norm axis (in [0, rank)).</summary>
    public static int LayerNormAxis(string op, Shape x, int axis) => Shape.NormalizeAxis(axis, x.Rank, op, "p.Axis");

    /// <summary>Shape x.shape[..axis] of the layer-norm mean/invStd (axis normalised).</summary>
    public static Shape LayerNormStatShape(Shape x, int axis) => new(x.Dims[..axis]);

    /// <summary>Shape x.shape[axis..] of the layer-norm gamma/beta (axis normalised).</summary>
    public static Shape LayerNormAffineShape(Shape x, int axis) => new(x.Dims[axis..]);
}
