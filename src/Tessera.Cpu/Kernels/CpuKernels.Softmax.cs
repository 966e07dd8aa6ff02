using System.Numerics.Tensors;
using Tessera.Cpu.Kernels.Reduction;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Softmax and log-softmax along any axis, numerically stable (the maximum is subtracted first), and their
/// gradients. The input is viewed as [outer, len, inner]: with inner = 1 each row is one contiguous pass set
/// (max, exp-and-sum, scale); otherwise whole rows of inner values are processed as vectors (column form) with
/// per-column max and sum kept in pooled scratch.</summary>
internal sealed unsafe partial class CpuKernels
{
    private const int ColumnPiece = 1024;

    public void Softmax(Tensor x, Tensor y, SoftmaxParams p)
    {
        using var xcLease = TensorLease.Dense(x);
        var xc = xcLease.Tensor;
        var (outer, len, inner) = Split(x.Shape, p.Axis);
        if (outer * len * inner == 0) return;
        if (inner == 1)
        {
            var st = (x: (nint)xc.F32(), y: (nint)y.F32(), len, log: p.Log);
            CpuParallel.For(outer, Threads, Math.Max(1, ElementLoop.Grain / len), st, static (s, r0, r1) =>
            {
                for (long r = r0; r < r1; r++)
                {
                    float* xr = (float*)s.x + r * s.len, yr = (float*)s.y + r * s.len;
                    float m = RowReduce.Run(new MaxReduce(), xr, s.len);
                    var exp = new SoftmaxExpBody(xr, yr, m, r + 1 < r1 ? xr + s.len : null);
                    float sum = RowReduce.Run(ref exp, new SumReduce(), s.len, out _);
                    if (s.log) Drivers.Map(new ShiftTwiceMath(m, MathF.Log(sum)), xr, yr, s.len);
                    else Drivers.Map(new AffineMath(1f / sum, 0f), yr, yr, s.len);
                }
            });
            return;
        }
        using var scratch = Scratch(DType.Float32, 2, checked((int)(outer * inner)));
        int piece = (int)Math.Min(inner, ColumnPiece);
        long pieces = (inner + piece - 1) / piece;
        var cs = (x: (nint)xc.F32(), y: (nint)y.F32(), m: (nint)scratch.F32(), s: (nint)(scratch.F32() + outer * inner), len, inner, piece, pieces, log: p.Log);
        CpuParallel.For(outer * pieces, Threads, Math.Max(1, ElementLoop.Grain / (len * piece)), cs, static (s, w0, w1) =>
        {
            for (long w = w0; w < w1; w++)
            {
                long o = w / s.pieces;
                long j0 = (w - o * s.pieces) * s.piece;
                int n = (int)Math.Min(s.piece, s.inner - j0);
                float* xb = (float*)s.x + o * s.len * s.inner + j0, yb = (float*)s.y + o * s.len * s.inner + j0;
                float* m = (float*)s.m + o * s.inner + j0, sum = (float*)s.s + o * s.inner + j0;
                new ReadOnlySpan<float>(xb, n).CopyTo(new Span<float>(m, n));
                for (long l = 1; l < s.len; l++) Drivers.Map(new MaxMath(), m, xb + l * s.inner, m, n);
                new Span<float>(sum, n).Clear();
                for (long l = 0; l < s.len; l++)
                {
                    float* yr = yb + l * s.inner;
                    Drivers.Map(new ExpSubMath(), xb + l * s.inner, m, yr, n);
                    Drivers.Map(new AddMath(), sum, yr, sum, n);
                }
                if (s.log)
                {
                    Drivers.Map(new LogMath(), sum, sum, n);
                    for (long l = 0; l < s.len; l++) Drivers.Map(new SubSubMath(), xb + l * s.inner, m, sum, yb + l * s.inner, n);
                }
                else
                {
                    Drivers.Map(new ReciprocalMath(), sum, sum, n);
                    for (long l = 0; l < s.len; l++) Drivers.Map(new MulMath(), yb + l * s.inner, sum, yb + l * s.inner, n);
                }
            }
        });
    }

    public void SoftmaxBackward(Tensor y, Tensor dy, Tensor dx, SoftmaxParams p)
    {
        using var ycLease = TensorLease.Dense(y);
        var yc = ycLease.Tensor;
        using var dycLease = TensorLease.Dense(dy);
        var dyc = dycLease.Tensor;
        var (outer, len, inner) = Split(y.Shape, p.Axis);
        if (outer * len * inner == 0) return;
        if (inner == 1)
        {
            var st = (y: (nint)yc.F32(), dy: (nint)dyc.F32(), dx: (nint)dx.F32(), len, log: p.Log);
            CpuParallel.For(outer, Threads, Math.Max(1, ElementLoop.Grain / len), st, static (s, r0, r1) =>
            {
                for (long r = r0; r < r1; r++)
                {
                    float* yr = (float*)s.y + r * s.len, dyr = (float*)s.dy + r * s.len, dxr = (float*)s.dx + r * s.len;
                    var ys = new ReadOnlySpan<float>(yr, (int)s.len);
                    var dys = new ReadOnlySpan<float>(dyr, (int)s.len);
                    if (s.log) Drivers.Map(new LogSoftmaxGradMath(TensorPrimitives.Sum(dys)), yr, dyr, dxr, s.len);
                    else Drivers.Map(new SoftmaxGradMath(TensorPrimitives.Dot(ys, dys), 1f), yr, dyr, dxr, s.len);
                }
            });
            return;
        }
        using var scratch = Scratch(DType.Float32, checked((int)(outer * inner)));
        int piece = (int)Math.Min(inner, ColumnPiece);
        long pieces = (inner + piece - 1) / piece;
        var cs = (y: (nint)yc.F32(), dy: (nint)dyc.F32(), dx: (nint)dx.F32(), s: (nint)scratch.F32(), len, inner, piece, pieces, log: p.Log);
        CpuParallel.For(outer * pieces, Threads, Math.Max(1, ElementLoop.Grain / (len * piece)), cs, static (s, w0, w1) =>
        {
            for (long w = w0; w < w1; w++)
            {
                long o = w / s.pieces;
                long j0 = (w - o * s.pieces) * s.piece;
                int n = (int)Math.Min(s.piece, s.inner - j0);
                long b = o * s.len * s.inner + j0;
                float* yb = (float*)s.y + b, dyb = (float*)s.dy + b, dxb = (float*)s.dx + b;
                float* sum = (float*)s.s + o * s.inner + j0;
                new Span<float>(sum, n).Clear();
                for (long l = 0; l < s.len; l++)
                {
                    if (s.log) Drivers.Map(new AddMath(), sum, dyb + l * s.inner, sum, n);
                    else Drivers.Map(new MulAddMath(), yb + l * s.inner, dyb + l * s.inner, sum, sum, n);
                }
                for (long l = 0; l < s.len; l++)
                {
                    long off = l * s.inner;
                    if (s.log) Drivers.Map(new LogSoftmaxGradColMath(), yb + off, dyb + off, sum, dxb + off, n);
                    else Drivers.Map(new SoftmaxGradColMath(), yb + off, dyb + off, sum, dxb + off, n);
                }
            }
        });
    }
}
