using Tessera.Devices;
using Tessera.Graph.Training;
using Tessera.Kernels;

namespace Tessera.Graph.Nn;

/// <summary>y = x·Wᵀ + b, W [out, in] Kaiming-uniform initialised (PyTorch's default scheme).</summary>
public sealed class Linear : Module
{
    public Linear(IDevice device, Initializer init, int inFeatures, int outFeatures, bool bias = true)
    {
        var shape = new[] { outFeatures, inFeatures };
        // PyTorch's default: kaiming_uniform(a=√5) = uniform ±1/√fan_in, bias likewise.
        Weight = AddParameter("weight", device, init.Uniform(outFeatures * inFeatures, 1.0 / Math.Sqrt(inFeatures)), shape);
        Bias = bias ? AddParameter("bias", device, init.BiasUniform(outFeatures, inFeatures), outFeatures) : null;
    }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Value Forward(GraphBuilder g, Value x) =>
        g.Linear(x, P(g, Weight, "weight"), Bias is null ? null : P(g, Bias, "bias"));
}

/// <summary>2-D convolution layer (NCHW).</summary>
public sealed class Conv2d : Module
{
    private readonly Conv2dParams _p;

    public Conv2d(IDevice device, Initializer init, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0,
        int groups = 1, bool bias = true)
    {
        _p = Conv2dParams.Square(stride, padding, 1, groups);
        var shape = new[] { outChannels, inChannels / groups, kernel, kernel };
        int fanIn = inChannels / groups * kernel * kernel;
        Weight = AddParameter("weight", device, init.Uniform(shape.Aggregate(1, (a, d) => a * d), 1.0 / Math.Sqrt(fanIn)), shape);
        Bias = bias ? AddParameter("bias", device, init.BiasUniform(outChannels, fanIn), outChannels) : null;
    }

    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    public override Value Forward(GraphBuilder g, Value x) =>
        g.Conv2d(x, P(g, Weight, "weight"), Bias is null ? null : P(g, Bias, "bias"), _p);
}

/// <summary>Max pooling layer.</summary>
public sealed class MaxPool2d(int kernel, int stride) : Module
{
    public override Value Forward(GraphBuilder g, Value x) => g.MaxPool2d(x, Pool2dParams.Square(kernel, stride));
}

/// <summary>Average pooling layer.</summary>
public sealed class AvgPool2d(int kernel, int stride, int padding = 0) : Module
{
    public override Value Forward(GraphBuilder g, Value x) => g.AvgPool2d(x, Pool2dParams.Square(kernel, stride, padding));
}

/// <summary>Batch normalisation over channels with learnable scale and shift and running statistics.</summary>
public sealed class BatchNorm2d : Module
{
    private readonly BatchNormParams _p;

    public BatchNorm2d(IDevice device, int channels, float epsilon = 1e-5f, float momentum = 0.1f)
    {
        _p = new BatchNormParams(epsilon, momentum);
        Gamma = AddParameter("weight", device, Enumerable.Repeat(1f, channels).ToArray(), channels);
        Beta = AddParameter("bias", device, new float[channels], channels);
        RunningMean = AddState("running_mean", device, 0f, channels);
        RunningVar = AddState("running_var", device, 1f, channels);
    }

    public Tensor Gamma { get; }
    public Tensor Beta { get; }
    public Tensor RunningMean { get; }
    public Tensor RunningVar { get; }

    public override Value Forward(GraphBuilder g, Value x) =>
        g.BatchNorm(x, P(g, Gamma, "bn.weight"), P(g, Beta, "bn.bias"), S(g, RunningMean, "bn.running_mean"), S(g, RunningVar, "bn.running_var"), _p);
}

/// <summary>Layer normalisation over the last dimension.</summary>
public sealed class LayerNorm : Module
{
    private readonly float _epsilon;

    public LayerNorm(IDevice device, int dim, float epsilon = 1e-5f)
    {
        _epsilon = epsilon;
        Gamma = AddParameter("weight", device, Enumerable.Repeat(1f, dim).ToArray(), dim);
        Beta = AddParameter("bias", device, new float[dim], dim);
    }

    public Tensor Gamma { get; }
    public Tensor Beta { get; }

    public override Value Forward(GraphBuilder g, Value x) => g.LayerNorm(x, P(g, Gamma, "ln.weight"), P(g, Beta, "ln.bias"), new LayerNormParams(-1, _epsilon));
}

/// <summary>Inverted dropout; identity when the plan runs in inference mode.</summary>
public sealed class Dropout(float ratio, ulong seed) : Module
{
    public override Value Forward(GraphBuilder g, Value x) => ratio == 0 ? x : g.Dropout(x, ratio, seed);
}

/// <summary>Lookup table: indices [...] → vectors [..., dim].</summary>
public sealed class Embedding : Module
{
    public Embedding(IDevice device, Initializer init, int count, int dim)
    {
        Weight = AddParameter("weight", device, init.Normal(count * dim, 1.0), count, dim);
    }

    public Tensor Weight { get; }

    /// <summary>Rows of the table for the Int32/Int64 indices <paramref name="x"/>.</summary>
    public override Value Forward(GraphBuilder g, Value x) => g.Gather(P(g, Weight, "embedding"), x, 0);
}
