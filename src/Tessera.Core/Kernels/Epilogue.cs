using System.Globalization;

namespace Tessera.Kernels;

/// <summary>The activation a convolution or matrix product applies to its result before storing it (a fused epilogue):
/// y = Activation(conv(x, w) + bias + residual) for <see cref="Conv2dParams"/>, c = Activation(Alpha·op(a)·op(b) +
/// Beta·c + bias) for <see cref="GemmParams"/>. The activation is one of the unary ops of <see cref="Activations"/>,
/// with its scalars as in <see cref="UnaryParams"/> (Clamp's bounds, LeakyRelu's slope); the default,
/// <see cref="UnaryOp.Identity"/>, is no epilogue. Fused operators have no gradient: they are for inference graphs.</summary>
public readonly record struct Epilogue(UnaryOp Activation = UnaryOp.Identity, UnaryParams Params = default)
{
    /// <summary>The activations an epilogue may apply (Identity is none).</summary>
    public static IReadOnlyList<UnaryOp> Activations { get; } =
    [
        UnaryOp.Identity, UnaryOp.Relu, UnaryOp.Clamp, UnaryOp.LeakyRelu, UnaryOp.Sigmoid, UnaryOp.Silu, UnaryOp.HardSwish,
        UnaryOp.GeluErf, UnaryOp.GeluTanh,
    ];

    /// <summary>No epilogue.</summary>
    public static Epilogue None => default;

    /// <summary>max(y, 0).</summary>
    public static Epilogue Relu => new(UnaryOp.Relu);

    /// <summary>min(max(y, lo), hi) (ONNX Clip; <see cref="Relu6"/> is Clip(0, 6)).</summary>
    public static Epilogue Clip(float lo, float hi) => new(UnaryOp.Clamp, new UnaryParams(lo, hi));

    /// <summary>min(max(y, 0), 6) (MobileNetV2).</summary>
    public static Epilogue Relu6 => Clip(0f, 6f);

    /// <summary>y ≥ 0 ? y : alpha·y.</summary>
    public static Epilogue LeakyRelu(float alpha) => new(UnaryOp.LeakyRelu, new UnaryParams(alpha));

    /// <summary>1 / (1 + e^−y).</summary>
    public static Epilogue Sigmoid => new(UnaryOp.Sigmoid);

    /// <summary>y·sigmoid(y).</summary>
    public static Epilogue Silu => new(UnaryOp.Silu);

    /// <summary>y·clamp(y + 3, 0, 6) / 6.</summary>
    public static Epilogue HardSwish => new(UnaryOp.HardSwish);

    /// <summary>GELU, exact (erf) or the tanh approximation.</summary>
    public static Epilogue Gelu(bool approximate = false) => new(approximate ? UnaryOp.GeluTanh : UnaryOp.GeluErf);

    /// <summary>True when the epilogue applies no activation.</summary>
    public bool IsNone => Activation == UnaryOp.Identity;

    /// <summary>The activation as graph dumps show it: "relu", "clamp(0, 6)", "leakyrelu(0.1)"; "none" for no epilogue.</summary>
    public override string ToString()
    {
        string name = IsNone ? "none" : Activation.ToString().ToLowerInvariant();
        string F(float v) => v.ToString("G7", CultureInfo.InvariantCulture);
        return Activation switch
        {
            UnaryOp.Clamp => $"{name}({F(Params.Alpha)}, {F(Params.Beta)})",
            UnaryOp.LeakyRelu => $"{name}({F(Params.Alpha)})",
            _ => name,
        };
    }
}
