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
        var dims = (int[])shape.Clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0) throw new TesseraShapeException(op, nameof(shape), "only one dimension may be -1");
                infer = i;
            }
            else if (dims[i] < 0) throw new TesseraShapeException(op, nameof(shape), $"dimension {i} is {dims[i]}");
            else known *= dims[i];
        }
        if (infer >= 0)
        {
            if (known == 0 || ElementCount % known != 0)
                throw new TesseraShapeException(op, nameof(shape), $"cannot infer -1 reshaping {Shape} to [{string.Join(", ", shape)}]");
            dims[infer] = (int)(ElementCount / known);
        }
        var s = Shape.Create(op, dims);
        if (s.ElementCount != ElementCount)
            throw new TesseraShapeException(op, nameof(shape), $"cannot reshape {Shape} ({ElementCount} elements) to {s} ({s.ElementCount} elements)");
        if (IsContiguous) return ViewOf(s, s.ContiguousStrides(), Offset);
        using var dense = Contiguous();
        return dense.ViewOf(s, s.ContiguousStrides(), dense.Offset);
    }

    /// <summary>View with all dimensions in the order <paramref name="perm"/>.</summary>
    public Tensor Permute(params int[] perm)
    {
        const string op = "Tensor.Permute";
        ThrowIfDisposed(op);
        if (perm.Length != Rank) throw new TesseraShapeException(op, nameof(perm), $"{perm.Length} axes for rank {Rank}");
        var seen = new bool[Rank];
        var dims = new int[Rank];
        var strides = new long[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int a = Shape.Axis(perm[i], op, nameof(perm));
            if (seen[a]) throw new TesseraAxisException(op, nameof(perm), $"axis {a} appears twice in [{string.Join(", ", perm)}]");
            seen[a] = true;
            dims[i] = Shape[a];
            strides[i] = _strides[a];
        }
        return ViewOf(new Shape(dims), strides, Offset);
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
        int a = Shape.Axis(axis, op);
        if (step < 1) throw new TesseraArgumentException(op, nameof(step), $"step must be at least 1, got {step}");
        int n = Shape[a];
        int s = Math.Clamp(start < 0 ? start + n : start, 0, n);
        int e = Math.Clamp(end < 0 ? end + n : end, 0, n);
        int len = e > s ? (e - s + step - 1) / step : 0;
        var dims = Shape.ToArray();
        dims[a] = len;
        var strides = (long[])_strides.Clone();
        strides[a] *= step;
        return ViewOf(new Shape(dims), strides, len == 0 ? Offset : Offset + s * _strides[a]);
    }

    /// <summary>View broadcast to <paramref name="shape"/> (NumPy rules; broadcast dimensions get stride 0).</summary>
    public Tensor Expand(params int[] shape)
    {
        const string op = "Tensor.Expand";
        ThrowIfDisposed(op);
        var target = Shape.Create(op, shape);
        if (target.Rank < Rank) throw new TesseraShapeException(op, nameof(shape), $"cannot expand {Shape} to lower rank {target}");
        var strides = new long[target.Rank];
        int lead = target.Rank - Rank;
        for (int i = 0; i < target.Rank; i++)
        {
            if (i < lead) { strides[i] = 0; continue; }
            int d = Shape[i - lead];
            if (d == target[i]) strides[i] = _strides[i - lead];
            else if (d == 1) strides[i] = 0;
            else throw new TesseraShapeException(op, nameof(shape), $"cannot expand {Shape} to {target} (dimension {i}: {d} vs {target[i]})");
        }
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
