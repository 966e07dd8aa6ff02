namespace Tessera.Reference;

/// <summary>The reference's array: row-major doubles with a shape. Deliberately plain: no strides, no views, no
/// SIMD. Every reference op takes and returns these.</summary>
public sealed class RefTensor
{
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

    public RefTensor(params int[] shape) : this(shape, new double[Count(shape)]) { }

    public int[] Shape { get; }
    public double[] Data { get; }
    public int Rank => Shape.Length;
    public int Length => Data.Length;

    public static long Count(int[] shape)
    {
        long n = 1;
        foreach (var d in shape) n *= d;
        return n;
    }

    public static RefTensor FromFloats(float[] data, params int[] shape) =>
        new(shape, Array.ConvertAll(data, x => (double)x));

    public static RefTensor Scalar(double v) => new(Array.Empty<int>(), new[] { v });

    public float[] ToFloats() => Array.ConvertAll(Data, x => (float)x);

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

    public override string ToString() => $"RefTensor[{string.Join(", ", Shape)}]";
}
