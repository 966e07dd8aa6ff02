using Tessera.Reference;
using Tessera.Tests.Support;

namespace Tessera.Tests.Core;

public class TensorViewTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    [Fact]
    public void UploadDownloadRoundTrips()
    {
        var data = Enumerable.Range(0, 24).Select(i => (float)i).ToArray();
        using var t = Tensor.FromArray(Dev, data, 2, 3, 4);
        Assert.Equal(data, t.ToArray<float>());
        Assert.True(t.IsContiguous);
    }

    [Fact]
    public void TransposeIsAViewAndDownloadsInLogicalOrder()
    {
        using var t = Tensor.FromArray(Dev, new float[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        using var tt = t.Transpose();
        Assert.False(tt.IsContiguous);
        Assert.Same(t.Storage, tt.Storage);
        Assert.Equal(new[] { 3, 2 }, tt.Shape.ToArray());
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, tt.ToArray<float>());
    }

    [Fact]
    public void SliceWithStepAndNegativeBounds()
    {
        using var t = Tensor.FromArray(Dev, Enumerable.Range(0, 10).Select(i => (float)i).ToArray(), 10);
        using var s = t.Slice(0, 1, -1, 3);
        Assert.Equal(new float[] { 1, 4, 7 }, s.ToArray<float>());
        using var empty = t.Slice(0, 5, 2);
        Assert.Equal(0, empty.ElementCount);
    }

    [Fact]
    public void ExpandBroadcastsWithZeroStride()
    {
        using var t = Tensor.FromArray(Dev, new float[] { 1, 2, 3 }, 3, 1);
        using var e = t.Expand(2, 3, 4);
        Assert.Equal(0, e.Strides[0]);
        Assert.Equal(0, e.Strides[2]);
        var a = e.ToArray<float>();
        Assert.Equal(24, a.Length);
        Assert.Equal(3f, a[23]);
        Assert.Equal(1f, a[12]);
    }

    [Fact]
    public void PermuteReshapeRoundTripMatchesReference()
    {
        var r = Rand.Uniform(1, new[] { 2, 3, 5 });
        using var t = r.ToDevice(Dev);
        using var p = t.Permute(2, 0, 1);
        using var flat = p.Reshape(5, -1);
        var expected = RefConvert.Permute(r, new[] { 2, 0, 1 });
        Approx.Equal(new RefTensor(new[] { 5, 6 }, expected.Data), flat, 0, 0, "permute+reshape");
    }

    [Fact]
    public void SqueezeUnsqueeze()
    {
        using var t = Tensor.Zeros(Dev, DType.Float32, 2, 1, 3);
        using var s = t.Squeeze();
        Assert.Equal(new[] { 2, 3 }, s.Shape.ToArray());
        using var u = s.Unsqueeze(-1);
        Assert.Equal(new[] { 2, 3, 1 }, u.Shape.ToArray());
    }

    [Fact]
    public void StridedViewHelperMatchesContents()
    {
        var r = Rand.Uniform(2, new[] { 3, 4, 5 });
        using var t = r.ToDeviceStrided(Dev);
        Assert.False(t.IsContiguous);
        Approx.Equal(r, t, 0, 0, "strided view");
        var v = Rand.Uniform(3, new[] { 7 });
        using var tv = v.ToDeviceStrided(Dev);
        Assert.False(tv.IsContiguous);
        Approx.Equal(v, tv, 0, 0, "strided vector");
    }

    [Fact]
    public void StorageLivesUntilLastViewIsDisposed()
    {
        var t = Tensor.FromArray(Dev, new float[] { 1, 2, 3, 4 }, 2, 2);
        var v = t.Transpose();
        t.Dispose();
        Assert.Equal(new float[] { 1, 3, 2, 4 }, v.ToArray<float>());
        v.Dispose();
        Assert.Throws<TesseraDisposedException>(() => v.ToArray<float>());
    }

    [Fact]
    public void ScopeDisposesWhatItOwnsAndKeepsWhatMovesOut()
    {
        Tensor kept, dropped;
        using (var outer = TensorScope.Begin())
        {
            using (var scope = TensorScope.Begin())
            {
                dropped = Tensor.Zeros(Dev, DType.Float32, 4);
                kept = scope.MoveToOuter(Tensor.Zeros(Dev, DType.Float32, 4));
            }
            Assert.True(dropped.IsDisposed);
            Assert.False(kept.IsDisposed);
        }
        Assert.True(kept.IsDisposed);
    }

    [Fact]
    public void CastConvertsBetweenTypes()
    {
        using var f = Tensor.FromArray(Dev, new float[] { 1.7f, -2.5f, 0f }, 3);
        using var i = Ops.Cast(f, DType.Int64);
        Assert.Equal(new long[] { 1, -2, 0 }, i.ToArray<long>());
        using var b = Ops.Cast(f, DType.Bool);
        Assert.Equal(new byte[] { 1, 1, 0 }, b.ToArray<byte>());
    }

    [Fact]
    public void ScopeForgetsTensorsDisposedEarly()
    {
        using var scope = TensorScope.Begin();
        for (int i = 0; i < 100; i++)
        {
            using var t = Tensor.Zeros(Dev, DType.Float32, 8);
        }
        Assert.Equal(0, scope.Count);
        var kept = Tensor.Zeros(Dev, DType.Float32, 8);
        Assert.Equal(1, scope.Count);
    }
}
