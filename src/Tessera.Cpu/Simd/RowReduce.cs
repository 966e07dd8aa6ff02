using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>Reduction of a contiguous row, written once for every body (<see cref="IReduceBody"/>) and combine
/// (<see cref="IReduceMath"/>). Rows of 16 or more run blocks of 64 elements into four independent 16-lane accumulators
/// (two blocks of 32 into two per sum for paired bodies), then blocks of 16 into the first, and fold the lanes in a
/// fixed order; the rest (fewer than 16) adds one folded 8-lane step, one folded 4-lane step and the last elements in
/// order. The 16 lanes are one Vector512, two Vector256 or four Vector128 (<see cref="ILanes16{TSelf}"/>), and an
/// 8-lane step is one Vector256 or two Vector128, so the result does not depend on the vector width. Rows of at most
/// 64 elements take a shorter way to the same sums.</summary>
internal static unsafe class RowReduce
{
    /// <summary>reduce over i of x[i].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Run<TRed>(TRed red, float* x, long n) where TRed : struct, IReduceMath =>
        Run(default(IdentityMath), red, x, null, n);

    /// <summary>y[r] = reduce over i of x[r·stride + i], for r &lt; rows: the sums <see cref="Run{TRed}(TRed, float*, long)"/>
    /// gives row by row, without a call per short row (a global average pool's rows of 49), so that consecutive rows
    /// overlap in the pipeline.</summary>
    public static void Rows<TRed>(TRed red, float* x, long stride, long n, long rows, float* y) where TRed : struct, IReduceMath
    {
        if (n <= 64 && VectorWidth.Use512)
        {
            for (long r = 0; r < rows; r++)
            {
                var body = new MapReduceBody<IdentityMath>(default, x + r * stride, null);
                y[r] = Short<Lanes512, MapReduceBody<IdentityMath>, TRed>(ref body, red, n);
            }
            return;
        }
        for (long r = 0; r < rows; r++) y[r] = Run(red, x + r * stride, n);
    }

    /// <summary>reduce over i of map(x[i]); stores map(x[i]) into <paramref name="store"/> when it is not null.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Run<TMap, TRed>(TMap map, TRed red, float* x, float* store, long n)
        where TMap : struct, IUnaryMath where TRed : struct, IReduceMath
    {
        var body = new MapReduceBody<TMap>(map, x, store);
        return Run(ref body, red, n, out _);
    }

    /// <summary>reduce over i in [0, n) of the body's values; the second sum of a paired body in <paramref name="second"/>.
    /// (Not inlined into its callers: there the JIT would run out of inlining budget and call the lane operations.)</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static float Run<TBody, TRed>(ref TBody body, TRed red, long n, out float second)
        where TBody : struct, IReduceBody where TRed : struct, IReduceMath
    {
        // Rows of up to 64 elements (attention's key tiles, small pooling windows, short softmax rows) with Vector512
        // skip the call into the block loop, which would cost them more than their elements (the same sums).
        if (n <= 64 && !TBody.Pair && VectorWidth.Use512)
        {
            second = red.Identity;
            return Short<Lanes512, TBody, TRed>(ref body, red, n);
        }
        return Long(ref body, red, n, out second);
    }

    /// <summary>A row of at most 64 elements (not paired): its 16-element blocks folded as <see cref="Blocks"/> folds
    /// them — 64 elements are one block of four accumulators; fewer run into the first, the other three stay at the
    /// identity — then the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Short<TLanes, TBody, TRed>(ref TBody body, TRed red, long n)
        where TLanes : struct, ILanes16<TLanes> where TBody : struct, IReduceBody where TRed : struct, IReduceMath
    {
        float a = red.Identity;
        if (n >= 16)
        {
            var id = TLanes.Splat(red.Identity);
            float* output = (float*)body.Output;
            TLanes a0, a1 = id, a2 = id, a3 = id;
            if (n == 64)
            {
                var v0 = TLanes.Step(ref body, 0, out _);
                var v1 = TLanes.Step(ref body, 16, out _);
                var v2 = TLanes.Step(ref body, 32, out _);
                var v3 = TLanes.Step(ref body, 48, out _);
                if (output != null)
                {
                    TLanes.Store(v0, output);
                    TLanes.Store(v1, output + 16);
                    TLanes.Store(v2, output + 32);
                    TLanes.Store(v3, output + 48);
                }
                a0 = TLanes.Combine(red, id, v0);
                a1 = TLanes.Combine(red, id, v1);
                a2 = TLanes.Combine(red, id, v2);
                a3 = TLanes.Combine(red, id, v3);
            }
            else
            {
                a0 = id;
                for (long i = 0; i + 16 <= n; i += 16)
                {
                    var v = TLanes.Step(ref body, i, out _);
                    if (output != null) TLanes.Store(v, output + i);
                    a0 = TLanes.Combine(red, a0, v);
                }
            }
            a = Fold(red, TLanes.Quarter(red, TLanes.Combine(red, TLanes.Combine(red, a0, a1), TLanes.Combine(red, a2, a3))));
        }
        return Tail(ref body, red, n & ~15L, n, Vector128.CreateScalarUnsafe(a)).ToScalar();
    }

