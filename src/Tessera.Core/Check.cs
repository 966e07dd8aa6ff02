using Tessera.Devices;

namespace Tessera;

/// <summary>Argument checks shared by the eager facade, the argument rules (<see cref="Kernels.ShapeRules"/>) and the
/// graph builder. Checks of a shape/dtype description (<see cref="TensorSpec"/>) serve eager tensors and graph values
/// alike; the <see cref="Tensor"/> overloads first check that the tensor is alive. Each throws a Tessera exception
/// naming the op (or graph node), the argument and the shapes.</summary>
public static class Check
{
    /// <summary>The tensor is given (not null) and not disposed.</summary>
    public static void Alive(string op, string name, Tensor? t)
    {
        if (t is null) throw new TesseraArgumentException(op, name, "is null");
        if (t.IsDisposed) throw new TesseraDisposedException(op, $"argument '{name}' ({t})");
    }

    /// <summary>The element type is <paramref name="expected"/>.</summary>
    public static void DType(string op, string name, TensorSpec t, DType expected)
    {
        if (t.DType != expected)
            throw new TesseraDTypeException(op, name, $"expected {expected}, got {t.DType} (shape {t.Shape})");
    }

    /// <summary>The tensor is alive and of element type <paramref name="expected"/>.</summary>
    public static void DType(string op, string name, Tensor t, DType expected)
    {
        Alive(op, name, t);
        DType(op, name, t.Spec, expected);
    }

    /// <summary>The element type is Float32.</summary>
    public static void Float32(string op, string name, TensorSpec t) => DType(op, name, t, Tessera.DType.Float32);

    /// <summary>The tensor is alive and Float32.</summary>
    public static void Float32(string op, string name, Tensor t) => DType(op, name, t, Tessera.DType.Float32);

    /// <summary>The element type is Int32 or Int64 (indices).</summary>
    public static void IndexType(string op, string name, TensorSpec t)
    {
        if (t.DType is not (Tessera.DType.Int32 or Tessera.DType.Int64))
            throw new TesseraDTypeException(op, name, $"expected Int32 or Int64 indices, got {t.DType} (shape {t.Shape})");
    }

    /// <summary>The rank is <paramref name="rank"/>.</summary>
    public static void Rank(string op, string name, TensorSpec t, int rank)
    {
        if (t.Shape.Rank != rank)
            throw new TesseraShapeException(op, name, $"expected rank {rank}, got shape {t.Shape}");
    }

    /// <summary>The tensor is alive and of rank <paramref name="rank"/>.</summary>
    public static void Rank(string op, string name, Tensor t, int rank)
    {
        Alive(op, name, t);
        Rank(op, name, t.Spec, rank);
    }

    /// <summary>The rank is at least <paramref name="rank"/>.</summary>
    public static void MinRank(string op, string name, TensorSpec t, int rank)
    {
        if (t.Shape.Rank < rank)
            throw new TesseraShapeException(op, name, $"expected rank ≥ {rank}, got shape {t.Shape}");
    }

    /// <summary>The shape is <paramref name="expected"/>.</summary>
    public static void Shape(string op, string name, TensorSpec t, Shape expected)
    {
        if (t.Shape != expected)
            throw new TesseraShapeException(op, name, $"expected shape {expected}, got {t.Shape}");
    }

    /// <summary><paramref name="t"/> has the shape of the argument <paramref name="otherName"/>.</summary>
    public static void SameShape(string op, string name, TensorSpec t, string otherName, TensorSpec other)
    {
        if (t.Shape != other.Shape)
            throw new TesseraShapeException(op, name, $"expected shape {other.Shape} (that of {otherName}), got {t.Shape}");
    }

    /// <summary>A node received <paramref name="expected"/> inputs.</summary>
    public static void InputCount(string op, int count, int expected)
    {
        if (count != expected)
            throw new TesseraArgumentException(op, "inputs", $"expected {expected} inputs, got {count}");
    }

    /// <summary>A node received between <paramref name="min"/> and <paramref name="max"/> inputs.</summary>
    public static void InputCount(string op, int count, int min, int max)
    {
        if (count < min || count > max)
            throw new TesseraArgumentException(op, "inputs", $"expected {min} to {max} inputs, got {count}");
    }

    /// <summary>Every tensor is alive (null is refused) and on the device of the first.</summary>
    public static IDevice SameDevice(string op, params (string Name, Tensor? Tensor)[] args) => SameDevice(op, args, []);

    /// <summary>The <paramref name="required"/> tensors are alive (null is refused), the <paramref name="optional"/> ones
    /// alive unless null, and all given tensors are on the device of the first.</summary>
    public static IDevice SameDevice(string op, (string Name, Tensor? Tensor)[] required, params (string Name, Tensor? Tensor)[] optional)
    {
        foreach (var (name, t) in required) Alive(op, name, t);
        IDevice? device = null;
        string first = "";
        foreach (var (name, t) in required.Concat(optional))
        {
            if (t is null) continue;
            Alive(op, name, t);
            if (device is null) { device = t.Device; first = name; continue; }
            if (!ReferenceEquals(t.Device, device))
                throw new TesseraDeviceException(op, name, $"is on {t.Device.Id} but '{first}' is on {device.Id}");
        }
        return device ?? throw new TesseraArgumentException(op, "inputs", "no tensor given");
    }

    /// <summary>The output is contiguous, of the expected shape and dtype, and does not overlap the inputs unless allowed.</summary>
    public static void Output(string op, string name, Tensor t, Shape shape, DType dtype)
    {
        Alive(op, name, t);
        if (t.Shape != shape) throw new TesseraShapeException(op, name, $"output must have shape {shape}, got {t.Shape}");
        if (t.DType != dtype) throw new TesseraDTypeException(op, name, $"output must be {dtype}, got {t.DType}");
        if (!t.IsContiguous) throw new TesseraArgumentException(op, name, $"output {t.Shape} must be contiguous");
    }

    /// <summary>The value is &gt; 0.</summary>
    public static void Positive(string op, string name, long value)
    {
        if (value <= 0) throw new TesseraArgumentException(op, name, $"must be positive, got {value}");
    }

    /// <summary>The value is ≥ 0.</summary>
    public static void NonNegative(string op, string name, long value)
    {
        if (value < 0) throw new TesseraArgumentException(op, name, $"must be non-negative, got {value}");
    }

    /// <summary>The value is neither infinite nor NaN.</summary>
    public static void Finite(string op, string name, double value)
    {
        if (!double.IsFinite(value)) throw new TesseraArgumentException(op, name, $"must be finite, got {value}");
    }

    /// <summary>The value is finite and ≥ 0.</summary>
    public static void NonNegativeFinite(string op, string name, float value)
    {
        if (!float.IsFinite(value) || value < 0) throw new TesseraArgumentException(op, name, $"must be finite and ≥ 0, got {value}");
    }

    /// <summary>Normalised, sorted, distinct axes; an empty list means every axis.</summary>
    public static int[] Axes(string op, ReadOnlySpan<int> axes, int rank, string name = "axes")
    {
        if (axes.Length == 0) return Enumerable.Range(0, rank).ToArray();
        var set = new SortedSet<int>();
        foreach (var a in axes)
        {
            int n = Tessera.Shape.NormalizeAxis(a, rank, op, name);
            if (!set.Add(n)) throw new TesseraAxisException(op, name, $"axis {a} appears twice");
        }
        return set.ToArray();
    }
}
