using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.BadInput;

/// <summary>Shape-op facade refusals: each names the op and throws the specific Tessera exception.</summary>
public class ShapeBadInputTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    private static T Throws<T>(string op, Action a) where T : TesseraException
    {
        var e = Assert.Throws<T>(a);
        Assert.Equal(op, e.Op);
        Assert.Contains(op, e.Message);
        return e;
    }

    [Fact]
    public void ConcatMismatchedOtherDimension()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 2, 3);
        using var b = Tensor.Zeros(Dev, DType.Float32, 3, 3);
        Throws<TesseraShapeException>("Concat", () => Ops.Concat(new[] { a, b }, 1));
    }

    [Fact]
    public void ConcatBadAxisDTypeAndEmptyList()
    {
        using var a = Tensor.Zeros(Dev, DType.Float32, 2, 3);
        using var b = Tensor.Zeros(Dev, DType.Int64, 2, 3);
        Throws<TesseraAxisException>("Concat", () => Ops.Concat(new[] { a, a }, 2));
        Throws<TesseraDTypeException>("Concat", () => Ops.Concat(new[] { a, b }, 0));
        Throws<TesseraArgumentException>("Concat", () => Ops.Concat(Array.Empty<Tensor>(), 0));
    }

    [Fact]
    public void GatherOutOfRangeIndexNamesValueAndWritesNothing()
    {
        using var data = Tensor.Zeros(Dev, DType.Float32, 5, 2);
        using var idx = Tensor.FromArray(Dev, new long[] { 0, 4, 7, -1 }, 4);
        var e = Throws<TesseraArgumentException>("Gather", () => Ops.Gather(data, idx, 0));
        Assert.Contains("7", e.Message);
        using var neg = Tensor.FromArray(Dev, new[] { -6 }, 1);
        e = Throws<TesseraArgumentException>("Gather", () => Ops.Gather(data, neg, 0));
        Assert.Contains("-6", e.Message);
        // Backward: dData is never handed out, and the index check comes first.
        using var dy = Tensor.Zeros(Dev, DType.Float32, 4, 2);
        e = Throws<TesseraArgumentException>("GatherBackward", () => Ops.GatherBackward(idx, dy, new Shape(5, 2), 0));
        Assert.Contains("7", e.Message);
    }

    [Fact]
    public void GatherFloatIndicesAndBadAxis()
    {
        using var data = Tensor.Zeros(Dev, DType.Float32, 5, 2);
        using var fidx = Tensor.Zeros(Dev, DType.Float32, 3);
        using var idx = Tensor.Zeros(Dev, DType.Int32, 3);
        Throws<TesseraDTypeException>("Gather", () => Ops.Gather(data, fidx, 0));
        Throws<TesseraAxisException>("Gather", () => Ops.Gather(data, idx, -3));
    }

    [Fact]
    public void PadWrongCountNegativeSizeAndReflectOfEmptyAxis()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 2, 3);
        Throws<TesseraArgumentException>("Pad", () => Ops.Pad(x, new PadParams(new[] { 1, 1 })));
        Throws<TesseraShapeException>("Pad", () => Ops.Pad(x, new PadParams(new[] { 0, -2, 0, -2 })));
        Throws<TesseraShapeException>("Pad", () => Ops.Pad(x, new PadParams(new[] { 0, -3, 0, 1 }, PadMode.Reflect)));
        Throws<TesseraShapeException>("PadBackward", () => Ops.PadBackward(x, new Shape(2, 3), new PadParams(new[] { 1, 0, 0, 0 })));
    }

    [Fact]
    public void SplitSizesMustSumToAxisAndBeNonNegative()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 6, 2);
        Throws<TesseraShapeException>("Split", () => Ops.Split(x, 0, new[] { 2, 3 }));
        Throws<TesseraArgumentException>("Split", () => Ops.Split(x, 0, new[] { 7, -1 }));
        Throws<TesseraArgumentException>("Split", () => Ops.Split(x, 0, 0));
    }

    [Fact]
    public void SliceBadStepAndBackwardShape()
    {
        using var x = Tensor.Zeros(Dev, DType.Float32, 6, 2);
        Throws<TesseraArgumentException>("Slice", () => Ops.Slice(x, 0, 0, 6, 0));
        using var dy = Tensor.Zeros(Dev, DType.Float32, 4, 2);
        Throws<TesseraShapeException>("SliceBackward", () => Ops.SliceBackward(dy, new Shape(6, 2), 0, 0, 6, 2));
    }

    [Fact]
    public void ExpandBackwardToIncompatibleShapeAndDisposedInput()
    {
        using var dy = Tensor.Zeros(Dev, DType.Float32, 4, 3);
        Throws<TesseraShapeException>("ExpandBackward", () => Ops.ExpandBackward(dy, new Shape(2, 3)));
        var gone = Tensor.Zeros(Dev, DType.Float32, 3);
        gone.Dispose();
        Throws<TesseraDisposedException>("Concat", () => Ops.Concat(new[] { gone }, 0));
        Throws<TesseraDisposedException>("Pad", () => Ops.Pad(gone, new PadParams(new[] { 1, 1 })));
    }

    [Fact]
    public void ConcatBackwardShapeMismatch()
    {
        using var dy = Tensor.Zeros(Dev, DType.Float32, 2, 5);
        Throws<TesseraShapeException>("ConcatBackward", () => Ops.ConcatBackward(dy, new[] { new Shape(2, 3), new Shape(2, 3) }, 1));
    }
}
