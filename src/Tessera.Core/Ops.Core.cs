using Tessera.Kernels;

namespace Tessera;

/// <summary>The eager API: every op checks that its tensors are alive and on one device, validates its arguments with
/// the op's rule in <see cref="ShapeRules"/> (the rule the graph operators use too; errors name the op, argument and
/// shapes), allocates its output on the inputs' device, and runs that device's kernel. Backward functions are here too, so
/// eager code and tests can call every gradient. Split by op family into partial files.</summary>
public static partial class Ops
{
    /// <summary>A contiguous copy of <paramref name="x"/> (strided and broadcast views are materialised).</summary>
    public static Tensor Copy(Tensor x)
    {
        Check.Alive(nameof(Copy), nameof(x), x);
        return x.Clone();
    }

    /// <summary>dst ← src (same shape and dtype; src may be strided; dst contiguous).</summary>
    public static void CopyInto(Tensor src, Tensor dst)
    {
        const string op = nameof(CopyInto);
        var device = Check.SameDevice(op, (nameof(src), src), (nameof(dst), dst));
        Check.Output(op, nameof(dst), dst, src.Shape, src.DType);
        device.Kernels.Copy(src, dst);
    }

    /// <summary>Sets every element of <paramref name="dst"/>.</summary>
    public static void Fill(Tensor dst, double value)
    {
        Check.Alive(nameof(Fill), nameof(dst), dst);
        ShapeRules.Fill(nameof(Fill), dst.Spec, value);
        if (!dst.IsContiguous) throw new TesseraArgumentException(nameof(Fill), nameof(dst), "must be contiguous");
        dst.Device.Kernels.Fill(dst, value);
    }

    /// <summary>A copy of <paramref name="x"/> converted to <paramref name="dtype"/>.</summary>
    public static Tensor Cast(Tensor x, DType dtype)
    {
        Check.Alive(nameof(Cast), nameof(x), x);
        var y = Tensor.Empty(x.Device, dtype, ShapeRules.Cast(nameof(Cast), x.Spec, dtype));
        x.Device.Kernels.Cast(x, y);
        return y;
    }
}
