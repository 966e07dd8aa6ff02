using Tessera.Kernels;

namespace Tessera.Gpu.Kernels;

/// <summary>Element-wise launchers (kernels/portable/elementwise.h): one kernel per pass and dtype, the op passed as its
/// enum value. Inputs are read as views broadcast to the output shape (collapsed to as few dimensions as their layout
/// allows); outputs are written densely. Binary gradients are computed at the broadcast shape and summed down to each
/// input's shape by <see cref="BroadcastGradient"/>.</summary>
public partial class GpuKernels : IElementwiseKernels
{
    private const string Elementwise = "elementwise";

    /// <inheritdoc/>
    public void Unary(UnaryOp op, Tensor x, Tensor y, UnaryParams p)
    {
        const string name = "Unary";
        CheckDefined(name, op);
        LaunchElements(Elementwise, "unary_fwd_f32", y.ElementCount,
            Flat(x, y.Shape, name), GpuArg.Dense(y, name), GpuArg.I32((int)op), GpuArg.F32(p.Alpha), GpuArg.F32(p.Beta),
            GpuArg.I64(y.ElementCount));
    }

    /// <inheritdoc/>
    public void UnaryBackward(UnaryOp op, Tensor x, Tensor y, Tensor dy, Tensor dx, UnaryParams p)
    {
        const string name = "UnaryBackward";
        CheckDefined(name, op);
        var u = ShapeRules.UnaryGradientUsesOutput(op) ? y : x;
        LaunchElements(Elementwise, "unary_bwd_f32", dx.ElementCount,
            Flat(u, dx.Shape, name), Flat(dy, dx.Shape, name), GpuArg.Dense(dx, name),
            GpuArg.I32((int)op), GpuArg.F32(p.Alpha), GpuArg.F32(p.Beta), GpuArg.I64(dx.ElementCount));
    }

    /// <inheritdoc/>
    public void Binary(BinaryOp op, Tensor a, Tensor b, Tensor c)
    {
        const string name = "Binary";
        CheckDefined(name, op);
        LaunchElements(Elementwise, "binary_fwd_f32", c.ElementCount,
            Flat(a, c.Shape, name), Flat(b, c.Shape, name), GpuArg.Dense(c, name), GpuArg.I32((int)op), GpuArg.I64(c.ElementCount));
    }

    /// <inheritdoc/>
    public void BinaryBackward(BinaryOp op, Tensor a, Tensor b, Tensor dc, Tensor? da, Tensor? db)
    {
        CheckDefined("BinaryBackward", op);
        if (da is not null) BroadcastGradient.Binary(this, op, 0, dc, da, g => BinaryGradientTerm(op, 0, a, b, dc, g));
        if (db is not null) BroadcastGradient.Binary(this, op, 1, dc, db, g => BinaryGradientTerm(op, 1, a, b, dc, g));
    }

    /// <summary>The gradient term of one side (0: a, 1: b) at the broadcast shape, written densely into g.</summary>
    private void BinaryGradientTerm(BinaryOp op, int side, Tensor a, Tensor b, Tensor dc, Tensor g)
    {
        const string name = "BinaryBackward";
        LaunchElements(Elementwise, "binary_bwd_f32", g.ElementCount,
            Flat(a, dc.Shape, name), Flat(b, dc.Shape, name), Flat(dc, dc.Shape, name), GpuArg.Dense(g, name),
            GpuArg.I32((int)op), GpuArg.I32(side), GpuArg.I64(g.ElementCount));
    }

    /// <inheritdoc/>
    public void Compare(CompareOp op, Tensor a, Tensor b, Tensor c)
    {
        const string name = "Compare";
        CheckDefined(name, op);
        string dtype = a.DType switch
        {
            DType.Float32 => "f32", DType.Int32 => "i32", DType.Int64 => "i64", DType.Bool or DType.UInt8 => "u8",
            _ => throw new TesseraDTypeException(op.ToString(), nameof(a), $"unsupported dtype {a.DType}"),
        };
        LaunchElements(Elementwise, "compare_fwd_" + dtype, c.ElementCount,
            Flat(a, c.Shape, name), Flat(b, c.Shape, name), GpuArg.Dense(c, name), GpuArg.I32((int)op), GpuArg.I64(c.ElementCount));
    }

    /// <inheritdoc/>
    public void Where(Tensor cond, Tensor a, Tensor b, Tensor c)
    {
        const string name = "Where";
        string bits = c.DType switch
        {
            DType.Float32 or DType.Int32 => "b32", DType.Int64 => "b64", DType.Bool => "b8",
            _ => throw new TesseraDTypeException(name, nameof(c), $"unsupported dtype {c.DType}"),
        };
        LaunchElements(Elementwise, "where_fwd_" + bits, c.ElementCount,
            Flat(cond, c.Shape, name), Flat(a, c.Shape, name), Flat(b, c.Shape, name), GpuArg.Dense(c, name), GpuArg.I64(c.ElementCount));
    }

    /// <inheritdoc/>
    public void LogicalNot(Tensor x, Tensor y)
    {
        const string name = "LogicalNot";
        LaunchElements(Elementwise, "logicalnot_fwd_b8", y.ElementCount,
            Flat(x, y.Shape, name), GpuArg.Dense(y, name), GpuArg.I64(y.ElementCount));
    }

    private static void CheckDefined<TEnum>(string name, TEnum op) where TEnum : struct, Enum
    {
        if (!Enum.IsDefined(op)) throw new TesseraArgumentException(name, nameof(op), $"unknown op {op}");
    }

    /// <summary><paramref name="t"/> broadcast to <paramref name="shape"/> as a kernel view indexed by the row-major
    /// position in that shape, with size-1 dimensions dropped and dimensions that are contiguous with each other merged
    /// (a dense tensor becomes one dimension): fewer divisions per element in <c>strided_at</c>.</summary>
    internal static GpuArg Flat(Tensor t, Shape shape, string op) =>
        new() { Kind = GpuArgKind.View, Buffer = t.Storage.Buffer.Handle, View = Collapse(Strided.Broadcast(t, shape, op)) };

    /// <summary>The same map from row-major position to element offset over fewer dimensions: size-1 dimensions go, and
    /// a dimension merges into the one before it when that one's stride is its own stride times its size.</summary>
    internal static unsafe Strided Collapse(Strided s)
    {
        var r = new Strided { Offset = s.Offset };
        int k = 0;
        for (int d = 0; d < s.Rank; d++)
        {
            long n = s.Shape[d], stride = s.Stride[d];
            if (n == 1) continue;
            if (k > 0 && r.Stride[k - 1] == stride * n)
            {
                r.Shape[k - 1] *= n;
                r.Stride[k - 1] = stride;
                continue;
            }
            r.Shape[k] = n;
            r.Stride[k] = stride;
            k++;
        }
        if (k == 0) { r.Shape[0] = 1; r.Stride[0] = 0; k = 1; }
        r.Rank = k;
        return r;
    }
}
