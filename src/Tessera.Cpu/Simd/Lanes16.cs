using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>Sixteen float lanes, the accumulator unit of <see cref="RowReduce"/>: one Vector512, two Vector256 or four
/// Vector128. Lane j always accumulates the elements ≡ j (mod 16) of its blocks and the lanes fold in one fixed
/// order, so a reduction gives the same bits at every width.</summary>
internal interface ILanes16<TSelf> where TSelf : struct, ILanes16<TSelf>
{
    static abstract TSelf Splat(float value);

    /// <summary>The body's values for elements [i, i + 16).</summary>
    static abstract TSelf Step<TBody>(ref TBody body, long i, out TSelf second) where TBody : struct, IReduceBody;

    static abstract TSelf Combine<TRed>(TRed red, TSelf a, TSelf b) where TRed : struct, IReduceMath;

    /// <summary>Stores the 16 lanes at p.</summary>
    static abstract unsafe void Store(TSelf v, float* p);

    /// <summary>16 → 4 lanes: lane j ← (v[j] ⊕ v[j + 8]) ⊕ (v[j + 4] ⊕ v[j + 12]).</summary>
    static abstract Vector128<float> Quarter<TRed>(TRed red, TSelf v) where TRed : struct, IReduceMath;
}

/// <summary>Sixteen lanes in one Vector512.</summary>
internal readonly struct Lanes512(Vector512<float> v) : ILanes16<Lanes512>
{
    private readonly Vector512<float> _v = v;

    public static Lanes512 Splat(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Step<TBody>(ref TBody body, long i, out Lanes512 second) where TBody : struct, IReduceBody
    {
        var v = body.V512(i, out var s);
        second = new(s);
        return new(v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Combine<TRed>(TRed red, Lanes512 a, Lanes512 b) where TRed : struct, IReduceMath => new(red.Invoke(a._v, b._v));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(Lanes512 v, float* p) => v._v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Quarter<TRed>(TRed red, Lanes512 v) where TRed : struct, IReduceMath
    {
        var h = red.Invoke(v._v.GetLower(), v._v.GetUpper());
        return red.Invoke(h.GetLower(), h.GetUpper());
    }
}

/// <summary>Sixteen lanes as two Vector256 (lanes 0–7, 8–15).</summary>
internal readonly struct Lanes256(Vector256<float> lo, Vector256<float> hi) : ILanes16<Lanes256>
{
    private readonly Vector256<float> _lo = lo, _hi = hi;

    public static Lanes256 Splat(float value) => new(Vector256.Create(value), Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Step<TBody>(ref TBody body, long i, out Lanes256 second) where TBody : struct, IReduceBody
    {
        var lo = body.V256(i, out var slo);
        var hi = body.V256(i + 8, out var shi);
        second = new(slo, shi);
        return new(lo, hi);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Combine<TRed>(TRed red, Lanes256 a, Lanes256 b) where TRed : struct, IReduceMath =>
        new(red.Invoke(a._lo, b._lo), red.Invoke(a._hi, b._hi));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(Lanes256 v, float* p)
    {
        v._lo.Store(p);
        v._hi.Store(p + 8);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Quarter<TRed>(TRed red, Lanes256 v) where TRed : struct, IReduceMath
    {
        var h = red.Invoke(v._lo, v._hi);
        return red.Invoke(h.GetLower(), h.GetUpper());
    }
}

/// <summary>Sixteen lanes as four Vector128 (lanes 0–3, 4–7, 8–11, 12–15).</summary>
internal readonly struct Lanes128(Vector128<float> q0, Vector128<float> q1, Vector128<float> q2, Vector128<float> q3) : ILanes16<Lanes128>
{
    private readonly Vector128<float> _q0 = q0, _q1 = q1, _q2 = q2, _q3 = q3;

    public static Lanes128 Splat(float value)
    {
        var v = Vector128.Create(value);
        return new(v, v, v, v);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Step<TBody>(ref TBody body, long i, out Lanes128 second) where TBody : struct, IReduceBody
    {
        var q0 = body.V128(i, out var s0);
        var q1 = body.V128(i + 4, out var s1);
        var q2 = body.V128(i + 8, out var s2);
        var q3 = body.V128(i + 12, out var s3);
        second = new(s0, s1, s2, s3);
        return new(q0, q1, q2, q3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes128 Combine<TRed>(TRed red, Lanes128 a, Lanes128 b) where TRed : struct, IReduceMath =>
        new(red.Invoke(a._q0, b._q0), red.Invoke(a._q1, b._q1), red.Invoke(a._q2, b._q2), red.Invoke(a._q3, b._q3));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Store(Lanes128 v, float* p)
    {
        v._q0.Store(p);
        v._q1.Store(p + 4);
        v._q2.Store(p + 8);
        v._q3.Store(p + 12);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Quarter<TRed>(TRed red, Lanes128 v) where TRed : struct, IReduceMath =>
        red.Invoke(red.Invoke(v._q0, v._q2), red.Invoke(v._q1, v._q3));
}
