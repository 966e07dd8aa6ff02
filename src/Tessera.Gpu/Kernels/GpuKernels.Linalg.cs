using Tessera.Kernels;

namespace Tessera.Gpu.Kernels;

/// <summary>GEMM through the tiled engine of kernels/portable/linalg.h: one block of <see cref="Block"/> threads per
/// <see cref="GemmTile"/>² output tile, batches along grid Y, slices of a split K (few tiles, long K) along grid Z summed
/// in a fixed order afterwards; small matrices take one thread per output. The epilogue's activation is applied as each
/// output is stored. Operands are read through their strides
/// (transposition and views need no copy); broadcast batch dimensions get stride 0.</summary>
public partial class GpuKernels : ILinalgKernels
{
    /// <summary>Edge of the output tile one block computes (GEMM_BM = GEMM_BN in linalg.h).</summary>
    protected internal const int GemmTile = 64;

    /// <summary>Most blocks along grid Y or Z; kernels loop over the rest.</summary>
    protected internal const int MaxGridYZ = 65535;

    /// <inheritdoc/>
    public virtual void Gemm(Tensor a, Tensor b, Tensor? bias, Tensor c, GemmParams p)
    {
        const string op = "Gemm";
        int rc = c.Rank;
        long m = c.Shape[rc - 2], n = c.Shape[rc - 1];
        long k = p.TransA ? a.Shape[a.Rank - 2] : a.Shape[a.Rank - 1];
        if (c.ElementCount == 0) return;
        int[] batch = c.Shape.ToArray()[..(rc - 2)];
        long batches = c.ElementCount / (m * n);
        long tilesN = Tiles(n), tiles = Tiles(m) * tilesN;
        var av = GemmOperand(a, p.TransA, batch, op);
        var bv = GemmOperand(b, p.TransB, batch, op);
        var biasArg = bias is null ? GpuArg.Viewed(c, op) : GpuArg.Viewed(bias, c.Shape, op);
        var hasBias = GpuArg.I32(bias is null ? 0 : 1);
        GpuArg[] act = EpilogueArgs(p.Epilogue);
        // Matrices that would fill less than an eighth of their tiles take one thread per output instead.
        if (m * n * 8 < tiles * GemmTile * GemmTile)
        {
            LaunchElements("linalg", "gemm_small_f32", c.ElementCount, [av, bv, GpuArg.Dense(c, op), biasArg, hasBias,
                GpuArg.I64(m), GpuArg.I64(n), GpuArg.I64(k), GpuArg.I64(batches), GpuArg.F32(p.Alpha), GpuArg.F32(p.Beta), .. act]);
            return;
        }
        if (tiles > int.MaxValue) throw new TesseraArgumentException(op, "c", $"{m}×{n} is too large for one launch");
        var grid = new GpuDim(tiles, Math.Min(batches, MaxGridYZ));
        GpuArg[] args = [av, bv, GpuArg.Dense(c, op), biasArg, hasBias, GpuArg.I64(m), GpuArg.I64(n), GpuArg.I64(k),
            GpuArg.I64(batches), GpuArg.I64(tilesN), GpuArg.F32(p.Alpha), GpuArg.F32(p.Beta), .. act];
        var (slices, kSlice) = SplitK(grid.X * grid.Y, k);
        if (slices == 1)
        {
            // c stands in for the unused partial-sum buffer.
            Launch("linalg", "gemm_f32", grid, [.. args, GpuArg.Dense(c, op), GpuArg.I32(0), GpuArg.I64(kSlice)]);
            return;
        }
        using var part = Scratch(DType.Float32, (int)slices, checked((int)c.ElementCount));
        Launch("linalg", "gemm_f32", grid with { Z = slices }, [.. args, GpuArg.Dense(part, op), GpuArg.I32(1), GpuArg.I64(kSlice)]);
        LaunchElements("linalg", "gemm_reduce_f32", c.ElementCount, [GpuArg.Dense(part, op), GpuArg.I64(slices), GpuArg.Dense(c, op),
            biasArg, hasBias, GpuArg.I64(m), GpuArg.I64(n), GpuArg.I64(batches), GpuArg.F32(p.Alpha), GpuArg.F32(p.Beta), .. act]);
    }

