using Tessera.Kernels;

namespace Tessera.Cpu.Kernels;

/// <summary>Pad and its gradient. Each axis gets a map from output position to source position (−1 = the constant);
/// negative pads crop first, reflect/edge then work on the cropped range (reflect repeats periodically for long pads).
/// Along the last axis the unpadded middle is one block copy (or vector add for the gradient).</summary>
internal sealed unsafe partial class CpuKernels
{
    private sealed class PadPlan
    {
        public required int Rank;
        public required int[][] Map;         // per axis: output position → source position or −1
        public required int[] OutDims;
        public required int[] Begin;         // first output position of the unpadded middle, per axis
        public required int[] MidLen;        // length of the unpadded middle (= cropped input length)
        public required int[] CropLo;        // first source position of the middle
    }

    private static PadPlan MakePadPlan(Shape x, PadParams p)
    {
        int r = x.Rank;
        var map = new int[r][];
        var outDims = new int[r];
        var begin = new int[r];
        var mid = new int[r];
        var crop = new int[r];
        for (int d = 0; d < r; d++)
        {
            int n = x[d], b = p.Pads[d], e = p.Pads[d + r];
            int lo = Math.Max(0, -b), hi = n - Math.Max(0, -e), len = Math.Max(0, hi - lo);
            int nOut = n + b + e;
            outDims[d] = nOut;
            begin[d] = Math.Max(0, b);
            mid[d] = len;
            crop[d] = lo;
            var m = new int[nOut];
            for (int o = 0; o < nOut; o++)
            {
                int t = o - begin[d];   // position within the cropped range
                if (t >= 0 && t < len) { m[o] = lo + t; continue; }
                switch (p.Mode)
                {
                    case PadMode.Constant: m[o] = -1; break;
                    case PadMode.Edge: m[o] = t < 0 ? lo : lo + len - 1; break;
                    default:
                        if (len == 1) { m[o] = lo; break; }
                        int period = 2 * (len - 1);
                        int u = ((t % period) + period) % period;
                        m[o] = lo + (u >= len ? period - u : u);
                        break;
                }
            }
            map[d] = m;
        }
        return new PadPlan { Rank = r, Map = map, OutDims = outDims, Begin = begin, MidLen = mid, CropLo = crop };
    }

    public void Pad(Tensor x, Tensor y, PadParams p)
    {
        if (y.ElementCount == 0) return;
        var plan = MakePadPlan(x.Shape, p);
        // The constant in the tensor's own bits (Fill knows every dtype's conversion).
        using var fill = Scratch(y.DType, 1);
        Fill(fill, p.Value);
        switch (y.DType.SizeOf())
        {
            case 4: PadTyped(x, y, plan, *(int*)fill.Address); break;
            case 8: PadTyped(x, y, plan, *(long*)fill.Address); break;
            case 2: PadTyped(x, y, plan, *(short*)fill.Address); break;
            default: PadTyped(x, y, plan, *(byte*)fill.Address); break;
        }
    }

    private void PadTyped<T>(Tensor x, Tensor y, PadPlan plan, T value) where T : unmanaged
    {
        int r = plan.Rank;
        if (r == 0) { *(T*)y.Address = *(T*)x.Address; return; }
        int last = plan.OutDims[r - 1];
        long rows = y.ElementCount / last;
        var st = (plan, x.StrideArray(), (nint)x.Address, (nint)y.Address, value);
        CpuParallel.For(rows, Threads, Math.Max(1, 16384 / last), st, static (s, r0, r1) =>
        {
            var (plan, xs, xp, yp, value) = s;
            int r = plan.Rank, last = plan.OutDims[r - 1];
            int[] lastMap = plan.Map[r - 1];
            long ls = xs[r - 1];
            int b = plan.Begin[r - 1], mid = plan.MidLen[r - 1], lo = plan.CropLo[r - 1];
            for (long row = r0; row < r1; row++)
            {
                T* dst = (T*)yp + row * last;
                long rem = row, off = 0;
                bool inside = true;
                for (int d = r - 2; d >= 0; d--)
                {
                    long q = rem / plan.OutDims[d];
                    int src = plan.Map[d][rem - q * plan.OutDims[d]];
                    rem = q;
                    if (src < 0) { inside = false; break; }
                    off += src * xs[d];
                }
                if (!inside) { new Span<T>(dst, last).Fill(value); continue; }
                T* srcRow = (T*)xp + off;
                for (int o = 0; o < b; o++) { int m = lastMap[o]; dst[o] = m < 0 ? value : srcRow[m * ls]; }
                if (ls == 1) new ReadOnlySpan<T>(srcRow + lo, mid).CopyTo(new Span<T>(dst + b, mid));
                else for (int t = 0; t < mid; t++) dst[b + t] = srcRow[(lo + t) * ls];
                for (int o = b + mid; o < last; o++) { int m = lastMap[o]; dst[o] = m < 0 ? value : srcRow[m * ls]; }
            }
        });
    }

