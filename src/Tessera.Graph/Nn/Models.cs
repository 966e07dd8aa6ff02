using Tessera.Devices;
using Tessera.Graph.Training;
using Tessera.Kernels;

namespace Tessera.Graph.Nn;

/// <summary>The Fashion-MNIST models of `tessera train`. Input x is [B, 1, 28, 28] (pixels in [0, 1]).</summary>
public static class Models
{
    public static readonly string[] Names = { "mlp", "cnn", "vit" };

    public static Module Create(string name, IDevice device, ulong seed) => name switch
    {
        "mlp" => Mlp(device, seed),
        "cnn" => Cnn(device, seed),
        "vit" => new VisionTransformer(device, new Initializer(seed)),
        _ => throw new TesseraArgumentException("Models.Create", nameof(name), $"unknown model '{name}' (expected {string.Join(", ", Names)})"),
    };

    /// <summary>784-256-128-10 with ReLU and dropout 0.2.</summary>
    public static Module Mlp(IDevice device, ulong seed)
    {
        var init = new Initializer(seed);
        return new Sequential(
            Lambda.Flatten(),
            new Linear(device, init, 784, 256), Lambda.Relu(), new Dropout(0.2f, seed + 1),
            new Linear(device, init, 256, 128), Lambda.Relu(), new Dropout(0.2f, seed + 2),
            new Linear(device, init, 128, 10));
    }

    /// <summary>Two conv(3×3, pad 1)-BN-ReLU-maxpool(2) blocks (32 and 64 channels), then 3136-128-10 with dropout.</summary>
    public static Module Cnn(IDevice device, ulong seed)
    {
        var init = new Initializer(seed);
        return new Sequential(
            new Conv2d(device, init, 1, 32, 3, padding: 1, bias: false), new BatchNorm2d(device, 32), Lambda.Relu(), new MaxPool2d(2, 2),
            new Conv2d(device, init, 32, 64, 3, padding: 1, bias: false), new BatchNorm2d(device, 64), Lambda.Relu(), new MaxPool2d(2, 2),
            Lambda.Flatten(),
            new Linear(device, init, 64 * 7 * 7, 128), Lambda.Relu(), new Dropout(0.3f, seed + 1),
            new Linear(device, init, 128, 10));
    }
}

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
