using Tessera.Kernels;

namespace Tessera.Gpu.Kernels;

/// <summary>Shape launchers (kernels/portable/shape.h). Concat is one strided copy per input into its block of the
/// output; gather and pad move elements by width, so every dtype is served; their gradients and expand's are float32.
/// Indices are checked on the device first and an out-of-range one throws, as on the CPU, before anything is written
/// (which costs one read-back of a flag per gather).</summary>
public partial class GpuKernels : IShapeKernels
{
    private const string ShapeFamily = "shape";

    /// <summary>Sums longer than this many terms per element take a block each (expand backward).</summary>
    private const long BlockSumTerms = 64;

    /// <inheritdoc/>
    public void Concat(IReadOnlyList<Tensor> inputs, Tensor output, int axis)
    {
        int offset = 0;
        foreach (var x in inputs)
        {
            int len = x.Shape[axis];
            if (x.ElementCount > 0)
            {
                using var block = output.Slice(axis, offset, offset + len);
                Copy(x, block);
            }
            offset += len;
        }
    }

    /// <inheritdoc/>
    public void Gather(Tensor data, Tensor indices, Tensor output, int axis)
    {
        const string op = "Gather";
        int n = data.Shape[axis];
        CheckIndices(op, indices, n, axis);
        long k = indices.ElementCount, inner = Prod(data.Shape, axis + 1, data.Rank), total = output.ElementCount;
        LaunchElements(ShapeFamily, $"gather_fwd_{Width(op, data.DType)}_{Suffix(indices.DType)}", total,
            Flat(data, data.Shape, op), Flat(indices, indices.Shape, op), GpuArg.Dense(output, op),
            GpuArg.I64(n), GpuArg.I64(k), GpuArg.I64(inner), GpuArg.I64(total));
    }

    /// <inheritdoc/>
    public void GatherBackward(Tensor indices, Tensor dOutput, Tensor dData, int axis)
    {
        const string op = "GatherBackward";
        int n = dData.Shape[axis];
        CheckIndices(op, indices, n, axis);
        Fill(dData, 0);
        long k = indices.ElementCount, inner = Prod(dData.Shape, axis + 1, dData.Rank), total = dOutput.ElementCount;
        if (dData.ElementCount == 0) return;
        LaunchElements(ShapeFamily, "gather_bwd_f32_" + Suffix(indices.DType), total,
            Flat(dOutput, dOutput.Shape, op), Flat(indices, indices.Shape, op), GpuArg.Dense(dData, op),
            GpuArg.I64(n), GpuArg.I64(k), GpuArg.I64(inner), GpuArg.I64(total));
    }

    /// <summary>Throws, naming the first offender as the CPU does, when an index lies outside [−n, n).</summary>
    private void CheckIndices(string op, Tensor indices, int n, int axis)
    {
        if (indices.DType is not (DType.Int32 or DType.Int64))
            throw new TesseraDTypeException(op, nameof(indices), $"expected Int32 or Int64 indices, got {indices.DType}");
        long k = indices.ElementCount;
        if (k == 0) return;
        if (DeferChecks)
        {
            DeferIndexCheck($"{op} (indices {indices.Shape} on axis {axis} of size {n}, valid [{-n}, {n}))", indices, -n, n, long.MinValue);
            return;
        }
        using (var bad = Scratch(DType.Int64, 1))
        {
            Fill(bad, 0);
            LaunchElements(ShapeFamily, "gather_check_" + Suffix(indices.DType), k,
                Flat(indices, indices.Shape, op), GpuArg.Dense(bad, op), GpuArg.I64(n), GpuArg.I64(k));
            if (Read<long>(bad)[0] == 0) return;
        }
        long[] values = indices.DType == DType.Int64 ? Read<long>(indices) : Array.ConvertAll(Read<int>(indices), v => (long)v);
        for (long j = 0; j < values.Length; j++)
        {
            long v = values[j];
            if (v < -n || v >= n)
                throw new TesseraArgumentException(op, nameof(indices),
                    $"index {v} (element {j} of indices {indices.Shape}) is out of range for axis {axis} of size {n}; valid is [{-n}, {n})");
        }
        throw new TesseraBackendException(op, "the device flagged an out-of-range index that the host copy does not show");
    }

