namespace Tessera.Reference;

/// <summary>The reference's array: row-major doubles with a shape. Deliberately plain: no strides, no views, no
/// SIMD. Every reference op takes and returns these.</summary>
public sealed class RefTensor
{
    /// <summary>A tensor of the given shape over <paramref name="data"/> (not copied; its length must match the shape).</summary>
    public RefTensor(int[] shape, double[] data)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in [{string.Join(", ", shape)}]");
            n *= d;
        }
        if (n != data.Length) throw new ArgumentException($"{data.Length} values for shape [{string.Join(", ", shape)}]");
        Shape = (int[])shape.Clone();
        Data = data;
    }

    /// <summary>A tensor of zeros of the given shape.</summary>
    public RefTensor(params int[] shape) : this(shape, new double[Count(shape)]) { }

    /// <summary>The dimensions.</summary>
    public int[] Shape { get; }
    /// <summary>The elements in row-major order.</summary>
    public double[] Data { get; }
    /// <summary>The number of dimensions.</summary>
    public int Rank => Shape.Length;
    /// <summary>The number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>The number of elements of <paramref name="shape"/> (the product of its dimensions).</summary>
    public static long Count(int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    /// <summary>A tensor of the given shape holding <paramref name="data"/> widened to double.</summary>
    public static RefTensor FromFloats(float[] data, params int[] shape) =>
        new(shape, Array.ConvertAll(data, x => (double)x));

    /// <summary>A rank-0 tensor holding <paramref name="v"/>.</summary>
    public static RefTensor Scalar(double v) => new(Array.Empty<int>(), new[] { v });

    /// <summary>The elements narrowed to float.</summary>
    public float[] ToFloats() => Array.ConvertAll(Data, x => (float)x);

    /// <summary>A copy with its own data.</summary>
    public RefTensor Clone() => new(Shape, (double[])Data.Clone());

    /// <summary>Row-major strides in elements.</summary>
    public long[] Strides()
    {
        var s = new long[Rank];
        long acc = 1;
        for (int i = Rank - 1; i >= 0; i--) { s[i] = acc; acc *= Shape[i]; }
        return s;
    }

    /// <summary>Flat index of a multi-index.</summary>
    public long Index(params int[] idx)
    {
        long flat = 0;
        for (int i = 0; i < Rank; i++) flat = flat * Shape[i] + idx[i];
        return flat;
    }

    /// <summary>The element at the given index (one per dimension).</summary>
    public double this[params int[] idx]
    {
        get => Data[Index(idx)];
        set => Data[Index(idx)] = value;
    }

    /// <summary>Multi-index of a flat index.</summary>
    public int[] Unravel(long flat)
    {
        var idx = new int[Rank];
        for (int i = Rank - 1; i >= 0; i--)
        {
            idx[i] = (int)(flat % Shape[i]);
            flat /= Shape[i];
        }
        return idx;
    }

    /// <inheritdoc/>
    public override string ToString() => $"RefTensor[{string.Join(", ", Shape)}]";
}
