using Tessera.Devices;
using Tessera.Graph.Training;
using Tessera.Kernels;

namespace Tessera.Graph.Nn;

/// <summary>Multi-head self-attention on x [B, T, E]: q/k/v projections, heads split [B, H, T, E/H], fused attention,
/// heads merged, output projection.</summary>
public sealed class MultiHeadAttention : Module
{
    private readonly int _heads;
    private readonly bool _causal;

    /// <summary>Multi-head attention over <paramref name="embed"/> features split into <paramref name="heads"/> heads, causal when asked, with its four projections initialised by <paramref name="init"/> on <paramref name="device"/>.</summary>
    public MultiHeadAttention(IDevice device, Initializer init, int embed, int heads, bool causal = false)
    {
        if (heads <= 0 || embed % heads != 0)
            throw new TesseraArgumentException("MultiHeadAttention", nameof(heads), $"embedding {embed} is not divisible by {heads} heads");
        _heads = heads;
        _causal = causal;
        Q = AddChild("q", new Linear(device, init, embed, embed));
        K = AddChild("k", new Linear(device, init, embed, embed));
        V = AddChild("v", new Linear(device, init, embed, embed));
        Out = AddChild("out", new Linear(device, init, embed, embed));
    }

    /// <summary>The query projection.</summary>
    public Linear Q { get; }
    /// <summary>The key projection.</summary>
    public Linear K { get; }
    /// <summary>The value projection.</summary>
    public Linear V { get; }
    /// <summary>The output projection.</summary>
    public Linear Out { get; }

    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x)
    {
        if (x.Shape.Rank != 3) throw new TesseraShapeException("MultiHeadAttention", "x", $"expected [B, T, E], got {x}");
        int b = x.Shape[0], t = x.Shape[1], e = x.Shape[2], d = e / _heads;
        Value Split(Value v) => g.Permute(g.Reshape(v, b, t, _heads, d), 0, 2, 1, 3);
        var q = Split(Q.Forward(g, x));
        var k = Split(K.Forward(g, x));
        var v = Split(V.Forward(g, x));
        var o = g.Attention(q, k, v, null, new AttentionParams(float.NaN, _causal));
        var merged = g.Reshape(g.Permute(o, 0, 2, 1, 3), b, t, e);
        return Out.Forward(g, merged);
    }
}

/// <summary>Pre-norm transformer encoder block: x + MHA(LN(x)), then x + MLP(LN(x)) with GELU and dropout.</summary>
public sealed class TransformerEncoderBlock : Module
{
    private readonly Dropout _drop1, _drop2;

    /// <summary>A block of width <paramref name="embed"/> with <paramref name="heads"/> heads and an MLP of <paramref name="mlpDim"/> hidden features; dropout of <paramref name="dropout"/> after attention and MLP, its masks seeded by <paramref name="seed"/>.</summary>
    public TransformerEncoderBlock(IDevice device, Initializer init, int embed, int heads, int mlpDim, float dropout = 0f, ulong seed = 0)
    {
        Norm1 = AddChild("ln1", new LayerNorm(device, embed));
        Attn = AddChild("attn", new MultiHeadAttention(device, init, embed, heads));
        Norm2 = AddChild("ln2", new LayerNorm(device, embed));
        Fc1 = AddChild("fc1", new Linear(device, init, embed, mlpDim));
        Fc2 = AddChild("fc2", new Linear(device, init, mlpDim, embed));
        _drop1 = new Dropout(dropout, seed * 2 + 1);
        _drop2 = new Dropout(dropout, seed * 2 + 2);
    }

    /// <summary>The layer norm before attention.</summary>
    public LayerNorm Norm1 { get; }
    /// <summary>The self-attention.</summary>
    public MultiHeadAttention Attn { get; }
    /// <summary>The layer norm before the MLP.</summary>
    public LayerNorm Norm2 { get; }
    /// <summary>The MLP's first layer (embed → mlpDim).</summary>
    public Linear Fc1 { get; }
    /// <summary>The MLP's second layer (mlpDim → embed).</summary>
    public Linear Fc2 { get; }

    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x)
    {
        x = g.Add(x, _drop1.Forward(g, Attn.Forward(g, Norm1.Forward(g, x))));
        var h = g.Gelu(Fc1.Forward(g, Norm2.Forward(g, x)));
        return g.Add(x, _drop2.Forward(g, Fc2.Forward(g, h)));
    }
}
