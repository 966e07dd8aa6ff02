using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>Reduction of a contiguous row: r = reduce(map(x[i])), optionally storing map(x[i]) on the way (softmax's
/// exp pass). Four independent Vector512 accumulators (or Vector256/Vector128 on narrower machines), folded
/// horizontally at the end; the cascade is written once for every map/reduce pair.</summary>
public static unsafe class RowReduce
{
    /// <summary>reduce over i of x[i].</summary>
    public static float Run<TRed>(TRed red, float* x, long n) where TRed : struct, IReduceMath =>
        Run(default(IdentityMath), red, x, null, n);

    /// <summary>reduce over i of map(x[i]); stores map(x[i]) into <paramref name="store"/> when it is not null.</summary>
    public static float Run<TMap, TRed>(TMap map, TRed red, float* x, float* store, long n)
        where TMap : struct, IUnaryMath where TRed : struct, IReduceMath
    {
        long i = 0;
        float acc = red.Identity;
        bool keep = store != null;
        if (Vector512.IsHardwareAccelerated && n >= 16)
        {
            var id = Vector512.Create(red.Identity);
            Vector512<float> a0 = id, a1 = id, a2 = id, a3 = id;
            for (; i + 64 <= n; i += 64)
            {
                var v0 = map.Invoke(Vector512.Load(x + i)); var v1 = map.Invoke(Vector512.Load(x + i + 16));
                var v2 = map.Invoke(Vector512.Load(x + i + 32)); var v3 = map.Invoke(Vector512.Load(x + i + 48));
                if (keep) { Vector512.Store(v0, store + i); Vector512.Store(v1, store + i + 16); Vector512.Store(v2, store + i + 32); Vector512.Store(v3, store + i + 48); }
                a0 = red.Invoke(a0, v0); a1 = red.Invoke(a1, v1); a2 = red.Invoke(a2, v2); a3 = red.Invoke(a3, v3);
            }
            for (; i + 16 <= n; i += 16)
            {
                var v = map.Invoke(Vector512.Load(x + i));
                if (keep) Vector512.Store(v, store + i);
                a0 = red.Invoke(a0, v);
            }
            acc = Fold(red, red.Invoke(red.Invoke(a0, a1), red.Invoke(a2, a3)));
        }
        else if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var id = Vector256.Create(red.Identity);
            Vector256<float> a0 = id, a1 = id;
            for (; i + 16 <= n; i += 16)
            {
                var v0 = map.Invoke(Vector256.Load(x + i)); var v1 = map.Invoke(Vector256.Load(x + i + 8));
                if (keep) { Vector256.Store(v0, store + i); Vector256.Store(v1, store + i + 8); }
                a0 = red.Invoke(a0, v0); a1 = red.Invoke(a1, v1);
            }
            for (; i + 8 <= n; i += 8)
            {
                var v = map.Invoke(Vector256.Load(x + i));
                if (keep) Vector256.Store(v, store + i);
                a0 = red.Invoke(a0, v);
            }
            acc = Fold(red, red.Invoke(a0, a1));
        }
        else if (Vector128.IsHardwareAccelerated && n >= 4)
        {
            var a0 = Vector128.Create(red.Identity);
            for (; i + 4 <= n; i += 4)
            {
                var v = map.Invoke(Vector128.Load(x + i));
                if (keep) Vector128.Store(v, store + i);
                a0 = red.Invoke(a0, v);
            }
            acc = Fold(red, a0);
        }
        for (; i < n; i++)
        {
            float v = map.Invoke(x[i]);
            if (keep) store[i] = v;
            acc = red.Invoke(acc, v);
        }
        return acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold<TRed>(TRed red, Vector512<float> v) where TRed : struct, IReduceMath =>
        Fold(red, red.Invoke(v.GetLower(), v.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold<TRed>(TRed red, Vector256<float> v) where TRed : struct, IReduceMath =>
        Fold(red, red.Invoke(v.GetLower(), v.GetUpper()));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold<TRed>(TRed red, Vector128<float> v) where TRed : struct, IReduceMath =>
        red.Invoke(red.Invoke(v.GetElement(0), v.GetElement(1)), red.Invoke(v.GetElement(2), v.GetElement(3)));
}
