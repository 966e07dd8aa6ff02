namespace Tessera.Kernels;

public static partial class ShapeRules
{
    /// <summary>Same elements, new shape: at most one dimension −1 (inferred), the others ≥ 0, and the element count
    /// kept. Returns the resolved shape.</summary>
    public static Shape Reshape(string op, Shape x, ReadOnlySpan<int> shape)
    {
        var dims = shape.ToArray();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] == -1)
            {
                if (infer >= 0) throw new TesseraShapeException(op, "shape", $"only one dimension may be -1, got [{string.Join(", ", dims)}]");
                infer = i;
            }
            else if (dims[i] < 0) throw new TesseraShapeException(op, "shape", $"dimension {i} is {dims[i]} in [{string.Join(", ", dims)}]");
            else known = SizeMath.Multiply(op, "shape", known, dims[i]);
        }
        if (infer >= 0)
        {
            if (known == 0 || x.ElementCount % known != 0)
                throw new TesseraShapeException(op, "shape", $"cannot infer -1 reshaping {x} to [{string.Join(", ", dims)}]");
            dims[infer] = (int)(x.ElementCount / known);
        }
        var s = Shape.Create(op, dims);
        if (s.ElementCount != x.ElementCount)
            throw new TesseraShapeException(op, "shape", $"cannot reshape {x} ({x.ElementCount} elements) to {s} ({s.ElementCount} elements)");
        return s;
    }

    /// <summary>Axes reordered: <paramref name="perm"/> names each axis of x once (negative entries count from the end).
    /// Returns the normalised permutation and y's shape (y[i] = x[perm[i]]).</summary>
    public static (int[] Perm, Shape Y) Permute(string op, Shape x, ReadOnlySpan<int> perm)
    {
        if (perm.Length != x.Rank)
            throw new TesseraShapeException(op, "perm", $"{perm.Length} axes [{string.Join(", ", perm.ToArray())}] for rank {x.Rank} ({x})");
        var seen = new bool[x.Rank];
        var p = new int[x.Rank];
        var dims = new int[x.Rank];
        for (int i = 0; i < p.Length; i++)
        {
            int a = Shape.NormalizeAxis(perm[i], x.Rank, op, "perm");
            if (seen[a]) throw new TesseraAxisException(op, "perm", $"axis {a} appears twice in [{string.Join(", ", perm.ToArray())}]");
            seen[a] = true;
            p[i] = a;
            dims[i] = x[a];
        }
        return (p, new Shape(dims));
    }

    /// <summary>Gradient of a permutation: <paramref name="perm"/> is a permutation of the axes of dy (of
    /// <paramref name="y"/>'s shape). Returns the inverse permutation, which takes dy back to x's layout.</summary>
    public static int[] PermuteBackward(string op, Shape y, ReadOnlySpan<int> perm)
    {
        var (p, _) = Permute(op, y, perm);
        var inverse = new int[p.Length];
        for (int i = 0; i < p.Length; i++) inverse[p[i]] = i;
        return inverse;
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

    /// <summary>x broadcast to <paramref name="shape"/> (NumPy rules); returns the target shape.</summary>
    public static Shape Expand(string op, Shape x, ReadOnlySpan<int> shape)
    {
        var target = Shape.Create(op, shape);
        ExpandsTo(op, "shape", x, target);
        return target;
    }

    /// <summary>Gradient of a broadcast: dy is Float32 and <paramref name="xShape"/> broadcasts to its shape.</summary>
    public static Shape ExpandBackward(string op, TensorSpec dy, Shape xShape)
    {
        Check.Float32(op, "dy", dy);
        ExpandsTo(op, "xShape", xShape, dy.Shape);
        return xShape;
    }
}
