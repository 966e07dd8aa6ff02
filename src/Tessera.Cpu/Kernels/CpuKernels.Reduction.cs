using Tessera.Cpu.Kernels.Reduction;
using Tessera.Cpu.Simd;
using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Reductions and their gradients, and arg-max. Strided inputs are first made contiguous (pooled copies);
/// the work itself is done by <see cref="ReduceEngine"/> and the Simd drivers. Softmax and losses are in
/// CpuKernels.Softmax.cs and CpuKernels.Loss.cs.</summary>
internal sealed unsafe partial class CpuKernels : IReductionKernels
{
    public void Reduce(ReduceOp op, Tensor x, Tensor y, ReduceParams p)
    {
        using var xcLease = TensorLease.Dense(x);
        var xc = xcLease.Tensor;
        ReduceEngine.Run(op, xc.F32(), x.Shape.Dims, AxisMask(x.Rank, p.Axes), y.F32(), Threads);
    }

    public void ReduceBackward(ReduceOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, ReduceParams p)
    {
        var mask = AxisMask(x.Rank, p.Axes);
        var keep = new int[x.Rank];
        long count = 1;
        for (int i = 0; i < x.Rank; i++) { keep[i] = mask[i] ? 1 : x.Shape[i]; if (mask[i]) count *= x.Shape[i]; }
        if (op is ReduceOp.Sum or ReduceOp.Mean)
        {
            using var dyk = dy.Reshape(keep);
            using var dye = dyk.Expand(x.Shape.ToArray());
            float scale = op == ReduceOp.Mean ? 1f / count : 1f;
            Drivers.Unary(new AffineMath(scale, 0f), dye, dx, Threads);
            return;
        }
        // Max/Min: the gradient goes to the first element (row-major over the reduced axes) equal to the result.
        new Span<float>(dx.F32(), checked((int)dx.ElementCount)).Clear();
        if (x.ElementCount == 0) return;
        using var xcLease = TensorLease.Dense(x);
        var xc = xcLease.Tensor;
        using var ycLease = TensorLease.Dense(y);
        var yc = ycLease.Tensor;
        using var dycLease = TensorLease.Dense(dy);
        var dyc = dycLease.Tensor;
        var lay = ReduceEngine.Layout.Create(x.Shape.Dims, mask);
        var kept = lay.Select(false, false);
        var reds = lay.Select(true, true);
        int lastLen = 1;
        long lastStride = 1;
        for (int i = lay.Sizes.Length - 1; i >= 0; i--)
            if (lay.Reduced[i]) { lastLen = lay.Sizes[i]; lastStride = lay.Strides[i]; break; }
        long rows = lay.ReducedCount / lastLen;
        var st = (x: (nint)xc.F32(), y: (nint)yc.F32(), dy: (nint)dyc.F32(), dx: (nint)dx.F32(), kept, reds, lastLen, lastStride, rows);
        CpuParallel.For(lay.Outputs, Threads, Math.Max(1, ElementLoop.Grain / Math.Max(1, lay.ReducedCount)), st, static (s, o0, o1) =>
        {
            float* xp = (float*)s.x;
            for (long o = o0; o < o1; o++)
            {
                float target = ((float*)s.y)[o];
                bool nan = float.IsNaN(target);
                long b = StridedPlan.Offset(s.kept.Sizes, s.kept.Strides, o);
                for (long r = 0; r < s.rows; r++)
                {
                    long rb = b + StridedPlan.Offset(s.reds.Sizes, s.reds.Strides, r);
                    for (int l = 0; l < s.lastLen; l++)
                    {
                        float v = xp[rb + l * s.lastStride];
                        if (v == target || (nan && float.IsNaN(v)))
                        {
                            ((float*)s.dx)[rb + l * s.lastStride] = ((float*)s.dy)[o];
                            goto next;
                        }
                    }
                }
            next:;
            }
        });
    }

    public void ArgMax(Tensor x, Tensor indices, ArgReduceParams p)
    {
        using var xcLease = TensorLease.Dense(x);
        var xc = xcLease.Tensor;
        var (outer, len, inner) = Split(x.Shape, p.Axis);
        if (outer * inner == 0 || len == 0) return;
        int piece = (int)Math.Min(inner, 1024);
        long pieces = (inner + piece - 1) / piece;
        var st = (x: (nint)xc.F32(), ix: (nint)indices.I64(), len, inner, piece, pieces, last: p.SelectLastIndex);
        CpuParallel.For(outer * pieces, Threads, Math.Max(1, ElementLoop.Grain / Math.Max(1, len * piece)), st, static (s, w0, w1) =>
        {
            for (long w = w0; w < w1; w++)
            {
                long o = w / s.pieces;
                long j0 = (w - o * s.pieces) * s.piece, j1 = Math.Min(s.inner, j0 + s.piece);
                float* xb = (float*)s.x + o * s.len * s.inner;
                long* ib = (long*)s.ix + o * s.inner;
                for (long j = j0; j < j1; j++) ib[j] = 0;
                for (long l = 1; l < s.len; l++)
                {
                    float* row = xb + l * s.inner;
                    for (long j = j0; j < j1; j++)
                    {
                        float v = row[j], best = xb[ib[j] * s.inner + j];
                        // NaN counts as the maximum (the first NaN, or the last with SelectLastIndex).
                        bool better = s.last
                            ? (float.IsNaN(best) ? float.IsNaN(v) : v >= best || float.IsNaN(v))
                            : v > best || (float.IsNaN(v) && !float.IsNaN(best));
                        if (better) ib[j] = l;
                    }
                }
            }
        });
    }

    /// <summary>[outer, len, inner] view of a shape around one axis.</summary>
    internal static (long Outer, long Len, long Inner) Split(Shape shape, int axis)
    {
        long outer = 1, inner = 1;
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Rank; i++) inner *= shape[i];
        return (outer, shape[axis], inner);
    }

    private static bool[] AxisMask(int rank, int[] axes)
    {
        var m = new bool[rank];
        if (axes.Length == 0) Array.Fill(m, true);
        foreach (var a in axes) m[a] = true;
        return m;
    }
}
