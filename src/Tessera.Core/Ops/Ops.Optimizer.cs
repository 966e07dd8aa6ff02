using Tessera.Devices;
using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    /// <summary>One SGD step, in place: param ← param − lr·(grad + wd·param).</summary>
    public static void SgdStep(Tensor param, Tensor grad, SgdParams p)
    {
        const string op = nameof(SgdStep);
        var device = CheckOptimizerTensors(op, param, grad);
        ShapeRules.CheckSgd(op, p);
        device.Kernels.SgdStep(param, grad, p);
    }

    /// <summary>One momentum-SGD step (PyTorch or ONNX formulas, see <see cref="MomentumParams"/>); param and velocity
    /// are updated in place.</summary>
    public static void MomentumStep(Tensor param, Tensor grad, Tensor velocity, MomentumParams p)
    {
        const string op = nameof(MomentumStep);
        var device = CheckOptimizerTensors(op, param, grad, (nameof(velocity), velocity));
        ShapeRules.CheckMomentum(op, p);
        device.Kernels.MomentumStep(param, grad, velocity, p);
    }

    /// <summary>One Adam/AdamW step (PyTorch or ONNX formulas, see <see cref="AdamParams"/>); param, m (first moment)
    /// and v (second moment) are updated in place.</summary>
    public static void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamParams p)
    {
        const string op = nameof(AdamStep);
        var device = CheckOptimizerTensors(op, param, grad, (nameof(m), m), (nameof(v), v));
        ShapeRules.CheckAdam(op, p);
        device.Kernels.AdamStep(param, grad, m, v, p);
    }

    /// <summary>Parameter, gradient and states: alive, one device, float32, the parameter's shape; the tensors written
    /// in place have distinct elements (no broadcast views) and do not overlap each other.</summary>
    private static IDevice CheckOptimizerTensors(string op, Tensor param, Tensor grad, params (string Name, Tensor State)[] states)
    {
        var all = new (string, Tensor?)[2 + states.Length];
        all[0] = (nameof(param), param);
        all[1] = (nameof(grad), grad);
        for (int i = 0; i < states.Length; i++) all[2 + i] = (states[i].Name, states[i].State);
        foreach (var (name, t) in all) Check.Alive(op, name, t);
        var device = Check.SameDevice(op, all);
        Check.Float32(op, nameof(param), param);
        Check.Float32(op, nameof(grad), grad);
        if (grad.Shape != param.Shape)
            throw new TesseraShapeException(op, nameof(grad), $"shape {grad.Shape} differs from param {param.Shape}");
        var written = new List<(string Name, Tensor T)> { (nameof(param), param) };
        foreach (var (name, s) in states)
        {
            if (s.DType != DType.Float32)
                throw new TesseraDTypeException(op, name, $"optimizer state must be Float32 like param, got {s.DType} (shape {s.Shape})");
            if (s.Shape != param.Shape)
                throw new TesseraShapeException(op, name, $"optimizer state shape {s.Shape} differs from param {param.Shape}");
            written.Add((name, s));
        }
        foreach (var (name, t) in written)
            for (int d = 0; d < t.Rank; d++)
                if (t.Strides[d] == 0 && t.Shape[d] > 1)
                    throw new TesseraArgumentException(op, name, $"is a broadcast view ({t.Shape}, stride 0 on axis {d}); an in-place update needs distinct elements");
        for (int i = 0; i < written.Count; i++)
            for (int j = i + 1; j < written.Count; j++)
                if (Overlaps(written[i].T, written[j].T))
                    throw new TesseraArgumentException(op, written[j].Name, $"shares memory with '{written[i].Name}'; each tensor updated in place needs its own storage");
        return device;
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
