using Tessera.Kernels;

namespace Tessera.Gpu.Kernels;

/// <summary>Convolution as implicit GEMM on the tiled engine of kernels/portable/linalg.h (operands gathered from x, w
/// and dy as tiles load: no column buffer), or as direct loops there when few channels per group would leave the tiles
/// mostly empty (depthwise); pooling and the bias gradient in kernels/portable/conv.h. Inputs are read through their
/// strides; backward passes gather (no atomics), so every result is deterministic. The forward convolution applies its
/// fused epilogue (residual, activation) as each output is stored.</summary>
public partial class GpuKernels : IConvKernels
{
    /// <inheritdoc/>
    public virtual void Conv2d(Tensor x, Tensor w, Tensor? bias, Tensor? residual, Tensor y, Conv2dParams p)
    {
        const string op = "Conv2d";
        if (y.ElementCount == 0) return;
        int n = x.Shape[0], o = w.Shape[0], og = o / p.Groups;
        long plane = (long)y.Shape[2] * y.Shape[3], tilesN = Tiles(plane);
        bool direct = SparseTileRows(og);
        // The implicit GEMM reads each filter as one row (c, kh, kw): a filter laid out otherwise is copied first.
        var ws = w.Strides;
        using var wc = direct || (ws[3] == 1 && ws[2] == w.Shape[3] && ws[1] == (long)w.Shape[2] * w.Shape[3]) ? null : Contiguous(w);
        var wr = wc ?? w;
        // The residual is read densely, at y's element offsets (y stands in when there is none).
        using var rc = residual is null ? null : Contiguous(residual);
        GpuArg[] args = [GpuArg.Viewed(x, op), GpuArg.Viewed(wr, op),
            bias is null ? GpuArg.Viewed(wr, op) : GpuArg.Viewed(bias, op), GpuArg.I32(bias is null ? 0 : 1),
            GpuArg.Dense(rc ?? y, op), GpuArg.I32(rc is null ? 0 : 1), .. EpilogueArgs(p.Epilogue), GpuArg.Dense(y, op),
            .. ConvSizes(x, wr, y, p)];
        if (direct) LaunchElements("linalg", "conv2d_fwd_direct_f32", y.ElementCount, args);
        else Launch("linalg", "conv2d_fwd_f32", ConvGrid(op, Tiles(og) * tilesN, (long)n * p.Groups, 1), [.. args, GpuArg.I64(tilesN)]);
    }

    /// <inheritdoc/>
    public virtual void Conv2dBackwardData(Tensor dy, Tensor w, Tensor dx, Conv2dParams p)
    {
        const string op = "Conv2dBackwardData";
        if (dx.ElementCount == 0) return;
        int n = dx.Shape[0], cg = dx.Shape[1] / p.Groups;
        long plane = (long)dx.Shape[2] * dx.Shape[3], tilesN = Tiles(plane);
        GpuArg[] args = [GpuArg.Viewed(dy, op), GpuArg.Viewed(w, op), GpuArg.Dense(dx, op), .. ConvSizes(dx, w, dy, p)];
        if (SparseTileRows(cg)) LaunchElements("linalg", "conv2d_bwd_data_direct_f32", dx.ElementCount, args);
        else Launch("linalg", "conv2d_bwd_data_f32", ConvGrid(op, Tiles(cg) * tilesN, (long)n * p.Groups, 1), [.. args, GpuArg.I64(tilesN)]);
    }

