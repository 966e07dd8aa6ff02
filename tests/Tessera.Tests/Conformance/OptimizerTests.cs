using Tessera.Devices;
using Tessera.Kernels;
using Tessera.Reference;
using Tessera.Tests.Coverage;
using Tessera.Tests.Support;

namespace Tessera.Tests.Conformance;

/// <summary>Fused optimizer steps on the CPU against the reference, step by step (several steps, so state carried
/// between steps and the first-step / T = 0 rules are exercised), over lengths around the vector widths.
/// Tolerance: atol 1e-5, rtol 1e-4 — float32 arithmetic of a handful of operations per step, 3 steps.</summary>
public class OptimizerTests
{
    private static IDevice Dev => TestDevices.Target;
    private const double Atol = 1e-5, Rtol = 1e-4;
    private const int Steps = 3;

    public static readonly int[] Sizes = { 0, 1, 15, 16, 17, 1000, 4099 };

    /// <summary>Named configurations: (kind, description). Kind decides which step runs; the index picks the params.</summary>
    private static readonly (string Kind, string Name)[] Configs =
    {
        ("sgd", "plain"), ("sgd", "weight decay"),
        ("momentum", "classic"), ("momentum", "dampening"), ("momentum", "nesterov"), ("momentum", "nesterov+wd"),
        ("momentum", "onnx standard"), ("momentum", "onnx nesterov"), ("momentum", "onnx decay_factor"),
        ("adam", "adam"), ("adam", "adam L2"), ("adam", "adamw"),
        ("adam", "onnx"), ("adam", "onnx post+decay"),
    };

    public static TheoryData<int, int> Cases()
    {
        var data = new TheoryData<int, int>();
        for (int c = 0; c < Configs.Length; c++)
            foreach (var n in Sizes) data.Add(c, n);
        return data;
    }

    private static SgdParams Sgd(int c) => c == 0 ? new SgdParams(0.1f) : new SgdParams(0.05f, 0.01f);

    /// <summary>Momentum params for step s (0-based count of steps already taken).</summary>
    private static MomentumParams Momentum(int c, int s) => c switch
    {
        2 => new MomentumParams(0.1f, 0.9f, Step: s + 1),
        3 => new MomentumParams(0.05f, 0.8f, Dampening: 0.1f, WeightDecay: 0.02f, Step: s + 1),
        4 => new MomentumParams(0.1f, 0.9f, Nesterov: true, Step: s + 1),
        5 => new MomentumParams(0.03f, 0.7f, WeightDecay: 0.05f, Nesterov: true, Step: s + 1),
        6 => new MomentumParams(0.1f, 0.95f, Dampening: 0.9f, WeightDecay: 0.001f, Step: s, Mode: OptimizerMode.DecayedRate),
        7 => new MomentumParams(0.1f, 0.95f, Dampening: 0f, WeightDecay: 0.01f, Nesterov: true, Step: s, Mode: OptimizerMode.DecayedRate),
        _ => new MomentumParams(0.2f, 0.9f, Dampening: 0.15f, WeightDecay: 0.001f, Step: s + 2, Mode: OptimizerMode.DecayedRate, DecayFactor: 0.5f),
    };

    private static AdamParams Adam(int c, int s) => c switch
    {
        9 => new AdamParams(1e-2f, Step: s + 1),
        10 => new AdamParams(3e-3f, 0.8f, 0.99f, 1e-6f, WeightDecay: 0.1f, Step: s + 1),
        11 => new AdamParams(1e-2f, WeightDecay: 0.05f, Decoupled: true, Step: s + 1),
        12 => new AdamParams(0.1f, 0.95f, 0.1f, 1e-7f, WeightDecay: 0.001f, Step: s, Mode: OptimizerMode.DecayedRate),
        _ => new AdamParams(0.05f, 0.9f, 0.85f, 1e-2f, WeightDecay: 0.01f, Step: s, Mode: OptimizerMode.DecayedRate, DecayFactor: 0.1f, NormCoefficientPost: 0.02f),
    };

    /// <summary>The (step, formula) pairs the configurations exercise (the op coverage test requires every
    /// <see cref="OptimizerMode"/> for the momentum and Adam steps).</summary>
    public static IEnumerable<(OpKind Kind, OptimizerMode Mode)> Formulas =>
        Enumerable.Range(0, Configs.Length).SelectMany(c => Configs[c].Kind switch
        {
            "momentum" => new[] { (OpKind.MomentumStep, Momentum(c, 0).Mode) },
            "adam" => new[] { (OpKind.AdamStep, Adam(c, 0).Mode) },
            _ => Array.Empty<(OpKind, OptimizerMode)>(),
        });

    [Theory]
    [MemberData(nameof(Cases))]
    [Covers(OpKind.SgdStep, OpKind.MomentumStep, OpKind.AdamStep)]
    public void MatchesReferenceStepByStep(int config, int n)
    {
        var (kind, name) = Configs[config];
        var shape = new[] { n };
        var param = Rand.Uniform(10 + n, shape);
        var s1 = kind == "adam" ? Rand.Uniform(20 + n, shape, -0.2, 0.2) : Rand.Uniform(20 + n, shape, -0.5, 0.5);
        var s2 = Rand.Uniform(30 + n, shape, 0, 0.3);
        using var p = param.ToDevice(Dev);
        using var t1 = s1.ToDevice(Dev);
        using var t2 = s2.ToDevice(Dev);
        for (int s = 0; s < Steps; s++)
        {
            var grad = Rand.Uniform(100 * s + n, shape);
            using var g = grad.ToDevice(Dev);
            string what = $"{kind} {name} n={n} step {s}";
            (param, s1, s2) = StepAndCompare(config, s, param, grad, s1, s2, p, g, t1, t2, what);
        }
    }

