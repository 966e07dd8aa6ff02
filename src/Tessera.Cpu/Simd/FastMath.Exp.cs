using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Tessera.Cpu.Simd;

/// <summary>The one exponential of the CPU kernels (softmax, attention, sigmoid, GELU, erf, tanh, pow and the losses),
/// in float throughout: the vector APIs' exp widens to double and costs twice as much. e^x = 2^n·e^r with
/// n = round(x·log₂e) (by the 1.5·2²³ shifter), r = x − n·ln 2 in two parts (the first exact for |n| ≤ 256), and e^r
/// by a degree-6 polynomial with leading terms 1 + r (a minimax fit, relative error 3.1e-9 on |r| ≤ ln 2 / 2). x is
/// clamped to [−104, 89] first (beyond, e^x rounds to 0 or overflows), so ±∞ give ∞ and 0 and NaN stays NaN; 2^n is
/// applied exactly down to the subnormals (one rounding). Error &lt; 1 ulp over the normal range (0.81 ulp measured on
/// every 7919th float).
/// <para>The reduction and the polynomial are fused multiply-adds — the same terms fused at every width and in the
/// scalar form, so the bits do not depend on the width (nor on the machine: a fused multiply-add is exact by
/// definition) — which halves the cost of separate products and sums; on x86 the clamp is a min and a max. With
/// AVX-512, 2^n is applied by <c>vscalefps</c>, otherwise by two exact power-of-two factors, which round identically
/// (<see cref="Pow2Portable(Vector128{float}, Vector128{float})"/>, compared against <c>vscalefps</c> by the
/// tests).</para>
/// <para>Lanes below ExpLo (−∞, a mask's −10⁴ or −3.4·10³⁸, a causal limit's −∞) have their polynomial set to 0 before
/// the scaling: 0·2^n is 0 without an underflow, where scaling the polynomial down to 0 took a floating-point assist
/// on x86 (a vector holding such a lane measured about 100 ns, against 6 for one without). The results are
/// the same bits (those lanes gave +0 before too); results that really are subnormal, x in [−104, −87.3], still take
/// the assist.</para></summary>
internal static partial class FastMath
{
    private const float Log2E = 1.44269502f, Shifter = 12582912f, ExpLo = -104f, ExpHi = 89f;
    // ln 2 = C1 + C2, C1 with 15 significant bits.
    private const float C1 = 0.693145751953125f, C2 = 1.42860677e-06f;
    // e^r ≈ 1 + r + X2·r² + X3·r³ + X4·r⁴ + X5·r⁵ + X6·r⁶, evaluated by Horner's rule.
    private const float X2 = 0.49999994f, X3 = 0.16666521f, X4 = 0.041668389f, X5 = 0.0083687101f, X6 = 0.0013814613f;

