using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>The math of a fused epilogue at one output address y: v ← act(v + residual), the residual read at the same
/// element offset from its tensor as y from the output (both dense, of the output's shape), so one offset serves every
/// element. v arrives with the bias already added. Every width computes the same IEEE operations per lane as the scalar
/// form (the activation functors guarantee that), so results do not depend on the width.</summary>
internal readonly unsafe struct EpilogueMath<TAct> where TAct : struct, IUnaryMath
{
    private readonly TAct _act;
    private readonly long _residual;
    private readonly bool _hasResidual;

    /// <param name="act">The activation functor.</param>
    /// <param name="residual">The residual tensor's element 0, or null for none.</param>
    /// <param name="output">The output's element 0.</param>
    public EpilogueMath(TAct act, float* residual, float* output)
    {
        _act = act;
        _hasResidual = residual != null;
        _residual = _hasResidual ? residual - output : 0;
    }

    /// <summary>False for no activation and no residual (then the output is stored as computed).</summary>
    public bool IsActive => _hasResidual || typeof(TAct) != typeof(IdentityMath);

    /// <summary>Whether a residual is added.</summary>
    public bool HasResidual => _hasResidual;

    /// <summary>The residual's element for the output element at y.</summary>
    public float* ResidualOf(float* y) => y + _residual;

    /// <summary>The activation alone (for values the residual was already added to).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Activate(Vector256<float> v) => _act.Invoke(v);

    /// <summary>The activation alone, 16 lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Activate(Vector512<float> v) => _act.Invoke(v);

    /// <summary>y[i] ← act(y[i] + residual[i]) for i in [0, n), in place (a row or plane just computed). Not inlined,
    /// so that an activation that calls out (exp) does not weigh on the register allocation of the caller's loops.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public void ApplyInPlace(float* y, long n)
    {
        var body = new EpilogueBody<TAct>(this, y, false, 0f, null);
        ElementLoop.Run(ref body, 0, n);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float Apply(float v, float* y) => _act.Invoke(_hasResidual ? v + y[_residual] : v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector128<float> Apply(Vector128<float> v, float* y) => _act.Invoke(_hasResidual ? v + Vector128.Load(y + _residual) : v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector256<float> Apply(Vector256<float> v, float* y) => _act.Invoke(_hasResidual ? v + Vector256.Load(y + _residual) : v);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Vector512<float> Apply(Vector512<float> v, float* y) => _act.Invoke(_hasResidual ? v + Vector512.Load(y + _residual) : v);
}

/// <summary>y[i] ← act(y[i] + bias + residual[i]) in place over a row of output (for <see cref="ElementLoop"/>): the bias
/// is one value for the row (<paramref name="rowBias"/>, a convolution's output channel) or a vector along it
/// (<paramref name="columnBias"/>, a GEMM's bias [N]); none when <paramref name="hasRowBias"/> is false and
/// <paramref name="columnBias"/> null.</summary>
internal readonly unsafe struct EpilogueBody<TAct>(EpilogueMath<TAct> e, float* y, bool hasRowBias, float rowBias, float* columnBias)
    : IElementBody where TAct : struct, IUnaryMath
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Scalar(long i)
    {
        float v = y[i];
        if (columnBias != null) v += columnBias[i];
        else if (hasRowBias) v += rowBias;
        y[i] = e.Apply(v, y + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V128(long i)
    {
        var v = Vector128.Load(y + i);
        if (columnBias != null) v += Vector128.Load(columnBias + i);
        else if (hasRowBias) v += Vector128.Create(rowBias);
        e.Apply(v, y + i).Store(y + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V256(long i)
    {
        var v = Vector256.Load(y + i);
        if (columnBias != null) v += Vector256.Load(columnBias + i);
        else if (hasRowBias) v += Vector256.Create(rowBias);
        e.Apply(v, y + i).Store(y + i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V512(long i)
    {
        var v = Vector512.Load(y + i);
        if (columnBias != null) v += Vector512.Load(columnBias + i);
        else if (hasRowBias) v += Vector512.Create(rowBias);
        e.Apply(v, y + i).Store(y + i);
    }

    /// <summary>The epilogue runs on data just computed (in cache): never streamed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void V512NonTemporal(long i) => V512(i);

    public nint Output => (nint)y;
}
