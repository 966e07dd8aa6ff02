using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

// Loop bodies for ElementLoop: pointers + op, one load/compute/store per width. Index i is relative to the pointers.

/// <summary>y[i] = op(x[i]).</summary>
public unsafe struct UnaryBody<TOp>(TOp op, float* x, float* y) : IElementBody where TOp : struct, IUnaryOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Scalar(long i) => y[i] = op.Invoke(x[i]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V128(long i) => Vector128.Store(op.Invoke(Vector128.Load(x + i)), y + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V256(long i) => Vector256.Store(op.Invoke(Vector256.Load(x + i)), y + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512(long i) => Vector512.Store(op.Invoke(Vector512.Load(x + i)), y + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512NonTemporal(long i) => Vector512.StoreAlignedNonTemporal(op.Invoke(Vector512.Load(x + i)), y + i);
    public readonly nint Output => (nint)y;
}

/// <summary>c[i] = op(a[i], b[i]).</summary>
public unsafe struct BinaryBody<TOp>(TOp op, float* a, float* b, float* c) : IElementBody where TOp : struct, IBinaryOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Scalar(long i) => c[i] = op.Invoke(a[i], b[i]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V128(long i) => Vector128.Store(op.Invoke(Vector128.Load(a + i), Vector128.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V256(long i) => Vector256.Store(op.Invoke(Vector256.Load(a + i), Vector256.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512(long i) => Vector512.Store(op.Invoke(Vector512.Load(a + i), Vector512.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512NonTemporal(long i) => Vector512.StoreAlignedNonTemporal(op.Invoke(Vector512.Load(a + i), Vector512.Load(b + i)), c + i);
    public readonly nint Output => (nint)c;
}

/// <summary>c[i] = op(a, b[i]) with a scalar a (stride-0 broadcast).</summary>
public unsafe struct BinaryScalarABody<TOp>(TOp op, float a, float* b, float* c) : IElementBody where TOp : struct, IBinaryOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Scalar(long i) => c[i] = op.Invoke(a, b[i]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V128(long i) => Vector128.Store(op.Invoke(Vector128.Create(a), Vector128.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V256(long i) => Vector256.Store(op.Invoke(Vector256.Create(a), Vector256.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512(long i) => Vector512.Store(op.Invoke(Vector512.Create(a), Vector512.Load(b + i)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512NonTemporal(long i) => Vector512.StoreAlignedNonTemporal(op.Invoke(Vector512.Create(a), Vector512.Load(b + i)), c + i);
    public readonly nint Output => (nint)c;
}

/// <summary>c[i] = op(a[i], b) with a scalar b (stride-0 broadcast).</summary>
public unsafe struct BinaryScalarBBody<TOp>(TOp op, float* a, float b, float* c) : IElementBody where TOp : struct, IBinaryOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Scalar(long i) => c[i] = op.Invoke(a[i], b);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V128(long i) => Vector128.Store(op.Invoke(Vector128.Load(a + i), Vector128.Create(b)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V256(long i) => Vector256.Store(op.Invoke(Vector256.Load(a + i), Vector256.Create(b)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512(long i) => Vector512.Store(op.Invoke(Vector512.Load(a + i), Vector512.Create(b)), c + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512NonTemporal(long i) => Vector512.StoreAlignedNonTemporal(op.Invoke(Vector512.Load(a + i), Vector512.Create(b)), c + i);
    public readonly nint Output => (nint)c;
}

/// <summary>d[i] = op(a[i], b[i], c[i]).</summary>
public unsafe struct TernaryBody<TOp>(TOp op, float* a, float* b, float* c, float* d) : IElementBody where TOp : struct, ITernaryOp
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Scalar(long i) => d[i] = op.Invoke(a[i], b[i], c[i]);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V128(long i) => Vector128.Store(op.Invoke(Vector128.Load(a + i), Vector128.Load(b + i), Vector128.Load(c + i)), d + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V256(long i) => Vector256.Store(op.Invoke(Vector256.Load(a + i), Vector256.Load(b + i), Vector256.Load(c + i)), d + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512(long i) => Vector512.Store(op.Invoke(Vector512.Load(a + i), Vector512.Load(b + i), Vector512.Load(c + i)), d + i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void V512NonTemporal(long i) => Vector512.StoreAlignedNonTemporal(op.Invoke(Vector512.Load(a + i), Vector512.Load(b + i), Vector512.Load(c + i)), d + i);
    public readonly nint Output => (nint)d;
}
