namespace Tessera.Cpu;

/// <summary>Raw element pointers of CPU tensors (address of element [0, ..., 0]).</summary>
internal static unsafe class TensorPointers
{
    public static float* F32(this Tensor t) => (float*)t.Address;
    public static int* I32(this Tensor t) => (int*)t.Address;
    public static long* I64(this Tensor t) => (long*)t.Address;
    public static byte* U8(this Tensor t) => (byte*)t.Address;

    /// <summary>The tensor's elements as a span (contiguous tensors only).</summary>
    public static Span<float> SpanF32(this Tensor t)
    {
        if (!t.IsContiguous) throw new TesseraArgumentException("TensorPointers.SpanF32", "t", $"{t} is not contiguous");
        return new Span<float>((float*)t.Address, checked((int)t.ElementCount));
    }

    /// <summary>The strides as a new array (for <see cref="StridedPlan"/>).</summary>
    public static long[] StrideArray(this Tensor t) => t.Strides.ToArray();
}
