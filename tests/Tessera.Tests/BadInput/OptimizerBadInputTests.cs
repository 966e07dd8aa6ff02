using Tessera.Kernels;
using Tessera.Tests.Support;

namespace Tessera.Tests.BadInput;

/// <summary>Optimizer facade refusals: each names the op and throws the specific Tessera exception.</summary>
public class OptimizerBadInputTests
{
    private static readonly Tessera.Cpu.CpuDevice Dev = TestDevices.Cpu;

    private static void Throws<T>(string op, Action a) where T : TesseraException
    {
        var e = Assert.Throws<T>(a);
        Assert.Equal(op, e.Op);
        Assert.Contains(op, e.Message);
    }

    [Fact]
    public void GradientShapeMismatch()
    {
        using var p = Tensor.Zeros(Dev, DType.Float32, 4);
        using var g = Tensor.Zeros(Dev, DType.Float32, 5);
        Throws<TesseraShapeException>("SgdStep", () => Ops.SgdStep(p, g, new SgdParams(0.1f)));
    }

    [Fact]
    public void StateShapeMismatch()
    {
        using var p = Tensor.Zeros(Dev, DType.Float32, 2, 3);
        using var g = Tensor.Zeros(Dev, DType.Float32, 2, 3);
        using var m = Tensor.Zeros(Dev, DType.Float32, 2, 3);
        using var v = Tensor.Zeros(Dev, DType.Float32, 3, 2);
        Throws<TesseraShapeException>("AdamStep", () => Ops.AdamStep(p, g, m, v, new AdamParams(1e-3f)));
    }

    [Fact]
    public void StateDTypeMismatch()
    {
        using var p = Tensor.Zeros(Dev, DType.Float32, 3);
        using var g = Tensor.Zeros(Dev, DType.Float32, 3);
        using var vel = Tensor.Zeros(Dev, DType.Int32, 3);
        Throws<TesseraDTypeException>("MomentumStep", () => Ops.MomentumStep(p, g, vel, new MomentumParams(0.1f)));
    }

    [Fact]
    public void StateOnAnotherDevice()
    {
        using var other = new Tessera.Cpu.CpuDevice();
        using var p = Tensor.Zeros(Dev, DType.Float32, 3);
        using var g = Tensor.Zeros(Dev, DType.Float32, 3);
        using var vel = Tensor.Zeros(other, DType.Float32, 3);
        Throws<TesseraDeviceException>("MomentumStep", () => Ops.MomentumStep(p, g, vel, new MomentumParams(0.1f)));
    }

    [Fact]
    public void DisposedState()
    {
        using var p = Tensor.Zeros(Dev, DType.Float32, 3);
        using var g = Tensor.Zeros(Dev, DType.Float32, 3);
        var m = Tensor.Zeros(Dev, DType.Float32, 3);
        using var v = Tensor.Zeros(Dev, DType.Float32, 3);
        m.Dispose();
        Throws<TesseraDisposedException>("AdamStep", () => Ops.AdamStep(p, g, m, v, new AdamParams(1e-3f)));
    }

    [Fact]
    public void StateAliasingParamOrBroadcastViewIsRefused()
    {
        using var p = Tensor.Zeros(Dev, DType.Float32, 4);
        using var g = Tensor.Zeros(Dev, DType.Float32, 4);
        using var v = Tensor.Zeros(Dev, DType.Float32, 4);
        using var alias = p.Alias();
        Throws<TesseraArgumentException>("AdamStep", () => Ops.AdamStep(p, g, alias, v, new AdamParams(1e-3f)));
        using var one = Tensor.Zeros(Dev, DType.Float32, 1);
        using var broadcast = one.Expand(4);
        Throws<TesseraArgumentException>("MomentumStep", () => Ops.MomentumStep(p, g, broadcast, new MomentumParams(0.1f)));
    }

    [Theory]
    [InlineData("negative lr")]
    [InlineData("nan lr")]
    [InlineData("beta1 = 1")]
    [InlineData("pytorch step 0")]
    [InlineData("onnx negative T")]
    [InlineData("onnx decoupled")]
    public void BadAdamHyperParameters(string what)
    {
        using var p = Tensor.Zeros(Dev, DType.Float32, 3);
        using var g = Tensor.Zeros(Dev, DType.Float32, 3);
        using var m = Tensor.Zeros(Dev, DType.Float32, 3);
        using var v = Tensor.Zeros(Dev, DType.Float32, 3);
        var bad = what switch
        {
            "negative lr" => new AdamParams(-1e-3f),
            "nan lr" => new AdamParams(float.NaN),
            "beta1 = 1" => new AdamParams(1e-3f, Beta1: 1f),
            "pytorch step 0" => new AdamParams(1e-3f, Step: 0),
            "onnx negative T" => new AdamParams(1e-3f, Step: -1, Mode: OptimizerMode.DecayedRate),
            _ => new AdamParams(1e-3f, WeightDecay: 0.1f, Decoupled: true, Mode: OptimizerMode.DecayedRate),
        };
        Throws<TesseraArgumentException>("AdamStep", () => Ops.AdamStep(p, g, m, v, bad));
        Assert.Equal(new float[3], p.ToArray<float>());   // nothing was written
    }

    [Fact]
    public void NesterovWithDampeningIsRefusedInPyTorchMode()
    {
        using var p = Tensor.Zeros(Dev, DType.Float32, 3);
        using var g = Tensor.Zeros(Dev, DType.Float32, 3);
        using var v = Tensor.Zeros(Dev, DType.Float32, 3);
        Throws<TesseraArgumentException>("MomentumStep", () => Ops.MomentumStep(p, g, v, new MomentumParams(0.1f, 0.9f, Dampening: 0.1f, Nesterov: true)));
    }
}
