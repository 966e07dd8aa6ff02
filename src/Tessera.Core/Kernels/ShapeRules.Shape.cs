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
        if (total > int.MaxValue) throw new TesseraShapeException(op, "inputs", $"concatenated axis would have {total} elements");
        dims[normalizedAxis] = (int)total;
        return Shape.Create(op, dims);
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
            long n = x[d] + b + e;
            if (n < 0 || n > int.MaxValue)
                throw new TesseraShapeException(op, "pads", $"axis {d} of {x} with pads ({b}, {e}) would have {n} elements");
            long cropped = x[d] - Math.Max(0, -b) - Math.Max(0, -e);
            if (p.Mode != PadMode.Constant && (b > 0 || e > 0) && cropped <= 0)
                throw new TesseraShapeException(op, "pads", $"{p.Mode} padding of axis {d} of {x} needs at least one element left after cropping (pads ({b}, {e}))");
            dims[d] = (int)n;
        }
        return Shape.Create(op, dims);
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

    /// <summary>Checks that <paramref name="x"/> broadcasts to <paramref name="target"/> (NumPy rules, aligned right).</summary>
    public static void ExpandsTo(string op, string name, Shape x, Shape target)
    {
        if (x.Rank > target.Rank)
            throw new TesseraShapeException(op, name, $"{x} has higher rank than {target}");
        int lead = target.Rank - x.Rank;
        for (int d = 0; d < x.Rank; d++)
            if (x[d] != 1 && x[d] != target[d + lead])
                throw new TesseraShapeException(op, name, $"{x} does not broadcast to {target} (dimension {d}: {x[d]} vs {target[d + lead]})");
    }
}
