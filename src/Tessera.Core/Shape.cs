using System.Collections;

namespace Tessera;

/// <summary>An immutable list of dimensions. Dimensions are non-negative; the element count fits in a long.</summary>
public readonly struct Shape : IEquatable<Shape>, IReadOnlyList<int>
{
    /// <summary>The largest element count a tensor may have (2^40 elements: absurd sizes are refused before allocation).</summary>
    public const long MaxElements = 1L << 40;

    private readonly int[]? _dims;

    /// <summary>A shape of the given dimensions, each in [0, int.MaxValue], their product at most <see cref="MaxElements"/>.</summary>
    /// <exception cref="TesseraShapeException">A dimension is negative or the product is too large.</exception>
    public Shape(params int[] dims) : this(dims, "Shape") { }

    /// <summary>A shape of the given dimensions (copied).</summary>
    /// <exception cref="TesseraShapeException">A dimension is negative or the product is too large.</exception>
    public Shape(ReadOnlySpan<int> dims) : this(dims.ToArray(), "Shape") { }

    private Shape(int[] dims, string op)
    {
        long n = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0)
                throw new TesseraShapeException(op, "dims", $"dimension {i} is negative ({dims[i]}) in {Format(dims)}");
            n = SizeMath.Multiply(op, "dims", n, dims[i]);
            if (n > MaxElements)
                throw new TesseraShapeException(op, "dims", $"{Format(dims)} would exceed the limit of {MaxElements} elements (Shape.MaxElements)");
        }
        _dims = (int[])dims.Clone();
        ElementCount = n;
    }

    /// <summary>A shape, validated, whose errors name <paramref name="op"/>.</summary>
    public static Shape Create(string op, ReadOnlySpan<int> dims) => new(dims.ToArray(), op);

    /// <summary>The scalar shape [].</summary>
    public static Shape Scalar => new(Array.Empty<int>());

    /// <summary>The number of dimensions (0 for a scalar).</summary>
    public int Rank => _dims?.Length ?? 0;
    /// <summary>The number of elements: the product of the dimensions (1 for a scalar).</summary>
    public long ElementCount { get; } = 1;
    /// <summary>The dimension at <paramref name="index"/> (0-based, not negative).</summary>
    public int this[int index] => (_dims ?? Array.Empty<int>())[index];
    /// <summary>The number of dimensions, as a collection (<see cref="Rank"/>).</summary>
    public int Count => Rank;
    /// <summary>The dimensions, without a copy.</summary>
    public ReadOnlySpan<int> Dims => _dims;

    /// <summary>Copy of the dimensions.</summary>
    public int[] ToArray() => _dims is null ? Array.Empty<int>() : (int[])_dims.Clone();

    /// <summary>Normalises an axis in [-rank, rank) to [0, rank), naming the op on failure.</summary>
    public int Axis(int axis, string op, string argument = "axis") => NormalizeAxis(axis, Rank, op, argument);

    /// <summary>Normalises <paramref name="axis"/> in [-rank, rank) to [0, rank) for a tensor of rank <paramref name="rank"/>.</summary>
    /// <exception cref="TesseraAxisException">The axis is out of range; the message names <paramref name="op"/> and <paramref name="argument"/>.</exception>
    public static int NormalizeAxis(int axis, int rank, string op, string argument = "axis")
    {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank)
            throw new TesseraAxisException(op, argument, $"axis {axis} is out of range for rank {rank}");
        return a;
    }

    /// <summary>Contiguous (row-major) strides in elements.</summary>
    public long[] ContiguousStrides()
    {
        var s = new long[Rank];
        long acc = 1;
        for (int i = Rank - 1; i >= 0; i--) { s[i] = acc; acc *= this[i]; }
        return s;
    }

    /// <summary>NumPy broadcast of two shapes.</summary>
    public static Shape Broadcast(Shape a, Shape b, string op)
    {
        int r = Math.Max(a.Rank, b.Rank);
        var d = new int[r];
        for (int i = 0; i < r; i++)
        {
            int da = i - (r - a.Rank) >= 0 ? a[i - (r - a.Rank)] : 1;
            int db = i - (r - b.Rank) >= 0 ? b[i - (r - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new TesseraShapeException(op, "shapes", $"{a} and {b} do not broadcast (dimension {i}: {da} vs {db})");
            d[i] = da == 1 ? db : da;
        }
        return new Shape(d, op);
    }

    /// <summary>Whether both shapes have the same dimensions.</summary>
    public bool Equals(Shape other) => Dims.SequenceEqual(other.Dims);
    /// <summary>Whether <paramref name="obj"/> is a shape with the same dimensions.</summary>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);
    /// <summary>A hash of the dimensions.</summary>
    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in Dims) h.Add(d);
        return h.ToHashCode();
    }
    /// <summary>Whether both shapes have the same dimensions.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);
    /// <summary>Whether the shapes differ in rank or in a dimension.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);
    /// <summary>The shape of the given dimensions.</summary>
    public static implicit operator Shape(int[] dims) => new(dims);

    /// <summary>The dimensions as "[2, 3]".</summary>
    public override string ToString() => Format(_dims ?? Array.Empty<int>());
    private static string Format(IEnumerable<int> dims) => "[" + string.Join(", ", dims) + "]";

    /// <summary>The dimensions in order.</summary>
    public IEnumerator<int> GetEnumerator() => ((IEnumerable<int>)(_dims ?? Array.Empty<int>())).GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
