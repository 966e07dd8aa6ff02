namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Output shape of concatenating <paramref name="shapes"/> along <paramref name="axis"/>; every shape must
    /// have the same rank and agree on every other dimension. <paramref name="normalizedAxis"/> is in [0, rank).</summary>
    public static Shape Concat(string op, IReadOnlyList<Shape> shapes, int axis, out int normalizedAxis)
    {
        if (shapes.Count == 0) throw new TesseraArgumentException(op, "inputs", "at least one input is needed");
        var first = shapes[0];
        normalizedAxis = Shape.NormalizeAxis(axis, first.Rank, op);
        var dims = first.ToArray();
        long total = 0;
        for (int i = 0; i < shapes.Count; i++)
        {
            var s = shapes[i];
            if (s.Rank != first.Rank)
                throw new TesseraShapeException(op, $"inputs[{i}]", $"rank {s.Rank} ({s}) differs from inputs[0] {first}");
            for (int d = 0; d < s.Rank; d++)
                if (d != normalizedAxis && s[d] != first[d])
                    throw new TesseraShapeException(op, $"inputs[{i}]", $"shape {s} differs from inputs[0] {first} in dimension {d} (concat axis {normalizedAxis})");
            total += s[normalizedAxis];
        }
        dims[normalizedAxis] = SizeMath.Dim(op, "inputs", total, $"the concatenated axis {normalizedAxis}");
        return Shape.Create(op, dims);
    }

    /// <summary>Concatenation: at least one input, all of one dtype, shapes per
    /// <see cref="Concat(string, IReadOnlyList{Shape}, int, out int)"/>. Returns the normalised axis and y's shape.</summary>
    public static (int Axis, Shape Y) Concat(string op, IReadOnlyList<TensorSpec> inputs, int axis)
    {
        if (inputs.Count == 0) throw new TesseraArgumentException(op, "inputs", "at least one input is needed");
        var dtype = inputs[0].DType;
        var shapes = new Shape[inputs.Count];
        for (int i = 0; i < inputs.Count; i++)
        {
            if (inputs[i].DType != dtype)
                throw new TesseraDTypeException(op, $"inputs[{i}]", $"dtype {inputs[i].DType} differs from inputs[0] ({dtype})");
            shapes[i] = inputs[i].Shape;
        }
        var y = Concat(op, shapes, axis, out int a);
        return (a, y);
    }

    /// <summary>Gradients of concatenation: dy has the shape of the concatenated <paramref name="shapes"/>. Returns the
    /// normalised axis.</summary>
    public static int ConcatBackward(string op, TensorSpec dy, IReadOnlyList<Shape> shapes, int axis)
    {
        var expected = Concat(op, shapes, axis, out int a);
        if (dy.Shape != expected)
            throw new TesseraShapeException(op, "dy", $"expected {expected} (the concatenation of the input shapes), got {dy.Shape}");
        return a;
    }

    /// <summary>Pieces of x along <paramref name="axis"/> with the given sizes (at least one, non-negative, summing to
    /// the axis length). Returns the normalised axis and the pieces' shapes.</summary>
    public static (int Axis, Shape[] Pieces) Split(string op, TensorSpec x, int axis, int[] sizes)
    {
        var s = x.Shape;
        int a = s.Axis(axis, op);
        if (sizes is null || sizes.Length == 0) throw new TesseraArgumentException(op, "sizes", "at least one size is needed");
        long sum = 0;
        foreach (var n in sizes)
        {
            if (n < 0) throw new TesseraArgumentException(op, "sizes", $"sizes must be non-negative, got [{string.Join(", ", sizes)}]");
            sum += n;
        }
        if (sum != s[a])
            throw new TesseraShapeException(op, "sizes", $"[{string.Join(", ", sizes)}] sums to {sum}, but axis {a} of {s} has {s[a]}");
        var pieces = new Shape[sizes.Length];
        for (int i = 0; i < sizes.Length; i++)
        {
            var dims = s.ToArray();
            dims[a] = sizes[i];
            pieces[i] = new Shape(dims);
        }
        return (a, pieces);
    }

    /// <summary>Sizes of an equal split of <paramref name="n"/> into <paramref name="parts"/> pieces (ONNX Split with
    /// num_outputs: pieces of ⌈n/parts⌉, the last ones smaller, possibly empty).</summary>
    public static int[] SplitSizes(string op, int n, int parts)
    {
        if (parts < 1) throw new TesseraArgumentException(op, nameof(parts), $"must be at least 1, got {parts}");
        int chunk = (int)(((long)n + parts - 1) / parts);
        var sizes = new int[parts];
        for (int i = 0; i < parts; i++) sizes[i] = (int)Math.Clamp((long)n - (long)i * chunk, 0, chunk);
        return sizes;
    }

    /// <summary>Start and length of a Python-style slice start:end:step (step ≥ 1) of a length-n axis.</summary>
    public static (int Start, int Count) SliceRange(string op, int n, int start, int end, int step)
    {
        if (step < 1) throw new TesseraArgumentException(op, nameof(step), $"must be at least 1, got {step}");
        long s = Math.Clamp(start < 0 ? (long)start + n : start, 0, n);
        long e = Math.Clamp(end < 0 ? (long)end + n : end, 0, n);
        int count = e > s ? (int)((e - s + step - 1) / step) : 0;
        return ((int)s, count);
    }

    /// <summary>x[start:end:step] along <paramref name="axis"/> (Python rules, step ≥ 1). Returns the normalised axis,
    /// the clamped start, the count of elements taken and y's shape.</summary>
    public static (int Axis, int Start, int Count, Shape Y) Slice(string op, Shape x, int axis, int start, int end, int step)
    {
        int a = x.Axis(axis, op);
        var (s, count) = SliceRange(op, x[a], start, end, step);
        var dims = x.ToArray();
        dims[a] = count;
        return (a, s, count, new Shape(dims));
    }

    /// <summary>Gradient of a slice of an input of <paramref name="xShape"/>: dy is Float32 of the slice's shape.</summary>
    public static (int Axis, int Start, int Count, Shape Y) SliceBackward(string op, TensorSpec dy, Shape xShape, int axis, int start, int end, int step)
    {
        Check.Float32(op, "dy", dy);
        var r = Slice(op, xShape, axis, start, end, step);
        if (dy.Shape != r.Y) throw new TesseraShapeException(op, "dy", $"expected {r.Y} (slice of {xShape}), got {dy.Shape}");
        return r;
    }

    /// <summary>Output shape of gather: data.shape[..axis] + indices.shape + data.shape[axis+1..].</summary>
    public static Shape Gather(string op, Shape data, Shape indices, int axis, out int normalizedAxis)
    {
        normalizedAxis = Shape.NormalizeAxis(axis, data.Rank, op);
        var dims = new List<int>();
        for (int d = 0; d < normalizedAxis; d++) dims.Add(data[d]);
        dims.AddRange(indices.Dims.ToArray());
        for (int d = normalizedAxis + 1; d < data.Rank; d++) dims.Add(data[d]);
        return Shape.Create(op, dims.ToArray());
    }

    /// <summary>Gather along <paramref name="axis"/>: Int32 or Int64 indices. Returns the normalised axis and y's shape.</summary>
    public static (int Axis, Shape Y) Gather(string op, TensorSpec data, TensorSpec indices, int axis)
    {
        Check.IndexType(op, "indices", indices);
        var y = Gather(op, data.Shape, indices.Shape, axis, out int a);
        return (a, y);
    }

    /// <summary>Gradient of gather into data of <paramref name="dataShape"/>: Int32/Int64 indices, Float32 dOutput of the
    /// gathered shape. Returns the normalised axis.</summary>
    public static int GatherBackward(string op, TensorSpec indices, TensorSpec dOutput, Shape dataShape, int axis)
    {
        Check.IndexType(op, "indices", indices);
        Check.Float32(op, "dOutput", dOutput);
        var expected = Gather(op, dataShape, indices.Shape, axis, out int a);
        if (dOutput.Shape != expected)
            throw new TesseraShapeException(op, "dOutput", $"expected {expected} (gather of {dataShape} by indices {indices.Shape} on axis {a}), got {dOutput.Shape}");
        return a;
    }

    /// <summary>Output shape of ONNX-style padding (pads = [begin_0..begin_{r-1}, end_0..end_{r-1}], negative crops).
    /// Reflect/edge need a non-empty (cropped) axis wherever they add elements.</summary>
    public static Shape Pad(string op, Shape x, PadParams p)
    {
        if (p is null) throw new TesseraArgumentException(op, "p", "is null");
        if (p.Pads is null || p.Pads.Length != 2 * x.Rank)
            throw new TesseraArgumentException(op, "pads", $"needs {2 * x.Rank} values (begins then ends) for input {x}, got {p.Pads?.Length ?? 0}");
        if (p.Mode is not (PadMode.Constant or PadMode.Reflect or PadMode.Edge))
            throw new TesseraArgumentException(op, "mode", $"unknown pad mode {(int)p.Mode}");
        int r = x.Rank;
        var dims = new int[r];
        for (int d = 0; d < r; d++)
        {
            long b = p.Pads[d], e = p.Pads[d + r];
            long n = (long)x[d] + b + e;
            SizeMath.Dim(op, "pads", n, $"axis {d} of {x} with pads ({b}, {e})");
            long cropped = x[d] - Math.Max(0, -b) - Math.Max(0, -e);
            if (p.Mode != PadMode.Constant && (b > 0 || e > 0) && cropped <= 0)
                throw new TesseraShapeException(op, "pads", $"{p.Mode} padding of axis {d} of {x} needs at least one element left after cropping (pads ({b}, {e}))");
            dims[d] = (int)n;
        }
        return Shape.Create(op, dims);
    }

    /// <summary>Padding of x (shape per <see cref="Pad(string, Shape, PadParams)"/>); a constant that is not finite only
    /// pads a floating-point x. Returns y's shape (y has x's dtype).</summary>
    public static Shape Pad(string op, TensorSpec x, PadParams p)
    {
        var y = Pad(op, x.Shape, p);
        if (p.Mode == PadMode.Constant) StorableConstant(op, "value", p.Value, x.DType);
        return y;
    }

    /// <summary>Gradient of padding an input of <paramref name="xShape"/>: dy is Float32 of the padded shape.</summary>
    public static Shape PadBackward(string op, TensorSpec dy, Shape xShape, PadParams p)
    {
        Check.Float32(op, "dy", dy);
        var expected = Pad(op, xShape, p);
        if (dy.Shape != expected) throw new TesseraShapeException(op, "dy", $"expected {expected} (padding of {xShape}), got {dy.Shape}");
        return xShape;
    }
}
