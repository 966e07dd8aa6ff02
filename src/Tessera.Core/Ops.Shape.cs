using Tessera.Kernels;

namespace Tessera;

public static partial class Ops
{
    /// <summary>Joins tensors of one dtype and device along <paramref name="axis"/> (other dimensions must agree;
    /// inputs may be strided or empty).</summary>
    public static Tensor Concat(IReadOnlyList<Tensor> inputs, int axis = 0)
    {
        const string op = nameof(Concat);
        if (inputs is null || inputs.Count == 0) throw new TesseraArgumentException(op, nameof(inputs), "at least one input is needed");
        var args = new (string, Tensor?)[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            Check.Alive(op, $"inputs[{i}]", inputs[i]);
            args[i] = ($"inputs[{i}]", inputs[i]);
        }
        var device = Check.SameDevice(op, args);
        var (a, shape) = ShapeRules.Concat(op, inputs.Select(t => t.Spec).ToArray(), axis);
        var y = Tensor.Empty(device, inputs[0].DType, shape);
        device.Kernels.Concat(inputs, y, a);
        return y;
    }

    /// <summary>Gradients of <see cref="Concat"/>: dy cut back into pieces of the inputs' shapes.</summary>
    public static Tensor[] ConcatBackward(Tensor dy, IReadOnlyList<Shape> shapes, int axis = 0)
    {
        const string op = nameof(ConcatBackward);
        Check.Alive(op, nameof(dy), dy);
        int a = ShapeRules.ConcatBackward(op, dy.Spec, shapes, axis);
        return SplitCore(dy, a, shapes.Select(s => s[a]).ToArray());
    }

    /// <summary>Pieces of <paramref name="x"/> along <paramref name="axis"/> with the given sizes (summing to the axis
    /// length), each a new contiguous tensor.</summary>
    public static Tensor[] Split(Tensor x, int axis, int[] sizes)
    {
        const string op = nameof(Split);
        Check.Alive(op, nameof(x), x);
        var (a, _) = ShapeRules.Split(op, x.Spec, axis, sizes);
        return SplitCore(x, a, sizes);
    }

    /// <summary>Equal split into <paramref name="parts"/> pieces of ⌈n/parts⌉ (the last ones smaller), as ONNX Split
    /// with num_outputs.</summary>
    public static Tensor[] Split(Tensor x, int axis, int parts)
    {
        const string op = nameof(Split);
        Check.Alive(op, nameof(x), x);
        int a = x.Shape.Axis(axis, op);
        return SplitCore(x, a, ShapeRules.SplitSizes(op, x.Shape[a], parts));
    }

    private static Tensor[] SplitCore(Tensor x, int axis, int[] sizes)
    {
        var pieces = new Tensor[sizes.Length];
        int offset = 0;
        try
        {
            for (int i = 0; i < sizes.Length; i++)
            {
                using var view = x.Slice(axis, offset, offset + sizes[i]);
                pieces[i] = view.Clone();
                offset += sizes[i];
            }
        }
        catch
        {
            foreach (var p in pieces) p?.Dispose();
            throw;
        }
        return pieces;
    }

    /// <summary>Elements start, start+step, ... below end along <paramref name="axis"/> (Python rules: negative bounds
    /// count from the end and are clamped; step ≥ 1), as a new contiguous tensor.</summary>
    public static Tensor Slice(Tensor x, int axis, int start, int end, int step = 1)
    {
        const string op = nameof(Slice);
        Check.Alive(op, nameof(x), x);
        var (a, s, count, _) = ShapeRules.Slice(op, x.Shape, axis, start, end, step);
        using var view = x.Slice(a, s, s + (count == 0 ? 0 : (count - 1) * step + 1), step);
        return view.Clone();
    }

    /// <summary>Gradient of <see cref="Slice"/>: a tensor of shape <paramref name="xShape"/> holding dy at the sliced
    /// positions and zeros elsewhere.</summary>
    public static Tensor SliceBackward(Tensor dy, Shape xShape, int axis, int start, int end, int step = 1)
    {
        const string op = nameof(SliceBackward);
        Check.Alive(op, nameof(dy), dy);
        var (a, s, count, _) = ShapeRules.SliceBackward(op, dy.Spec, xShape, axis, start, end, step);
        var positions = new long[count];
        for (int i = 0; i < count; i++) positions[i] = s + (long)i * step;
        using var idx = Tensor.FromArray(dy.Device, positions, count);
        var dx = Tensor.Empty(dy.Device, DType.Float32, xShape);
        dy.Device.Kernels.GatherBackward(idx, dy, dx, a);
        return dx;
    }

    /// <summary>Gathers slices of <paramref name="data"/> along <paramref name="axis"/> at <paramref name="indices"/>
    /// (Int32 or Int64, negative counts from the end). Output shape: data[..axis] + indices.shape + data[axis+1..].
    /// An out-of-range index throws before anything is written.</summary>
    public static Tensor Gather(Tensor data, Tensor indices, int axis = 0)
    {
        const string op = nameof(Gather);
        var device = Check.SameDevice(op, (nameof(data), data), (nameof(indices), indices));
        var (a, shape) = ShapeRules.Gather(op, data.Spec, indices.Spec, axis);
        var y = Tensor.Empty(device, data.DType, shape);
        try { device.Kernels.Gather(data, indices, y, a); }
        catch { y.Dispose(); throw; }
        return y;
    }

