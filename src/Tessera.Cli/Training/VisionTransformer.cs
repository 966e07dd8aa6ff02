using Tessera.Devices;
using Tessera.Graph;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;

namespace Tessera.Cli.Training;

/// <summary>ViT for 28×28 images: 7×7 patches → 16 tokens + a class token, dimension 64, 4 pre-norm encoder blocks with 4
/// heads and MLP 128 (GELU), final LayerNorm, linear head on the class token.</summary>
public sealed class VisionTransformer : Module
{
    private const int Patch = 7, Dim = 64, Tokens = 16;
    private readonly Conv2d _embed;
    private readonly Tensor _cls, _pos;
    private readonly TransformerEncoderBlock[] _blocks;
    private readonly LayerNorm _norm;
    private readonly Linear _head;

    public VisionTransformer(IDevice device, Initializer init, int depth = 4, int heads = 4, int mlpDim = 128, float dropout = 0f)
    {
        _embed = AddChild("patch", new Conv2d(device, init, 1, Dim, Patch, stride: Patch));
        _cls = AddParameter("cls", device, init.Normal(Dim, 0.02), 1, 1, Dim);
        _pos = AddParameter("pos", device, init.Normal((Tokens + 1) * Dim, 0.02), 1, Tokens + 1, Dim);
        _blocks = Enumerable.Range(0, depth).Select(i => AddChild($"block{i}", new TransformerEncoderBlock(device, init, Dim, heads, mlpDim, dropout, (ulong)i))).ToArray();
        _norm = AddChild("ln", new LayerNorm(device, Dim));
        _head = AddChild("head", new Linear(device, init, Dim, 10));
    }

    public override Value Forward(GraphBuilder g, Value x)
    {
        int b = x.Shape[0];
        var patches = _embed.Forward(g, x);                                  // [B, 64, 4, 4]
        var tokens = g.Permute(g.Reshape(patches, b, Dim, Tokens), 0, 2, 1); // [B, 16, 64]
        var cls = g.Expand(P(g, _cls, "cls"), b, 1, Dim);                    // [B, 1, 64]
        var seq = g.Add(g.Concat(1, cls, tokens), P(g, _pos, "pos"));       // [B, 17, 64]
        foreach (var blk in _blocks) seq = blk.Forward(g, seq);
        seq = _norm.Forward(g, seq);
        var first = g.Reshape(g.Slice(seq, 1, 0, 1), b, Dim);               // class token [B, 64]
        return _head.Forward(g, first);
    }
}