    /// <summary>One step of optimizer <paramref name="config"/> on the reference (returning its new parameter and
    /// state) and in place on the device tensors, then the device parameter and state compared with the reference.</summary>
    private static (RefTensor Param, RefTensor S1, RefTensor S2) StepAndCompare(int config, int s, RefTensor param,
        RefTensor grad, RefTensor s1, RefTensor s2, Tensor p, Tensor g, Tensor t1, Tensor t2, string what)
    {
        switch (Configs[config].Kind)
        {
            case "sgd":
                param = RefOptimizer.SgdStep(param, grad, Sgd(config));
                Ops.SgdStep(p, g, Sgd(config));
                break;
            case "momentum":
                (param, s1) = RefOptimizer.MomentumStep(param, grad, s1, Momentum(config, s));
                Ops.MomentumStep(p, g, t1, Momentum(config, s));
                Approx.Equal(s1, t1, Atol, Rtol, what + " velocity");
                break;
            default:
                (param, s1, s2) = RefOptimizer.AdamStep(param, grad, s1, s2, Adam(config, s));
                Ops.AdamStep(p, g, t1, t2, Adam(config, s));
                Approx.Equal(s1, t1, Atol, Rtol, what + " m");
                Approx.Equal(s2, t2, Atol, Rtol, what + " v");
                break;
        }
        Approx.Equal(param, p, Atol, Rtol, what + " param");
        return (param, s1, s2);
    }

    public static TheoryData<int, int, int> StridedCases() => new()
    {
        { 3, 17, 33 }, { 5, 16, 15 }, { 10, 4, 1000 }, { 11, 33, 31 }, { 13, 2, 17 }, { 1, 65, 3 },
    };

    /// <summary>Strided (transposed) parameter, gradient and state views are updated in place through their views.</summary>
    [Theory]
    [MemberData(nameof(StridedCases))]
    public void StridedViewsAreUpdatedInPlace(int config, int rows, int cols)
    {
        var (kind, name) = Configs[config];
        var shape = new[] { rows, cols };
        var param = Rand.Uniform(1, shape);
        var s1 = Rand.Uniform(2, shape, -0.2, 0.2);
        var s2 = Rand.Uniform(3, shape, 0, 0.3);
        using var p = param.ToDeviceStrided(Dev);
        using var t1 = s1.ToDeviceStrided(Dev);
        using var t2 = s2.ToDevice(Dev);
        Assert.False(p.IsContiguous);
        for (int s = 0; s < Steps; s++)
        {
            var grad = Rand.Uniform(40 + s, shape);
            using var g = grad.ToDeviceStrided(Dev);
            string what = $"{kind} {name} strided [{rows}, {cols}] step {s}";
            (param, s1, s2) = StepAndCompare(config, s, param, grad, s1, s2, p, g, t1, t2, what);
        }
    }

    /// <summary>Hand-computed values (independent of the reference code): PyTorch Adam's first step moves every
    /// element by ≈ lr·sign(g); SGD momentum's first step stores v = g.</summary>
    [Fact]
    public void FirstStepClosedForms()
    {
        using var p = Tensor.FromArray(Dev, new float[] { 1f, -2f, 3f }, 3);
        using var g = Tensor.FromArray(Dev, new float[] { 0.5f, -4f, 1e-3f }, 3);
        using var m = Tensor.Zeros(Dev, DType.Float32, 3);
        using var v = Tensor.Zeros(Dev, DType.Float32, 3);
        Ops.AdamStep(p, g, m, v, new AdamParams(0.1f, Epsilon: 0f));
        Assert.Equal(new[] { 0.9f, -1.9f, 2.9f }, p.ToArray<float>(), (a, b) => Math.Abs(a - b) < 1e-6f);

        using var p2 = Tensor.FromArray(Dev, new float[] { 1f, 2f }, 2);
        using var g2 = Tensor.FromArray(Dev, new float[] { 3f, -1f }, 2);
        using var vel = Tensor.FromArray(Dev, new float[] { 100f, 100f }, 2);
        Ops.MomentumStep(p2, g2, vel, new MomentumParams(0.5f, 0.9f, Dampening: 0.5f));
        Assert.Equal(new[] { 3f, -1f }, vel.ToArray<float>());
        Assert.Equal(new[] { -0.5f, 2.5f }, p2.ToArray<float>());
    }

    /// <summary>The result does not depend on how many threads split the work.</summary>
    [Fact]
    public void ResultIndependentOfThreadCount()
    {
        var shape = new[] { 100_003 };
        var param = Rand.Uniform(5, shape);
        var grad = Rand.Uniform(6, shape);
        var dev1 = new Tessera.Cpu.CpuDevice { Threads = 1 };
        var dev4 = new Tessera.Cpu.CpuDevice { Threads = 4 };
        float[] Run(Tessera.Cpu.CpuDevice d)
        {
            using var p = param.ToDevice(d);
            using var g = grad.ToDevice(d);
            using var m = Tensor.Zeros(d, DType.Float32, shape);
            using var v = Tensor.Zeros(d, DType.Float32, shape);
            Ops.AdamStep(p, g, m, v, new AdamParams(1e-3f, WeightDecay: 0.01f, Decoupled: true));
            return p.ToArray<float>();
        }
        Assert.Equal(Run(dev1), Run(dev4));
        dev1.Dispose();
        dev4.Dispose();
    }
}
