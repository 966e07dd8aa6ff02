using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Tessera.Cpu.Simd;

/// <summary>Drivers for the ops whose element type is not float or whose output is Bool (one byte, 0 or 1): compare,
/// where (select) and logical not. Operands are views already broadcast to the output's shape; iteration goes through a
/// <see cref="StridedPlan"/> and <see cref="StridedRows"/> like the float drivers. Rows whose inner strides are 1 (or 0
/// for a broadcast scalar) run a Vector256 loop — 32 elements per step, the lane masks
/// narrowed to bytes (compare) or the Bool bytes widened to lane masks (where); other rows run a scalar loop.</summary>
internal static unsafe class LogicalDrivers
{
    /// <summary>c (Bool) = f(a, b) for elements of type <typeparamref name="T"/>.</summary>
    public static void Compare<T, TMath>(TMath math, Tensor a, Tensor b, Tensor c, int threads) where T : unmanaged where TMath : struct, ICompareMath<T>
    {
        if (c.ElementCount == 0) return;
        var plan = StridedPlan.Create(c.Shape, a.StrideArray(), b.StrideArray(), c.StrideArray());
        StridedRows.For(plan, threads, (math, plan, a: a.Address, b: b.Address, c: c.Address), static (st, r0, r1, j0, j1) =>
        {
            long sa = st.plan.InnerStride[0], sb = st.plan.InnerStride[1];
            for (long row = r0; row < r1; row++)
            {
                T* pa = (T*)st.a + st.plan.RowOffset(0, row) + j0 * sa;
                T* pb = (T*)st.b + st.plan.RowOffset(1, row) + j0 * sb;
                byte* pc = (byte*)st.c + st.plan.RowOffset(2, row) + j0;
                CompareRow(st.math, pa, sa, pb, sb, pc, j1 - j0);
            }
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> Load<T>(T* p, long stride, Vector256<T> broadcast, int i) where T : unmanaged =>
        stride == 0 ? broadcast : Vector256.Load(p + i);

    private static void CompareRow<T, TMath>(TMath math, T* pa, long sa, T* pb, long sb, byte* pc, int len) where T : unmanaged where TMath : struct, ICompareMath<T>
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && sa is 0 or 1 && sb is 0 or 1 && Vector256<T>.IsSupported)
        {
            var one = Vector256.Create((byte)1);
            var ba = Vector256.Create(*pa);
            var bb = Vector256.Create(*pb);
            if (sizeof(T) == 4)
            {
                for (; i + 32 <= len; i += 32)
                {
                    var m0 = math.Invoke(Load(pa, sa, ba, i), Load(pb, sb, bb, i)).AsInt32();
                    var m1 = math.Invoke(Load(pa, sa, ba, i + 8), Load(pb, sb, bb, i + 8)).AsInt32();
                    var m2 = math.Invoke(Load(pa, sa, ba, i + 16), Load(pb, sb, bb, i + 16)).AsInt32();
                    var m3 = math.Invoke(Load(pa, sa, ba, i + 24), Load(pb, sb, bb, i + 24)).AsInt32();
                    var bytes = Vector256.Narrow(Vector256.Narrow(m0, m1), Vector256.Narrow(m2, m3)).AsByte();
                    Vector256.Store(bytes & one, pc + i);
                }
            }
            else if (sizeof(T) == 8)
            {
                for (; i + 32 <= len; i += 32)
                {
                    var q0 = Vector256.Narrow(math.Invoke(Load(pa, sa, ba, i), Load(pb, sb, bb, i)).AsInt64(), math.Invoke(Load(pa, sa, ba, i + 4), Load(pb, sb, bb, i + 4)).AsInt64());
                    var q1 = Vector256.Narrow(math.Invoke(Load(pa, sa, ba, i + 8), Load(pb, sb, bb, i + 8)).AsInt64(), math.Invoke(Load(pa, sa, ba, i + 12), Load(pb, sb, bb, i + 12)).AsInt64());
                    var q2 = Vector256.Narrow(math.Invoke(Load(pa, sa, ba, i + 16), Load(pb, sb, bb, i + 16)).AsInt64(), math.Invoke(Load(pa, sa, ba, i + 20), Load(pb, sb, bb, i + 20)).AsInt64());
                    var q3 = Vector256.Narrow(math.Invoke(Load(pa, sa, ba, i + 24), Load(pb, sb, bb, i + 24)).AsInt64(), math.Invoke(Load(pa, sa, ba, i + 28), Load(pb, sb, bb, i + 28)).AsInt64());
                    var bytes = Vector256.Narrow(Vector256.Narrow(q0, q1), Vector256.Narrow(q2, q3)).AsByte();
                    Vector256.Store(bytes & one, pc + i);
                }
            }
            else if (sizeof(T) == 1)
            {
                for (; i + 32 <= len; i += 32)
                    Vector256.Store(math.Invoke(Load(pa, sa, ba, i), Load(pb, sb, bb, i)).AsByte() & one, pc + i);
            }
        }
        for (; i < len; i++) pc[i] = math.Invoke(pa[i * sa], pb[i * sb]) ? (byte)1 : (byte)0;
    }

    /// <summary>d = cond ? a : b for elements of type <typeparamref name="T"/> (cond Bool: any non-zero byte is true).</summary>
    public static void Where<T>(Tensor cond, Tensor a, Tensor b, Tensor d, int threads) where T : unmanaged
    {
        if (d.ElementCount == 0) return;
        var plan = StridedPlan.Create(d.Shape, cond.StrideArray(), a.StrideArray(), b.StrideArray(), d.StrideArray());
        StridedRows.For(plan, threads, (plan, c: cond.Address, a: a.Address, b: b.Address, d: d.Address), static (st, r0, r1, j0, j1) =>
        {
            long sc = st.plan.InnerStride[0], sa = st.plan.InnerStride[1], sb = st.plan.InnerStride[2];
            for (long row = r0; row < r1; row++)
            {
                byte* pc = (byte*)st.c + st.plan.RowOffset(0, row) + j0 * sc;
                T* pa = (T*)st.a + st.plan.RowOffset(1, row) + j0 * sa;
                T* pb = (T*)st.b + st.plan.RowOffset(2, row) + j0 * sb;
                T* pd = (T*)st.d + st.plan.RowOffset(3, row) + j0;
                WhereRow(pc, sc, pa, sa, pb, sb, pd, j1 - j0);
            }
        });
    }

    private static void WhereRow<T>(byte* pc, long sc, T* pa, long sa, T* pb, long sb, T* pd, int len) where T : unmanaged
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated && sc == 1 && sa is 0 or 1 && sb is 0 or 1 && sizeof(T) is 1 or 4 or 8)
        {
            var ba = Vector256.Create(*pa);
            var bb = Vector256.Create(*pb);
            for (; i + 32 <= len; i += 32)
            {
                // -1 (all bits) where cond is true, 0 where false.
                var sel = ~Vector256.Equals(Vector256.Load(pc + i), Vector256<byte>.Zero);
                if (sizeof(T) == 1)
                {
                    Vector256.Store(Vector256.ConditionalSelect(sel.As<byte, T>(), Load(pa, sa, ba, i), Load(pb, sb, bb, i)), pd + i);
                    continue;
                }
                var (lo, hi) = Vector256.Widen(sel.AsSByte());
                var (m0, m1) = Vector256.Widen(lo);
                var (m2, m3) = Vector256.Widen(hi);
                if (sizeof(T) == 8)
                {
                    SelectLongs(m0, pa, sa, ba, pb, sb, bb, pd, i);
                    SelectLongs(m1, pa, sa, ba, pb, sb, bb, pd, i + 8);
                    SelectLongs(m2, pa, sa, ba, pb, sb, bb, pd, i + 16);
                    SelectLongs(m3, pa, sa, ba, pb, sb, bb, pd, i + 24);
                    continue;
                }
                Vector256.Store(Vector256.ConditionalSelect(m0.As<int, T>(), Load(pa, sa, ba, i), Load(pb, sb, bb, i)), pd + i);
                Vector256.Store(Vector256.ConditionalSelect(m1.As<int, T>(), Load(pa, sa, ba, i + 8), Load(pb, sb, bb, i + 8)), pd + i + 8);
                Vector256.Store(Vector256.ConditionalSelect(m2.As<int, T>(), Load(pa, sa, ba, i + 16), Load(pb, sb, bb, i + 16)), pd + i + 16);
                Vector256.Store(Vector256.ConditionalSelect(m3.As<int, T>(), Load(pa, sa, ba, i + 24), Load(pb, sb, bb, i + 24)), pd + i + 24);
            }
        }
        for (; i < len; i++) pd[i] = pc[i * sc] != 0 ? pa[i * sa] : pb[i * sb];
    }

    /// <summary>Eight 8-byte elements from i: the 8 int lane masks widened to two long masks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SelectLongs<T>(Vector256<int> mask, T* pa, long sa, Vector256<T> ba, T* pb, long sb, Vector256<T> bb, T* pd, int i) where T : unmanaged
    {
        var (lo, hi) = Vector256.Widen(mask);
        Vector256.Store(Vector256.ConditionalSelect(lo.As<long, T>(), Load(pa, sa, ba, i), Load(pb, sb, bb, i)), pd + i);
        Vector256.Store(Vector256.ConditionalSelect(hi.As<long, T>(), Load(pa, sa, ba, i + 4), Load(pb, sb, bb, i + 4)), pd + i + 4);
    }

    /// <summary>y = x == 0 ? 1 : 0 over bytes (Bool).</summary>
    public static void LogicalNot(Tensor x, Tensor y, int threads)
    {
        if (y.ElementCount == 0) return;
        var plan = StridedPlan.Create(y.Shape, x.StrideArray(), y.StrideArray());
        StridedRows.For(plan, threads, (plan, x: x.Address, y: y.Address), static (st, r0, r1, j0, j1) =>
        {
            long sx = st.plan.InnerStride[0];
            int len = j1 - j0;
            var one = Vector256.Create((byte)1);
            for (long row = r0; row < r1; row++)
            {
                byte* px = (byte*)st.x + st.plan.RowOffset(0, row) + j0 * sx;
                byte* py = (byte*)st.y + st.plan.RowOffset(1, row) + j0;
                int i = 0;
                if (Vector256.IsHardwareAccelerated && sx == 1)
                    for (; i + 32 <= len; i += 32)
                        Vector256.Store(Vector256.Equals(Vector256.Load(px + i), Vector256<byte>.Zero) & one, py + i);
                for (; i < len; i++) py[i] = px[i * sx] == 0 ? (byte)1 : (byte)0;
            }
        });
    }
}
