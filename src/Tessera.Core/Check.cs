using Tessera.Devices;

namespace Tessera;

/// <summary>Argument checks shared by the op facades. Each throws a Tessera exception naming the op, the argument and the shapes.</summary>
public static class Check
{
    public static void Alive(string op, string name, Tensor? t)
    {
        if (t is null) throw new TesseraArgumentException(op, name, "is null");
        if (t.IsDisposed) throw new TesseraDisposedException(op, $"argument '{name}' ({t})");
    }

    public static void DType(string op, string name, Tensor t, DType expected)
    {
        Alive(op, name, t);
        if (t.DType != expected)
            throw new TesseraDTypeException(op, name, $"expected {expected}, got {t.DType} (shape {t.Shape})");
    }

    public static void Float32(string op, string name, Tensor t) => DType(op, name, t, Tessera.DType.Float32);

    public static void IndexType(string op, string name, Tensor t)
    {
        Alive(op, name, t);
        if (t.DType is not (Tessera.DType.Int32 or Tessera.DType.Int64))
            throw new TesseraDTypeException(op, name, $"expected Int32 or Int64 indices, got {t.DType} (shape {t.Shape})");
    }

    public static void Rank(string op, string name, Tensor t, int rank)
    {
        Alive(op, name, t);
        if (t.Rank != rank)
            throw new TesseraShapeException(op, name, $"expected rank {rank}, got shape {t.Shape}");
    }

    public static void MinRank(string op, string name, Tensor t, int rank)
    {
        Alive(op, name, t);
        if (t.Rank < rank)
            throw new TesseraShapeException(op, name, $"expected rank ≥ {rank}, got shape {t.Shape}");
    }

    public static void Shape(string op, string name, Tensor t, Shape expected)
    {
        Alive(op, name, t);
        if (t.Shape != expected)
            throw new TesseraShapeException(op, name, $"expected shape {expected}, got {t.Shape}");
    }

    /// <summary>All non-null tensors are alive and on the device of the first.</summary>
    public static IDevice SameDevice(string op, params (string Name, Tensor? Tensor)[] args)
    {
        IDevice? device = null;
        string first = "";
        foreach (var (name, t) in args)
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

    public static void Positive(string op, string name, long value)
    {
        if (value <= 0) throw new TesseraArgumentException(op, name, $"must be positive, got {value}");
    }

    public static void NonNegative(string op, string name, long value)
    {
        if (value < 0) throw new TesseraArgumentException(op, name, $"must be non-negative, got {value}");
    }

    public static void Finite(string op, string name, double value)
    {
        if (!double.IsFinite(value)) throw new TesseraArgumentException(op, name, $"must be finite, got {value}");
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