    public void PadBackward(Tensor dy, Tensor dx, PadParams p)
    {
        if (dx.ElementCount == 0) return;
        var plan = MakePadPlan(dx.Shape, p);
        int r = plan.Rank;
        if (r == 0) { *dx.F32() = *dy.F32(); return; }
        // Inverse maps (CSR) of the leading axes: source position → output positions that read it, ascending.
        var invStart = new int[r][];
        var invList = new int[r][];
        for (int d = 0; d < r - 1; d++)
        {
            int n = dx.Shape[d];
            var count = new int[n + 1];
            foreach (int m in plan.Map[d]) if (m >= 0) count[m + 1]++;
            for (int i = 0; i < n; i++) count[i + 1] += count[i];
            var list = new int[count[n]];
            var fillPos = (int[])count.Clone();
            for (int o = 0; o < plan.Map[d].Length; o++) { int m = plan.Map[d][o]; if (m >= 0) list[fillPos[m]++] = o; }
            invStart[d] = count;
            invList[d] = list;
        }
        int lastIn = dx.Shape[r - 1];
        long rows = dx.ElementCount / lastIn;
        var st = (plan, invStart, invList, dy.StrideArray(), (nint)dy.F32(), (nint)dx.F32(), dx.Shape.ToArray());
        CpuParallel.For(rows, Threads, Math.Max(1, 16384 / lastIn), st, static (s, r0, r1) =>
        {
            var (plan, invStart, invList, ys, yp, xp, xShape) = s;
            int r = plan.Rank, lastIn = xShape[r - 1], lastOut = plan.OutDims[r - 1];
            int[] lastMap = plan.Map[r - 1];
            long ls = ys[r - 1];
            int b = plan.Begin[r - 1], mid = plan.MidLen[r - 1], lo = plan.CropLo[r - 1];
            var src = new int[r - 1];     // this dx row's index along each leading axis
            var pos = new int[r - 1];     // cursor into each axis' inverse list
            for (long row = r0; row < r1; row++)
            {
                float* dst = (float*)xp + row * lastIn;
                new Span<float>(dst, lastIn).Clear();
                long rem = row;
                bool any = true;
                for (int d = r - 2; d >= 0; d--)
                {
                    long q = rem / xShape[d];
                    src[d] = (int)(rem - q * xShape[d]);
                    rem = q;
                    pos[d] = invStart[d][src[d]];
                    if (pos[d] == invStart[d][src[d] + 1]) any = false;
                }
                if (!any) continue;
                // Every combination of output positions (one per leading axis) that reads this dx row, in order.
                while (true)
                {
                    long off = 0;
                    for (int d = 0; d < r - 1; d++) off += invList[d][pos[d]] * ys[d];
                    float* yRow = (float*)yp + off;
                    if (ls == 1) AddInto(dst + lo, yRow + b, mid);
                    else for (int t = 0; t < mid; t++) dst[lo + t] += yRow[(b + t) * ls];
                    for (int o = 0; o < b; o++) { int m = lastMap[o]; if (m >= 0) dst[m] += yRow[o * ls]; }
                    for (int o = b + mid; o < lastOut; o++) { int m = lastMap[o]; if (m >= 0) dst[m] += yRow[o * ls]; }
                    int k = r - 2;
                    for (; k >= 0; k--)
                    {
                        if (++pos[k] < invStart[k][src[k] + 1]) break;
                        pos[k] = invStart[k][src[k]];
                    }
                    if (k < 0) break;
                }
            }
        });
    }
}
