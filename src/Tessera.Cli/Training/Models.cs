using Tessera.Devices;
using Tessera.Graph.Nn;
using Tessera.Graph.Training;

namespace Tessera.Cli.Training;

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
