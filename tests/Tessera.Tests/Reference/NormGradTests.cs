using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Reference;

/// <summary>The reference's batch-norm, layer-norm and dropout backward against central finite differences of the
/// reference's forward (double, h = 1e-6).</summary>
public class NormGradTests
{
    [Theory]
    [InlineData(new[] { 4, 3 })]
    [InlineData(new[] { 2, 3, 5 })]
    [InlineData(new[] { 3, 2, 2, 3 })]
    [ChecksGradient(OpKind.BatchNormTraining)]
    public void BatchNormBackwardMatchesFiniteDifferences(int[] shape)
    {
        var p = new BatchNormParams(1e-3f);
        int c = shape[1];
        var x = Rand.Uniform(1, shape, -2, 2);
        var g = Rand.Uniform(2, new[] { c }, 0.5, 1.5);
        var b = Rand.Uniform(3, new[] { c });
        var rm = new RefTensor(c);
        var rv = new RefTensor(c);
        var w = Rand.Uniform(4, shape);
        RefTensor F() => RefNorm.BatchNormTraining(x, g, b, rm, rv, p).Y;
        var fwd = RefNorm.BatchNormTraining(x, g, b, rm, rv, p);
        var (dx, dg, db) = RefNorm.BatchNormBackward(x, w, g, fwd.SaveMean, fwd.SaveInvStd);
        NormFiniteDiff.Check(x, dx, F, w, "dx");
        NormFiniteDiff.Check(g, dg, F, w, "dgamma");
        NormFiniteDiff.Check(b, db, F, w, "dbeta");
    }

    [Theory]
    [InlineData(new[] { 3, 5 }, 1, true)]
    [InlineData(new[] { 3, 5 }, 1, false)]
    [InlineData(new[] { 2, 3, 4 }, 1, true)]
    [InlineData(new[] { 7 }, 0, true)]
    [ChecksGradient(OpKind.LayerNorm)]
    public void LayerNormBackwardMatchesFiniteDifferences(int[] shape, int axis, bool affine)
    {
        var p = new LayerNormParams(axis, 1e-3f);
        var x = Rand.Uniform(11, shape, -2, 2);
        var g = affine ? Rand.Uniform(12, shape[axis..], 0.5, 1.5) : null;
        var b = affine ? Rand.Uniform(13, shape[axis..]) : null;
        var w = Rand.Uniform(14, shape);
        RefTensor F() => RefNorm.LayerNorm(x, g, b, p).Y;
        var (_, mean, inv) = RefNorm.LayerNorm(x, g, b, p);
        var (dx, dg, db) = RefNorm.LayerNormBackward(x, w, g, mean, inv, p, affine);
        NormFiniteDiff.Check(x, dx, F, w, "dx");
        if (affine)
        {
            NormFiniteDiff.Check(g!, dg!, F, w, "dgamma");
            NormFiniteDiff.Check(b!, db!, F, w, "dbeta");
        }
    }

    [Fact]
    [ChecksGradient(OpKind.Dropout)]
    public void DropoutBackwardMatchesFiniteDifferences()
    {
        var p = new DropoutParams(0.4f, 99);
        var x = Rand.Uniform(21, new[] { 6, 7 });
        var w = Rand.Uniform(22, new[] { 6, 7 });
        var (_, mask) = RefNorm.Dropout(x, p);
        var dx = RefNorm.DropoutBackward(w, mask, p);
        NormFiniteDiff.Check(x, dx, () => RefNorm.Dropout(x, p).Y, w, "dx");
    }
}