    /// <summary>act, ea, eb of the portable kernels' fused epilogue (the UnaryOp code and its scalars).</summary>
    protected internal static GpuArg[] EpilogueArgs(Epilogue e) =>
        [GpuArg.I32((int)e.Activation), GpuArg.F32(e.Params.Alpha), GpuArg.F32(e.Params.Beta)];

    /// <summary>y ← act(y + residual) in place (residual null, or dense of y's shape): the fused epilogue of a product or
    /// convolution a vendor library computed without it. Nothing to do for no activation and no residual.</summary>
    protected internal void ApplyEpilogue(Tensor y, Tensor? residual, Epilogue e)
    {
        const string op = "Epilogue";
        if ((e.IsNone && residual is null) || y.ElementCount == 0) return;
        using var rc = residual is null ? null : Contiguous(residual);
        LaunchElements("elementwise", "epilogue_f32", y.ElementCount,
            [GpuArg.Dense(y, op), GpuArg.Dense(rc ?? y, op), GpuArg.I32(rc is null ? 0 : 1), .. EpilogueArgs(e), GpuArg.I64(y.ElementCount)]);
    }

    /// <summary>A launch of fewer blocks than this splits its reduction (split K) to reach about as many.</summary>
    private const long SplitTargetBlocks = 256;

    /// <summary>Shortest slice of a split reduction.</summary>
    private const long SplitMinSlice = 512;

    /// <summary>How a reduction of length <paramref name="k"/> on <paramref name="blocks"/> blocks is split: the number of
    /// slices and their length (a multiple of the engine's K step, 16); one slice of at least k when no split pays.</summary>
    protected internal static (long Slices, long Length) SplitK(long blocks, long k)
    {
        long slices = Math.Clamp(Math.Min(SplitTargetBlocks / Math.Max(1, blocks), k / SplitMinSlice), 1, MaxGridYZ);
        long length = Math.Max(16, ((k + slices - 1) / slices + 15) / 16 * 16);
        return (Math.Max(1, (k + length - 1) / length), length);
    }

    /// <summary>Number of <see cref="GemmTile"/>-wide tiles covering <paramref name="n"/>.</summary>
    protected internal static long Tiles(long n) => (n + GemmTile - 1) / GemmTile;

    /// <summary>The view [batch..., rows, cols] of op(t) the GEMM kernel reads: t's batch dimensions aligned right with
    /// <paramref name="batch"/> (stride 0 where t lacks or broadcasts one), and its last two dimensions swapped when
    /// <paramref name="trans"/>.</summary>
    private static unsafe GpuArg GemmOperand(Tensor t, bool trans, int[] batch, string op)
    {
        int r = t.Rank, br = batch.Length, lead = br - (r - 2);
        if (br + 2 > Strided.MaxRank)
            throw new TesseraArgumentException(op, "rank", $"rank {br + 2} exceeds the GPU kernels' limit of {Strided.MaxRank} dimensions");
        var strides = t.Strides;
        var v = new Strided { Rank = br + 2, Offset = t.Offset };
        for (int d = 0; d < br; d++)
        {
            v.Shape[d] = batch[d];
            v.Stride[d] = d < lead || t.Shape[d - lead] == 1 ? 0 : strides[d - lead];
        }
        int row = trans ? r - 1 : r - 2, col = trans ? r - 2 : r - 1;
        v.Shape[br] = t.Shape[row];
        v.Stride[br] = strides[row];
        v.Shape[br + 1] = t.Shape[col];
        v.Stride[br + 1] = strides[col];
        return new GpuArg { Kind = GpuArgKind.View, Buffer = t.Storage.Buffer.Handle, View = v };
    }
}
