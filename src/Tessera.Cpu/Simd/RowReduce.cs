using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>Reduction of a contiguous row, written once for every body (<see cref="IReduceBody"/>) and combine
/// (<see cref="IReduceMath"/>). Rows of 16 or more run blocks of 64 elements into four independent 16-lane accumulators
/// (two blocks of 32 into two per sum for paired bodies), then blocks of 16 into the first, fold the lanes in a fixed
/// order and add the tail in order; shorter rows run one 8- or 4-lane step. The 16 lanes are one Vector512, two
/// Vector256 or four Vector128 (<see cref="ILanes16{TSelf}"/>), so the result does not depend on the vector width.</summary>
internal static unsafe class RowReduce
{
    /// <summary>reduce over i of x[i].</summary>
    public static float Run<TRed>(TRed red, float* x, long n) where TRed : struct, IReduceMath =>
        Run(default(IdentityMath), red, x, null, n);

    /// <summary>reduce over i of map(x[i]); stores map(x[i]) into <paramref name="store"/> when it is not null.</summary>
    public static float Run<TMap, TRed>(TMap map, TRed red, float* x, float* store, long n)
        where TMap : struct, IUnaryMath where TRed : struct, IReduceMath
    {
        var body = new MapReduceBody<TMap>(map, x, store);
        return Run(ref body, red, n, out _);
    }

    /// <summary>reduce over i in [0, n) of the body's values; the second sum of a paired body in <paramref name="second"/>.</summary>
    public static float Run<TBody, TRed>(ref TBody body, TRed red, long n, out float second)
        where TBody : struct, IReduceBody where TRed : struct, IReduceMath
    {
        long i = 0;
        float a = red.Identity, b = red.Identity;
        if (VectorWidth.Use128 && n >= 16)
        {
            if (VectorWidth.Use512) i = Blocks<Lanes512, TBody, TRed>(ref body, red, n, out a, out b);
            else if (VectorWidth.Use256) i = Blocks<Lanes256, TBody, TRed>(ref body, red, n, out a, out b);
            else i = Blocks<Lanes128, TBody, TRed>(ref body, red, n, out a, out b);
        }
        else if (VectorWidth.Use128 && n >= 4)
        {
            Vector128<float> lo, slo, hi = default, shi = default;
            bool eight = n >= 8;
            if (eight && VectorWidth.Use256)
            {
                var v = body.V256(0, out var s);
                (lo, hi, slo, shi) = (v.GetLower(), v.GetUpper(), s.GetLower(), s.GetUpper());
            }
            else
            {
                lo = body.V128(0, out slo);
                if (eight) hi = body.V128(4, out shi);
            }
            var id = Vector128.Create(red.Identity);
            a = Fold(red, eight ? red.Invoke(red.Invoke(id, lo), red.Invoke(id, hi)) : red.Invoke(id, lo));
            if (TBody.Pair) b = Fold(red, eight ? red.Invoke(red.Invoke(id, slo), red.Invoke(id, shi)) : red.Invoke(id, slo));
            i = eight ? 8 : 4;
        }
        for (; i < n; i++)
        {
            a = red.Invoke(a, body.Scalar(i, out float s));
            if (TBody.Pair) b = red.Invoke(b, s);
        }
        second = b;
        return a;
    }

    /// <summary>The blocks of 16 of [0, n) (n ≥ 16), folded; returns where the tail starts. (Left to tiered compilation:
    /// its profile lets the JIT inline the body's math, e.g. the vector exp of softmax.)</summary>
    private static long Blocks<TLanes, TBody, TRed>(ref TBody bodyRef, TRed red, long n, out float first, out float second)
        where TLanes : struct, ILanes16<TLanes> where TBody : struct, IReduceBody where TRed : struct, IReduceMath
    {
        // A local copy keeps the body's pointers in registers: through the reference they would be reloaded after
        // every store the body makes (the stores might alias the caller's struct).
        var body = bodyRef;
        var id = TLanes.Splat(red.Identity);
        TLanes a0 = id, a1 = id, a2 = id, a3 = id;
        long i = 0;
        if (!TBody.Pair)
        {
            for (; i + 64 <= n; i += 64)
            {
                a0 = TLanes.Combine(red, a0, TLanes.Step(ref body, i, out _));
                a1 = TLanes.Combine(red, a1, TLanes.Step(ref body, i + 16, out _));
                a2 = TLanes.Combine(red, a2, TLanes.Step(ref body, i + 32, out _));
                a3 = TLanes.Combine(red, a3, TLanes.Step(ref body, i + 48, out _));
            }
            for (; i + 16 <= n; i += 16) a0 = TLanes.Combine(red, a0, TLanes.Step(ref body, i, out _));
            first = Fold(red, TLanes.Quarter(red, TLanes.Combine(red, TLanes.Combine(red, a0, a1), TLanes.Combine(red, a2, a3))));
            second = red.Identity;
            return i;
        }
        // Paired: a0, a1 hold the first sum, a2, a3 the second.
        for (; i + 32 <= n; i += 32)
        {
            a0 = TLanes.Combine(red, a0, TLanes.Step(ref body, i, out var s0));
            a2 = TLanes.Combine(red, a2, s0);
            a1 = TLanes.Combine(red, a1, TLanes.Step(ref body, i + 16, out var s1));
            a3 = TLanes.Combine(red, a3, s1);
        }
        for (; i + 16 <= n; i += 16)
        {
            a0 = TLanes.Combine(red, a0, TLanes.Step(ref body, i, out var s));
            a2 = TLanes.Combine(red, a2, s);
        }
        first = Fold(red, TLanes.Quarter(red, TLanes.Combine(red, a0, a1)));
        second = Fold(red, TLanes.Quarter(red, TLanes.Combine(red, a2, a3)));
        return i;
    }

    /// <summary>4 → 1: (v0 ⊕ v1) ⊕ (v2 ⊕ v3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold<TRed>(TRed red, Vector128<float> v) where TRed : struct, IReduceMath =>
        red.Invoke(red.Invoke(v.GetElement(0), v.GetElement(1)), red.Invoke(v.GetElement(2), v.GetElement(3)));
}

/// <summary>map(x[i]), stored into <c>store</c> on the way when that is not null.</summary>
internal unsafe struct MapReduceBody<TMap>(TMap map, float* x, float* store) : IReduceBody where TMap : struct, IUnaryMath
{
    public static bool Pair => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Scalar(long i, out float second)
    {
        second = 0;
        float v = map.Invoke(x[i]);
        if (store != null) store[i] = v;
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> V128(long i, out Vector128<float> second)
    {
        second = default;
        var v = map.Invoke(Vector128.Load(x + i));
        if (store != null) v.Store(store + i);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> V256(long i, out Vector256<float> second)
    {
        second = default;
        var v = map.Invoke(Vector256.Load(x + i));
        if (store != null) v.Store(store + i);
        return v;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> V512(long i, out Vector512<float> second)
    {
        second = default;
        var v = map.Invoke(Vector512.Load(x + i));
        if (store != null) v.Store(store + i);
        return v;
    }
}
