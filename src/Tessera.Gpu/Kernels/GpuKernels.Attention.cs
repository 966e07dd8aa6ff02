using Tessera.Kernels;

namespace Tessera.Gpu.Kernels;

/// <summary>Scaled dot-product attention launchers (kernels/portable/attention.h). Forward: one block per query row
/// with an online softmax over key chunks. Backward: one block per query row computes D_i = rowsum(dO∘o) (scratch) and
/// dq; then one block per key row computes dk and dv, summing over queries in a fixed order (no atomics).
/// q, k, v, dO, o and lse are read through their own strides, the mask as a view broadcast to [B, H, Tq, Tk].</summary>
public partial class GpuKernels : IAttentionKernels
{
    private const string AttentionFamily = "attention";

    private static float AttentionScale(AttentionParams p, int d) => float.IsNaN(p.Scale) ? (float)(1.0 / Math.Sqrt(d)) : p.Scale;

    /// <summary>The mask argument and its flag: the mask broadcast to [B, H, Tq, Tk], or q standing in, switched off.</summary>
    private static (GpuArg Mask, GpuArg Has) AttentionMask(Tensor? mask, Tensor q, int tk, string op) => mask is null
        ? (GpuArg.Viewed(q, op), GpuArg.I32(0))
        : (GpuArg.Viewed(mask, new Shape(q.Shape[0], q.Shape[1], q.Shape[2], tk), op), GpuArg.I32(1));

    /// <inheritdoc/>
    public void Attention(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor? lse, AttentionParams p)
    {
        const string op = "Attention";
        int bn = q.Shape[0], hn = q.Shape[1], tq = q.Shape[2], d = q.Shape[3], tk = k.Shape[2], dv = v.Shape[3];
        long rows = (long)bn * hn * tq;
        if (rows == 0) return;
        if (!o.IsContiguous)
        {
            // A strided output (the heads' merge written in place) takes the result through a dense scratch.
            using var dense = Scratch(DType.Float32, bn, hn, tq, dv);
            Attention(q, k, v, mask, dense, lse, p);
            Copy(dense, o);
            return;
        }
        var (ma, hasMask) = AttentionMask(mask, q, tk, op);
        LaunchRows(AttentionFamily, "attention_fwd_f32", rows,
            GpuArg.Viewed(q, op), GpuArg.Viewed(k, op), GpuArg.Viewed(v, op), ma, hasMask,
            GpuArg.Dense(o, op), GpuArg.Dense(lse ?? o, op), GpuArg.I32(lse is null ? 0 : 1),
            GpuArg.I64(hn), GpuArg.I64(tq), GpuArg.I64(tk), GpuArg.I64(d), GpuArg.I64(dv),
            GpuArg.F32(AttentionScale(p, d)), GpuArg.I32(p.Causal ? 1 : 0));
    }

    /// <inheritdoc/>
    public void AttentionBackward(Tensor q, Tensor k, Tensor v, Tensor? mask, Tensor o, Tensor lse, Tensor dO,
        Tensor dq, Tensor dk, Tensor dv, AttentionParams p)
    {
        const string op = "AttentionBackward";
        int bn = q.Shape[0], hn = q.Shape[1], tq = q.Shape[2], d = q.Shape[3], tk = k.Shape[2], dvh = v.Shape[3];
        long bh = (long)bn * hn;
        if (bh == 0) return;
        if (tq == 0 || tk == 0)
        {
            Fill(dq, 0);
            Fill(dk, 0);
            Fill(dv, 0);
            return;
        }
        var (ma, hasMask) = AttentionMask(mask, q, tk, op);
        GpuArg qa = GpuArg.Viewed(q, op), ka = GpuArg.Viewed(k, op), va = GpuArg.Viewed(v, op);
        GpuArg la = GpuArg.Viewed(lse, op), ga = GpuArg.Viewed(dO, op);
        float scale = AttentionScale(p, d);
        GpuArg causal = GpuArg.I32(p.Causal ? 1 : 0);
        using var dRow = Scratch(DType.Float32, bn, hn, tq);
        LaunchRows(AttentionFamily, "attention_bwd_dq_f32", bh * tq,
            qa, ka, va, ma, hasMask, GpuArg.Viewed(o, op), la, ga, GpuArg.Dense(dq, op), GpuArg.Dense(dRow, op),
            GpuArg.I64(hn), GpuArg.I64(tq), GpuArg.I64(tk), GpuArg.I64(d), GpuArg.I64(dvh), GpuArg.F32(scale), causal);
        LaunchRows(AttentionFamily, "attention_bwd_dkv_f32", bh * tk,
            qa, ka, va, ma, hasMask, la, ga, GpuArg.Dense(dRow, op), GpuArg.Dense(dk, op), GpuArg.Dense(dv, op),
            GpuArg.I64(hn), GpuArg.I64(tq), GpuArg.I64(tk), GpuArg.I64(d), GpuArg.I64(dvh), GpuArg.F32(scale), causal);
    }
}
