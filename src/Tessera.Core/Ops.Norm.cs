using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    /// <summary>Training-mode batch norm over all axes but 1 of x [N, C, ...]. Returns y and the per-channel batch
    /// mean and 1/√(var+ε) (biased variance) for the backward pass; updates <paramref name="runningMean"/> and
    /// <paramref name="runningVar"/> (contiguous [C]) in place with Momentum and the unbiased batch variance.</summary>
    public static (Tensor Y, Tensor SaveMean, Tensor SaveInvStd) BatchNormTraining(Tensor x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVar, BatchNormParams p)
    {
        const string op = nameof(BatchNormTraining);
        var device = Check.SameDevice(op, (nameof(x), x), (nameof(gamma), gamma), (nameof(beta), beta),
            (nameof(runningMean), runningMean), (nameof(runningVar), runningVar));
        var c = ShapeRules.BatchNorm(op, x.Spec, gamma.Spec, beta.Spec, runningMean.Spec, runningVar.Spec, p, training: true);
        Check.Output(op, nameof(runningMean), runningMean, c, DType.Float32);
        Check.Output(op, nameof(runningVar), runningVar, c, DType.Float32);
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
        var device = Check.SameDevice(op, (nameof(x), x), (nameof(gamma), gamma), (nameof(beta), beta),
            (nameof(runningMean), runningMean), (nameof(runningVar), runningVar));
        ShapeRules.BatchNorm(op, x.Spec, gamma.Spec, beta.Spec, runningMean.Spec, runningVar.Spec, p, training: false);
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
        var c = ShapeRules.BatchNormBackward(op, x.Spec, dy.Spec, gamma.Spec, saveMean.Spec, saveInvStd.Spec);
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
        var device = Check.SameDevice(op, [(nameof(x), x)], (nameof(gamma), gamma), (nameof(beta), beta));
        var (np, shape, stat) = ShapeRules.LayerNorm(op, x.Spec, gamma?.Spec, beta?.Spec, p.Axis, p.Epsilon);
        var y = Tensor.Empty(device, DType.Float32, shape);
        var mean = Tensor.Empty(device, DType.Float32, stat);
        var invStd = Tensor.Empty(device, DType.Float32, stat);
        device.Kernels.LayerNorm(x, gamma, beta, y, mean, invStd, np);
        return (y, mean, invStd);
    }

    /// <summary>Layer norm backward: dx; dgamma when gamma is given; dbeta when <paramref name="withBeta"/>.</summary>
    public static (Tensor Dx, Tensor? DGamma, Tensor? DBeta) LayerNormBackward(Tensor x, Tensor dy, Tensor? gamma,
        Tensor mean, Tensor invStd, LayerNormParams p, bool withBeta = true)
    {
        const string op = nameof(LayerNormBackward);
        var device = Check.SameDevice(op, [(nameof(x), x), (nameof(dy), dy), (nameof(mean), mean), (nameof(invStd), invStd)], (nameof(gamma), gamma));
        var (np, affine) = ShapeRules.LayerNormBackward(op, x.Spec, dy.Spec, gamma?.Spec, mean.Spec, invStd.Spec, p.Axis, p.Epsilon);
        var dx = Tensor.Empty(device, DType.Float32, x.Shape);
        var dgamma = gamma is null ? null : Tensor.Empty(device, DType.Float32, affine);
        var dbeta = withBeta ? Tensor.Empty(device, DType.Float32, affine) : null;
        device.Kernels.LayerNormBackward(x, dy, gamma, mean, invStd, dx, dgamma, dbeta, np);
        return (dx, dgamma, dbeta);
    }

    /// <summary>Inverted dropout: (y, mask). The UInt8 mask is a pure function of (Seed, element index) — element i is
    /// kept when the upper 32 bits of SplitMix64(Seed, i) divided by 2³² are ≥ Ratio — so every backend draws the same
    /// mask. Kept elements are scaled by 1/(1−Ratio). Not training: y = x, mask = 1.</summary>
    public static (Tensor Y, Tensor Mask) Dropout(Tensor x, DropoutParams p)
    {
        const string op = nameof(Dropout);
        Check.Alive(op, nameof(x), x);
        var shape = ShapeRules.Dropout(op, x.Spec, p.Ratio);
        var device = x.Device;
        var y = Tensor.Empty(device, DType.Float32, shape);
        var mask = Tensor.Empty(device, DType.UInt8, shape);
        device.Kernels.Dropout(x, y, mask, p);
        return (y, mask);
    }

    /// <summary>dx = dy·mask/(1−Ratio) (dx = dy·mask when not training).</summary>
    public static Tensor DropoutBackward(Tensor dy, Tensor mask, DropoutParams p)
    {
        const string op = nameof(DropoutBackward);
        var device = Check.SameDevice(op, (nameof(dy), dy), (nameof(mask), mask));
        var dx = Tensor.Empty(device, DType.Float32, ShapeRules.DropoutBackward(op, dy.Spec, mask.Spec, p.Ratio));
        device.Kernels.DropoutBackward(dy, mask, dx, p);
        return dx;
    }
}