    /// <summary>Any row: <see cref="Blocks"/>, then the tail.</summary>
    private static float Long<TBody, TRed>(ref TBody body, TRed red, long n, out float second)
        where TBody : struct, IReduceBody where TRed : struct, IReduceMath
    {
        // The sums travel in registers: locals passed by reference to the (not inlined) block loop would live in memory
        // for the whole method, and a returned struct goes through memory too (a store-forwarding stall per call).
        var sums = Vector128.Create(red.Identity);
        if (VectorWidth.Use128 && n >= 16)
        {
            if (VectorWidth.Use512) sums = Blocks<Lanes512, TBody, TRed>(ref body, red, n);
            else if (VectorWidth.Use256) sums = Blocks<Lanes256, TBody, TRed>(ref body, red, n);
            else sums = Blocks<Lanes128, TBody, TRed>(ref body, red, n);
        }
        sums = Tail(ref body, red, VectorWidth.Use128 ? n & ~15L : 0, n, sums);
        second = sums.GetElement(1);
        return sums.ToScalar();
    }

    /// <summary>Elements [i, n) after the blocks (fewer than 16 unless nothing is accelerated) added to the sums
    /// (element 0: the first, 1: a paired body's second): one folded 8-element step, one folded 4-element step, then
    /// one element at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Tail<TBody, TRed>(ref TBody body, TRed red, long i, long n, Vector128<float> sums)
        where TBody : struct, IReduceBody where TRed : struct, IReduceMath
    {
        float a = sums.ToScalar(), b = TBody.Pair ? sums.GetElement(1) : red.Identity;
        if (VectorWidth.Use128)
        {
            if (n - i >= 8)
            {
                var s = Eight(ref body, red, i);
                a = red.Invoke(a, s.ToScalar());
                if (TBody.Pair) b = red.Invoke(b, s.GetElement(1));
                i += 8;
            }
            if (n - i >= 4)
            {
                var s = Four(ref body, red, i);
                a = red.Invoke(a, s.ToScalar());
                if (TBody.Pair) b = red.Invoke(b, s.GetElement(1));
                i += 4;
            }
        }
        float* output = (float*)body.Output;
        for (; i < n; i++)
        {
            float v = body.Scalar(i, out float s);
            if (output != null) output[i] = v;
            a = red.Invoke(a, v);
            if (TBody.Pair) b = red.Invoke(b, s);
        }
        return TBody.Pair ? Vector128.Create(a, b, 0f, 0f) : Vector128.CreateScalarUnsafe(a);
    }

    /// <summary>Elements [i, i + 8) as one Vector256 or two Vector128, folded (lane j ⊕ lane j + 4, then 4 → 1): the
    /// first sum in element 0, a paired body's second in element 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Eight<TBody, TRed>(ref TBody body, TRed red, long i)
        where TBody : struct, IReduceBody where TRed : struct, IReduceMath
    {
        Vector128<float> lo, hi, slo, shi;
        if (VectorWidth.Use256)
        {
            var v = body.V256(i, out var s);
            (lo, hi, slo, shi) = (v.GetLower(), v.GetUpper(), s.GetLower(), s.GetUpper());
        }
        else
        {
            lo = body.V128(i, out slo);
            hi = body.V128(i + 4, out shi);
        }
        float* output = (float*)body.Output;
        if (output != null)
        {
            lo.Store(output + i);
            hi.Store(output + i + 4);
        }
        float first = Fold(red, red.Invoke(lo, hi));
        return TBody.Pair ? Vector128.Create(first, Fold(red, red.Invoke(slo, shi)), 0f, 0f) : Vector128.CreateScalarUnsafe(first);
    }

    /// <summary>Elements [i, i + 4) as one Vector128, folded as in <see cref="Eight"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Four<TBody, TRed>(ref TBody body, TRed red, long i)
        where TBody : struct, IReduceBody where TRed : struct, IReduceMath
    {
        var v = body.V128(i, out var s);
        float* output = (float*)body.Output;
        if (output != null) v.Store(output + i);
        return TBody.Pair ? Vector128.Create(Fold(red, v), Fold(red, s), 0f, 0f) : Vector128.CreateScalarUnsafe(Fold(red, v));
    }

