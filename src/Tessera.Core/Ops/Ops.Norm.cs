using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    private static void CheckNormEpsilon(string op, float epsilon)
    {
        if (!float.IsFinite(epsilon) || epsilon < 0)
            throw new TesseraArgumentException(op, "p.Epsilon", $"must be finite and ≥ 0, got {epsilon}");
    }

    private static void CheckChannelVector(string op, string name, Tensor t, Shape expected, Shape x)
    {
        Check.Float32(op, name, t);
        if (t.Shape != expected)
            throw new TesseraShapeException(op, name, $"expected shape {expected} (channels of x {x}), got {t.Shape}");
    }

    /// <summary>The checks batch norm training and inference share: one device for all five tensors, float32 x of
    /// rank ≥ 2, gamma and beta of the channel shape [C]. Returns the device and [C].</summary>
    private static (IDevice Device, Shape C) CheckBatchNormInputs(string op, Tensor x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVar)
    {
        var device = Check.SameDevice(op, (nameof(x), x), (nameof(gamma), gamma), (nameof(beta), beta),
            (nameof(runningMean), runningMean), (nameof(runningVar), runningVar));
        Check.Float32(op, nameof(x), x);
        var c = ShapeRules.BatchNormStatShape(op, x.Shape);
        CheckChannelVector(op, nameof(gamma), gamma, c, x.Shape);
        CheckChannelVector(op, nameof(beta), beta, c, x.Shape);
        return (device, c);
    }

    /// <summary>Training-mode batch norm over all axes but 1 of x [N, C, ...]. Returns y and the per-channel batch
    /// mean and 1/√(var+ε) (biased variance) for the backward pass; updates <paramref name="runningMean"/> and
    /// <paramref name="runningVar"/> (contiguous [C]) in place with Momentum and the unbiased batch variance.</summary>
    public static (Tensor Y, Tensor SaveMean, Tensor SaveInvStd) BatchNormTraining(Tensor x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVar, BatchNormParams p)
    {
        const string op = nameof(BatchNormTraining);
        var (device, c) = CheckBatchNormInputs(op, x, gamma, beta, runningMean, runningVar);
        Check.Output(op, nameof(runningMean), runningMean, c, DType.Float32);
        Check.Output(op, nameof(runningVar), runningVar, c, DType.Float32);
        CheckNormEpsilon(op, p.Epsilon);
        if (!float.IsFinite(p.Momentum) || p.Momentum < 0 || p.Momentum > 1)
            throw new TesseraArgumentException(op, "p.Momentum", $"must be in [0, 1], got {p.Momentum}");
        if (c[0] > 0 && ShapeRules.BatchNormCountPerChannel(x.Shape) < 2)
            throw new TesseraShapeException(op, nameof(x), $"expected more than 1 value per channel when training, got input {x.Shape}");
        var y = Tensor.Empty(device, DType.Float32, x.Shape);
        var mean = Tensor.Empty(device, DType.Float32, c);
        var invStd = Tensor.Empty(device, DType.Float32, c);
        device.Kernels.BatchNormTraining(x, gamma, beta, y, runningMean, runningVar, mean, invStd, p);
        return (y, mean, invStd);
    }

    /// <summary>Inference-mode batch norm: y = (x − runningMean)/√(runningVar + ε)·gamma + beta per channel (axis 1).</summary>
    public static Tensor BatchNormInference(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, BatchNormParams p)
    {
        const string op = nameof(BatchNormInference);
        var (device, c) = CheckBatchNormInputs(op, x, gamma, beta, runningMean, runningVar);
        CheckChannelVector(op, nameof(runningMean), runningMean, c, x.Shape);
        CheckChannelVector(op, nameof(runningVar), runningVar, c, x.Shape);
        CheckNormEpsilon(op, p.Epsilon);
        var y = Tensor.Empty(device, DType.Float32, x.Shape);
        device.Kernels.BatchNormInference(x, gamma, beta, runningMean, runningVar, y, p);
        return y;
    }

    /// <summary>Training-mode batch norm backward from the saved batch statistics: (dx, dgamma, dbeta).</summary>
    public static (Tensor Dx, Tensor DGamma, Tensor DBeta) BatchNormBackward(Tensor x, Tensor dy, Tensor gamma,
        Tensor saveMean, Tensor saveInvStd, BatchNormParams p)
    {
        const string op = nameof(BatchNormBackward);
        var device = Check.SameDevice(op, (nameof(x), x), (nameof(dy), dy), (nameof(gamma), gamma),
            (nameof(saveMean), saveMean), (nameof(saveInvStd), saveInvStd));
        Check.Float32(op, nameof(x), x);
        Check.Float32(op, nameof(dy), dy);
        var c = ShapeRules.BatchNormStatShape(op, x.Shape);
        if (dy.Shape != x.Shape) throw new TesseraShapeException(op, nameof(dy), $"expected shape {x.Shape} (x), got {dy.Shape}");
        CheckChannelVector(op, nameof(gamma), gamma, c, x.Shape);
        CheckChannelVector(op, nameof(saveMean), saveMean, c, x.Shape);
        CheckChannelVector(op, nameof(saveInvStd), saveInvStd, c, x.Shape);
        var dx = Tensor.Empty(device, DType.Float32, x.Shape);
        var dgamma = Tensor.Empty(device, DType.Float32, c);
        var dbeta = Tensor.Empty(device, DType.Float32, c);
        device.Kernels.BatchNormBackward(x, dy, gamma, saveMean, saveInvStd, dx, dgamma, dbeta, p);
        return (dx, dgamma, dbeta);
    }

    /// <summary>Layer norm over axes [p.Axis, rank) (negative axes count from the end): y, and mean and 1/√(var+ε) of
    /// shape x.shape[..Axis]. gamma/beta, when given, have shape x.shape[Axis..].</summary>
    public static (Tensor Y, Tensor Mean, Tensor InvStd) LayerNorm(Tensor x, Tensor? gamma, Tensor? beta, LayerNormParams p)
    {
        const string op = nameof(LayerNorm);
        var device = Check.SameDevice(op, (nameof(x), x), (nameof(gamma), gamma), (nameof(beta), beta));
        var np = CheckLayerNorm(op, x, gamma, beta, p);
        var y = Tensor.Empty(device, DType.Float32, x.Shape);
        var stat = ShapeRules.LayerNormStatShape(x.Shape, np.Axis);
        var mean = Tensor.Empty(device, DType.Float32, stat);
        var invStd = Tensor.Empty(device, DType.Float32, stat);
        device.Kernels.LayerNorm(x, gamma, beta, y, mean, invStd, np);
        return (y, mean, invStd);
    }

    private static LayerNormParams CheckLayerNorm(string op, Tensor x, Tensor? gamma, Tensor? beta, LayerNormParams p)
    {
        Check.Float32(op, nameof(x), x);
        if (x.Rank == 0) throw new TesseraShapeException(op, nameof(x), "layer norm needs rank ≥ 1, got a scalar");
        int axis = ShapeRules.LayerNormAxis(op, x.Shape, p.Axis);
        CheckNormEpsilon(op, p.Epsilon);
        var affine = ShapeRules.LayerNormAffineShape(x.Shape, axis);
        if (affine.ElementCount == 0)
            throw new TesseraShapeException(op, nameof(x), $"normalised axes [{axis}, {x.Rank}) of {x.Shape} hold no elements");
        if (affine.ElementCount > int.MaxValue)
            throw new TesseraShapeException(op, nameof(x), $"normalised size {affine.ElementCount} exceeds {int.MaxValue}");
        foreach (var (name, t) in new[] { (nameof(gamma), gamma), (nameof(beta), beta) })
        {
            if (t is null) continue;
            Check.Float32(op, name, t);
            if (t.Shape != affine) throw new TesseraShapeException(op, name, $"expected shape {affine} (x {x.Shape} from axis {axis}), got {t.Shape}");
        }
        return p with { Axis = axis };
    }

    /// <summary>Layer norm backward: dx; dgamma when gamma is given; dbeta when <paramref name="withBeta"/>.</summary>
    public static (Tensor Dx, Tensor? DGamma, Tensor? DBeta) LayerNormBackward(Tensor x, Tensor dy, Tensor? gamma,
        Tensor mean, Tensor invStd, LayerNormParams p, bool withBeta = true)
    {
        const string op = nameof(LayerNormBackward);
        var device = Check.SameDevice(op, (nameof(x), x), (nameof(dy), dy), (nameof(gamma), gamma), (nameof(mean), mean), (nameof(invStd), invStd));
        var np = CheckLayerNorm(op, x, gamma, null, p);
        Check.Float32(op, nameof(dy), dy);
        if (dy.Shape != x.Shape) throw new TesseraShapeException(op, nameof(dy), $"expected shape {x.Shape} (x), got {dy.Shape}");
        var stat = ShapeRules.LayerNormStatShape(x.Shape, np.Axis);
        Check.Float32(op, nameof(mean), mean);
        Check.Float32(op, nameof(invStd), invStd);
        if (mean.Shape != stat) throw new TesseraShapeException(op, nameof(mean), $"expected shape {stat}, got {mean.Shape}");
        if (invStd.Shape != stat) throw new TesseraShapeException(op, nameof(invStd), $"expected shape {stat}, got {invStd.Shape}");
        var affine = ShapeRules.LayerNormAffineShape(x.Shape, np.Axis);
        var dx = Tensor.Empty(device, DType.Float32, x.Shape);
        var dgamma = gamma is null ? null : Tensor.Empty(device, DType.Float32, affine);
        var dbeta = withBeta ? Tensor.Empty(device, DType.Float32, affine) : null;
        device.Kernels.LayerNormBackward(x, dy, gamma, mean, invStd, dx, dgamma, dbeta, np);
        return (dx, dgamma, dbeta);
    }

    private static void CheckDropout(string op, DropoutParams p)
    {
        if (float.IsNaN(p.Ratio) || p.Ratio < 0 || p.Ratio >= 1)
            throw new TesseraArgumentException(op, "p.Ratio", $"must be in [0, 1), got {p.Ratio}");
    }

    /// <summary>Inverted dropout: (y, mask). The UInt8 mask is a pure function of (Seed, element index) — element i is
    /// kept when the upper 32 bits of SplitMix64(Seed, i) divided by 2³² are ≥ Ratio — so every backend draws the same
    /// mask. Kept elements are scaled by 1/(1−Ratio). Not training: y = x, mask = 1.</summary>
    public static (Tensor Y, Tensor Mask) Dropout(Tensor x, DropoutParams p)
    {
        const string op = nameof(Dropout);
        Check.Float32(op, nameof(x), x);
        CheckDropout(op, p);
        var device = x.Device;
        var y = Tensor.Empty(device, DType.Float32, x.Shape);
        var mask = Tensor.Empty(device, DType.UInt8, x.Shape);
        device.Kernels.Dropout(x, y, mask, p);
        return (y, mask);
    }

    /// <summary>dx = dy·mask/(1−Ratio) (dx = dy·mask when not training).</summary>
    public static Tensor DropoutBackward(Tensor dy, Tensor mask, DropoutParams p)
    {
        const string op = nameof(DropoutBackward);
        var device = Check.SameDevice(op, (nameof(dy), dy), (nameof(mask), mask));
        Check.Float32(op, nameof(dy), dy);
        Check.DType(op, nameof(mask), mask, DType.UInt8);
        if (mask.Shape != dy.Shape) throw new TesseraShapeException(op, nameof(mask), $"expected shape {dy.Shape} (dy), got {mask.Shape}");
        CheckDropout(op, p);
        var dx = Tensor.Empty(device, DType.Float32, dy.Shape);
        device.Kernels.DropoutBackward(dy, mask, dx, p);
        return dx;
    }
}
