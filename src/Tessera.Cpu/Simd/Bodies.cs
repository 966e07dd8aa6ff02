using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

// Loop bodies for ElementLoop: pointers + math functor, one load/compute/store per width. Index i is relative to the pointers.

/// <summary>y[i] = f(x[i]).</summary>
internal unsafe struct UnaryBody<TMath>(TMath math, float* x, float* y) : IElementBody where TMath : struct, IUnaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Scalar(long i) => y[i] = math.Invoke(x[i]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V128(long i) => Vector128.Store(math.Invoke(Vector128.Load(x + i)), y + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V256(long i) => Vector256.Store(math.Invoke(Vector256.Load(x + i)), y + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512(long i) => Vector512.Store(math.Invoke(Vector512.Load(x + i)), y + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512NonTemporal(long i) => Vector512.StoreAlignedNonTemporal(math.Invoke(Vector512.Load(x + i)), y + i);
    public readonly nint Output => (nint)y;
    public static bool ComputeBound => TMath.ComputeBound;
}

/// <summary>c[i] = f(a[i], b[i]).</summary>
internal unsafe struct BinaryBody<TMath>(TMath math, float* a, float* b, float* c) : IElementBody where TMath : struct, IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Scalar(long i) => c[i] = math.Invoke(a[i], b[i]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V128(long i) => Vector128.Store(math.Invoke(Vector128.Load(a + i), Vector128.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V256(long i) => Vector256.Store(math.Invoke(Vector256.Load(a + i), Vector256.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512(long i) => Vector512.Store(math.Invoke(Vector512.Load(a + i), Vector512.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512NonTemporal(long i) => Vector512.StoreAlignedNonTemporal(math.Invoke(Vector512.Load(a + i), Vector512.Load(b + i)), c + i);
    public readonly nint Output => (nint)c;
}

/// <summary>c[i] = f(a, b[i]) with a scalar a (stride-0 broadcast).</summary>
internal unsafe struct BinaryScalarABody<TMath>(TMath math, float a, float* b, float* c) : IElementBody where TMath : struct, IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Scalar(long i) => c[i] = math.Invoke(a, b[i]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V128(long i) => Vector128.Store(math.Invoke(Vector128.Create(a), Vector128.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V256(long i) => Vector256.Store(math.Invoke(Vector256.Create(a), Vector256.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512(long i) => Vector512.Store(math.Invoke(Vector512.Create(a), Vector512.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512NonTemporal(long i) => Vector512.StoreAlignedNonTemporal(math.Invoke(Vector512.Create(a), Vector512.Load(b + i)), c + i);
    public readonly nint Output => (nint)c;
}

/// <summary>c[i] = f(a[i], b) with a scalar b (stride-0 broadcast).</summary>
internal unsafe struct BinaryScalarBBody<TMath>(TMath math, float* a, float b, float* c) : IElementBody where TMath : struct, IBinaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Scalar(long i) => c[i] = math.Invoke(a[i], b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V128(long i) => Vector128.Store(math.Invoke(Vector128.Load(a + i), Vector128.Create(b)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V256(long i) => Vector256.Store(math.Invoke(Vector256.Load(a + i), Vector256.Create(b)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512(long i) => Vector512.Store(math.Invoke(Vector512.Load(a + i), Vector512.Create(b)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512NonTemporal(long i) => Vector512.StoreAlignedNonTemporal(math.Invoke(Vector512.Load(a + i), Vector512.Create(b)), c + i);
    public readonly nint Output => (nint)c;
}

/// <summary>d[i] = f(a[i], b[i], c[i]).</summary>
internal unsafe struct TernaryBody<TMath>(TMath math, float* a, float* b, float* c, float* d) : IElementBody where TMath : struct, ITernaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Scalar(long i) => d[i] = math.Invoke(a[i], b[i], c[i]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V128(long i) => Vector128.Store(math.Invoke(Vector128.Load(a + i), Vector128.Load(b + i), Vector128.Load(c + i)), d + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V256(long i) => Vector256.Store(math.Invoke(Vector256.Load(a + i), Vector256.Load(b + i), Vector256.Load(c + i)), d + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512(long i) => Vector512.Store(math.Invoke(Vector512.Load(a + i), Vector512.Load(b + i), Vector512.Load(c + i)), d + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512NonTemporal(long i) => Vector512.StoreAlignedNonTemporal(math.Invoke(Vector512.Load(a + i), Vector512.Load(b + i), Vector512.Load(c + i)), d + i);
    public readonly nint Output => (nint)d;
}