    public static float Exp(float x)
    {
        // Below ExpLo e^x rounds to +0 (the vector forms zero those lanes before the scaling, where it would underflow).
        if (x < ExpLo) return 0f;
        x = x > ExpHi ? ExpHi : x;
        float nf = MathF.FusedMultiplyAdd(x, Log2E, Shifter) - Shifter;
        float r = MathF.FusedMultiplyAdd(nf, -C2, MathF.FusedMultiplyAdd(nf, -C1, x));
        float p = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(X6, r, X5), r, X4), r, X3);
        p = MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(MathF.FusedMultiplyAdd(p, r, X2), r, 1f), r, 1f);
        if (Avx512F.IsSupported) return Avx512F.ScaleScalar(Vector128.CreateScalarUnsafe(p), Vector128.CreateScalarUnsafe(nf)).ToScalar();
        return Pow2Portable(Vector128.CreateScalarUnsafe(p), Vector128.CreateScalarUnsafe(nf)).ToScalar();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        var xc = Clamp(x);
        var nf = Vector512.FusedMultiplyAdd(xc, Vector512.Create(Log2E), Vector512.Create(Shifter)) - Vector512.Create(Shifter);
        var r = Vector512.FusedMultiplyAdd(nf, Vector512.Create(-C2), Vector512.FusedMultiplyAdd(nf, Vector512.Create(-C1), xc));
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(X6), r, Vector512.Create(X5));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(X4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(X3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(X2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        // The vanishing lanes' zero as a blend under the comparison's mask register, next to its use (a compare and a
        // blend; ConditionalSelect of a mask computed earlier went through a vector mask and a ternary logic op).
        if (Avx512F.IsSupported) return Avx512F.Scale(Avx512F.BlendVariable(p, Vector512<float>.Zero, Vector512.LessThan(x, Vector512.Create(ExpLo))), nf);
        p = Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(ExpLo)), Vector512<float>.Zero, p);
        return Vector512.Create(Pow2Portable(p.GetLower(), nf.GetLower()), Pow2Portable(p.GetUpper(), nf.GetUpper()));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var xc = Clamp(x);
        var nf = Vector256.FusedMultiplyAdd(xc, Vector256.Create(Log2E), Vector256.Create(Shifter)) - Vector256.Create(Shifter);
        var r = Vector256.FusedMultiplyAdd(nf, Vector256.Create(-C2), Vector256.FusedMultiplyAdd(nf, Vector256.Create(-C1), xc));
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(X6), r, Vector256.Create(X5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(X4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(X3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(X2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpLo)), Vector256<float>.Zero, p);
        if (Avx512F.VL.IsSupported) return Avx512F.VL.Scale(p, nf);
        return Pow2Portable(p, nf);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Exp(Vector128<float> x)
    {
        var xc = Clamp(x);
        var nf = Vector128.FusedMultiplyAdd(xc, Vector128.Create(Log2E), Vector128.Create(Shifter)) - Vector128.Create(Shifter);
        var r = Vector128.FusedMultiplyAdd(nf, Vector128.Create(-C2), Vector128.FusedMultiplyAdd(nf, Vector128.Create(-C1), xc));
        var p = Vector128.FusedMultiplyAdd(Vector128.Create(X6), r, Vector128.Create(X5));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(X4));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(X3));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128.Create(X2));
        p = Vector128.FusedMultiplyAdd(p, r, Vector128<float>.One);
        p = Vector128.FusedMultiplyAdd(p, r, Vector128<float>.One);
        p = Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(ExpLo)), Vector128<float>.Zero, p);
        if (Avx512F.VL.IsSupported) return Avx512F.VL.Scale(p, nf);
        return Pow2Portable(p, nf);
    }

    /// <summary>x clamped to [ExpLo, ExpHi], NaN kept: x86's min and max return their second operand when either
    /// is NaN, and the select form keeps x when neither comparison holds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Clamp(Vector512<float> x)
    {
        if (Avx512F.IsSupported) return Avx512F.Max(Vector512.Create(ExpLo), Avx512F.Min(Vector512.Create(ExpHi), x));
        x = Vector512.ConditionalSelect(Vector512.GreaterThan(x, Vector512.Create(ExpHi)), Vector512.Create(ExpHi), x);
        return Vector512.ConditionalSelect(Vector512.LessThan(x, Vector512.Create(ExpLo)), Vector512.Create(ExpLo), x);
    }

    /// <inheritdoc cref="Clamp(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Clamp(Vector256<float> x)
    {
        if (Avx.IsSupported) return Avx.Max(Vector256.Create(ExpLo), Avx.Min(Vector256.Create(ExpHi), x));
        x = Vector256.ConditionalSelect(Vector256.GreaterThan(x, Vector256.Create(ExpHi)), Vector256.Create(ExpHi), x);
        return Vector256.ConditionalSelect(Vector256.LessThan(x, Vector256.Create(ExpLo)), Vector256.Create(ExpLo), x);
    }

    /// <inheritdoc cref="Clamp(Vector512{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Clamp(Vector128<float> x)
    {
        if (Sse.IsSupported) return Sse.Max(Vector128.Create(ExpLo), Sse.Min(Vector128.Create(ExpHi), x));
        x = Vector128.ConditionalSelect(Vector128.GreaterThan(x, Vector128.Create(ExpHi)), Vector128.Create(ExpHi), x);
        return Vector128.ConditionalSelect(Vector128.LessThan(x, Vector128.Create(ExpLo)), Vector128.Create(ExpLo), x);
    }

    /// <summary>y·2^n for the integer-valued n in [−151, 128] (NaN in y propagates), without AVX-512: two exact
    /// power-of-two factors 2^⌊n/2⌋ and 2^(n − ⌊n/2⌋), each a normal float, so the product rounds once, as
    /// <c>vscalefps</c> does.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> Pow2Portable(Vector256<float> y, Vector256<float> nf)
    {
        var n = Vector256.ConvertToInt32(nf);
        var n1 = Vector256.ShiftRightArithmetic(n, 1);
        var bias = Vector256.Create(127);
        return y * Vector256.ShiftLeft(n1 + bias, 23).AsSingle() * Vector256.ShiftLeft(n - n1 + bias, 23).AsSingle();
    }

    /// <inheritdoc cref="Pow2Portable(Vector256{float}, Vector256{float})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector128<float> Pow2Portable(Vector128<float> y, Vector128<float> nf)
    {
        var n = Vector128.ConvertToInt32(nf);
        var n1 = Vector128.ShiftRightArithmetic(n, 1);
        var bias = Vector128.Create(127);
        return y * Vector128.ShiftLeft(n1 + bias, 23).AsSingle() * Vector128.ShiftLeft(n - n1 + bias, 23).AsSingle();
    }
}
