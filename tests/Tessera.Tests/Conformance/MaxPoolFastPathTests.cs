using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>The vectorised 2×2 / stride-2 max pooling (rows of ≥ 16 outputs, last block overlapping) against the
/// reference: values and argmax indices, with ties (first wins) and NaNs (a NaN takes the place).</summary>
public class MaxPoolFastPathTests
{
    public static TheoryData<int, int, bool> Shapes => new()
    {
        { 32, 32, false }, { 33, 34, false }, { 40, 56, false }, { 7, 62, true }, { 9, 96, true }, { 4, 31, false },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    [Covers(OpKind.MaxPool2d)]
    public void MatchesTheReferenceWithTiesAndNaNs(int h, int w, bool ceil)
    {
        var rx = Rand.Uniform(h * 31 + w, new[] { 2, 3, h, w });
        var rng = new Random(h + w);
        for (int i = 0; i < rx.Length; i++)
        {
            int r = rng.Next(20);
            if (r == 0) rx.Data[i] = double.NaN;
            else if (r < 6) rx.Data[i] = 0.5; // ties
        }
        var p = new Pool2dParams(2, 2, 2, 2, CeilMode: ceil);
        var (ey, ei) = RefConv.MaxPool2d(rx, p);
        using var x = rx.ToDevice(TestDevices.Cpu);
        var (y, idx) = Ops.MaxPool2d(x, p);
        using (y)
        using (idx)
        {
            Approx.Equal(ey, y, 0, 0, "maxpool 2x2 values");
            Assert.Equal(ei.Data.Select(v => (long)v).ToArray(), idx.ToArray<long>());
        }
    }
}
