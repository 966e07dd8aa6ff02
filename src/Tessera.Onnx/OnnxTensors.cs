using System.Runtime.InteropServices;
using Tessera.Devices;

namespace Tessera.Onnx;

/// <summary>Conversion between <see cref="OnnxTensor"/> (little-endian bytes) and Tessera <see cref="Tensor"/>s.
/// Float, Float16, BFloat16, Int32, Int64, Bool and Uint8 map one to one; Double is kept as
/// <see cref="DType.Float64"/> when the caller asks for it (<c>keepDouble: true</c>), or converted to Float32
/// (<c>convertDouble: true</c>, rounding each value to the nearest float), and refused otherwise; a Float64 tensor
/// converts back to Double. Every other element type, strings included, is refused with a
/// <see cref="TesseraDTypeException"/>.</summary>
public static class OnnxTensors
{
    /// <summary>The Tessera dtype an ONNX element type maps to, or null when there is none.</summary>
    public static DType? ToDType(OnnxDataType type) => type switch
    {
        OnnxDataType.Float => DType.Float32,
        OnnxDataType.Float16 => DType.Float16,
        OnnxDataType.BFloat16 => DType.BFloat16,
        OnnxDataType.Int32 => DType.Int32,
        OnnxDataType.Int64 => DType.Int64,
        OnnxDataType.Bool => DType.Bool,
        OnnxDataType.Uint8 => DType.UInt8,
        _ => null,
    };

    /// <summary>The ONNX element type of a Tessera dtype.</summary>
    public static OnnxDataType ToOnnx(DType dtype) => dtype switch
    {
        DType.Float32 => OnnxDataType.Float,
        DType.Float16 => OnnxDataType.Float16,
        DType.BFloat16 => OnnxDataType.BFloat16,
        DType.Int32 => OnnxDataType.Int32,
        DType.Int64 => OnnxDataType.Int64,
        DType.Bool => OnnxDataType.Bool,
        DType.UInt8 => OnnxDataType.Uint8,
        DType.Float64 => OnnxDataType.Double,
        _ => throw new TesseraDTypeException("OnnxTensors.ToOnnx", nameof(dtype), $"no ONNX element type for {dtype}"),
    };

    /// <summary>A new tensor on <paramref name="device"/> holding <paramref name="t"/>'s elements.</summary>
    /// <param name="convertDouble">Convert Double tensors to Float32.</param>
    /// <param name="keepDouble">Keep Double tensors as Float64 (takes precedence over <paramref name="convertDouble"/>);
    /// with neither, Double is refused.</param>
    public static Tensor ToTensor(OnnxTensor t, IDevice device, bool convertDouble = false, bool keepDouble = false)
    {
        const string op = "OnnxTensors.ToTensor";
        ArgumentNullException.ThrowIfNull(t);
        ArgumentNullException.ThrowIfNull(device);
        if (!BitConverter.IsLittleEndian) throw new TesseraBackendException(op, "ONNX tensors are little-endian; this host is big-endian");
        byte[] data = t.RawData;
        DType dtype;
        if (t.DataType == OnnxDataType.Double && keepDouble)
        {
            dtype = DType.Float64;
        }
        else if (t.DataType == OnnxDataType.Double && convertDouble)
        {
            var doubles = MemoryMarshal.Cast<byte, double>(data);
            var floats = new float[doubles.Length];
            for (int i = 0; i < floats.Length; i++) floats[i] = (float)doubles[i];
            data = MemoryMarshal.AsBytes(floats.AsSpan()).ToArray();
            dtype = DType.Float32;
        }
        else
        {
            dtype = ToDType(t.DataType) ?? throw new TesseraDTypeException(op, nameof(t),
                $"tensor '{t.Name}' has ONNX element type {t.DataType}, which Tessera tensors do not hold" +
                (t.DataType == OnnxDataType.Double ? " (pass keepDouble: true to keep it as Float64, or convertDouble: true to convert to Float32)" : ""));
        }
        var dims = new int[t.Dims.Length];
        for (int i = 0; i < dims.Length; i++)
        {
            if (t.Dims[i] < 0 || t.Dims[i] > int.MaxValue)
                throw new TesseraShapeException(op, nameof(t), $"tensor '{t.Name}' dimension {t.Dims[i]} is out of range");
            dims[i] = (int)t.Dims[i];
        }
        var shape = Shape.Create(op, dims);
        if (data.LongLength != shape.ElementCount * dtype.SizeOf())
            throw new TesseraShapeException(op, nameof(t), $"tensor '{t.Name}' holds {data.LongLength} bytes, shape {shape} of {dtype} needs {shape.ElementCount * dtype.SizeOf()}");
        var result = Tensor.Empty(device, dtype, shape);
        if (data.Length > 0) device.CopyFromHost(data, result.Storage.Buffer, 0);
        return result;
    }

    /// <summary>An ONNX tensor named <paramref name="name"/> holding a copy of <paramref name="t"/>'s elements
    /// (row-major whatever its strides).</summary>
    public static OnnxTensor FromTensor(string name, Tensor t)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(t);
        if (!BitConverter.IsLittleEndian) throw new TesseraBackendException("OnnxTensors.FromTensor", "ONNX tensors are little-endian; this host is big-endian");
        var type = ToOnnx(t.DType);
        byte[] data = t.DType switch
        {
            DType.Float32 => MemoryMarshal.AsBytes(t.ToArray<float>().AsSpan()).ToArray(),
            DType.Float16 or DType.BFloat16 => MemoryMarshal.AsBytes(t.ToArray<ushort>().AsSpan()).ToArray(),
            DType.Int32 => MemoryMarshal.AsBytes(t.ToArray<int>().AsSpan()).ToArray(),
            DType.Int64 => MemoryMarshal.AsBytes(t.ToArray<long>().AsSpan()).ToArray(),
            DType.Float64 => MemoryMarshal.AsBytes(t.ToArray<double>().AsSpan()).ToArray(),
            _ => t.ToArray<byte>(),
        };
        var dims = new long[t.Rank];
        for (int i = 0; i < dims.Length; i++) dims[i] = t.Shape[i];
        return new OnnxTensor(name, type, dims, data);
    }
}
