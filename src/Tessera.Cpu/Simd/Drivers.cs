
namespace Tessera.Cpu.Simd;

/// <summary>The generic element-wise drivers: a math functor supplies the arithmetic only. Contiguous operands run the SIMD cascade
/// over the flat range; strided or broadcast operands go through a <see cref="StridedPlan"/> whose rows run the
/// vector loop when inner strides are 1 (or 0 for a broadcast scalar); operands with other inner strides are
/// gathered tile by tile into contiguous stack buffers first (unary, binary) or read by a scalar loop (ternary).
/// Outputs are contiguous.</summary>
internal static unsafe class Drivers
{
    /// <summary>y = f(x), y contiguous with x's shape, x any strides.</summary>
    public static void Unary<TMath>(TMath math, Tensor x, Tensor y, int threads) where TMath : struct, IUnaryMath
    {
        long n = y.ElementCount;
        if (n == 0) return;
        if (x.IsContiguous)
        {
            ElementLoop.Parallel(new UnaryBody<TMath> (math, x.F32(), y.F32()), n, threads);
            return;
        }
        var plan = StridedPlan.Create(y.Shape, x.StrideArray(), y.StrideArray());
        StridedRows.For(plan, threads, (math, plan, x: (nint)x.F32(), y: (nint)y.F32()), static (st, r0, r1, j0, j1) =>
        {
            long sx = st.plan.InnerStride[0];
            int len = j1 - j0;
            float* tile = null;
            if (sx is not (0 or 1))
            {
                float* buf = stackalloc float[StridedRows.TileRows * StridedRows.TileCols];
                StridedRows.Gather(st.plan, 0, (float*)st.x, r0, (int)(r1 - r0), j0, len, buf);
                tile = buf;
            }
            for (long row = r0; row < r1; row++)
            {
                float* px = tile != null ? tile + (row - r0) * StridedRows.TileCols : (float*)st.x + st.plan.RowOffset(0, row) + j0 * sx;
                float* py = (float*)st.y + st.plan.RowOffset(1, row) + j0;
                if (sx == 0) new Span<float>(py, len).Fill(st.math.Invoke(*px));
                else { var body = new UnaryBody<TMath>(st.math, px, py); ElementLoop.Run(ref body, 0, len); }
            }
        });
    }

    /// <summary>c = f(a, b) with a and b already broadcast (views) to c's shape; any strides.</summary>
    public static void Binary<TMath>(TMath math, Tensor a, Tensor b, Tensor c, int threads) where TMath : struct, IBinaryMath
    {
        long n = c.ElementCount;
        if (n == 0) return;
        if (a.IsContiguous && b.IsContiguous && a.Shape == c.Shape && b.Shape == c.Shape)
        {
            ElementLoop.Parallel(new BinaryBody<TMath> (math, a.F32(), b.F32(), c.F32()), n, threads);
            return;
        }
        var plan = StridedPlan.Create(c.Shape, a.StrideArray(), b.StrideArray(), c.StrideArray());
        StridedRows.For(plan, threads, (math, plan, a: (nint)a.F32(), b: (nint)b.F32(), c: (nint)c.F32()), static (st, r0, r1, j0, j1) =>
        {
            long sa = st.plan.InnerStride[0], sb = st.plan.InnerStride[1];
            int len = j1 - j0, rows = (int)(r1 - r0);
            float* ta = null, tb = null;
            if (sa is not (0 or 1))
            {
                float* buf = stackalloc float[StridedRows.TileRows * StridedRows.TileCols];
                StridedRows.Gather(st.plan, 0, (float*)st.a, r0, rows, j0, len, buf);
                ta = buf;
            }
            if (sb is not (0 or 1))
            {
                float* buf = stackalloc float[StridedRows.TileRows * StridedRows.TileCols];
                StridedRows.Gather(st.plan, 1, (float*)st.b, r0, rows, j0, len, buf);
                tb = buf;
            }
            for (long row = r0; row < r1; row++)
            {
                long t = (row - r0) * StridedRows.TileCols;
                float* pa = ta != null ? ta + t : (float*)st.a + st.plan.RowOffset(0, row) + j0 * sa;
                float* pb = tb != null ? tb + t : (float*)st.b + st.plan.RowOffset(1, row) + j0 * sb;
                float* pc = (float*)st.c + st.plan.RowOffset(2, row) + j0;
                BinaryRow(st.math, pa, ta != null ? 1 : sa, pb, tb != null ? 1 : sb, pc, len);
            }
        });
    }

    /// <summary>One row of a binary function: vector loop for unit or zero inner strides, scalar otherwise.</summary>
    public static void BinaryRow<TMath>(TMath math, float* pa, long sa, float* pb, long sb, float* pc, int len) where TMath : struct, IBinaryMath
    {
        if (sa == 1 && sb == 1) { var body = new BinaryBody<TMath> (math, pa, pb, pc); ElementLoop.Run(ref body, 0, len); }
        else if (sa == 0 && sb == 1) { var body = new BinaryScalarABody<TMath> (math, *pa, pb, pc); ElementLoop.Run(ref body, 0, len); }
        else if (sa == 1 && sb == 0) { var body = new BinaryScalarBBody<TMath> (math, pa, *pb, pc); ElementLoop.Run(ref body, 0, len); }
        else if (sa == 0 && sb == 0) new Span<float>(pc, len).Fill(math.Invoke(*pa, *pb));
        else for (int i = 0; i < len; i++) pc[i] = math.Invoke(pa[i * sa], pb[i * sb]);
    }