    /// <inheritdoc/>
    public virtual void Conv2dBackwardWeight(Tensor x, Tensor dy, Tensor dw, Conv2dParams p)
    {
        const string op = "Conv2dBackwardWeight";
        if (dw.ElementCount == 0) return;
        int og = dw.Shape[0] / p.Groups;
        long kd = (long)dw.Shape[1] * dw.Shape[2] * dw.Shape[3], tilesN = Tiles(kd), tiles = Tiles(og) * tilesN;
        long total = (long)x.Shape[0] * dy.Shape[2] * dy.Shape[3];
        var sizes = ConvSizes(x, dw, dy, p);
        if ((long)og * kd * 8 < tiles * GemmTile * GemmTile)
        {
            // Under an eighth of the tiles' area holds weights (depthwise, few channels): one block per weight instead.
            LaunchRows("linalg", "conv2d_bwd_weight_direct_f32", dw.ElementCount,
                [GpuArg.Viewed(x, op), GpuArg.Viewed(dy, op), GpuArg.Dense(dw, op), .. sizes]);
            return;
        }
        // Split the reduction when the output alone gives too few blocks; slices sum in a fixed order afterwards.
        var (slices, kSlice) = SplitK(tiles * Math.Min(p.Groups, MaxGridYZ), total);
        if (slices == 1)
        {
            Launch("linalg", "conv2d_bwd_weight_f32", ConvGrid(op, tiles, 1, p.Groups),
                [GpuArg.Viewed(x, op), GpuArg.Viewed(dy, op), GpuArg.Dense(dw, op), .. sizes, GpuArg.I64(tilesN), GpuArg.I64(kSlice)]);
            return;
        }
        using var part = Scratch(DType.Float32, (int)slices, checked((int)dw.ElementCount));
        Launch("linalg", "conv2d_bwd_weight_f32", ConvGrid(op, tiles, slices, p.Groups),
            [GpuArg.Viewed(x, op), GpuArg.Viewed(dy, op), GpuArg.Dense(part, op), .. sizes, GpuArg.I64(tilesN), GpuArg.I64(kSlice)]);
        LaunchElements("linalg", "sum_slices_f32", dw.ElementCount,
            GpuArg.Dense(part, op), GpuArg.Dense(dw, op), GpuArg.I64(dw.ElementCount), GpuArg.I64(slices));
    }

    /// <inheritdoc/>
    public void Conv2dBackwardBias(Tensor dy, Tensor db)
    {
        const string op = "Conv2dBackwardBias";
        LaunchRows("conv", "conv2d_bwd_bias_f32", dy.Shape[1],
            GpuArg.Viewed(dy, op), GpuArg.Dense(db, op), GpuArg.I32(dy.Shape[0]), GpuArg.I32(dy.Shape[2]), GpuArg.I32(dy.Shape[3]));
    }

    /// <inheritdoc/>
    public void MaxPool2d(Tensor x, Tensor y, Tensor? indices, Pool2dParams p)
    {
        const string op = "MaxPool2d";
        // Without indices the kernel is told not to store them; y stands in for the unused buffer.
        LaunchElements("conv", "maxpool2d_fwd_f32", y.ElementCount,
            [GpuArg.Viewed(x, op), GpuArg.Dense(y, op), GpuArg.Dense(indices ?? y, op), GpuArg.I32(indices is null ? 0 : 1),
             .. PoolSizes(x, y, p), GpuArg.I32(p.DilationH), GpuArg.I32(p.DilationW), GpuArg.I64(y.ElementCount)]);
    }

    /// <summary>Each input element gathers dy from the windows that can cover it and recorded it as their maximum, so
    /// indices must come from <see cref="MaxPool2d"/> with the same parameters (an index outside its window is ignored).</summary>
    public void MaxPool2dBackward(Tensor dy, Tensor indices, Tensor dx, Pool2dParams p)
    {
        const string op = "MaxPool2dBackward";
        LaunchElements("conv", "maxpool2d_bwd_f32", dx.ElementCount,
            [GpuArg.Viewed(dy, op), GpuArg.Viewed(indices, op), GpuArg.Dense(dx, op),
             .. PoolSizes(dx, dy, p), GpuArg.I32(p.DilationH), GpuArg.I32(p.DilationW), GpuArg.I64(dx.ElementCount)]);
    }

