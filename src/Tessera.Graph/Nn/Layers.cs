using Tessera.Devices;
using Tessera.Graph.Training;
using Tessera.Kernels;

namespace Tessera.Graph.Nn;

/// <summary>y = x·Wᵀ + b, W [out, in] Kaiming-uniform initialised (PyTorch's default scheme).</summary>
public sealed class Linear : Module
{
    /// <summary>A fully connected layer y = x·Wᵀ + b from <paramref name="inFeatures"/> to <paramref name="outFeatures"/>, initialised as PyTorch does (uniform ±1/√inFeatures).</summary>
    public Linear(IDevice device, Initializer init, int inFeatures, int outFeatures, bool bias = true)
    {
        var shape = new[] { outFeatures, inFeatures };
        // PyTorch's default: kaiming_uniform(a=√5) = uniform ±1/√fan_in, bias likewise.
        Weight = AddParameter("weight", device, init.Uniform(outFeatures * inFeatures, 1.0 / Math.Sqrt(inFeatures)), shape);
        Bias = bias ? AddParameter("bias", device, init.BiasUniform(outFeatures, inFeatures), outFeatures) : null;
    }

    /// <summary>The weight, [outFeatures, inFeatures].</summary>
    public Tensor Weight { get; }
    /// <summary>The bias, [outFeatures]; null without one.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x) =>
        g.Linear(x, P(g, Weight, "weight"), Bias is null ? null : P(g, Bias, "bias"));
}

/// <summary>2-D convolution layer (NCHW).</summary>
public sealed class Conv2d : Module
{
    private readonly Conv2dParams _p;

    /// <summary>A 2-D convolution (NCHW) from <paramref name="inChannels"/> to <paramref name="outChannels"/>, initialised as PyTorch does.</summary>
    public Conv2d(IDevice device, Initializer init, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0,
        int groups = 1, bool bias = true)
    {
        _p = Conv2dParams.Square(stride, padding, 1, groups);
        var shape = new[] { outChannels, inChannels / groups, kernel, kernel };
        int fanIn = inChannels / groups * kernel * kernel;
        Weight = AddParameter("weight", device, init.Uniform(shape.Aggregate(1, (a, d) => a * d), 1.0 / Math.Sqrt(fanIn)), shape);
        Bias = bias ? AddParameter("bias", device, init.BiasUniform(outChannels, fanIn), outChannels) : null;
    }

    /// <summary>The filters, [outChannels, inChannels/groups, kernel, kernel].</summary>
    public Tensor Weight { get; }
    /// <summary>The bias, [outChannels]; null without one.</summary>
    public Tensor? Bias { get; }

    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x) =>
        g.Conv2d(x, P(g, Weight, "weight"), Bias is null ? null : P(g, Bias, "bias"), _p);
}

/// <summary>Max pooling layer.</summary>
public sealed class MaxPool2d(int kernel, int stride) : Module
{
    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x) => g.MaxPool2d(x, Pool2dParams.Square(kernel, stride));
}

/// <summary>Average pooling layer.</summary>
public sealed class AvgPool2d(int kernel, int stride, int padding = 0) : Module
{
    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x) => g.AvgPool2d(x, Pool2dParams.Square(kernel, stride, padding));
}

/// <summary>Batch normalisation over channels with learnable scale and shift and running statistics.</summary>
public sealed class BatchNorm2d : Module
{
    private readonly BatchNormParams _p;

    /// <summary>Batch normalisation over the <paramref name="channels"/> of NCHW input: scale 1, shift 0, running mean 0 and variance 1.</summary>
    public BatchNorm2d(IDevice device, int channels, float epsilon = 1e-5f, float momentum = 0.1f)
    {
        _p = new BatchNormParams(epsilon, momentum);
        Gamma = AddParameter("weight", device, Enumerable.Repeat(1f, channels).ToArray(), channels);
        Beta = AddParameter("bias", device, new float[channels], channels);
        RunningMean = AddState("running_mean", device, 0f, channels);
        RunningVar = AddState("running_var", device, 1f, channels);
    }

    /// <summary>The scale, [channels].</summary>
    public Tensor Gamma { get; }
    /// <summary>The shift, [channels].</summary>
    public Tensor Beta { get; }
    /// <summary>The running mean used in inference, [channels].</summary>
    public Tensor RunningMean { get; }
    /// <summary>The running variance used in inference, [channels].</summary>
    public Tensor RunningVar { get; }

    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x) =>
        g.BatchNorm(x, P(g, Gamma, "bn.weight"), P(g, Beta, "bn.bias"), S(g, RunningMean, "bn.running_mean"), S(g, RunningVar, "bn.running_var"), _p);
}

/// <summary>Layer normalisation over the last dimension.</summary>
public sealed class LayerNorm : Module
{
    private readonly float _epsilon;

    /// <summary>Layer normalisation over the last axis of size <paramref name="dim"/>: scale 1, shift 0.</summary>
    public LayerNorm(IDevice device, int dim, float epsilon = 1e-5f)
    {
        _epsilon = epsilon;
        Gamma = AddParameter("weight", device, Enumerable.Repeat(1f, dim).ToArray(), dim);
        Beta = AddParameter("bias", device, new float[dim], dim);
    }

    /// <summary>The scale, [dim].</summary>
    public Tensor Gamma { get; }
    /// <summary>The shift, [dim].</summary>
    public Tensor Beta { get; }

    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x) => g.LayerNorm(x, P(g, Gamma, "ln.weight"), P(g, Beta, "ln.bias"), new LayerNormParams(-1, _epsilon));
}

/// <summary>Inverted dropout; identity when the plan runs in inference mode.</summary>
public sealed class Dropout(float ratio, ulong seed) : Module
{
    /// <inheritdoc/>
    public override Value Forward(GraphBuilder g, Value x) => ratio == 0 ? x : g.Dropout(x, ratio, seed);
}

/// <summary>Lookup table: indices [...] → vectors [..., dim].</summary>
public sealed class Embedding : Module
{
    /// <summary>A table of <paramref name="count"/> vectors of <paramref name="dim"/> features, drawn from N(0, 1).</summary>
    public Embedding(IDevice device, Initializer init, int count, int dim)
    {
        Weight = AddParameter("weight", device, init.Normal(count * dim, 1.0), count, dim);
    }

    /// <summary>The table, [count, dim].</summary>
    public Tensor Weight { get; }

    /// <summary>Rows of the table for the Int32/Int64 indices <paramref name="x"/>.</summary>
    public override Value Forward(GraphBuilder g, Value x) => g.Gather(P(g, Weight, "embedding"), x, 0);
}
