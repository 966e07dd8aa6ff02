using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reference;

/// <summary>The reference backward of each shape op against central finite differences of its reference forward, in
/// double, with the scalar loss L(x) = Σ w ⊙ f(x) for a random projection w (so the analytic gradient is
/// backward(w)). The ops are linear (or affine) in x, so differences are exact up to rounding: tolerance 1e-7.</summary>
public class ShapeGradTests
{
    private const double H = 1e-6, Tol = 1e-7;

    private static void CheckGradient(RefTensor x, Func<RefTensor, RefTensor> forward, Func<RefTensor, RefTensor> backward, string what)
    {
        var y = forward(x);
        var w = Rand.Uniform(77, y.Shape);
        double Loss(RefTensor xx)
        {
            var yy = forward(xx);
            double s = 0;
            for (int i = 0; i < yy.Length; i++) s += w.Data[i] * yy.Data[i];
            return s;
        }
        var analytic = backward(w);
        Assert.Equal(x.Shape, analytic.Shape);
        for (int i = 0; i < x.Length; i++)
        {
            var xp = x.Clone(); xp.Data[i] += H;
            var xm = x.Clone(); xm.Data[i] -= H;
            double numeric = (Loss(xp) - Loss(xm)) / (2 * H);
            Assert.True(Math.Abs(numeric - analytic.Data[i]) <= Tol + 1e-6 * Math.Abs(numeric),
                $"{what}: d/dx[{string.Join(", ", x.Unravel(i))}] numeric {numeric:G10} vs analytic {analytic.Data[i]:G10}");
        }
    }

    [Theory]
    [InlineData("7", 0, "5")]
    [InlineData("4x5", 1, "3x2")]
    [InlineData("3x4x2", 0, "6")]
    [InlineData("3x4x2", -1, "")]
    [ChecksGradient(OpKind.Gather)]
    public void Gather(string shape, int axis, string indexShape)
    {
        var dims = Conformance.ShapeTests.Dims(shape);
        int n = dims[axis < 0 ? axis + dims.Length : axis];
        var idx = Rand.Ints(3, Conformance.ShapeTests.Dims(indexShape), 2 * n);
        for (int i = 0; i < idx.Length; i++) idx.Data[i] -= n;   // [-n, n)
        var x = Rand.Uniform(1, dims);
        CheckGradient(x, xx => RefShape.Gather(xx, idx, axis), w => RefShape.GatherBackward(idx, w, dims, axis), $"gather {shape}");
    }

    [Theory]
    [InlineData("6", "2,3", PadMode.Constant)]
    [InlineData("6", "4,5", PadMode.Reflect)]
    [InlineData("6", "3,-2", PadMode.Edge)]
    [InlineData("3x4", "1,-1,2,3", PadMode.Reflect)]
    [InlineData("3x4", "2,2,2,2", PadMode.Edge)]
    [InlineData("2x3x3", "0,1,-1,1,0,2", PadMode.Constant)]
    [ChecksGradient(OpKind.Pad)]
    public void Pad(string shape, string pads, PadMode mode)
    {
        var dims = Conformance.ShapeTests.Dims(shape);
        var p = new PadParams(pads.Split(',').Select(int.Parse).ToArray(), mode, 1.5f);
        var x = Rand.Uniform(2, dims);
        CheckGradient(x, xx => RefShape.Pad(xx, p), w => RefShape.PadBackward(w, dims, p), $"pad {shape} {mode}");
    }

    [Fact]
    [ChecksGradient(OpKind.Concat)]
    public void Concat()
    {
        var a = Rand.Uniform(4, new[] { 2, 3 });
        var b = Rand.Uniform(5, new[] { 2, 4 });
        var shapes = new[] { a.Shape, b.Shape };
        // Gradient with respect to the first input (the second held fixed), and the second piece symmetrically.
        CheckGradient(a, xx => RefShape.Concat(new[] { xx, b }, 1), w => RefShape.ConcatBackward(w, shapes, 1)[0], "concat a");
        CheckGradient(b, xx => RefShape.Concat(new[] { a, xx }, 1), w => RefShape.ConcatBackward(w, shapes, 1)[1], "concat b");
    }

    [Theory]
    [InlineData("9", 0, 1, -1, 3)]
    [InlineData("4x6", 1, -4, 6, 2)]
    [InlineData("4x6", 0, 0, 2, 1)]
    [ChecksGradient(OpKind.Copy)]
    public void Slice(string shape, int axis, int start, int end, int step)
    {
        var dims = Conformance.ShapeTests.Dims(shape);
        var x = Rand.Uniform(6, dims);
        CheckGradient(x, xx => RefShape.Slice(xx, axis, start, end, step),
            w => RefShape.SliceBackward(w, dims, axis, start, end, step), $"slice {shape}");
    }

    [Theory]
    [InlineData("3", "4x3")]
    [InlineData("2x1", "3x2x5")]
    [InlineData("", "2x2")]
    [ChecksGradient(OpKind.Copy)]
    public void Expand(string xShape, string yShape)
    {
        var dims = Conformance.ShapeTests.Dims(xShape);
        var x = Rand.Uniform(7, dims);
        CheckGradient(x, xx => RefShape.Expand(xx, Conformance.ShapeTests.Dims(yShape)), w => RefShape.ExpandBackward(w, dims), $"expand {xShape}");
    }
}
