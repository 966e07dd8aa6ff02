using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    /// <summary>One SGD step, in place: param ← param − lr·(grad + wd·param).</summary>
    public static void SgdStep(Tensor param, Tensor grad, SgdParams p)
    {
        const string op = nameof(SgdStep);
        var device = Check.SameDevice(op, (nameof(param), param), (nameof(grad), grad));
        ShapeRules.SgdStep(op, param.Spec, grad.Spec, p);
        CheckInPlace(op, (nameof(param), param));
        device.Kernels.SgdStep(param, grad, p);
    }

    /// <summary>One momentum-SGD step (PyTorch or ONNX formulas, see <see cref="MomentumParams"/>); param and velocity
    /// are updated in place.</summary>
    public static void MomentumStep(Tensor param, Tensor grad, Tensor velocity, MomentumParams p)
    {
        const string op = nameof(MomentumStep);
        var device = Check.SameDevice(op, (nameof(param), param), (nameof(grad), grad), (nameof(velocity), velocity));
        ShapeRules.MomentumStep(op, param.Spec, grad.Spec, velocity.Spec, p);
        CheckInPlace(op, (nameof(param), param), (nameof(velocity), velocity));
        device.Kernels.MomentumStep(param, grad, velocity, p);
    }

    /// <summary>One Adam/AdamW step (PyTorch or ONNX formulas, see <see cref="AdamParams"/>); param, m (first moment)
    /// and v (second moment) are updated in place.</summary>
    public static void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamParams p)
    {
        const string op = nameof(AdamStep);
        var device = Check.SameDevice(op, (nameof(param), param), (nameof(grad), grad), (nameof(m), m), (nameof(v), v));
        ShapeRules.AdamStep(op, param.Spec, grad.Spec, m.Spec, v.Spec, p);
        CheckInPlace(op, (nameof(param), param), (nameof(m), m), (nameof(v), v));
        device.Kernels.AdamStep(param, grad, m, v, p);
    }


    /// <summary>The tensors written in place have distinct elements (no broadcast views) and do not overlap each other.</summary>
    private static void CheckInPlace(string op, params (string Name, Tensor T)[] written)
    {
        foreach (var (name, t) in written)
            for (int d = 0; d < t.Rank; d++)
                if (t.Strides[d] == 0 && t.Shape[d] > 1)
                    throw new TesseraArgumentException(op, name, $"is a broadcast view ({t.Shape}, stride 0 on axis {d}); an in-place update needs distinct elements");
        for (int i = 0; i < written.Length; i++)
            for (int j = i + 1; j < written.Length; j++)
                if (Overlaps(written[i].T, written[j].T))
                    throw new TesseraArgumentException(op, written[j].Name, $"shares memory with '{written[i].Name}'; each tensor updated in place needs its own storage");
    }

    /// <summary>True when two tensors on one storage have overlapping element spans (conservative: by extent).</summary>
    private static bool Overlaps(Tensor a, Tensor b)
    {
        if (!ReferenceEquals(a.Storage, b.Storage) || a.ElementCount == 0 || b.ElementCount == 0) return false;
        static (long Lo, long Hi) Extent(Tensor t)
        {
            long hi = t.Offset;
            for (int d = 0; d < t.Rank; d++) hi += (t.Shape[d] - 1) * t.Strides[d];
            return (t.Offset, hi);
        }
        var (alo, ahi) = Extent(a);
        var (blo, bhi) = Extent(b);
        return alo <= bhi && blo <= ahi;
    }
}