    /// <summary>Embedding lookup: rows of <paramref name="weight"/> [vocab, dim] at <paramref name="indices"/> (Gather on axis 0).</summary>
    public static Tensor Embedding(Tensor weight, Tensor indices) => Gather(weight, indices, 0);

    /// <summary>Gradient of <see cref="Gather"/> with respect to data: dOutput scatter-added (deterministically) into a
    /// zero tensor of <paramref name="dataShape"/>.</summary>
    public static Tensor GatherBackward(Tensor indices, Tensor dOutput, Shape dataShape, int axis = 0)
    {
        const string op = nameof(GatherBackward);
        var device = Check.SameDevice(op, (nameof(indices), indices), (nameof(dOutput), dOutput));
        int a = ShapeRules.GatherBackward(op, indices.Spec, dOutput.Spec, dataShape, axis);
        var dx = Tensor.Empty(device, DType.Float32, dataShape);
        try { device.Kernels.GatherBackward(indices, dOutput, dx, a); }
        catch { dx.Dispose(); throw; }
        return dx;
    }

    /// <summary>ONNX Pad: pads = [begins..., ends...] (negative crops); constant, reflect or edge.</summary>
    public static Tensor Pad(Tensor x, PadParams p)
    {
        const string op = nameof(Pad);
        Check.Alive(op, nameof(x), x);
        var y = Tensor.Empty(x.Device, x.DType, ShapeRules.Pad(op, x.Spec, p));
        x.Device.Kernels.Pad(x, y, p);
        return y;
    }

    /// <summary>Gradient of <see cref="Pad"/>: each output gradient added to the input element it was read from.</summary>
    public static Tensor PadBackward(Tensor dy, Shape xShape, PadParams p)
    {
        const string op = nameof(PadBackward);
        Check.Alive(op, nameof(dy), dy);
        var dx = Tensor.Empty(dy.Device, DType.Float32, ShapeRules.PadBackward(op, dy.Spec, xShape, p));
        dy.Device.Kernels.PadBackward(dy, dx, p);
        return dx;
    }

    /// <summary>Same elements, new shape (one dimension may be −1): a view when the layout allows, else a copy.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        Check.Alive(nameof(Reshape), nameof(x), x);
        if (shape is null) throw new TesseraArgumentException(nameof(Reshape), nameof(shape), "is null");
        return x.Reshape(ShapeRules.Reshape(nameof(Reshape), x.Shape, shape).ToArray());
    }

    /// <summary>Gradient of <see cref="Reshape"/>: dy reshaped back to <paramref name="xShape"/>.</summary>
    public static Tensor ReshapeBackward(Tensor dy, Shape xShape)
    {
        Check.Alive(nameof(ReshapeBackward), nameof(dy), dy);
        return dy.Reshape(ShapeRules.Reshape(nameof(ReshapeBackward), dy.Shape, xShape.Dims).ToArray());
    }

    /// <summary>View with two axes swapped.</summary>
    public static Tensor Transpose(Tensor x, int axis0 = -2, int axis1 = -1)
    {
        Check.Alive(nameof(Transpose), nameof(x), x);
        x.Shape.Axis(axis0, nameof(Transpose), nameof(axis0));
        x.Shape.Axis(axis1, nameof(Transpose), nameof(axis1));
        return x.Transpose(axis0, axis1);
    }

    /// <summary>View with the axes in the order <paramref name="perm"/>.</summary>
    public static Tensor Permute(Tensor x, params int[] perm)
    {
        Check.Alive(nameof(Permute), nameof(x), x);
        if (perm is null) throw new TesseraArgumentException(nameof(Permute), nameof(perm), "is null");
        return x.Permute(ShapeRules.Permute(nameof(Permute), x.Shape, perm).Perm);
    }

    /// <summary>Gradient of <see cref="Permute"/>: dy permuted by the inverse permutation (a view).</summary>
    public static Tensor PermuteBackward(Tensor dy, params int[] perm)
    {
        const string op = nameof(PermuteBackward);
        Check.Alive(op, nameof(dy), dy);
        if (perm is null) throw new TesseraArgumentException(op, nameof(perm), "is null");
        return dy.Permute(ShapeRules.PermuteBackward(op, dy.Shape, perm));
    }

    /// <summary>View broadcast to <paramref name="shape"/> (NumPy rules; no copy).</summary>
    public static Tensor Expand(Tensor x, params int[] shape)
    {
        Check.Alive(nameof(Expand), nameof(x), x);
        if (shape is null) throw new TesseraArgumentException(nameof(Expand), nameof(shape), "is null");
        return x.Expand(ShapeRules.Expand(nameof(Expand), x.Shape, shape).ToArray());
    }

    /// <summary>Gradient of <see cref="Expand"/> (and of any broadcast): dy summed over the broadcast dimensions down
    /// to <paramref name="xShape"/>.</summary>
    public static Tensor ExpandBackward(Tensor dy, Shape xShape)
    {
        const string op = nameof(ExpandBackward);
        Check.Alive(op, nameof(dy), dy);
        var dx = Tensor.Empty(dy.Device, DType.Float32, ShapeRules.ExpandBackward(op, dy.Spec, xShape));
        dy.Device.Kernels.ExpandBackward(dy, dx);
        return dx;
    }
}
