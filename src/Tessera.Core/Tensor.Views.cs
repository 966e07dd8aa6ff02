using Tessera.Kernels;

namespace Tessera;

public sealed partial class Tensor
{
    private Tensor ViewOf(Shape shape, long[] strides, long offset)
    {
        _storage.AddRef();
        return new Tensor(_storage, DType, shape, strides, offset);
    }

    /// <summary>Same elements, new shape (one dimension may be -1). A view when the strides allow it, a copy otherwise.</summary>
    public Tensor Reshape(params int[] shape)
    {
        const string op = "Tensor.Reshape";
        ThrowIfDisposed(op);
        var s = ShapeRules.Reshape(op, Shape, shape);
        if (IsContiguous) return ViewOf(s, s.ContiguousStrides(), Offset);
        using var dense = Contiguous();
        return dense.ViewOf(s, s.ContiguousStrides(), dense.Offset);
    }

    /// <summary>View with all dimensions in the order <paramref name="perm"/>.</summary>
    public Tensor Permute(params int[] perm)
    {
        const string op = "Tensor.Permute";
        ThrowIfDisposed(op);
        var (p, shape) = ShapeRules.Permute(op, Shape, perm);
        var strides = new long[p.Length];
        for (int i = 0; i < p.Length; i++) strides[i] = _strides[p[i]];
        return ViewOf(shape, strides, Offset);
    }

    /// <summary>View with two axes swapped.</summary>
    public Tensor Transpose(int axis0 = -2, int axis1 = -1)
    {
        const string op = "Tensor.Transpose";
        ThrowIfDisposed(op);
        int a = Shape.Axis(axis0, op, nameof(axis0)), b = Shape.Axis(axis1, op, nameof(axis1));
        var perm = Enumerable.Range(0, Rank).ToArray();
        (perm[a], perm[b]) = (perm[b], perm[a]);
        return Permute(perm);
    }

    /// <summary>View of elements start, start+step, ... below end along <paramref name="axis"/>
    /// (negative start/end count from the end, as in Python; step ≥ 1).</summary>
    public Tensor Slice(int axis, int start, int end, int step = 1)
    {
        const string op = "Tensor.Slice";
        ThrowIfDisposed(op);
        var (a, s, len, shape) = ShapeRules.Slice(op, Shape, axis, start, end, step);
        var strides = (long[])_strides.Clone();
        strides[a] *= step;
        return ViewOf(shape, strides, len == 0 ? Offset : Offset + s * _strides[a]);
    }

    /// <summary>View broadcast to <paramref name="shape"/> (NumPy rules; broadcast dimensions get stride 0).</summary>
    public Tensor Expand(params int[] shape)
    {
        const string op = "Tensor.Expand";
        ThrowIfDisposed(op);
        var target = ShapeRules.Expand(op, Shape, shape);
        var strides = new long[target.Rank];
        int lead = target.Rank - Rank;
        for (int i = lead; i < target.Rank; i++)
            strides[i] = Shape[i - lead] == target[i] ? _strides[i - lead] : 0;
        return ViewOf(target, strides, Offset);
    }

    /// <summary>View with a new axis of size 1 at <paramref name="axis"/> (in [-rank-1, rank]).</summary>
    public Tensor Unsqueeze(int axis)
    {
        const string op = "Tensor.Unsqueeze";
        ThrowIfDisposed(op);
        int a = Shape.NormalizeAxis(axis, Rank + 1, op);
        var dims = Shape.ToArray().ToList();
        var strides = _strides.ToList();
        dims.Insert(a, 1);
        strides.Insert(a, a < Rank ? _strides[a] * Shape[a] : 1);
        return ViewOf(new Shape(dims.ToArray()), strides.ToArray(), Offset);
    }

    /// <summary>View without the given size-1 axes (all of them when none are given).</summary>
    public Tensor Squeeze(params int[] axes)
    {
        const string op = "Tensor.Squeeze";
        ThrowIfDisposed(op);
        var drop = new bool[Rank];
        if (axes.Length == 0) for (int i = 0; i < Rank; i++) drop[i] = Shape[i] == 1;
        foreach (var ax in axes)
        {
            int a = Shape.Axis(ax, op, nameof(axes));
            if (Shape[a] != 1) throw new TesseraShapeException(op, nameof(axes), $"axis {ax} of {Shape} has size {Shape[a]}, not 1");
            drop[a] = true;
        }
        var dims = new List<int>();
        var strides = new List<long>();
        for (int i = 0; i < Rank; i++)
            if (!drop[i]) { dims.Add(Shape[i]); strides.Add(_strides[i]); }
        return ViewOf(new Shape(dims.ToArray()), strides.ToArray(), Offset);
    }

    /// <summary>A contiguous tensor with the same elements: a new view of this one when already contiguous, else a copy.</summary>
    public Tensor Contiguous()
    {
        ThrowIfDisposed("Tensor.Contiguous");
        if (IsContiguous) return ViewOf(Shape, Shape.ContiguousStrides(), Offset);
        return Clone();
    }

    /// <summary>A contiguous copy on the same device.</summary>
    public Tensor Clone()
    {
        ThrowIfDisposed("Tensor.Clone");
        var t = Empty(Device, DType, Shape);
        Device.Kernels.Copy(this, t);
        return t;
    }

    /// <summary>Another reference to the same elements (same shape and strides); dispose it independently.</summary>
    public Tensor Alias()
    {
        ThrowIfDisposed("Tensor.Alias");
        return ViewOf(Shape, (long[])_strides.Clone(), Offset);
    }
}