    /// <summary>d = f(a, b, c) with a, b, c already broadcast (views) to d's shape; any strides.</summary>
    public static void Ternary<TMath>(TMath math, Tensor a, Tensor b, Tensor c, Tensor d, int threads) where TMath : struct, ITernaryMath
    {
        long n = d.ElementCount;
        if (n == 0) return;
        if (a.IsContiguous && b.IsContiguous && c.IsContiguous && a.Shape == d.Shape && b.Shape == d.Shape && c.Shape == d.Shape)
        {
            ElementLoop.Parallel(new TernaryBody<TMath> (math, a.F32(), b.F32(), c.F32(), d.F32()), n, threads);
            return;
        }
        var plan = StridedPlan.Create(d.Shape, a.StrideArray(), b.StrideArray(), c.StrideArray(), d.StrideArray());
        StridedRows.For(plan, threads, (math, plan, a: (nint)a.F32(), b: (nint)b.F32(), c: (nint)c.F32(), d: (nint)d.F32()), static (st, r0, r1, j0, j1) =>
        {
            long sa = st.plan.InnerStride[0], sb = st.plan.InnerStride[1], sc = st.plan.InnerStride[2];
            int len = j1 - j0;
            for (long row = r0; row < r1; row++)
            {
                float* pa = (float*)st.a + st.plan.RowOffset(0, row) + j0 * sa;
                float* pb = (float*)st.b + st.plan.RowOffset(1, row) + j0 * sb;
                float* pc = (float*)st.c + st.plan.RowOffset(2, row) + j0 * sc;
                float* pd = (float*)st.d + st.plan.RowOffset(3, row) + j0;
                if (sa == 1 && sb == 1 && sc == 1) { var body = new TernaryBody<TMath>(st.math, pa, pb, pc, pd); ElementLoop.Run(ref body, 0, len); }
                else if (sa is 0 or 1 && sb is 0 or 1 && sc is 0 or 1) TernaryBroadcastRow(st.math, pa, sa == 0, pb, sb == 0, pc, sc == 0, pd, len);
                else for (int i = 0; i < len; i++) pd[i] = st.math.Invoke(pa[i * sa], pb[i * sb], pc[i * sc]);
            }
        });
    }

    /// <summary>One ternary row where some operands are a broadcast scalar (stride 0): those are spread into small
    /// stack buffers once, and the row runs the vector loop chunk by chunk.</summary>
    private static void TernaryBroadcastRow<TMath>(TMath math, float* pa, bool a0, float* pb, bool b0, float* pc, bool c0, float* pd, int len)
        where TMath : struct, ITernaryMath
    {
        const int Chunk = 512;
        int first = Math.Min(len, Chunk);
        float* ba = stackalloc float[Chunk];
        float* bb = stackalloc float[Chunk];
        float* bc = stackalloc float[Chunk];
        if (a0) new Span<float>(ba, first).Fill(*pa);
        if (b0) new Span<float>(bb, first).Fill(*pb);
        if (c0) new Span<float>(bc, first).Fill(*pc);
        for (int i0 = 0; i0 < len; i0 += Chunk)
        {
            int n = Math.Min(Chunk, len - i0);
            var body = new TernaryBody<TMath> (math, a0 ? ba : pa + i0, b0 ? bb : pb + i0, c0 ? bc : pc + i0, pd + i0);
            ElementLoop.Run(ref body, 0, n);
        }
    }

    /// <summary>Serial y[i] = f(x[i]) over raw contiguous pointers (in place allowed).</summary>
    public static void Map<TMath>(TMath math, float* x, float* y, long n) where TMath : struct, IUnaryMath
    {
        var body = new UnaryBody<TMath> (math, x, y);
        ElementLoop.Run(ref body, 0, n);
    }

    /// <summary>Serial c[i] = f(a[i], b[i]) over raw contiguous pointers (in place allowed).</summary>
    public static void Map<TMath>(TMath math, float* a, float* b, float* c, long n) where TMath : struct, IBinaryMath
    {
        var body = new BinaryBody<TMath> (math, a, b, c);
        ElementLoop.Run(ref body, 0, n);
    }

    /// <summary>Serial d[i] = f(a[i], b[i], c[i]) over raw contiguous pointers (in place allowed).</summary>
    public static void Map<TMath>(TMath math, float* a, float* b, float* c, float* d, long n) where TMath : struct, ITernaryMath
    {
        var body = new TernaryBody<TMath> (math, a, b, c, d);
        ElementLoop.Run(ref body, 0, n);
    }
}