    /// <inheritdoc/>
    public void AvgPool2d(Tensor x, Tensor y, Pool2dParams p)
    {
        const string op = "AvgPool2d";
        LaunchElements("conv", "avgpool2d_fwd_f32", y.ElementCount,
            [GpuArg.Viewed(x, op), GpuArg.Dense(y, op), .. PoolSizes(x, y, p), .. AvgPoolTail(p, y.ElementCount)]);
    }

    /// <inheritdoc/>
    public void AvgPool2dBackward(Tensor dy, Tensor dx, Pool2dParams p)
    {
        const string op = "AvgPool2dBackward";
        LaunchElements("conv", "avgpool2d_bwd_f32", dx.ElementCount,
            [GpuArg.Viewed(dy, op), GpuArg.Dense(dx, op), .. PoolSizes(dx, dy, p), .. AvgPoolTail(p, dx.ElementCount)]);
    }

    /// <summary>True when <paramref name="rows"/> output rows (channels per group) would fill under an eighth of their
    /// tiles: the direct loops then beat the implicit GEMM.</summary>
    private static bool SparseTileRows(long rows) => rows * 8 < Tiles(rows) * GemmTile;

    /// <summary>A grid of <paramref name="tiles"/> × <paramref name="y"/> × <paramref name="z"/> blocks, Y and Z capped
    /// (the kernels loop over the rest).</summary>
    private static GpuDim ConvGrid(string op, long tiles, long y, long z)
    {
        if (tiles > int.MaxValue) throw new TesseraArgumentException(op, "x", $"{tiles} output tiles exceed one launch");
        return new GpuDim(tiles, Math.Min(y, MaxGridYZ), Math.Min(z, MaxGridYZ));
    }

    /// <summary>N, C, O, G, H, W, KH, KW, OH, OW, SH, SW, PT, PL, DH, DW of a convolution (x: the input or its gradient,
    /// w: the weights or their gradient, y: the output or its gradient).</summary>
    private static GpuArg[] ConvSizes(Tensor x, Tensor w, Tensor y, Conv2dParams p) =>
    [
        GpuArg.I32(x.Shape[0]), GpuArg.I32(x.Shape[1]), GpuArg.I32(w.Shape[0]), GpuArg.I32(p.Groups),
        GpuArg.I32(x.Shape[2]), GpuArg.I32(x.Shape[3]), GpuArg.I32(w.Shape[2]), GpuArg.I32(w.Shape[3]),
        GpuArg.I32(y.Shape[2]), GpuArg.I32(y.Shape[3]), GpuArg.I32(p.StrideH), GpuArg.I32(p.StrideW),
        GpuArg.I32(p.PadTop), GpuArg.I32(p.PadLeft), GpuArg.I32(p.DilationH), GpuArg.I32(p.DilationW),
    ];

    /// <summary>C, H, W, OH, OW, KH, KW, SH, SW, PT, PL of a pooling (x: the input or its gradient, y: the output or its gradient).</summary>
    private static GpuArg[] PoolSizes(Tensor x, Tensor y, Pool2dParams p) =>
    [
        GpuArg.I32(x.Shape[1]), GpuArg.I32(x.Shape[2]), GpuArg.I32(x.Shape[3]), GpuArg.I32(y.Shape[2]), GpuArg.I32(y.Shape[3]),
        GpuArg.I32(p.KernelH), GpuArg.I32(p.KernelW), GpuArg.I32(p.StrideH), GpuArg.I32(p.StrideW),
        GpuArg.I32(p.PadTop), GpuArg.I32(p.PadLeft),
    ];

    /// <summary>PB, PR, include_pad, total of the average-pooling kernels.</summary>
    private static GpuArg[] AvgPoolTail(Pool2dParams p, long total) =>
        [GpuArg.I32(p.PadBottom), GpuArg.I32(p.PadRight), GpuArg.I32(p.CountIncludePad ? 1 : 0), GpuArg.I64(total)];
}
