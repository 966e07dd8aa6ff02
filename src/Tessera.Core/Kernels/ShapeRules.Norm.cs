namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Batch norm of Float32 x [N, C, ...] with gamma, beta and the running statistics Float32 [C]; epsilon
    /// finite and ≥ 0, momentum in [0, 1]. With <paramref name="training"/> each channel must hold more than one value
    /// (<see cref="BatchNormTrainingCount"/>). Returns the channel shape [C] (y has x's shape).</summary>
    public static Shape BatchNorm(string op, TensorSpec x, TensorSpec gamma, TensorSpec beta, TensorSpec runningMean,
        TensorSpec runningVar, BatchNormParams p, bool training)
    {
        Check.Float32(op, "x", x);
        var c = BatchNormStatShape(op, x.Shape);
        ChannelVector(op, "gamma", gamma, c, x.Shape);
        ChannelVector(op, "beta", beta, c, x.Shape);
        ChannelVector(op, "runningMean", runningMean, c, x.Shape);
        ChannelVector(op, "runningVar", runningVar, c, x.Shape);
        Check.NonNegativeFinite(op, "Epsilon", p.Epsilon);
        if (!float.IsFinite(p.Momentum) || p.Momentum < 0 || p.Momentum > 1)
            throw new TesseraArgumentException(op, "Momentum", $"must be in [0, 1], got {p.Momentum}");
        if (training) BatchNormTrainingCount(op, x.Shape);
        return c;
    }

    /// <summary>Training on batch statistics needs more than one value per channel (the running variance is unbiased).</summary>
    public static void BatchNormTrainingCount(string op, Shape x)
    {
        if (x[1] > 0 && BatchNormCountPerChannel(x) < 2)
            throw new TesseraShapeException(op, "x", $"expected more than 1 value per channel when training, got input {x}");
    }

    /// <summary>Batch-norm backward from the saved statistics: Float32 x [N, C, ...] and dy of x's shape; gamma, saveMean
    /// and saveInvStd Float32 [C]. Returns [C].</summary>
    public static Shape BatchNormBackward(string op, TensorSpec x, TensorSpec dy, TensorSpec gamma, TensorSpec saveMean, TensorSpec saveInvStd)
    {
        Check.Float32(op, "x", x);
        Check.Float32(op, "dy", dy);
        var c = BatchNormStatShape(op, x.Shape);
        Check.SameShape(op, "dy", dy, "x", x);
        ChannelVector(op, "gamma", gamma, c, x.Shape);
        ChannelVector(op, "saveMean", saveMean, c, x.Shape);
        ChannelVector(op, "saveInvStd", saveInvStd, c, x.Shape);
        return c;
    }

    /// <summary>Values per channel a batch norm averages over: N·(spatial size).</summary>
    public static long BatchNormCountPerChannel(Shape x)
    {
        long m = x[0];
        for (int i = 2; i < x.Rank; i++) m *= x[i];
        return m;
    }

    /// <summary>Shape [C] of per-channel batch-norm parameters and statistics of x [N, C, ...] (rank ≥ 2).</summary>
    public static Shape BatchNormStatShape(string op, Shape x)
    {
        if (x.Rank < 2) throw new TesseraShapeException(op, "x", $"batch norm expects [N, C, ...] (rank ≥ 2), got {x}");
        return new Shape(x[1]);
    }

    private static void ChannelVector(string op, string name, TensorSpec t, Shape c, Shape x)
    {
        Check.Float32(op, name, t);
        if (t.Shape != c) throw new TesseraShapeException(op, name, $"expected shape {c} (channels of x {x}), got {t.Shape}");
    }

    /// <summary>Layer norm over axes [axis, rank) of Float32 x (rank ≥ 1; negative axes count from the end), holding at
    /// least one and at most 2³¹−1 elements per row; epsilon finite and ≥ 0; gamma/beta, when given, Float32 of shape
    /// x.shape[axis..]. Returns the normalised parameters, y's shape and the shape x.shape[..axis] of mean and invStd.</summary>
    public static (LayerNormParams P, Shape Y, Shape Stat) LayerNorm(string op, TensorSpec x, TensorSpec? gamma, TensorSpec? beta,
        int axis, float epsilon)
    {
        Check.Float32(op, "x", x);
        var s = x.Shape;
        if (s.Rank == 0) throw new TesseraShapeException(op, "x", "layer norm needs rank ≥ 1, got a scalar");
        int a = Shape.NormalizeAxis(axis, s.Rank, op, "axis");
        Check.NonNegativeFinite(op, "epsilon", epsilon);
        var affine = new Shape(s.Dims[a..]);
        if (affine.ElementCount == 0)
            throw new TesseraShapeException(op, "x", $"normalised axes [{a}, {s.Rank}) of {s} hold no elements");
        if (affine.ElementCount > int.MaxValue)
            throw new TesseraShapeException(op, "x", $"normalised size {affine.ElementCount} exceeds {int.MaxValue}");
        foreach (var (name, t) in new[] { ("gamma", gamma), ("beta", beta) })
        {
            if (t is not { } ts) continue;
            Check.Float32(op, name, ts);
            if (ts.Shape != affine) throw new TesseraShapeException(op, name, $"expected shape {affine} (x {s} from axis {a}), got {ts.Shape}");
        }
        return (new LayerNormParams(a, epsilon), s, new Shape(s.Dims[..a]));
    }

    /// <summary>Layer-norm backward: the forward rule holds (x, gamma); dy is Float32 of x's shape, mean and invStd
    /// Float32 of the statistics' shape. Returns the normalised parameters and the shape of gamma/beta (x.shape[axis..]).</summary>
    public static (LayerNormParams P, Shape Affine) LayerNormBackward(string op, TensorSpec x, TensorSpec dy, TensorSpec? gamma,
        TensorSpec mean, TensorSpec invStd, int axis, float epsilon)
    {
        var (p, _, stat) = LayerNorm(op, x, gamma, null, axis, epsilon);
        Check.Float32(op, "dy", dy);
        Check.SameShape(op, "dy", dy, "x", x);
        Check.Float32(op, "mean", mean);
        Check.Float32(op, "invStd", invStd);
        Check.Shape(op, "mean", mean, stat);
        Check.Shape(op, "invStd", invStd, stat);
        return (p, new Shape(x.Shape.Dims[p.Axis..]));
    }

    /// <summary>Inverted dropout of Float32 x with a ratio in [0, 1); returns the shape of y and of the UInt8 mask (x's).</summary>
    public static Shape Dropout(string op, TensorSpec x, float ratio)
    {
        Check.Float32(op, "x", x);
        CheckDropoutRatio(op, ratio);
        return x.Shape;
    }

    /// <summary>dx of dropout: Float32 dy, UInt8 mask of dy's shape, ratio in [0, 1); returns dx's shape.</summary>
    public static Shape DropoutBackward(string op, TensorSpec dy, TensorSpec mask, float ratio)
    {
        Check.Float32(op, "dy", dy);
        Check.DType(op, "mask", mask, DType.UInt8);
        Check.SameShape(op, "mask", mask, "dy", dy);
        CheckDropoutRatio(op, ratio);
        return dy.Shape;
    }

    private static void CheckDropoutRatio(string op, float ratio)
    {
        if (float.IsNaN(ratio) || ratio < 0 || ratio >= 1)
            throw new TesseraArgumentException(op, "ratio", $"must be in [0, 1), got {ratio}");
    }
}