    /// <inheritdoc/>
    public void Pad(Tensor x, Tensor y, PadParams p)
    {
        const string op = "Pad";
        if (y.ElementCount == 0) return;
        int r = x.Rank;
        if (r > Strided.MaxRank)
            throw new TesseraArgumentException(op, "rank", $"rank {r} exceeds the GPU kernels' limit of {Strided.MaxRank} dimensions");
        using var value = Scratch(y.DType, 1);   // the constant in the tensor's own bits (Fill knows every dtype)
        Fill(value, p.Value);
        if (!y.IsContiguous) throw new TesseraArgumentException(op, nameof(y), $"the GPU kernel writes a contiguous output, got a strided view {y.Shape}");
        Span<GpuArg> args = stackalloc GpuArg[5 + Strided.MaxRank];
        args[0] = GpuArg.Viewed(x, op);
        args[1] = GpuArg.Viewed(y, op);
        args[2] = GpuArg.Dense(value, op);
        args[3] = GpuArg.I32((int)p.Mode);
        for (int d = 0; d < Strided.MaxRank; d++) args[4 + d] = GpuArg.I64(d < r ? p.Pads[d] : 0);
        args[4 + Strided.MaxRank] = GpuArg.I64(y.ElementCount);
        LaunchElements(ShapeFamily, "pad_fwd_" + Width(op, y.DType), y.ElementCount, args);
    }

    /// <summary>One pass per padded axis (last first): padding is a product of per-axis maps, so its gradient is the
    /// product of the per-axis gradients. Intermediates live in scratch.</summary>
    public void PadBackward(Tensor dy, Tensor dx, PadParams p)
    {
        const string op = "PadBackward";
        if (dx.ElementCount == 0) return;
        int r = dx.Rank;
        var axes = Enumerable.Range(0, r).Where(d => p.Pads[d] != 0 || p.Pads[d + r] != 0).Reverse().ToArray();
        if (axes.Length == 0)
        {
            Copy(dy, dx);
            return;
        }
        var dims = dy.Shape.ToArray();
        Tensor src = dy;
        Tensor? owned = null;
        try
        {
            for (int i = 0; i < axes.Length; i++)
            {
                int d = axes[i];
                int nOut = dims[d];
                dims[d] = dx.Shape[d];
                var dst = i == axes.Length - 1 ? dx : Scratch(DType.Float32, dims);
                long inner = 1, total = 1;
                for (int j = 0; j < r; j++) { total *= dims[j]; if (j > d) inner *= dims[j]; }
                LaunchElements(ShapeFamily, "pad_bwd_f32", total,
                    Flat(src, src.Shape, op), GpuArg.Dense(dst, op), GpuArg.I64(dims[d]), GpuArg.I64(nOut), GpuArg.I64(inner),
                    GpuArg.I64(p.Pads[d]), GpuArg.I64(p.Pads[d + r]), GpuArg.I32((int)p.Mode), GpuArg.I64(total));
                owned?.Dispose();
                owned = dst == dx ? null : dst;
                src = dst;
            }
        }
        finally
        {
            owned?.Dispose();
        }
    }

    /// <summary>dx (contiguous) = dy summed over the dimensions that broadcasting dx to dy's shape expanded. dy is read
    /// through a permuted view, kept dimensions first and reduced ones last, so that dx element q sums the row-major
    /// positions [q·terms, (q+1)·terms) of that view; each sum runs in a fixed order (deterministic).</summary>
    public unsafe void ExpandBackward(Tensor dy, Tensor dx)
    {
        const string op = "ExpandBackward";
        if (dx.ElementCount == 0) return;
        var y = Strided.Of(dy, op);   // checks the rank
        int rank = dy.Rank, lead = rank - dx.Rank;
        var v = new Strided { Offset = y.Offset };
        int k = 0;
        long terms = 1;
        for (int pass = 0; pass < 2; pass++)
            for (int d = 0; d < rank; d++)
            {
                int n = dy.Shape[d];
                bool reduced = (d < lead || dx.Shape[d - lead] == 1) && n != 1;
                bool kept = !reduced && n != 1;
                if (pass == 0 ? !kept : !reduced) continue;
                v.Shape[k] = n;
                v.Stride[k] = y.Stride[d];
                k++;
                if (reduced) terms *= n;
            }
        v.Rank = k;
        if (k == 0) { v.Rank = 1; v.Shape[0] = 1; }
        var view = new GpuArg { Kind = GpuArgKind.View, Buffer = dy.Storage.Buffer.Handle, View = Collapse(v) };
        long rows = dx.ElementCount;
        if (terms > BlockSumTerms)
            LaunchRows(ShapeFamily, "expand_bwdrows_f32", rows, view, GpuArg.Dense(dx, op), GpuArg.I64(terms));
        else
            LaunchElements(ShapeFamily, "expand_bwd_f32", rows, view, GpuArg.Dense(dx, op), GpuArg.I64(rows), GpuArg.I64(terms));
    }

    /// <summary>Kernel-name width of a dtype for kernels that only move elements.</summary>
    private static string Width(string op, DType dtype) => dtype.SizeOf() switch
    {
        1 => "b8", 2 => "b16", 4 => "b32", 8 => "b64",
        var s => throw Unsupported(op, $"{s}-byte elements"),
    };

    private static long Prod(Shape s, int from, int to)
    {
        long p = 1;
        for (int i = from; i < to; i++) p *= s[i];
        return p;
    }
}
