namespace Tessera;

/// <summary>Checked arithmetic for every size computed from input: dimensions, element counts, pads, strides, offsets
/// and byte counts that come from a model, a file, a shape or an argument. A result that overflows, or that leaves the
/// range its use needs (a dimension is an int32 ≥ 0, a host array holds at most <see cref="Array.MaxLength"/> elements),
/// is a <see cref="TesseraShapeException"/> naming the op and the argument, never an <see cref="OverflowException"/>
/// or a silently wrapped value.</summary>
public static class SizeMath
{
    /// <summary><paramref name="a"/> + <paramref name="b"/>.</summary>
    public static long Add(string op, string argument, long a, long b)
    {
        long r = unchecked(a + b);
        if (((a ^ r) & (b ^ r)) < 0)
            throw new TesseraShapeException(op, argument, $"{a} + {b} overflows a 64-bit size");
        return r;
    }

    /// <summary><paramref name="a"/> × <paramref name="b"/>.</summary>
    public static long Multiply(string op, string argument, long a, long b)
    {
        long high = Math.BigMul(a, b, out long low);
        if (high != low >> 63)
            throw new TesseraShapeException(op, argument, $"{a} × {b} overflows a 64-bit size");
        return low;
    }

    /// <summary>The element count of <paramref name="dims"/>: every dimension ≥ 0, the product without overflow.</summary>
    public static long Product(string op, string argument, ReadOnlySpan<int> dims)
    {
        long n = 1;
        foreach (int d in dims)
        {
            if (d < 0) throw new TesseraShapeException(op, argument, $"dimension {d} is negative in {Format(dims)}");
            n = Multiply(op, argument, n, d);
        }
        return n;
    }

    /// <summary>The element count of <paramref name="dims"/> (64-bit dimensions, as models and files declare them): every
    /// dimension ≥ 0, the product without overflow.</summary>
    public static long Product(string op, string argument, ReadOnlySpan<long> dims)
    {
        long n = 1;
        foreach (long d in dims)
        {
            if (d < 0) throw new TesseraShapeException(op, argument, $"dimension {d} is negative in {Format(dims)}");
            if (n != 0 && d > long.MaxValue / n)
                throw new TesseraShapeException(op, argument, $"the element count of {Format(dims)} overflows a 64-bit size");
            n *= d;
        }
        return n;
    }

    /// <summary>A computed dimension (an output length, a padded or concatenated axis): <paramref name="value"/> must be
    /// in [0, int.MaxValue]. <paramref name="what"/> says what was computed ("the output length along height").</summary>
    public static int Dim(string op, string argument, long value, string what)
    {
        if (value is < 0 or > int.MaxValue)
            throw new TesseraShapeException(op, argument, $"{what} would be {value}, outside a dimension's range [0, {int.MaxValue}]");
        return (int)value;
    }

    /// <summary>A value that must fit an int32 (a pad, a stride, an offset, which may be negative).</summary>
    public static int ToInt(string op, string argument, long value)
    {
        if (value is < int.MinValue or > int.MaxValue)
            throw new TesseraShapeException(op, argument, $"value {value} is outside the int32 range");
        return (int)value;
    }

    /// <summary>Bytes of <paramref name="elements"/> elements of <paramref name="elementSize"/> bytes.</summary>
    public static long Bytes(string op, string argument, long elements, int elementSize) =>
        Multiply(op, argument, elements, elementSize);

    /// <summary>The length of a host array of <paramref name="elements"/> elements of <paramref name="elementSize"/> bytes
    /// each: refused when one .NET array cannot hold them (more than <see cref="Array.MaxLength"/> elements or bytes).</summary>
    public static int HostArrayLength(string op, string argument, long elements, int elementSize)
    {
        long bytes = Bytes(op, argument, elements, elementSize);
        if (elements < 0) throw new TesseraShapeException(op, argument, $"negative element count {elements}");
        if (elements > Array.MaxLength || bytes > Array.MaxLength)
            throw new TesseraShapeException(op, argument, $"{elements} elements ({bytes} bytes) are more than one host array holds ({Array.MaxLength} bytes)");
        return (int)elements;
    }

    private static string Format(ReadOnlySpan<int> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";

    private static string Format(ReadOnlySpan<long> dims) => "[" + string.Join(", ", dims.ToArray()) + "]";
}
