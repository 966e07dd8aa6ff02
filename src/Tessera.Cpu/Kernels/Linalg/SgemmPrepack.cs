namespace Tessera.Cpu.Kernels.Linalg;

/// <summary>Operands of one <see cref="Sgemm"/> product packed beforehand (null: packed during the call): A by
/// <see cref="Sgemm.PackWholeA"/>, B by <see cref="Sgemm.PackWholeB"/>, for the product's m, n and k.</summary>
internal readonly unsafe struct Prepacked(float* a, float* b)
{
    private readonly nint _a = (nint)a, _b = (nint)b;

    public float* A => (float*)_a;
    public float* B => (float*)_b;
}

// Whole-operand packing: every panel the product's loops would pack, in the order they would read them, so a constant
// operand (a weight) is packed once and each call reads its blocks in place.
internal static unsafe partial class Sgemm
{
    private static int RoundUp(int x, int to) => (x + to - 1) / to * to;

    /// <summary>Floats of A (m×k) packed whole: for each depth block, the MR-row panels of all m rows (rows padded to MR).</summary>
    public static long PackedAFloats(int m, int k) => (long)RoundUp(m, MR) * k;

    /// <summary>Floats of B (k×n) packed whole: for each NC column block and each depth block, its NR-column panels.</summary>
    public static long PackedBFloats(int n, int k) => (long)RoundUp(n, NR) * k;

    /// <summary>Where the panels of rows [ic, …) over the depth block starting at pc (of depth kc) start in a whole-packed A:
    /// the blocks before pc hold RoundUp(m, MR)·pc floats, and the rows before ic in this block ic·kc.</summary>
    private static long PackedAOffset(int m, int kc, int ic, int pc) => (long)RoundUp(m, MR) * pc + (long)ic * kc;

    /// <summary>Where the panels of the column block starting at jc (nc wide) over the depth block at pc start in a
    /// whole-packed B: the full column blocks before jc hold jc·k floats, the depth blocks before pc RoundUp(nc, NR)·pc.</summary>
    private static long PackedBOffset(int k, int jc, int nc, int pc) => (long)jc * k + (long)RoundUp(nc, NR) * pc;

    /// <summary>Packs all of A (m×k, A(i, p) = a[i·ars + p·acs]) into <paramref name="dst"/>
    /// (<see cref="PackedAFloats"/> floats), exactly as <see cref="Run{TB}(SgemmWorkspace, int, int, int, int, float, float*, long, long, TB, float, float*, long, in GemmEpilogue, in Prepacked)"/>
    /// packs each block.</summary>
    public static void PackWholeA(int m, int k, float* a, long ars, long acs, float* dst)
    {
        for (int pc = 0; pc < k; pc += KC)
        {
            int kc = Math.Min(KC, k - pc);
            for (int ic = 0; ic < m; ic += MSlab)
            {
                int mc = Math.Min(MSlab, m - ic);
                float* block = dst + PackedAOffset(m, kc, ic, pc);
                for (int i0 = 0; i0 < mc; i0 += MR)
                    PackA(a + (ic + i0) * ars + pc * acs, ars, acs, Math.Min(MR, mc - i0), kc, block + (long)i0 * kc);
            }
        }
    }

    /// <summary>Packs all of B (k×n, from <paramref name="b"/>) into <paramref name="dst"/> (<see cref="PackedBFloats"/>
    /// floats), exactly as the product packs each block.</summary>
    public static void PackWholeB<TB>(int n, int k, TB b, float* dst) where TB : struct, IPanelSource
    {
        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                float* block = dst + PackedBOffset(k, jc, nc, pc);
                for (int j0 = 0; j0 < nc; j0 += NR)
                    b.Pack(pc, kc, jc + j0, Math.Min(NR, nc - j0), block + (long)j0 * kc);
            }
        }
    }
}