    /// <summary>Every whole block of 16 of [0, n) (n ≥ 16), folded: the first sum in element 0, a paired body's second
    /// in element 1. (Left to tiered compilation: its profile lets the JIT inline the body's math, e.g. the vector exp of
    /// softmax.)</summary>
    private static Vector128<float> Blocks<TLanes, TBody, TRed>(ref TBody bodyRef, TRed red, long n)
        where TLanes : struct, ILanes16<TLanes> where TBody : struct, IReduceBody where TRed : struct, IReduceMath
    {
        // A local copy keeps the body's pointers in registers: through the reference they would be reloaded after
        // every store the body makes (the stores might alias the caller's struct).
        var body = bodyRef;
        var id = TLanes.Splat(red.Identity);
        TLanes a0 = id, a1 = id, a2 = id, a3 = id;
        float* output = (float*)body.Output;
        long i = 0;
        if (!TBody.Pair)
        {
            // The four blocks' values first, then their stores, then the sums: stores placed between the blocks'
            // computations cost softmax ~4 % (measured).
            for (; i + 64 <= n; i += 64)
            {
                var v0 = TLanes.Step(ref body, i, out _);
                var v1 = TLanes.Step(ref body, i + 16, out _);
                var v2 = TLanes.Step(ref body, i + 32, out _);
                var v3 = TLanes.Step(ref body, i + 48, out _);
                if (output != null)
                {
                    TLanes.Store(v0, output + i);
                    TLanes.Store(v1, output + i + 16);
                    TLanes.Store(v2, output + i + 32);
                    TLanes.Store(v3, output + i + 48);
                }
                a0 = TLanes.Combine(red, a0, v0);
                a1 = TLanes.Combine(red, a1, v1);
                a2 = TLanes.Combine(red, a2, v2);
                a3 = TLanes.Combine(red, a3, v3);
            }
            for (; i + 16 <= n; i += 16)
            {
                var v = TLanes.Step(ref body, i, out _);
                if (output != null) TLanes.Store(v, output + i);
                a0 = TLanes.Combine(red, a0, v);
            }
            return Vector128.CreateScalarUnsafe(Fold(red, TLanes.Quarter(red, TLanes.Combine(red, TLanes.Combine(red, a0, a1), TLanes.Combine(red, a2, a3)))));
        }
        // Paired: a0, a1 hold the first sum, a2, a3 the second.
        for (; i + 32 <= n; i += 32)
        {
            var v0 = TLanes.Step(ref body, i, out var s0);
            var v1 = TLanes.Step(ref body, i + 16, out var s1);
            if (output != null)
            {
                TLanes.Store(v0, output + i);
                TLanes.Store(v1, output + i + 16);
            }
            a0 = TLanes.Combine(red, a0, v0);
            a2 = TLanes.Combine(red, a2, s0);
            a1 = TLanes.Combine(red, a1, v1);
            a3 = TLanes.Combine(red, a3, s1);
        }
        for (; i + 16 <= n; i += 16)
        {
            var v = TLanes.Step(ref body, i, out var s);
            if (output != null) TLanes.Store(v, output + i);
            a0 = TLanes.Combine(red, a0, v);
            a2 = TLanes.Combine(red, a2, s);
        }
        return Vector128.Create(Fold(red, TLanes.Quarter(red, TLanes.Combine(red, a0, a1))), Fold(red, TLanes.Quarter(red, TLanes.Combine(red, a2, a3))), 0f, 0f);
    }

    /// <summary>4 → 1: (v0 ⊕ v1) ⊕ (v2 ⊕ v3).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold<TRed>(TRed red, Vector128<float> v) where TRed : struct, IReduceMath =>
        red.Invoke(red.Invoke(v.GetElement(0), v.GetElement(1)), red.Invoke(v.GetElement(2), v.GetElement(3)));
}

/// <summary>map(x[i]); <see cref="RowReduce"/> stores it into <c>store</c> when that is not null.</summary>
internal unsafe struct MapReduceBody<TMap>(TMap map, float* x, float* store) : IReduceBody where TMap : struct, IUnaryMath
{
    public static bool Pair => false;

    public readonly nint Output => (nint)store;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Scalar(long i, out float second)
    {
        second = 0;
        return map.Invoke(x[i]);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector128<float> V128(long i, out Vector128<float> second)
    {
        second = default;
        return map.Invoke(Vector128.Load(x + i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector256<float> V256(long i, out Vector256<float> second)
    {
        second = default;
        return map.Invoke(Vector256.Load(x + i));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly Vector512<float> V512(long i, out Vector512<float> second)
    {
        second = default;
        return map.Invoke(Vector512.Load(x + i));
    }
}
